//! Bytes of a feed document → [`ParsedFeed`]: feed-rs does the XML/JSON, this module turns its
//! model into clean domain values (plain-text titles, absolute links, sanitised content,
//! excerpts, stable ids). Pure and synchronous: callers run it off the async threads.
//!
//! # Identity of an entry within its feed
//! 1. the feed's own id (`<guid>`, `<id>`), white space collapsed;
//! 2. else the entry's link (absolute, tracking parameters removed);
//! 3. else `sha256:` of its title and content: stable across fetches of an unchanged entry.
//!
//! Feeds get ids wrong in two ways, both handled:
//! * **one id for several entries** (a CMS that gives every item the blog's address as guid):
//!   when an id is shared by entries of one document with different links, those entries fall
//!   back to rules 2 and 3. An entry repeated verbatim (same id, same link) counts once.
//! * **ids that change** (a migrated blog, a feed that puts a timestamp in the guid): an unknown
//!   id whose normalised link matches a stored entry of the same feed whose id has left the
//!   document is that entry; it is updated in place and takes the new id
//!   ([`crate::store::entries::upsert_all`]).
//!
//! A known entry whose title, link, content, image or tags changed is updated in place, never
//! duplicated; its publication date and first-seen time do not move. An entry that drops out of
//! the feed is kept.
//!
//! # Fields
//! Title: plain text (tags stripped, entities decoded, white space collapsed), else the first
//! words of the text. Link: the entry's alternate link resolved against its `xml:base`, the feed's
//! link, then the feed's URL, http(s) only, tracking parameters removed. Author: the entry's, else
//! the feed's (the organiser's override for the feed applies when both are missing). Dates: read
//! by [`super::dates::parse_date`] (RFC 3339, RFC 822 with named or odd zones, localised names,
//! missing zones as UTC); a missing date takes the first-seen time and a future one is clamped to
//! it when stored. Summary: a
//! plain-text excerpt of about [`EXCERPT_WORDS`] words of the post ([`crate::html::excerpt()`]),
//! ending on a word boundary, or in Chinese, Japanese or Thai after a sentence end or at about
//! twice as many characters; never the whole post when the post is longer.
//! Image: `media:thumbnail`, an image enclosure, else the first `<img>` of the content. Tags: the
//! entry's categories. Reading time: from the word count of the content, in which a character of
//! a script without spaces counts as a word ([`crate::html::script`]).

use chrono::{DateTime, Utc};
use feed_rs::model;
use sha2::{Digest, Sha256};
use url::Url;

use super::normalize;
use crate::domain::{NewEntry, ParsedFeed};
use crate::html::excerpt;
use crate::html::sanitize::sanitize;
use crate::html::text::collapse_whitespace;

mod fields;

use fields::{
    first_image, html_of, originally_published_at, person_name, pick_link, tags_of, text_of,
};

pub use crate::html::excerpt::EXCERPT_WORDS;

/// Words of the text kept for the excerpt (a character of a script without spaces counts as
/// one).
const TEXT_WORDS: usize = 150;

/// Why a document is not a feed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    /// An HTML page where a feed was expected.
    #[error("not a feed: got an HTML page")]
    HtmlPage,
    /// Empty body.
    #[error("not a feed: the response was empty")]
    Empty,
    /// feed-rs could not read it.
    #[error("not a valid feed: {0}")]
    Invalid(String),
}

/// Parses a fetched body: decodes and repairs it ([`super::recover`]), then reads it with
/// feed-rs and converts it to clean values.
pub fn parse_document(
    body: &[u8],
    content_type: Option<&str>,
    url: &Url,
) -> Result<ParsedFeed, ParseError> {
    Ok(convert(parse_model(body, content_type, url)?, url))
}

/// Decodes, repairs and reads a fetched body into feed-rs's model (no cleaning yet).
pub fn parse_model(
    body: &[u8],
    content_type: Option<&str>,
    url: &Url,
) -> Result<model::Feed, ParseError> {
    let prepared = super::recover::prepare(body, content_type);
    match read(&prepared.bytes, url) {
        // An Atom text construct with a type feed-rs refuses would cost the whole feed: map the
        // types it can read, drop binary content, and try once more.
        Err(ParseError::Invalid(msg)) if msg.contains("unsupported content type") => {
            let text = String::from_utf8_lossy(&prepared.bytes);
            let fixes = super::recover::Fixes {
                atom_types: true,
                ..super::recover::Fixes::default()
            };
            match super::recover::rewrite(&text, fixes) {
                Some(fixed) => read(&fixed, url),
                None => Err(ParseError::Invalid(msg)),
            }
        }
        other => other,
    }
}

/// Parses a UTF-8 feed document fetched from `url` into clean values.
pub fn parse_feed(body: &[u8], url: &Url) -> Result<ParsedFeed, ParseError> {
    Ok(convert(read(body, url)?, url))
}

fn read(body: &[u8], url: &Url) -> Result<model::Feed, ParseError> {
    let head = String::from_utf8_lossy(&body[..body.len().min(1024)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    if head.is_empty() {
        return Err(ParseError::Empty);
    }
    feed_rs::parser::Builder::new()
        .base_uri(Some(url.as_str()))
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .timestamp_parser(super::dates::parse_date)
        .build()
        .parse(body)
        .map_err(|e| {
            if head.starts_with("<!doctype html") || head.starts_with("<html") {
                ParseError::HtmlPage
            } else {
                ParseError::Invalid(e.to_string())
            }
        })
}

fn convert(feed: model::Feed, url: &Url) -> ParsedFeed {
    let site_url = pick_link(&feed.links, url).filter(|l| l.as_str() != url.as_str());
    let feed_author = feed.authors.iter().find_map(person_name);
    let base = site_url.clone().unwrap_or_else(|| url.clone());
    let mut entries: Vec<NewEntry> = feed
        .entries
        .into_iter()
        .map(|e| convert_entry(e, &base, feed_author.as_deref()))
        .collect();
    fix_shared_ids(&mut entries);
    ParsedFeed {
        title: feed.title.map(|t| text_of(&t)).filter(|t| !t.is_empty()),
        site_url: site_url.map(String::from),
        ttl_minutes: feed.ttl,
        entries,
    }
}

fn convert_entry(mut e: model::Entry, feed_base: &Url, feed_author: Option<&str>) -> NewEntry {
    let base = e
        .base
        .as_deref()
        .and_then(|b| feed_base.join(b).ok())
        .unwrap_or_else(|| feed_base.clone());
    // RSS: a guid that is an absolute http(s) URL is the permalink when there is no <link>.
    let link = pick_link(&e.links, &base).or_else(|| {
        let id = e.id.trim();
        id.starts_with("http")
            .then(|| normalize::clean_link(id, &base))
            .flatten()
    });
    let canonical_link = e
        .links
        .iter()
        .filter(|l| l.rel.as_deref() == Some("canonical"))
        .find_map(|l| normalize::clean_link(&l.href, &base));
    let content_base = link.as_ref().unwrap_or(&base);
    let content = match e.content.as_mut().and_then(|c| c.body.take()) {
        Some(body) => sanitize(&body, Some(content_base)),
        None => sanitize(
            &e.summary.as_ref().map(html_of).unwrap_or_default(),
            Some(content_base),
        ),
    };
    // The excerpt takes the first EXCERPT_WORDS of the text's first TEXT_WORDS; the story
    // sketch reads the whole HTML itself.
    let (body_text, word_count) = crate::html::text::sanitized_to_text(&content, TEXT_WORDS);
    // The excerpt comes from the post itself: feeds' own summaries are often cut mid-word or
    // padded with "Continue reading"; the feed's summary serves only when there is no body.
    let summary = if body_text.is_empty() {
        excerpt(
            &e.summary.as_ref().map(text_of).unwrap_or_default(),
            EXCERPT_WORDS,
        )
    } else {
        excerpt(&body_text, EXCERPT_WORDS)
    };
    let title = e
        .title
        .as_ref()
        .map(text_of)
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| {
            let t = excerpt(&summary, 10);
            if t.is_empty() {
                "(untitled)".to_string()
            } else {
                t
            }
        });
    let author = e
        .authors
        .iter()
        .find_map(person_name)
        .or_else(|| feed_author.map(str::to_string));
    let image_url = first_image(&e, &base, &content);
    let tags = tags_of(&e.categories);
    let canonical_url = canonical_link
        .or_else(|| originally_published_at(&content))
        .and_then(|u| normalize::normalize_url(&u));
    let sketch = if body_text.is_empty() {
        crate::stories::sketch::sketch(&summary)
    } else {
        crate::stories::sketch::sketch_html(content.as_str())
    };
    let norm_url = link.as_ref().and_then(normalize::normalize_url);
    let url = link.map(String::from);
    let content_hash = change_hash(&[
        &title,
        url.as_deref().unwrap_or(""),
        content.as_str(),
        image_url.as_deref().unwrap_or(""),
        &tags.join("\n"),
    ]);
    let guid = match collapse_whitespace(&e.id) {
        id if !id.is_empty() => id,
        _ => match &url {
            Some(u) => u.clone(),
            None => format!("sha256:{}", hash(&[&title, content.as_str()])),
        },
    };
    NewEntry {
        guid,
        url,
        title,
        author,
        published: e.published.or(e.updated),
        updated: e.updated,
        summary,
        content,
        content_hash,
        word_count,
        image_url,
        tags,
        norm_url,
        canonical_url,
        sketch,
    }
}

/// An id shared by entries with different links is not an id: those entries are identified by
/// their link, else by the hash of title and content.
fn fix_shared_ids(entries: &mut [NewEntry]) {
    use std::collections::{HashMap, HashSet};
    let mut links: HashMap<&str, Option<&str>> = HashMap::with_capacity(entries.len());
    // A set: a list of the shared ids, searched for every entry, was quadratic in a feed whose
    // items all share ids in pairs.
    let mut shared = HashSet::new();
    for e in entries.iter() {
        match links.get(e.guid.as_str()) {
            None => {
                links.insert(&e.guid, e.url.as_deref());
            }
            Some(link) if *link != e.url.as_deref() => {
                shared.insert(e.guid.clone());
            }
            Some(_) => {}
        }
    }
    if shared.is_empty() {
        return;
    }
    for e in entries.iter_mut().filter(|e| shared.contains(&e.guid)) {
        e.guid = match &e.url {
            Some(u) => u.clone(),
            None => format!("sha256:{}", hash(&[&e.title, e.content.as_str()])),
        };
    }
}

/// SHA-256 of `parts`: the identity of an entry that has neither id nor link, which must stay
/// the same across versions.
fn hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    format!("{:x}", h.finalize())
}

/// 128-bit XXH3 of `parts`: tells a changed entry from an unchanged one. Not an identity and
/// not exposed to anyone, so a fast non-cryptographic hash serves (a tenth of SHA-256's cost).
fn change_hash(parts: &[&str]) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(&[0u8]);
    }
    format!("{:032x}", h.digest128())
}

/// Hash of a response body, to skip re-parsing an identical one.
pub fn body_hash(body: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(body))
}

/// The latest date among entries, for reporting.
pub fn newest(feed: &ParsedFeed) -> Option<DateTime<Utc>> {
    feed.entries.iter().filter_map(|e| e.published).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>My &amp; Blog</title><link>https://blog.example.org/</link>
<item><title>Hello &lt;b&gt;world&lt;/b&gt;</title><link>/posts/hello</link>
<description>&lt;p&gt;Body &lt;script&gt;x()&lt;/script&gt;&lt;img src="/i.png"&gt;&lt;/p&gt;</description>
<pubDate>Tue, 17 Nov 2026 10:00:00 +0100</pubDate></item>
<item><description>No title or link here at all</description></item>
</channel></rss>"#;

    #[test]
    fn rss_entries_are_clean_and_absolute() {
        let url = Url::parse("https://blog.example.org/feed.xml").unwrap();
        let f = parse_feed(RSS.as_bytes(), &url).unwrap();
        assert_eq!(f.title.as_deref(), Some("My & Blog"));
        assert_eq!(f.entries.len(), 2);
        let e = &f.entries[0];
        assert_eq!(e.title, "Hello world");
        assert_eq!(
            e.url.as_deref(),
            Some("https://blog.example.org/posts/hello")
        );
        assert_eq!(e.guid, "https://blog.example.org/posts/hello");
        assert!(!e.content.as_str().contains("script"));
        assert!(
            e.content
                .as_str()
                .contains("https://blog.example.org/i.png")
        );
        assert_eq!(
            e.published.unwrap().to_rfc3339(),
            "2026-11-17T09:00:00+00:00"
        );
        let e2 = &f.entries[1];
        assert_eq!(e2.title, "No title or link here at all");
        assert!(e2.guid.starts_with("sha256:"));
        // Stable across parses.
        let again = parse_feed(RSS.as_bytes(), &url).unwrap();
        assert_eq!(again.entries[1].guid, e2.guid);
    }

    #[test]
    fn author_names_in_every_form() {
        let p = |name: &str, email: Option<&str>| model::Person {
            name: name.to_string(),
            uri: None,
            email: email.map(str::to_string),
        };
        let cases = [
            (
                p("author", Some("ana@example.org (Ana Moreira)")),
                Some("Ana Moreira"),
            ),
            (p("author", Some("Ana Moreira")), Some("Ana Moreira")),
            (p("author", Some("noreply@blogger.com")), None),
            (
                p("Bram De Vries (bram@example.net)", None),
                Some("Bram De Vries"),
            ),
            (p("Eva <eva@example.com>", None), Some("Eva")),
            (p("  Chloé   Martin ", None), Some("Chloé Martin")),
            (p("Dev Patel", Some("dev@example.com")), Some("Dev Patel")),
        ];
        for (person, want) in cases {
            assert_eq!(person_name(&person).as_deref(), want, "{person:?}");
        }
    }

    #[test]
    fn html_page_is_named() {
        let url = Url::parse("https://blog.example.org/").unwrap();
        let err = parse_feed(b"<!DOCTYPE html><html><body>hi</body></html>", &url).unwrap_err();
        assert_eq!(err.to_string(), "not a feed: got an HTML page");
        assert_eq!(parse_feed(b"  ", &url).unwrap_err(), ParseError::Empty);
    }

    #[test]
    fn ids_shared_in_pairs_across_a_large_feed_fall_back_to_links() {
        let url = Url::parse("https://b.example.org/feed").unwrap();
        let items: String = (0..6_000)
            .map(|i| format!("<item><guid>g{}</guid><link>/p{i}</link></item>", i / 2))
            .collect();
        let doc = format!(r#"<rss version="2.0"><channel>{items}</channel></rss>"#);
        let f = parse_feed(doc.as_bytes(), &url).unwrap();
        assert_eq!(f.entries.len(), 6_000);
        assert!(f.entries.iter().all(|e| e.url.as_ref() == Some(&e.guid)));
    }
}
