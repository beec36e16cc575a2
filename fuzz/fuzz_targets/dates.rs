//! A feed's date string → `parse_date`.
//!
//! Invariants: a date read is within years 1..=9999 (what SQLite and RFC 3339 can store), and
//! its RFC 3339 form reads back as the same instant (what Chronicle stores is what it reads).
#![no_main]

use chronicle::ingest::dates::parse_date;
use chrono::{Datelike, Timelike};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = chronicle_fuzz::text(data);
    if let Some(d) = parse_date(&text) {
        assert!(
            (1..=9999).contains(&d.year()),
            "year out of range: {d:?} from {text:?}"
        );
        let stored = d.to_rfc3339();
        assert_eq!(
            parse_date(&stored),
            Some(d),
            "RFC 3339 form {stored} reads differently"
        );
        // RFC 2822 has no fraction of a second.
        let mail = d.to_rfc2822();
        let whole = d.with_nanosecond(0).expect("zero nanoseconds");
        assert_eq!(
            parse_date(&mail),
            Some(whole),
            "RFC 2822 form {mail} reads differently"
        );
    }
});
