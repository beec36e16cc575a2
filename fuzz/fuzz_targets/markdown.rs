//! The editor's Markdown (a digest's intro note) → HTML for the e-mail and the site, and plain
//! text for the text part.
//!
//! Invariants: the HTML passes the sanitiser's checks; every numbered link of the text is an
//! absolute http(s) URL; the text has no control characters other than line breaks.
#![no_main]

use chronicle::digest::text::{intro_html, intro_text};
use chronicle_fuzz::assert_clean_html;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let md = chronicle_fuzz::text(data);
    assert_clean_html(intro_html(&md).as_str());
    let (text, links) = intro_text(&md, Some(1));
    for l in &links {
        let u = url::Url::parse(l).unwrap_or_else(|e| panic!("{l:?}: {e}"));
        assert!(matches!(u.scheme(), "http" | "https"), "{l:?}");
    }
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "control character in the text part: {text:?}"
    );
    let _ = intro_text(&md, None);
});
