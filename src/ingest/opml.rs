//! OPML: the feed lists readers exchange. Import reads OPML 1.0/2.0 (nested outlines; folder
//! names and `category` become tags) and reports each bad outline with its line, keeping the
//! rest; export writes OPML 2.0 that newsboat and other readers import.

use quick_xml::events::{BytesDecl, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};

use crate::domain::{FeedRecord, FeedUrl};

/// A feed found in an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    /// The feed.
    pub url: FeedUrl,
    /// `title`, else `text`.
    pub title: Option<String>,
    /// Enclosing folder names and `category` entries.
    pub tags: Vec<String>,
}

/// What an import found.
#[derive(Debug, Clone, Default)]
pub struct OpmlImport {
    /// Valid feeds, in file order, without duplicates within the file.
    pub feeds: Vec<OpmlFeed>,
    /// Outlines that could not be used, as `line N: reason`.
    pub problems: Vec<String>,
    /// Outlines that repeated a feed earlier in the file.
    pub duplicates: usize,
}

/// The file is not OPML at all.
#[derive(Debug, thiserror::Error)]
#[error("not a valid OPML file: {0}")]
pub struct OpmlError(String);

fn line_of(text: &str, pos: usize) -> usize {
    text.as_bytes()[..pos.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn attrs(e: &BytesStart<'_>) -> Vec<(String, String)> {
    e.attributes()
        .flatten()
        .map(|a| {
            let key = String::from_utf8_lossy(a.key.local_name().as_ref()).to_ascii_lowercase();
            // Attribute values in OPML files carry XML and, often, HTML entities.
            let value = crate::html::text::decode_entities(&String::from_utf8_lossy(&a.value));
            (key, value)
        })
        .collect()
}

fn get<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Reads an OPML document.
pub fn import(text: &str) -> Result<OpmlImport, OpmlError> {
    let mut reader = Reader::from_str(text);
    let mut out = OpmlImport::default();
    // The folder names of the open outlines (None for an outline that is a feed).
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut saw_opml = false;
    loop {
        let pos = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| OpmlError(format!("line {}: {e}", line_of(text, pos))))?;
        let (e, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                if e.local_name().as_ref() == b"outline" {
                    folders.pop();
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        match e.local_name().as_ref() {
            b"opml" => saw_opml = true,
            b"outline" => {
                let a = attrs(&e);
                let line = line_of(text, pos);
                let name = get(&a, "title").or(get(&a, "text")).map(str::to_string);
                let folder = match get(&a, "xmlurl") {
                    Some(raw) => {
                        match FeedUrl::parse(raw) {
                            Ok(url) => {
                                let mut tags: Vec<String> =
                                    folders.iter().flatten().cloned().collect();
                                for cat in get(&a, "category").unwrap_or("").split(',') {
                                    tags.extend(
                                        cat.split('/')
                                            .map(str::trim)
                                            .filter(|s| !s.is_empty())
                                            .map(str::to_string),
                                    );
                                }
                                tags.sort();
                                tags.dedup();
                                if out.feeds.iter().any(|f| f.url == url) {
                                    out.duplicates += 1;
                                } else {
                                    out.feeds.push(OpmlFeed {
                                        url,
                                        title: name,
                                        tags,
                                    });
                                }
                            }
                            Err(err) => out.problems.push(format!("line {line}: {err}")),
                        }
                        None
                    }
                    None if get(&a, "type").is_some_and(|t| t.eq_ignore_ascii_case("rss")) => {
                        out.problems.push(format!(
                            "line {line}: outline `{}` has no xmlUrl",
                            name.as_deref().unwrap_or("?")
                        ));
                        None
                    }
                    None => name,
                };
                if !empty {
                    folders.push(folder);
                }
            }
            _ => {}
        }
    }
    if !saw_opml {
        return Err(OpmlError("no <opml> element".into()));
    }
    Ok(out)
}

/// Writes `feeds` as OPML 2.0 (`type="rss"` outlines with `xmlUrl`, `htmlUrl`, and the tags as
/// `category`).
pub fn export(title: &str, feeds: &[FeedRecord], created: chrono::DateTime<chrono::Utc>) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let write = |w: &mut Writer<Vec<u8>>, e: Event<'_>| {
        // Writing to a Vec cannot fail.
        let _ = w.write_event(e);
    };
    write(
        &mut w,
        Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)),
    );
    let mut opml = BytesStart::new("opml");
    opml.push_attribute(("version", "2.0"));
    write(&mut w, Event::Start(opml));
    write(&mut w, Event::Start(BytesStart::new("head")));
    for (tag, value) in [
        ("title", title.to_string()),
        ("dateCreated", created.to_rfc2822()),
    ] {
        write(&mut w, Event::Start(BytesStart::new(tag)));
        write(&mut w, Event::Text(BytesText::new(&value)));
        write(
            &mut w,
            Event::End(BytesStart::new(tag).to_end().into_owned()),
        );
    }
    write(
        &mut w,
        Event::End(BytesStart::new("head").to_end().into_owned()),
    );
    write(&mut w, Event::Start(BytesStart::new("body")));
    for f in feeds {
        let mut o = BytesStart::new("outline");
        let name = f.display_title();
        o.push_attribute(("type", "rss"));
        o.push_attribute(("text", name));
        o.push_attribute(("title", name));
        o.push_attribute(("xmlUrl", f.url.as_str()));
        if let Some(site) = &f.site_url {
            o.push_attribute(("htmlUrl", site.as_str()));
        }
        if !f.tags.is_empty() {
            o.push_attribute(("category", f.tags.join(",").as_str()));
        }
        write(&mut w, Event::Empty(o));
    }
    write(
        &mut w,
        Event::End(BytesStart::new("body").to_end().into_owned()),
    );
    write(
        &mut w,
        Event::End(BytesStart::new("opml").to_end().into_owned()),
    );
    let mut s = String::from_utf8(w.into_inner()).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPML: &str = r#"<?xml version="1.0"?>
<opml version="1.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="Tech">
      <outline text=".NET">
        <outline type="rss" text="Andrew Lock" xmlUrl="https://andrewlock.net/rss.xml" htmlUrl="https://andrewlock.net/"/>
      </outline>
      <outline type="rss" title="Hanselman" text="x" xmlUrl="https://feeds.hanselman.com/ScottHanselman" category="/Podcasts/Dev,people"/>
    </outline>
    <outline type="rss" text="Broken" xmlUrl="ftp://example.org/feed"/>
    <outline type="rss" text="No URL"/>
    <outline type="rss" text="Again" xmlUrl="https://andrewlock.net/rss.xml"/>
    <outline text="Empty folder"></outline>
  </body>
</opml>"#;

    #[test]
    fn nested_outlines_categories_duplicates_and_bad_outlines() {
        let r = import(OPML).unwrap();
        assert_eq!(r.feeds.len(), 2);
        assert_eq!(r.feeds[0].url.as_str(), "https://andrewlock.net/rss.xml");
        assert_eq!(r.feeds[0].tags, [".NET", "Tech"]);
        assert_eq!(r.feeds[1].title.as_deref(), Some("Hanselman"));
        assert_eq!(r.feeds[1].tags, ["Dev", "Podcasts", "Tech", "people"]);
        assert_eq!(r.duplicates, 1);
        assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
        assert!(r.problems[0].starts_with("line 11:") && r.problems[0].contains("ftp://"));
        assert!(r.problems[1].contains("No URL"));
    }

    #[test]
    fn not_opml_is_an_error() {
        assert!(import("<rss/>").is_err());
        assert!(import("<opml><body><outline").is_err());
    }
}
