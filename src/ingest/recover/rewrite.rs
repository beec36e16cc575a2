//! The streaming rewrite that applies [`Fixes`]: renames, namespace swaps, decoded or escaped
//! text constructs, RSS bodies as `content:encoded`, RDF links.

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};

use super::{ATOM_03, ATOM_10, Fixes, RSS_10, RSS_090, is_rss_namespace};

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
                // The one decoder for references (an unknown name stays as written).
                let name = r.decode().ok()?;
                let decoded = crate::html::text::decode_entities(&format!("&{name};"));
                self.text.push_str(&decoded);
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
        let rss_alias = (fixes.rdf && a.value.as_ref() == RSS_090.as_bytes())
            || (fixes.rss_ns && is_rss_namespace(&a.value));
        if rss_alias && key.starts_with(b"xmlns") {
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
                if fixes.rdf
                    && e.local_name().as_ref() == b"item"
                    && let Some(about) = rdf_about.take()
                {
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
