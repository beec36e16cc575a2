//! Before feed-rs: turn what a server sent into a UTF-8 document feed-rs reads.
//!
//! - **Encoding** (see [`super::encoding`]): the text is decoded to UTF-8 and the XML
//!   declaration rewritten to say so.
//! - **Leading junk** before the root (blank lines before `<?xml`) is dropped.
//! - **Atom 0.3** (namespace `http://purl.org/atom/ns#`) is rewritten to Atom 1.0 names
//!   (`issued`→`published`, `modified`→`updated`, `tagline`→`subtitle`, `copyright`→`rights`).
//! - **RSS with an unusual `version`** (missing, 0.93, 0.94, 2.01, ...) is read as RSS 2.0.
//!
//! - **HTML entities XML does not define** (`&alpha;`, `&nbsp;`, `&rsquo;` in a document without
//!   a DTD) are rewritten as numeric references (`&#945;`), which every XML reader decodes; the
//!   XML parser would otherwise drop the name and keep a bare `;`. In CDATA the rewrite is
//!   harmless: that text is HTML, and decodes to the same character.

use std::borrow::Cow;

use encoding_rs::Encoding;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};

use super::encoding::{declares_other_encoding, decode, utf8_declaration};

const ATOM_03: &str = "http://purl.org/atom/ns#";
const ATOM_10: &str = "http://www.w3.org/2005/Atom";
const RSS_090: &str = "http://my.netscape.com/rdf/simple/0.9/";
const RSS_10: &str = "http://purl.org/rss/1.0/";

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

/// `text` with its character references made well-formed XML, or `None` when nothing needed
/// fixing (the common case: no allocation):
/// * an HTML named entity that XML does not predefine becomes a numeric reference;
/// * a bare `&` (an unescaped ampersand in a URL: `?a=1&b=2`) becomes `&amp;`;
/// * `&#X41;` (upper-case X, which XML refuses) becomes `&#x41;`.
///
/// A document with an internal DTD subset (which may declare its own entities) is left alone.
fn fix_references(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while let Some(p) = bytes[i..].iter().position(|&b| b == b'&') {
        let start = i + p;
        i = start + 1;
        let numeric = bytes.get(i) == Some(&b'#');
        let name_start = i + usize::from(numeric);
        let name_len = bytes[name_start..]
            .iter()
            .take(32)
            .position(|b| !b.is_ascii_alphanumeric())
            .unwrap_or(0);
        let terminated = name_len > 0 && bytes.get(name_start + name_len) == Some(&b';');
        let name = &text[name_start..name_start + name_len];
        let replacement: Option<String> = if !terminated {
            Some("&amp;".to_string())
        } else if numeric {
            match name.strip_prefix('X') {
                Some(hex) => Some(format!("&#x{hex};")),
                None => {
                    let valid = match name.strip_prefix('x') {
                        Some(hex) => u32::from_str_radix(hex, 16).is_ok(),
                        None => name.parse::<u32>().is_ok(),
                    };
                    (!valid).then(|| "&amp;".to_string())
                }
            }
        } else if matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") {
            None
        } else {
            Some(match super::text::html_entity(name) {
                Some(ch) => ch.chars().map(|c| format!("&#{};", u32::from(c))).collect(),
                // An unknown name: keep it visible as text.
                None => "&amp;".to_string(),
            })
        };
        let Some(replacement) = replacement else {
            continue;
        };
        if out.is_none() && text.contains("<!ENTITY") {
            return None;
        }
        let buf = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
        buf.push_str(&text[copied..start]);
        buf.push_str(&replacement);
        // `&amp;` stands for the lone `&`; other replacements stand for the whole reference.
        if replacement != "&amp;" {
            i = name_start + name_len + 1;
        }
        copied = i;
    }
    let mut out = out?;
    out.push_str(&text[copied..]);
    Some(out)
}

/// Whether `needle` occurs in `text` (SIMD substring search: these checks read whole
/// documents).
fn has(text: &str, needle: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), needle.as_bytes()).is_some()
}

/// A document cut inside its last tag (`...</rss`) gets its `>` back.
fn close_truncated(text: &str) -> Option<String> {
    let trimmed = text.trim_end();
    let last_open = trimmed.rfind('<')?;
    if trimmed[last_open..].contains('>') || !trimmed[last_open..].starts_with("</") {
        return None;
    }
    Some(format!("{trimmed}>"))
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

const CONTENT_NS: &str = "http://purl.org/rss/1.0/modules/content/";

/// What a captured element's content becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Captured {
    /// Base64 text, decoded (dropped when it is not text).
    Base64,
    /// Markup, serialised and then escaped as text.
    Markup,
    /// Text (escaped HTML already): unescaped, then escaped again on output.
    Text,
}

/// An element whose content is collected before it is written.
struct Capture {
    /// Depth of the element's start.
    at: usize,
    /// The start tag to write.
    start: BytesStart<'static>,
    /// What the content is.
    kind: Captured,
    /// Markup, serialised.
    markup: Writer<Vec<u8>>,
    /// Text.
    text: String,
}

impl Capture {
    fn new(at: usize, start: BytesStart<'static>, kind: Captured) -> Self {
        Self {
            at,
            start,
            kind,
            markup: Writer::new(Vec::new()),
            text: String::new(),
        }
    }

    fn take(&mut self, event: Event<'_>) -> Option<()> {
        match (self.kind, event) {
            (Captured::Markup, e) => self.markup.write_event(e).ok()?,
            (_, Event::Text(t)) => self.text.push_str(&t.decode().ok()?),
            (_, Event::GeneralRef(r)) => {
                let name = r.decode().ok()?;
                let resolved = match name.as_ref() {
                    "amp" => "&".to_string(),
                    "lt" => "<".to_string(),
                    "gt" => ">".to_string(),
                    "quot" => "\"".to_string(),
                    "apos" => "'".to_string(),
                    n => match n.strip_prefix('#') {
                        Some(num) => {
                            let code = match num.strip_prefix('x') {
                                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                                None => num.parse().ok()?,
                            };
                            char::from_u32(code)?.to_string()
                        }
                        None => return Some(()),
                    },
                };
                self.text.push_str(&resolved);
            }
            (_, Event::CData(c)) => self.text.push_str(&String::from_utf8_lossy(&c)),
            _ => {}
        }
        Some(())
    }

    /// Writes the element: start, content as escaped text, end.
    fn finish(self, writer: &mut Writer<Vec<u8>>) -> Option<()> {
        let content = match self.kind {
            Captured::Markup => String::from_utf8(self.markup.into_inner()).ok()?,
            Captured::Base64 => match decode_base64(self.text.as_bytes()) {
                Some(text) => text,
                None => return Some(()),
            },
            Captured::Text => self.text,
        };
        let name = String::from_utf8_lossy(self.start.name().as_ref()).into_owned();
        writer.write_event(Event::Start(self.start)).ok()?;
        writer
            .write_event(Event::Text(BytesText::new(&content)))
            .ok()?;
        writer.write_event(Event::End(BytesEnd::new(name))).ok()?;
        Some(())
    }
}

/// `e` with its `type` (and Atom 0.3 `mode`) replaced by `type="{ty}"`.
fn with_type(e: &BytesStart<'_>, ty: &str) -> BytesStart<'static> {
    let mut out = BytesStart::new(String::from_utf8_lossy(e.name().as_ref()).into_owned());
    for a in e.attributes().flatten() {
        if !matches!(a.key.as_ref(), b"type" | b"mode") {
            out.push_attribute((a.key.as_ref(), a.value.as_ref()));
        }
    }
    out.push_attribute(("type", ty));
    out
}

fn content_encoded() -> BytesStart<'static> {
    let mut start = BytesStart::new("content:encoded");
    start.push_attribute(("xmlns:content", CONTENT_NS));
    start
}

/// Decoded base64 text, if it is UTF-8.
fn decode_base64(encoded: &[u8]) -> Option<String> {
    use base64::Engine;
    let compact: Vec<u8> = encoded
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    // Binary data that happens to be valid UTF-8 (an image's header) is not text.
    (!text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')))
    .then_some(text)
}

/// Whether `e` is an Atom text construct holding base64: Atom 0.3 `mode="base64"`, or a
/// binary media type.
fn is_base64(e: &BytesStart<'_>, fixes: Fixes) -> bool {
    if !(fixes.atom03 || fixes.atom_types) || !TEXT_CONSTRUCTS.contains(&e.local_name().as_ref()) {
        return false;
    }
    e.attributes().flatten().any(|a| {
        (fixes.atom03 && a.key.as_ref() == b"mode" && a.value.as_ref() == b"base64")
            || (a.key.as_ref() == b"type"
                && atom_type(&String::from_utf8_lossy(&a.value)).is_none())
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

/// The RSS element a Dublin Core element stands for.
fn dc_name(full: &[u8]) -> Option<&'static str> {
    Some(match full {
        b"dc:title" => "title",
        b"dc:description" => "description",
        b"dc:subject" => "category",
        b"dc:author" => "author",
        b"dcterms:issued" | b"dcterms:created" | b"dcterms:modified" => "pubDate",
        _ => return None,
    })
}

/// An element's name after the Atom 0.3 and Dublin Core renames (prefix kept otherwise).
fn new_name(full: &[u8], local: &[u8], fixes: Fixes) -> String {
    if let Some(name) = dc_name(full).filter(|_| fixes.rss_dc) {
        return name.to_string();
    }
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
        if fixes.rdf && key.starts_with(b"xmlns") && a.value.as_ref() == RSS_090.as_bytes() {
            out.push_attribute((key, RSS_10.as_bytes()));
        } else if fixes.atom03
            && key.starts_with(b"xmlns")
            && (a.value.as_ref() == ATOM_03.as_bytes() || (depth == 0 && key == b"xmlns"))
        {
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
    let mut capture: Option<Capture> = None;
    let mut in_item = 0usize;
    // RDF: the current item's rdf:about, while its <link> has not been seen.
    let mut rdf_about: Option<String> = None;
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
        if let Some(c) = capture.as_mut() {
            match event {
                Event::Start(e) => {
                    depth += 1;
                    c.take(Event::Start(e))?;
                }
                Event::End(_) if depth - 1 == c.at => {
                    depth -= 1;
                    capture.take()?.finish(&mut writer)?;
                }
                Event::End(e) => {
                    depth -= 1;
                    c.take(Event::End(e))?;
                }
                Event::Eof => return None,
                other => c.take(other)?,
            }
            continue;
        }
        match event {
            Event::Start(e) => {
                let local = e.local_name();
                if fixes.rss_body && local.as_ref() == b"item" {
                    in_item += 1;
                }
                if fixes.rdf && local.as_ref() == b"item" {
                    rdf_about = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == b"about")
                        .map(|a| String::from_utf8_lossy(&a.value).into_owned());
                } else if fixes.rdf && local.as_ref() == b"link" {
                    rdf_about = None;
                }
                let kind = if fixes.rss_body && in_item > 0 && local.as_ref() == b"fullitem" {
                    Some((content_encoded(), Captured::Text))
                } else if fixes.rss_body && in_item > 0 && local.as_ref() == b"body" {
                    Some((content_encoded(), Captured::Markup))
                } else if is_base64(&e, fixes) {
                    // The decoded text is HTML (escaped in the output), or plain text.
                    let plain = e.attributes().flatten().any(|a| {
                        a.key.as_ref() == b"type"
                            && String::from_utf8_lossy(&a.value).contains("plain")
                    });
                    let renamed = repaired(&with_type(&e, "text"), fixes, depth)?;
                    Some((
                        with_type(&renamed, if plain { "text" } else { "html" }),
                        Captured::Base64,
                    ))
                } else {
                    match repaired(&e, fixes, depth) {
                        Some(r)
                            if fixes.xhtml
                                && TEXT_CONSTRUCTS.contains(&local.as_ref())
                                && r.try_get_attribute("type")
                                    .ok()
                                    .flatten()
                                    .is_some_and(|a| a.value.as_ref() == b"xhtml") =>
                        {
                            Some((with_type(&r, "html"), Captured::Markup))
                        }
                        Some(r) => {
                            writer.write_event(Event::Start(r)).ok()?;
                            if depth == 0 && fixes.rss_channel {
                                writer
                                    .write_event(Event::Start(BytesStart::new("channel")))
                                    .ok()?;
                            }
                            None
                        }
                        None => {
                            skipping = Some(depth);
                            None
                        }
                    }
                };
                if let Some((start, kind)) = kind {
                    capture = Some(Capture::new(depth, start, kind));
                }
                depth += 1;
            }
            Event::Empty(e) => {
                if let Some(e) = repaired(&e, fixes, depth) {
                    writer.write_event(Event::Empty(e)).ok()?;
                }
            }
            Event::End(e) => {
                if fixes.rss_body && e.local_name().as_ref() == b"item" {
                    in_item = in_item.saturating_sub(1);
                }
                if fixes.rdf && e.local_name().as_ref() == b"item" {
                    if let Some(about) = rdf_about.take() {
                        let name = e.name();
                        let full = name.as_ref();
                        let prefix = String::from_utf8_lossy(&full[..full.len() - 4]);
                        let link = format!("{prefix}link");
                        writer
                            .write_event(Event::Start(BytesStart::new(link.clone())))
                            .ok()?;
                        writer
                            .write_event(Event::Text(BytesText::from_escaped(about)))
                            .ok()?;
                        writer.write_event(Event::End(BytesEnd::new(link))).ok()?;
                    }
                }
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
