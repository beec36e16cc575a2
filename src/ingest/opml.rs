//! OPML: the feed lists readers exchange. Import reads OPML 1.0/2.0 (nested outlines; folder
//! names and `category` become tags) and reports each bad outline with its line, keeping the
//! rest; export writes OPML 2.0 that newsboat and other readers import.

use std::collections::HashSet;

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

/// Most enclosing folders an outline may have: real files nest a few levels; a hostile one
/// nesting thousands of folders around thousands of feeds would cost their product in tags.
pub const MAX_DEPTH: usize = 64;

/// Line numbers of byte offsets that only grow (the reader's position): each call counts the
/// newlines since the previous one, so a whole import reads the text once. Counting from the
/// start for every outline made a 10,000-outline file quadratic.
struct Lines<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
    /// Bytes scanned so far (what the linearity test counts).
    scanned: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            pos: 0,
            line: 1,
            scanned: 0,
        }
    }

    /// The line of `pos`, at or after every position asked before.
    fn at(&mut self, pos: usize) -> usize {
        let pos = pos.min(self.text.len());
        if pos < self.pos {
            // Never happens with a reader's positions; stay correct anyway.
            (self.pos, self.line) = (0, 1);
        }
        let gap = &self.text[self.pos..pos];
        self.line += memchr::memchr_iter(b'\n', gap).count();
        self.scanned += gap.len();
        self.pos = pos;
        self.line
    }
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
    import_counting(text, &mut Lines::new(text))
}

/// What the reader keeps while it walks the outlines.
#[derive(Default)]
struct Walk {
    out: OpmlImport,
    /// The folder names of the open outlines (None for an outline that is a feed).
    folders: Vec<Option<String>>,
    /// The feeds found so far, to spot repeats in constant time.
    seen: HashSet<FeedUrl>,
}

fn import_counting(text: &str, lines: &mut Lines<'_>) -> Result<OpmlImport, OpmlError> {
    let mut reader = Reader::from_str(text);
    let mut walk = Walk::default();
    let mut saw_opml = false;
    loop {
        let pos = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| OpmlError(format!("line {}: {e}", lines.at(pos))))?;
        let (e, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                if e.local_name().as_ref() == b"outline" {
                    walk.folders.pop();
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        match e.local_name().as_ref() {
            b"opml" => saw_opml = true,
            b"outline" => {
                let line = lines.at(pos);
                let folder = walk.outline(&attrs(&e), line);
                if !empty {
                    if walk.folders.len() >= MAX_DEPTH {
                        return Err(OpmlError(format!(
                            "line {line}: outlines nested more than {MAX_DEPTH} deep"
                        )));
                    }
                    walk.folders.push(folder);
                }
            }
            _ => {}
        }
    }
    if !saw_opml {
        return Err(OpmlError("no <opml> element".into()));
    }
    Ok(walk.out)
}

impl Walk {
    /// Reads one outline at `line`: a feed is kept (or counted as a repeat), a bad one becomes
    /// a problem. Returns the folder name it opens, if it is a folder.
    fn outline(&mut self, a: &[(String, String)], line: usize) -> Option<String> {
        let name = get(a, "title").or(get(a, "text")).map(str::to_string);
        match get(a, "xmlurl") {
            Some(raw) => {
                match FeedUrl::parse(raw) {
                    Ok(url) => {
                        let mut tags: Vec<String> =
                            self.folders.iter().flatten().cloned().collect();
                        for cat in get(a, "category").unwrap_or("").split(',') {
                            tags.extend(
                                cat.split('/')
                                    .map(str::trim)
                                    .filter(|s| !s.is_empty())
                                    .map(str::to_string),
                            );
                        }
                        tags.sort();
                        tags.dedup();
                        if self.seen.insert(url.clone()) {
                            self.out.feeds.push(OpmlFeed {
                                url,
                                title: name,
                                tags,
                            });
                        } else {
                            self.out.duplicates += 1;
                        }
                    }
                    Err(err) => self.out.problems.push(format!("line {line}: {err}")),
                }
                None
            }
            None if get(a, "type").is_some_and(|t| t.eq_ignore_ascii_case("rss")) => {
                self.out.problems.push(format!(
                    "line {line}: outline `{}` has no xmlUrl",
                    name.as_deref().unwrap_or("?")
                ));
                None
            }
            None => name,
        }
    }
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

    /// An OPML file of `n` feeds, one outline a line.
    fn many(n: usize) -> String {
        let mut s = String::from("<?xml version=\"1.0\"?>\n<opml version=\"2.0\"><body>\n");
        for i in 0..n {
            s.push_str(&format!(
                "<outline type=\"rss\" text=\"f{i}\" xmlUrl=\"https://e{i}.example.org/feed\"/>\n"
            ));
        }
        s.push_str("<outline type=\"rss\" text=\"last\"/>\n</body></opml>\n");
        s
    }

    #[test]
    fn line_numbers_of_10000_outlines_read_the_file_once() {
        let text = many(10_000);
        let mut lines = Lines::new(&text);
        let r = import_counting(&text, &mut lines).unwrap();
        assert_eq!(r.feeds.len(), 10_000);
        // The outline without xmlUrl is on line 10,003 (declaration, <opml>, then one a line).
        assert_eq!(r.problems, ["line 10003: outline `last` has no xmlUrl"]);
        // Every byte is scanned at most once for line numbers: about 720 KB here. Counting from
        // the start for each outline scanned the sum of their offsets, about 3.6 × 10^9 bytes.
        assert!(
            lines.scanned <= text.len(),
            "{} > {}",
            lines.scanned,
            text.len()
        );
    }

    #[test]
    fn lines_count_incrementally_and_stay_right_when_asked_backwards() {
        let mut l = Lines::new("a\nb\nc\n");
        assert_eq!((l.at(0), l.at(2), l.at(4), l.at(100)), (1, 2, 3, 4));
        assert_eq!(l.at(2), 2);
    }

    #[test]
    fn outlines_nested_too_deep_are_refused_with_their_line() {
        let deep = format!(
            "<opml><body>\n{}{}</body></opml>",
            "<outline text=\"f\">".repeat(MAX_DEPTH + 1),
            "</outline>".repeat(MAX_DEPTH + 1)
        );
        let err = import(&deep).unwrap_err().to_string();
        assert!(
            err.contains("line 2: outlines nested more than 64 deep"),
            "{err}"
        );
        let ok = format!(
            "<opml><body>{}<outline type=\"rss\" xmlUrl=\"https://a.example.org/f\"/>{}</body></opml>",
            "<outline text=\"f\">".repeat(MAX_DEPTH),
            "</outline>".repeat(MAX_DEPTH)
        );
        assert_eq!(import(&ok).unwrap().feeds[0].tags, ["f"]);
    }

    #[test]
    fn not_opml_is_an_error() {
        assert!(import("<rss/>").is_err());
        assert!(import("<opml><body><outline").is_err());
    }
}
