//! Before feed-rs: turn what a server sent into a UTF-8 document feed-rs reads.
//!
//! - **Encoding** (see [`super::encoding`]): the text is decoded to UTF-8 and the XML
//!   declaration rewritten to say so.
//! - **Leading junk** before the root (blank lines before `<?xml`) is dropped.
//! - **Atom 0.3** (namespace `http://purl.org/atom/ns#`) is rewritten to Atom 1.0 names
//!   (`issued`→`published`, `modified`→`updated`, `tagline`→`subtitle`, `copyright`→`rights`).
//! - **RSS with an unusual `version`** (missing, 0.93, 0.94, 2.01, ...) is read as RSS 2.0.
//!
//! Undeclared HTML entities (`&nbsp;`) need nothing here: feed-rs keeps them as text, the
//! sanitiser decodes them in HTML and `parse` decodes them in plain-text fields.

use std::borrow::Cow;

use encoding_rs::Encoding;
use quick_xml::events::{BytesEnd, BytesStart, Event};
use quick_xml::{Reader, Writer};

use super::encoding::{declares_other_encoding, decode, utf8_declaration};

const ATOM_03: &str = "http://purl.org/atom/ns#";
const ATOM_10: &str = "http://www.w3.org/2005/Atom";

/// A document ready for feed-rs, and what was done to it.
#[derive(Debug)]
pub struct Prepared<'a> {
    /// UTF-8 bytes.
    pub bytes: Cow<'a, [u8]>,
    /// The encoding the body was read in.
    pub encoding: &'static Encoding,
    /// Whether a structural repair (Atom 0.3, RSS version) was applied.
    pub repaired: bool,
}

/// Decodes and repairs `body`, served with `content_type`.
pub fn prepare<'a>(body: &'a [u8], content_type: Option<&str>) -> Prepared<'a> {
    let (text, encoding) = decode(body, content_type);
    let text = match text {
        Cow::Borrowed(s) => {
            Cow::Borrowed(s.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']))
        }
        Cow::Owned(s) => {
            let t = s.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
            Cow::Owned(utf8_declaration(t))
        }
    };
    let text = match text {
        Cow::Borrowed(s) if declares_other_encoding(s) => Cow::Owned(utf8_declaration(s)),
        other => other,
    };
    let fixes = root_fixes(&text);
    let repaired = fixes.any();
    let bytes = match (repaired, text) {
        (false, Cow::Borrowed(s)) => Cow::Borrowed(s.as_bytes()),
        (false, Cow::Owned(s)) => Cow::Owned(s.into_bytes()),
        (true, text) => {
            Cow::Owned(rewrite(&text, fixes).unwrap_or_else(|| text.as_bytes().to_vec()))
        }
    };
    Prepared {
        bytes,
        encoding,
        repaired,
    }
}

/// The repairs a document needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fixes {
    /// Atom 0.3 → Atom 1.0 names.
    pub atom03: bool,
    /// An `<rss>` whose version feed-rs does not dispatch: read as 2.0.
    pub rss_version: bool,
    /// An `<rss>` with items but no `<channel>`: wrap its children in one.
    pub rss_channel: bool,
    /// Atom text constructs with a `type` feed-rs refuses (`text/plain`, `TEXT`,
    /// `application/xhtml+xml`, binary types): mapped to text/html/xhtml, binary ones dropped.
    pub atom_types: bool,
}

impl Fixes {
    fn any(&self) -> bool {
        self.atom03 || self.rss_version || self.rss_channel || self.atom_types
    }
}

/// Looks at the root element (and, for RSS, its first child).
fn root_fixes(text: &str) -> Fixes {
    let mut reader = Reader::from_str(text);
    let mut fixes = Fixes::default();
    let mut in_rss = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if in_rss => {
                fixes.rss_channel = e.local_name().as_ref() != b"channel";
                return fixes;
            }
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                b"feed" => {
                    fixes.atom03 = e.attributes().flatten().any(|a| {
                        a.key.as_ref().starts_with(b"xmlns")
                            && a.value.as_ref() == ATOM_03.as_bytes()
                    });
                    return fixes;
                }
                b"rss" => {
                    let version = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == b"version")
                        .map(|a| String::from_utf8_lossy(&a.value).trim().to_string());
                    fixes.rss_version =
                        !matches!(version.as_deref(), Some("2.0" | "0.91" | "0.92"));
                    in_rss = true;
                }
                _ => return fixes,
            },
            Ok(Event::End(_)) | Ok(Event::Eof) | Err(_) => return fixes,
            Ok(Event::Empty(_)) => return fixes,
            Ok(_) => {}
        }
    }
}

fn atom03_name(local: &[u8]) -> Option<&'static [u8]> {
    Some(match local {
        b"issued" => b"published",
        b"modified" => b"updated",
        b"tagline" => b"subtitle",
        b"copyright" => b"rights",
        _ => return None,
    })
}

const TEXT_CONSTRUCTS: &[&[u8]] = &[
    b"title",
    b"subtitle",
    b"summary",
    b"content",
    b"rights",
    b"tagline",
    b"copyright",
    b"info",
];

/// What an Atom text construct's `type` becomes: `Some(new)`, or `None` to drop the element.
fn atom_type(value: &str) -> Option<&'static str> {
    let v = value.trim().to_ascii_lowercase();
    Some(match v.as_str() {
        "" | "text" | "text/plain" => "text",
        "html" | "text/html" | "escaped" => "html",
        "xhtml" | "application/xhtml+xml" => "xhtml",
        v if v.starts_with("text/") => "text",
        v if v.ends_with("+xml") || v.ends_with("/xml") => "xhtml",
        _ => return None,
    })
}

/// An element's name after the Atom 0.3 renames (prefix kept).
fn new_name(full: &[u8], local: &[u8], fixes: Fixes) -> String {
    let mut name = full[..full.len() - local.len()].to_vec();
    match atom03_name(local) {
        Some(new) if fixes.atom03 => name.extend_from_slice(new),
        _ => name.extend_from_slice(local),
    }
    String::from_utf8_lossy(&name).into_owned()
}

/// The element with its name and attributes repaired; `None` when it must be dropped.
fn repaired(e: &BytesStart<'_>, fixes: Fixes, depth: usize) -> Option<BytesStart<'static>> {
    let local = e.local_name();
    let text_construct = TEXT_CONSTRUCTS.contains(&local.as_ref());
    let mut out = BytesStart::new(new_name(e.name().as_ref(), local.as_ref(), fixes));
    for a in e.attributes().flatten() {
        let key = a.key.as_ref();
        if fixes.atom03 && key.starts_with(b"xmlns") && a.value.as_ref() == ATOM_03.as_bytes() {
            out.push_attribute((key, ATOM_10.as_bytes()));
        } else if fixes.atom03 && key == b"mode" {
            // Atom 0.3 `mode="escaped"` is what Atom 1.0 means by type="html".
        } else if fixes.rss_version && depth == 0 && key == b"version" {
            // Replaced below.
        } else if (fixes.atom03 || fixes.atom_types) && text_construct && key == b"type" {
            let value = String::from_utf8_lossy(&a.value).into_owned();
            out.push_attribute(("type", atom_type(&value)?));
        } else {
            out.push_attribute(a);
        }
    }
    if fixes.rss_version && depth == 0 {
        out.push_attribute(("version", "2.0"));
    }
    Some(out)
}

fn end_name(e: &BytesEnd<'_>, fixes: Fixes) -> BytesEnd<'static> {
    BytesEnd::new(new_name(e.name().as_ref(), e.local_name().as_ref(), fixes))
}

/// Streams the document through quick-xml, applying `fixes`.
pub fn rewrite(text: &str, fixes: Fixes) -> Option<Vec<u8>> {
    let mut reader = Reader::from_str(text);
    let mut writer = Writer::new(Vec::with_capacity(text.len() + 64));
    let mut depth = 0usize;
    // Depth at which a dropped element started; everything inside it is skipped.
    let mut skipping: Option<usize> = None;
    loop {
        let event = reader.read_event().ok()?;
        if let Some(at) = skipping {
            match event {
                Event::Start(_) => depth += 1,
                Event::End(_) => {
                    depth -= 1;
                    if depth == at {
                        skipping = None;
                    }
                }
                Event::Eof => break,
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(e) => match repaired(&e, fixes, depth) {
                Some(e) => {
                    writer.write_event(Event::Start(e)).ok()?;
                    if depth == 0 && fixes.rss_channel {
                        writer
                            .write_event(Event::Start(BytesStart::new("channel")))
                            .ok()?;
                    }
                    depth += 1;
                }
                None => {
                    skipping = Some(depth);
                    depth += 1;
                }
            },
            Event::Empty(e) => {
                if let Some(e) = repaired(&e, fixes, depth) {
                    writer.write_event(Event::Empty(e)).ok()?;
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if depth == 0 && fixes.rss_channel {
                    writer
                        .write_event(Event::End(BytesEnd::new("channel")))
                        .ok()?;
                }
                writer.write_event(Event::End(end_name(&e, fixes))).ok()?;
            }
            Event::Eof => break,
            other => writer.write_event(other).ok()?,
        }
    }
    Some(writer.into_inner())
}
#[cfg(test)]
mod tests {
    use super::*;

    fn text(p: &Prepared<'_>) -> String {
        String::from_utf8(p.bytes.to_vec()).unwrap()
    }

    #[test]
    fn latin1_declared_in_xml() {
        let body = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>Caf\xe9</title></channel></rss>";
        let p = prepare(body, Some("application/rss+xml"));
        assert!(text(&p).contains("Café"));
        assert!(text(&p).starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
    }

    #[test]
    fn http_charset_beats_declaration_and_bom_beats_both() {
        let body = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>\xc0 la carte</title></channel></rss>";
        // Not valid UTF-8: HTTP says windows-1252.
        let p = prepare(body, Some("text/xml; charset=windows-1252"));
        assert!(text(&p).contains("À la carte"), "{}", text(&p));
        let mut bom = vec![0xef, 0xbb, 0xbf];
        bom.extend_from_slice(
            "<rss version=\"2.0\"><channel><title>Ünïcode</title></channel></rss>".as_bytes(),
        );
        let p = prepare(&bom, Some("text/xml; charset=iso-8859-1"));
        assert!(text(&p).contains("Ünïcode"));
    }

    #[test]
    fn wrong_declared_charset_is_corrected() {
        // Says UTF-8, is windows-1252 (curly quote 0x92).
        let body = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>It\x92s</title></channel></rss>";
        assert!(text(&prepare(body, None)).contains("It\u{2019}s"));
        // Valid UTF-8 served with a server's latin1 default.
        let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Zoë</title></channel></rss>";
        assert!(
            text(&prepare(
                body.as_bytes(),
                Some("text/xml; charset=ISO-8859-1")
            ))
            .contains("Zoë")
        );
    }

    #[test]
    fn atom03_and_rss_versions_are_repaired() {
        let atom03 = r#"<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>T</title><entry><title>E</title><issued>2004-01-01T00:00:00Z</issued><modified>2004-01-02T00:00:00Z</modified><content type="text/html" mode="escaped">&lt;b&gt;x&lt;/b&gt;</content></entry></feed>"#;
        let p = prepare(atom03.as_bytes(), None);
        let t = text(&p);
        assert!(p.repaired);
        assert!(
            t.contains(ATOM_10)
                && t.contains("<published>")
                && t.contains("</updated>")
                && t.contains("type=\"html\""),
            "{t}"
        );
        let rss = r#"<rss version="2.01"><channel><title>T</title></channel></rss>"#;
        let t = text(&prepare(rss.as_bytes(), None));
        assert!(t.contains("version=\"2.0\""), "{t}");
        let rss = r#"<rss><channel><title>T</title></channel></rss>"#;
        assert!(text(&prepare(rss.as_bytes(), None)).contains("version=\"2.0\""));
        let bare = r#"<rss version="2.0"><item><title>I</title></item></rss>"#;
        let t = text(&prepare(bare.as_bytes(), None));
        assert_eq!(
            t,
            r#"<rss version="2.0"><channel><item><title>I</title></item></channel></rss>"#
        );
        let types = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="TEXT">T</title><entry><content type="application/octet-stream">AAEC</content><summary type="application/xhtml+xml">s</summary></entry></feed>"#;
        let fixes = Fixes {
            atom_types: true,
            ..Fixes::default()
        };
        let t = String::from_utf8(rewrite(types, fixes).unwrap()).unwrap();
        assert_eq!(
            t,
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="text">T</title><entry><summary type="xhtml">s</summary></entry></feed>"#
        );
        let fine = r#"<rss version="2.0"><channel/></rss>"#;
        assert!(
            matches!(prepare(fine.as_bytes(), None).bytes, Cow::Borrowed(_)),
            "no copy when nothing to do"
        );
    }
}
