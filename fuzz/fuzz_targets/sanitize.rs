//! HTML from a feed → the sanitiser, then the plain-text readers of HTML (titles' text, the
//! one-pass text of stored entries, excerpts). The first byte picks the base URL (none, or an
//! entry's address).
//!
//! Invariants: the output passes the HTML checks (no script, style, frame, event handler,
//! `javascript:` or `data:` URL, comment), also after cleaning again; cleaning settles after a
//! second pass; plain text is collapsed; an excerpt is no longer than its text plus `…`.
#![no_main]

use chronicle::html::{excerpt, sanitize::sanitize, text};
use chronicle_fuzz::{assert_clean_html, assert_collapsed};
use libfuzzer_sys::fuzz_target;
use url::Url;

/// `s` without white space: html5ever drops a newline that opens a `<pre>` on every parse and
/// does not write it back, so white space inside `<pre>` may shrink with each cleaning.
fn without_space(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    let html = chronicle_fuzz::text(body);
    let base = Url::parse("https://blog.example.org/2026/11/post.html").expect("base");
    let base = (kind & 1 == 1).then_some(&base);
    let clean = sanitize(&html, base);
    assert_clean_html(clean.as_str());
    // Idempotent after the second cleaning: the first may still reorder attributes (ammonia
    // appends the `rel` it adds; cleaning again finds it in place), never after that.
    let again = sanitize(clean.as_str(), base);
    assert_clean_html(again.as_str());
    let third = sanitize(again.as_str(), base);
    assert_eq!(
        without_space(third.as_str()),
        without_space(again.as_str()),
        "cleaning a third time changed the output"
    );

    let plain = text::html_to_text(&html);
    assert_collapsed(&plain, "html_to_text");
    let (kept, words) = text::sanitized_to_text(&clean, 40);
    assert_collapsed(&kept, "sanitized_to_text");
    assert!(
        chronicle::html::script::count_words(&kept) <= words.max(40) + 1,
        "kept more words than the text has"
    );
    let budget = usize::from(kind >> 1) % 64;
    let short = excerpt(&plain, budget);
    assert!(
        short.len() <= plain.len() + '…'.len_utf8() + 1,
        "excerpt longer than its text"
    );
    let _ = text::decode_entities(&html);
});
