//! A digest body encoded once (quoted-printable), with the byte offsets where each reader's
//! unsubscribe token goes.
//!
//! Why not lettre's encoder per message: `bench/send.sh` measured 1.3 ms of CPU per 110 KB
//! message, most of it quoted-printable encoding of the same HTML 10,000 times. Every reader's
//! link has the same length and its token is 32 hex digits, which quoted-printable writes as
//! they are, so the encoded bytes differ only at the token's offsets (a soft line break may fall
//! inside the token, always at the same place). This module encodes the body once with a
//! random stand-in token and copies the real token's bytes into those offsets.

use lettre::message::Body;
use lettre::message::header::ContentTransferEncoding;

/// Length of a subscriber token (`Token::generate`: 128 bits in hex).
pub const TOKEN_LEN: usize = 32;

/// Whether `token` can be filled in byte for byte (32 lower-case hex digits).
pub fn fillable(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The body, encoded once.
#[derive(Debug, Clone)]
pub struct Prepared {
    bytes: Vec<u8>,
    spots: Vec<usize>,
}

/// The body for `link_prefix` + token at every cut of `parts`, quoted-printable encoded.
pub fn encode(parts: &[String], link_prefix: &str, token: &str) -> Body {
    let text = parts.join(&format!("{link_prefix}{token}"));
    Body::new_with_encoding(text.clone(), ContentTransferEncoding::QuotedPrintable)
        .unwrap_or_else(|_| Body::new(text))
}

impl Prepared {
    /// Encodes `parts` joined by the link with a stand-in token; `None` if the token's bytes
    /// cannot all be found (then every message is encoded on its own).
    pub fn new(parts: &[String], link_prefix: &str) -> Option<Self> {
        let stand_in = crate::domain::Token::generate();
        let body = encode(parts, link_prefix, stand_in.as_str());
        if body.encoding() != ContentTransferEncoding::QuotedPrintable {
            return None;
        }
        let bytes = body.into_vec();
        let spots = find(&bytes, stand_in.as_str().as_bytes());
        (spots.len() == (parts.len() - 1) * TOKEN_LEN).then_some(Self { bytes, spots })
    }

    /// The encoded body with `token` (which must be [`fillable`]).
    pub fn fill(&self, token: &str) -> Body {
        let t = token.as_bytes();
        let mut bytes = self.bytes.clone();
        for (i, at) in self.spots.iter().enumerate() {
            bytes[*at] = t[i % TOKEN_LEN];
        }
        Body::dangerous_pre_encoded(bytes, ContentTransferEncoding::QuotedPrintable)
    }
}

/// Offsets of every byte of every occurrence of `needle` in `hay`, where a quoted-printable
/// soft line break (`=\r\n`) may interrupt it.
fn find(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = memchr::memchr(needle[0], &hay[i..]) {
        let start = i + off;
        let (mut j, mut k) = (start, 0);
        let mut at = Vec::with_capacity(needle.len());
        while k < needle.len() && j < hay.len() {
            if hay[j] == needle[k] {
                at.push(j);
                j += 1;
                k += 1;
            } else if k > 0 && hay[j..].starts_with(b"=\r\n") {
                j += 3;
            } else {
                break;
            }
        }
        if k == needle.len() {
            out.extend(at);
            i = j;
        } else {
            i = start + 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filled_bodies_are_byte_for_byte_what_encoding_each_one_gives() {
        let prefix = "https://news.example.org/unsubscribe/";
        // Long lines with non-ASCII text, so that soft breaks fall in and around the link.
        for pad in 0..80 {
            let head = format!("{}Ünïcode · {}", "x".repeat(pad), "word ".repeat(30));
            let parts = vec![
                head.clone(),
                format!(" and again: {head}"),
                "end\n".to_string(),
            ];
            let p = Prepared::new(&parts, prefix).expect("fillable");
            for _ in 0..3 {
                let token = crate::domain::Token::generate();
                let fast = p.fill(token.as_str()).into_vec();
                let slow = encode(&parts, prefix, token.as_str()).into_vec();
                assert_eq!(
                    String::from_utf8_lossy(&fast),
                    String::from_utf8_lossy(&slow)
                );
            }
        }
    }

    #[test]
    fn only_hex_tokens_of_the_right_length_are_filled() {
        assert!(fillable(&"a1".repeat(16)));
        assert!(!fillable("short"));
        assert!(!fillable(&"G".repeat(32)));
    }
}
