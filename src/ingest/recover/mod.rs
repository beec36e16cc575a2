//! Before feed-rs: turn what a server sent into a UTF-8 document feed-rs reads.
//!
//! - **Encoding** (see [`super::encoding`]): the text is decoded to UTF-8 and the XML
//!   declaration rewritten to say so.
//! - **Leading junk** before the root (blank lines before `<?xml`) is dropped.
//! - **Atom 0.3** (namespace `http://purl.org/atom/ns#`) is rewritten to Atom 1.0 names
//!   (`issued`→`published`, `modified`→`updated`, `tagline`→`subtitle`, `copyright`→`rights`).
//! - **RSS with an unusual `version`** (missing, 0.93, 0.94, 2.01, ...) is read as RSS 2.0.
//! - **RSS in a namespace** (`<rss xmlns="http://backend.userland.com/rss2">`, Harvard's
//!   `http://blogs.law.harvard.edu/tech/rss`, RSS 0.90's on an `<rss>` root): feed-rs reads RSS
//!   elements only without a namespace or in RSS 1.0's, so those namespaces are rewritten to
//!   RSS 1.0's (see [`is_rss_namespace`]).
//!
//! - **HTML entities XML does not define** (`&alpha;`, `&nbsp;`, `&rsquo;` in a document without
//!   a DTD) are rewritten as numeric references (`&#945;`), which every XML reader decodes; the
//!   XML parser would otherwise drop the name and keep a bare `;`. In CDATA the rewrite is
//!   harmless: that text is HTML, and decodes to the same character.

use std::borrow::Cow;

use encoding_rs::Encoding;
use quick_xml::Reader;
use quick_xml::events::Event;

use super::encoding::{declares_other_encoding, decode, utf8_declaration};

mod references;
mod rewrite;

use references::{close_truncated, fix_references};
pub use rewrite::rewrite;

const ATOM_03: &str = "http://purl.org/atom/ns#";
const ATOM_10: &str = "http://www.w3.org/2005/Atom";
const RSS_090: &str = "http://my.netscape.com/rdf/simple/0.9/";
const RSS_10: &str = "http://purl.org/rss/1.0/";

/// Whether `uri` is one of the namespaces RSS 0.9x/2.0 documents put their elements in, other
/// than RSS 1.0's (which feed-rs reads). The list is Python feedparser's (its
/// `supported_namespaces`, read as RSS: `http://backend.userland.com/rss`, Harvard's, RSS
/// 0.90's and the `rss091` module), and like feedparser any `backend.userland.com/rss...` URI
/// counts (`rss2`, `rss2.1`, with or without a trailing slash).
pub fn is_rss_namespace(uri: &[u8]) -> bool {
    let uri = String::from_utf8_lossy(uri);
    let uri = uri.trim().to_ascii_lowercase();
    uri.contains("backend.userland.com/rss")
        || matches!(
            uri.trim_end_matches('/'),
            "http://blogs.law.harvard.edu/tech/rss"
                | "http://my.netscape.com/rdf/simple/0.9"
                | "http://purl.org/rss/1.0/modules/rss091#"
        )
}

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
    let text = match fix_references(&text) {
        Some(fixed) => Cow::Owned(fixed),
        None => text,
    };
    let text = match close_truncated(&text) {
        Some(fixed) => Cow::Owned(fixed),
        None => text,
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

/// Whether `needle` occurs in `text` (SIMD substring search: these checks read whole
/// documents).
fn has(text: &str, needle: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), needle.as_bytes()).is_some()
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
    /// `application/xhtml+xml`, binary types): mapped to text/html/xhtml; base64 content
    /// (binary types, Atom 0.3 `mode="base64"`) decoded when it is UTF-8 text, else dropped.
    pub atom_types: bool,
    /// RSS items with their full text in `<xhtml:body>`, `<body>` or `<fullitem>`, which
    /// feed-rs does not read: rewritten as `<content:encoded>`.
    pub rss_body: bool,
    /// Dublin Core elements feed-rs ignores in RSS 2.0 (`dc:title`, `dc:description`,
    /// `dc:subject`, `dc:author`, `dcterms:issued`/`created`/`modified`): renamed to their RSS
    /// equivalents.
    pub rss_dc: bool,
    /// Atom `type="xhtml"` constructs: rewritten as `type="html"` with the markup escaped,
    /// because feed-rs unescapes their text (an escaped `&lt;blink&gt;` would turn into a tag).
    pub xhtml: bool,
    /// RSS 1.0 / 0.90 (RDF): items without `<link>` get their `rdf:about` as link (feed-rs
    /// drops link-less items), and RSS 0.90's namespace is read as RSS 1.0's.
    pub rdf: bool,
    /// An `<rss>` document whose elements sit in an RSS namespace feed-rs ignores
    /// ([`is_rss_namespace`]): that namespace is declared as RSS 1.0's instead.
    pub rss_ns: bool,
}

impl Fixes {
    fn any(&self) -> bool {
        self.atom03
            || self.rss_version
            || self.rss_channel
            || self.atom_types
            || self.rss_body
            || self.rss_dc
            || self.xhtml
            || self.rdf
            || self.rss_ns
    }
}

/// Whether the root `e` declares an RSS namespace feed-rs ignores, as its default namespace or
/// for a prefix. Only the root is read: that is where such feeds declare it, and scanning whole
/// documents for it would cost every plain RSS feed four more scans of its text.
fn declares_rss_namespace(e: &quick_xml::events::BytesStart<'_>) -> bool {
    e.attributes()
        .flatten()
        .any(|a| a.key.as_ref().starts_with(b"xmlns") && is_rss_namespace(&a.value))
}

/// Looks at the root element (and, for RSS, its first child).
fn root_fixes(text: &str) -> Fixes {
    let mut reader = Reader::from_str(text);
    let mut fixes = Fixes::default();
    let mut in_rss = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if in_rss => {
                fixes.rss_channel = e.local_name().as_ref() != b"channel" && !has(text, "<channel");
                // One scan per marker family: `<fullitem`, `<body`/`<x:body`, and the Dublin
                // Core elements feed-rs ignores (`<dc:creator`, which it reads, is common).
                let bytes = text.as_bytes();
                fixes.rss_body = has(text, "<fullitem")
                    || memchr::memmem::find_iter(bytes, b"body")
                        .any(|i| i > 0 && matches!(bytes[i - 1], b'<' | b':'));
                fixes.rss_dc = memchr::memmem::find_iter(bytes, b"<dc").any(|i| {
                    let rest = &bytes[i + 3..];
                    [
                        &b":title"[..],
                        b":description",
                        b":subject",
                        b":author",
                        b"terms:",
                    ]
                    .iter()
                    .any(|name| rest.starts_with(name))
                });
                return fixes;
            }
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                b"feed" => {
                    let attr = |name: &[u8]| {
                        e.attributes()
                            .flatten()
                            .find(|a| a.key.as_ref() == name)
                            .map(|a| String::from_utf8_lossy(&a.value).into_owned())
                    };
                    let ns = attr(b"xmlns");
                    // Atom 0.3, also under the provisional namespaces of its drafts
                    // (`http://purl.org/echo/`, `http://purl.org/pie/`, ...).
                    fixes.atom03 = ns.as_deref() == Some(ATOM_03)
                        || (ns.as_deref() != Some(ATOM_10)
                            && attr(b"version").is_some_and(|v| v.trim().starts_with("0.")));
                    // Binary (base64) text constructs, which feed-rs leaves empty.
                    fixes.atom_types = has(text, "application/octet")
                        && (has(text, "type=\"application/octet")
                            || has(text, "type='application/octet"));
                    fixes.xhtml = has(text, "xhtml")
                        && (has(text, "\"xhtml\"")
                            || has(text, "'xhtml'")
                            || (fixes.atom03 && has(text, "xhtml+xml")));
                    return fixes;
                }
                b"RDF" => {
                    fixes.rdf = true;
                    fixes.rss_ns = declares_rss_namespace(&e);
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
                    fixes.rss_ns = declares_rss_namespace(&e);
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
    fn rss_namespaces_feed_rs_ignores_become_rss_10() {
        for ns in [
            "http://backend.userland.com/rss",
            "http://backend.userland.com/rss2",
            "http://backend.userland.com/rss2.1/",
            "http://blogs.law.harvard.edu/tech/rss",
            "http://my.netscape.com/rdf/simple/0.9/",
        ] {
            assert!(is_rss_namespace(ns.as_bytes()), "{ns}");
            let doc = format!(
                r#"<rss version="2.0" xmlns="{ns}"><channel><item><title>I</title></item></channel></rss>"#
            );
            let p = prepare(doc.as_bytes(), None);
            assert!(p.repaired, "{ns}");
            assert_eq!(
                text(&p),
                r#"<rss version="2.0" xmlns="http://purl.org/rss/1.0/"><channel><item><title>I</title></item></channel></rss>"#
            );
        }
        assert!(!is_rss_namespace(b"http://purl.org/rss/1.0/"));
        assert!(!is_rss_namespace(b"http://www.w3.org/2005/Atom"));
        // The Harvard address as the text of `<docs>` (many RSS 2.0 feeds) needs no rewrite.
        let docs = r#"<rss version="2.0"><channel><docs>http://blogs.law.harvard.edu/tech/rss</docs></channel></rss>"#;
        assert!(matches!(
            prepare(docs.as_bytes(), None).bytes,
            Cow::Borrowed(_)
        ));
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
