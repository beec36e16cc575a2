//! An e-mail address typed by a reader or read from a file → `SubscriberEmail::parse` and the
//! web's `normalise_address` (lettre, IDNA).
//!
//! Invariants: an accepted address is at most 254 bytes, has no white space, reads back as
//! itself (round trip), and `normalise_address` yields ASCII domains; errors are one line.
#![no_main]

use chronicle::domain::SubscriberEmail;
use chronicle::web::normalise_address;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = chronicle_fuzz::text(data);
    match SubscriberEmail::parse(&text) {
        Ok(e) => {
            let s = e.as_ref();
            assert!(s.len() <= 254 && !s.contains(char::is_whitespace), "{s:?}");
            assert_eq!(SubscriberEmail::parse(s).as_ref(), Ok(&e), "round trip");
        }
        Err(err) => assert!(!err.to_string().contains('\n'), "{err}"),
    }
    match normalise_address(&text) {
        Ok(e) => {
            let s = e.as_ref();
            let (_, domain) = s.rsplit_once('@').expect("an @");
            assert!(domain.is_ascii(), "domain not in its ASCII form: {s:?}");
            assert_eq!(
                normalise_address(s).as_ref(),
                Ok(&e),
                "normalising twice changed it"
            );
            assert_eq!(
                SubscriberEmail::parse(s).as_ref(),
                Ok(&e),
                "not a SubscriberEmail"
            );
        }
        Err(err) => assert!(!err.to_string().contains('\n'), "{err}"),
    }
});
