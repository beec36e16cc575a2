//! Feed bytes → normalised entries, as `fetch` runs it: encoding and repair (`recover`), feed-rs,
//! then Chronicle's cleaning (`parse_document`); the same bytes through feed discovery, as an
//! HTML page. The first byte picks the `Content-Type` the server "sent".
//!
//! Invariants: the repaired document is UTF-8; every entry's content passes the HTML checks;
//! titles and summaries are collapsed plain text; links and images are absolute http(s).
#![no_main]

use chronicle::ingest::{discover, parse, recover};
use chronicle_fuzz::{assert_clean_html, assert_collapsed};
use libfuzzer_sys::fuzz_target;
use url::Url;

const TYPES: &[Option<&str>] = &[
    None,
    Some("application/rss+xml"),
    Some("application/atom+xml; charset=utf-8"),
    Some("text/xml; charset=iso-8859-1"),
    Some("application/xml; charset=windows-1252"),
    Some("text/xml; charset=utf-16"),
    Some("text/html; charset=shift_jis"),
    Some("application/feed+json"),
    Some("text/xml; charset=gb2312"),
    Some("text/plain; charset=bogus"),
];

fn http(url: &str, what: &str) {
    let parsed = Url::parse(url).unwrap_or_else(|e| panic!("{what} {url:?} is not a URL: {e}"));
    assert!(
        matches!(parsed.scheme(), "http" | "https"),
        "{what} {url:?} is not http(s)"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    let content_type = TYPES[usize::from(kind) % TYPES.len()];
    let base = Url::parse("https://blog.example.org/feed/").expect("base");
    let prepared = recover::prepare(body, content_type);
    assert!(
        std::str::from_utf8(&prepared.bytes).is_ok(),
        "prepare returned bytes that are not UTF-8"
    );
    if let Ok(feed) = parse::parse_document(body, content_type, &base) {
        for e in &feed.entries {
            assert_clean_html(e.content.as_str());
            assert_collapsed(&e.title, "title");
            assert_collapsed(&e.summary, "summary");
            if let Some(u) = &e.url {
                http(u, "entry link");
            }
            if let Some(u) = &e.image_url {
                http(u, "image");
            }
        }
    }
    if kind & 0x80 != 0 {
        let page = String::from_utf8_lossy(body);
        let found = discover::discover(&page, &base);
        for (i, d) in found.iter().enumerate() {
            http(d.url.as_str(), "discovered feed");
            assert!(
                !found[..i].iter().any(|o| o.url == d.url),
                "feed discovered twice"
            );
        }
    }
});
