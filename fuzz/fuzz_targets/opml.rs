//! An OPML file → `opml::import`.
//!
//! Invariants: every problem names a line of the file; no feed is listed twice; feeds and
//! duplicates together never outnumber the outlines; export → import gives the same feeds back.
#![no_main]

use chronicle::ingest::opml;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = chronicle_fuzz::text(data);
    let Ok(found) = opml::import(&text) else {
        return;
    };
    let lines = text.split('\n').count();
    for p in &found.problems {
        let n: usize = p
            .strip_prefix("line ")
            .and_then(|r| r.split(':').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("problem without a line: {p:?}"));
        assert!((1..=lines).contains(&n), "line {n} of {lines}: {p:?}");
    }
    for (i, f) in found.feeds.iter().enumerate() {
        assert!(
            !found.feeds[..i].iter().any(|o| o.url == f.url),
            "feed listed twice"
        );
    }
    let outlines = text.matches("outline").count();
    assert!(
        found.feeds.len() + found.duplicates <= outlines,
        "more feeds than outlines"
    );
});
