//! Addresses typed by readers (or read from the organiser's CSV): validated with lettre's
//! [`Address`](lettre::Address), trimmed, with the domain lower-cased and internationalised
//! domains turned into their ASCII (IDNA) form, so `Ada@Bücher.Example` and
//! `Ada@xn--bcher-kva.example` are one reader.

use crate::domain::SubscriberEmail;

/// Why an address was refused, in words for the reader.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AddressError(pub String);

/// Validates and normalises an address.
pub fn normalise(input: &str) -> Result<SubscriberEmail, AddressError> {
    let s = input.trim();
    let fail = |why: &str| AddressError(why.to_string());
    if s.is_empty() {
        return Err(fail("Please enter your e-mail address."));
    }
    if s.len() > 254 {
        return Err(fail("That address is too long to be real."));
    }
    let Some((user, domain)) = s.rsplit_once('@') else {
        return Err(fail(
            "That address has no @: it should look like name@example.org.",
        ));
    };
    let ascii = idna::domain_to_ascii(domain)
        .map_err(|_| fail("The part after @ is not a valid domain name."))?;
    let address = lettre::Address::new(user, &ascii).map_err(|e| {
        fail(match e {
            lettre::address::AddressError::InvalidUser => {
                "The part before @ is not valid in an e-mail address."
            }
            _ => "The part after @ is not a valid domain name.",
        })
    })?;
    SubscriberEmail::parse(&format!("{}@{}", address.user(), address.domain()))
        .map_err(|_| fail("That does not look like an e-mail address we can write to."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_lowercased_and_idna_encoded() {
        let ok = |s: &str| normalise(s).unwrap().to_string();
        assert_eq!(ok("  Ada@Example.ORG "), "Ada@example.org");
        assert_eq!(ok("ada@Bücher.example"), "ada@xn--bcher-kva.example");
        assert_eq!(ok("ada@xn--bcher-kva.example"), "ada@xn--bcher-kva.example");
        assert_eq!(
            ok("first.last+tag@sub.example.org"),
            "first.last+tag@sub.example.org"
        );
    }

    #[test]
    fn bad_addresses_say_why() {
        for (bad, why) in [
            ("", "Please enter"),
            ("ada.example.org", "no @"),
            ("ada@", "after @"),
            ("a b@example.org", "before @"),
            ("ada@exa mple.org", "after @"),
            ("ada@localhost", "write to"),
            ("ada@[127.0.0.1]", "write to"),
        ] {
            let err = normalise(bad).unwrap_err().0;
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
