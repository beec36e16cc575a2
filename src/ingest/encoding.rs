//! Which encoding a feed is in, and its text as UTF-8.
//!
//! The byte-order mark wins, then the HTTP `charset`, then the XML declaration, then UTF-8
//! (RFC 7303's order). Two real-world lies are corrected: a document that is not valid UTF-8
//! although it says so is read as windows-1252, and a valid UTF-8 document served with a
//! single-byte HTTP charset (a server default) while its own declaration says UTF-8 is read as
//! UTF-8.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']))
    })
}

/// The `encoding="..."` of an XML declaration at the start of `head`.
fn declared_encoding(head: &[u8]) -> Option<&str> {
    let head = &head[..head.len().min(512)];
    let start = head.windows(5).position(|w| w == b"<?xml")?;
    let end = start + head[start..].windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[start..end]).ok()?;
    let i = decl.find("encoding")?;
    let rest = decl[i + 8..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    rest.find(quote).map(|j| &rest[..j])
}

pub(super) fn decode<'a>(
    body: &'a [u8],
    content_type: Option<&str>,
) -> (Cow<'a, str>, &'static Encoding) {
    if let Some((enc, bom_len)) = Encoding::for_bom(body) {
        let (text, _) = enc.decode_without_bom_handling(&body[bom_len..]);
        return (text, enc);
    }
    let http = content_type
        .and_then(charset_param)
        .and_then(|l| Encoding::for_label(l.as_bytes()));
    let declared = declared_encoding(body).and_then(|l| Encoding::for_label(l.as_bytes()));
    let mut chosen = http.or(declared).unwrap_or(UTF_8);
    // UTF-16 without a BOM is not what a label on ASCII-compatible bytes means.
    if chosen == encoding_rs::UTF_16LE || chosen == encoding_rs::UTF_16BE {
        chosen = UTF_8;
    }
    if chosen != UTF_8 && http.is_some() && declared.is_none_or(|d| d == UTF_8) {
        // A single-byte HTTP default on a document that is valid UTF-8 and says so.
        if let Ok(s) = std::str::from_utf8(body)
            && !s.is_ascii()
        {
            return (Cow::Borrowed(s), UTF_8);
        }
    }
    if chosen == UTF_8 {
        return match std::str::from_utf8(body) {
            Ok(s) => (Cow::Borrowed(s), UTF_8),
            // Says UTF-8, is not: the usual truth is windows-1252 (a superset of ISO-8859-1).
            Err(_) => (
                WINDOWS_1252.decode_without_bom_handling(body).0,
                WINDOWS_1252,
            ),
        };
    }
    let (text, _) = chosen.decode_without_bom_handling(body);
    (text, chosen)
}

pub(super) fn declares_other_encoding(s: &str) -> bool {
    declared_encoding(s.as_bytes())
        .is_some_and(|e| !e.eq_ignore_ascii_case("utf-8") && !e.eq_ignore_ascii_case("utf8"))
}

/// Replaces the XML declaration's encoding with UTF-8 (the text is UTF-8 now).
pub(super) fn utf8_declaration(s: &str) -> String {
    if s.starts_with("<?xml")
        && let Some(end) = s.find("?>")
    {
        return format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>{}",
            &s[end + 2..]
        );
    }
    s.to_string()
}
