//! [`SubscriberEmail`]: an e-mail address we are willing to send to.

use std::fmt;

/// Why a string is not an acceptable address.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{input}` is not a valid e-mail address: {reason}")]
pub struct EmailError {
    input: String,
    reason: &'static str,
}

/// A syntactically valid address (`local@domain`, RFC 5321 lengths, a dotted domain), trimmed and
/// with its domain lower-cased. The local part keeps its case: RFC 5321 says it may matter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriberEmail(String);

impl SubscriberEmail {
    /// Parses an address typed by a person or read from a file.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let s = input.trim();
        let fail = |reason| EmailError {
            input: shown(s),
            reason,
        };
        if s.is_empty() {
            return Err(fail("it is empty"));
        }
        if s.len() > 254 {
            return Err(fail("it is longer than 254 characters"));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(fail("it has no @"));
        };
        if local.is_empty() || local.len() > 64 {
            return Err(fail(
                "the part before @ is empty or longer than 64 characters",
            ));
        }
        if s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c))
        {
            return Err(fail(
                "it contains spaces or characters not allowed in an address",
            ));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(fail("the part before @ has a misplaced dot"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels.iter().any(|l| {
                l.is_empty()
                    || l.len() > 63
                    || l.starts_with('-')
                    || l.ends_with('-')
                    || !l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
        {
            return Err(fail("the domain after @ is not a valid host name"));
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }
}

/// `input` fit to quote in a one-line message: at most 320 characters, control characters
/// (a line break in a CSV field, a terminal escape) written as escapes. Quoted raw, a newline
/// made the error two lines and an escape sequence reached the organiser's terminal (fuzzing).
pub fn shown(input: &str) -> String {
    let mut out = String::with_capacity(input.len().min(320));
    for c in input.chars().take(320) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

impl AsRef<str> for SubscriberEmail {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SubscriberEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_addresses() {
        for ok in [
            "a@b.co",
            "first.last+tag@Example.ORG",
            " reader@sub.example.org ",
        ] {
            assert!(SubscriberEmail::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            SubscriberEmail::parse("Bob@Example.ORG").unwrap().as_ref(),
            "Bob@example.org"
        );
    }

    #[test]
    fn errors_quote_the_input_on_one_line() {
        // Found by fuzzing: the input was quoted raw.
        let err = SubscriberEmail::parse("a\n@b\x1b[2J.org")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`a\\n@b\\u{1b}[2J.org` is not a valid e-mail address: it contains spaces or \
             characters not allowed in an address"
        );
        assert_eq!(shown(&"x".repeat(400)).len(), 320);
    }

    #[test]
    fn invalid_addresses_say_why() {
        for bad in [
            "",
            "no-at.example.org",
            "@example.org",
            "a@b",
            "a b@c.org",
            "a@-b.org",
            "a..b@c.org",
            "a@b..org",
            "<a@b.org>",
        ] {
            let err = SubscriberEmail::parse(bad).unwrap_err().to_string();
            assert!(err.contains("not a valid e-mail address"), "{bad}: {err}");
        }
    }
}
