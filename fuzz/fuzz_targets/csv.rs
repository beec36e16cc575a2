//! A subscriber CSV file → `subscribers import`'s parser.
//!
//! Invariants: every good row's address is normalised (normalising it again changes nothing);
//! every bad row is reported with its line as one line of text; no row is both.
#![no_main]

use chronicle::web::normalise_address;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((rows, bad)) = chronicle::cli::parse_import(data, "fuzz.csv") else {
        return;
    };
    for r in &rows {
        let again = normalise_address(r.email.as_ref()).expect("a good row's address reads again");
        assert_eq!(again, r.email, "normalising twice changed the address");
    }
    for b in &bad {
        assert!(b.starts_with("line "), "bad row without a line: {b:?}");
        assert!(
            !b.contains(['\n', '\r']),
            "bad row reported on several lines: {b:?}"
        );
    }
    let records = data.iter().filter(|b| **b == b'\n' || **b == b'\r').count() + 1;
    assert!(rows.len() + bad.len() <= records, "more rows than lines");
});
