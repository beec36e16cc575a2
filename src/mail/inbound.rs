//! Unsubscribe requests that arrive by mail: the `mailto:` of `List-Unsubscribe` (RFC 2369)
//! asks the reader's mail program to send `Subject: unsubscribe <token>` to
//! `newsletter.unsubscribe_address`; the organiser's mail server pipes such messages into
//! `chronicle unsubscribe-mail` (an alias `|chronicle unsubscribe-mail`, a Sieve or procmail
//! rule), which finds the token here.

use crate::domain::Token;

/// The most of a message that is read (a request is a few hundred bytes; a reader's program
/// may quote the whole digest below it).
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// The token of `unsubscribe <token>` in the message's Subject, or failing that in its first
/// lines of text (some programs put the subject in the body, or mangle the header).
pub fn unsubscribe_token(message: &[u8]) -> Option<Token> {
    let text = String::from_utf8_lossy(&message[..message.len().min(MAX_MESSAGE_BYTES)]);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .or_else(|| text.split_once("\n\n"))
        .unwrap_or((&text, ""));
    subject(head)
        .as_deref()
        .and_then(after_unsubscribe)
        .or_else(|| body.lines().take(50).find_map(after_unsubscribe))
}

/// The Subject header, its folded lines joined.
fn subject(head: &str) -> Option<String> {
    let mut lines = head.lines();
    while let Some(line) = lines.next() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("subject") {
            continue;
        }
        let mut value = value.trim().to_string();
        for more in lines.by_ref() {
            if !more.starts_with([' ', '\t']) {
                break;
            }
            value.push(' ');
            value.push_str(more.trim());
        }
        return Some(value);
    }
    None
}

/// The first token that follows the word "unsubscribe" in `s`.
fn after_unsubscribe(s: &str) -> Option<Token> {
    let lower = s.to_ascii_lowercase();
    let at = lower.find("unsubscribe")?;
    lower[at + "unsubscribe".len()..]
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(3)
        .find_map(Token::parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn the_token_is_found_in_the_subject_a_mail_program_sends() {
        let m = format!("From: a@b.org\r\nTo: x@y.org\r\nSubject: unsubscribe {T}\r\n\r\n");
        assert_eq!(unsubscribe_token(m.as_bytes()).unwrap().as_str(), T);
        // Folded, prefixed and in capitals.
        let m = format!(
            "Subject: Re: UNSUBSCRIBE\r\n\t{}\r\nX: y\r\n\r\nbody",
            T.to_uppercase()
        );
        assert_eq!(unsubscribe_token(m.as_bytes()).unwrap().as_str(), T);
    }

    #[test]
    fn the_body_is_the_fallback_and_other_hex_is_not_a_token() {
        let m = format!("Subject: please\n\nunsubscribe {T}\n");
        assert_eq!(unsubscribe_token(m.as_bytes()).unwrap().as_str(), T);
        let m = format!("Subject: hello {T}\n\nthanks for the digest\n");
        assert!(unsubscribe_token(m.as_bytes()).is_none());
        assert!(unsubscribe_token(b"Subject: unsubscribe 1234\n\n").is_none());
        assert!(unsubscribe_token(b"").is_none());
        assert!(unsubscribe_token(&[0xff, 0xfe, b'\n']).is_none());
    }
}
