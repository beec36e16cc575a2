//! Feed discovery: the feeds a blog's home page announces with
//! `<link rel="alternate" type="application/rss+xml" href="...">` (RSS, Atom, JSON Feed), found
//! with html5ever's tokenizer (the HTML standard's, so odd markup is read as browsers read it).

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use url::Url;

/// A feed announced by a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// Absolute URL of the feed.
    pub url: Url,
    /// The link's title, if any.
    pub title: Option<String>,
    /// `rss`, `atom` or `json`.
    pub kind: &'static str,
}

#[derive(Default)]
struct Sink {
    links: RefCell<Vec<Tag>>,
    base: RefCell<Option<String>>,
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        if let Token::TagToken(tag) = token
            && tag.kind == TagKind::StartTag
        {
            match &*tag.name {
                "link" => self.links.borrow_mut().push(tag),
                "base" if self.base.borrow().is_none() => {
                    *self.base.borrow_mut() = attr(&tag, "href");
                }
                _ => {}
            }
        }
        TokenSinkResult::Continue
    }
}

fn attr(tag: &Tag, name: &str) -> Option<String> {
    tag.attrs
        .iter()
        .find(|a| &*a.name.local == name)
        .map(|a| a.value.to_string())
}

fn kind_of(media_type: &str) -> Option<&'static str> {
    let t = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match t.as_str() {
        "application/rss+xml" | "application/rdf+xml" => Some("rss"),
        "application/atom+xml" => Some("atom"),
        "application/feed+json" | "application/json" => Some("json"),
        _ => None,
    }
}

/// The feeds `html` (fetched from `page`) announces, in page order, without duplicates.
pub fn discover(html: &str, page: &Url) -> Vec<Discovered> {
    let sink = Sink::default();
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let sink = tokenizer.sink;
    let base = sink
        .base
        .borrow()
        .as_deref()
        .and_then(|b| page.join(b).ok())
        .unwrap_or_else(|| page.clone());
    let mut found: Vec<Discovered> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for tag in sink.links.borrow().iter() {
        let rel = attr(tag, "rel").unwrap_or_default().to_ascii_lowercase();
        if !rel.split_whitespace().any(|r| r == "alternate") {
            continue;
        }
        let Some(kind) = attr(tag, "type").as_deref().and_then(kind_of) else {
            continue;
        };
        let Some(url) = attr(tag, "href").and_then(|h| base.join(h.trim()).ok()) else {
            continue;
        };
        // A set, not a scan of `found`: a hostile page of 100,000 links made that quadratic.
        if !matches!(url.scheme(), "http" | "https") || !seen.insert(url.clone()) {
            continue;
        }
        let title = attr(tag, "title")
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        found.push(Discovered { url, title, kind });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_alternate_links_in_page_order() {
        let page = Url::parse("https://blog.example.org/2026/11/post.html").unwrap();
        let html = r#"<!doctype html><html><head>
            <link rel="stylesheet" href="/s.css">
            <link rel="alternate" type="application/atom+xml" title="Atom" href="/atom.xml">
            <LINK REL="Alternate" TYPE="application/rss+xml; charset=utf-8" href="feed/">
            <link rel="alternate" type="application/feed+json" href="https://blog.example.org/feed.json">
            <link rel="alternate" type="application/atom+xml" href="/atom.xml">
            <link rel="alternate" hreflang="fr" href="/fr/">
            <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
            </head><body></body></html>"#;
        let found = discover(html, &page);
        let urls: Vec<&str> = found.iter().map(|d| d.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://blog.example.org/atom.xml",
                "https://blog.example.org/2026/11/feed/",
                "https://blog.example.org/feed.json"
            ]
        );
        assert_eq!(found[0].title.as_deref(), Some("Atom"));
        assert_eq!(found[1].kind, "rss");
    }

    #[test]
    fn base_element_is_honoured_and_pages_without_feeds_give_nothing() {
        let page = Url::parse("https://example.org/a/").unwrap();
        let html = r#"<head><base href="https://cdn.example.org/x/"><link rel=alternate type=application/rss+xml href=rss.xml></head>"#;
        assert_eq!(
            discover(html, &page)[0].url.as_str(),
            "https://cdn.example.org/x/rss.xml"
        );
        assert!(discover("<html><body>no feeds</body></html>", &page).is_empty());
    }

    #[test]
    fn a_page_of_20000_feed_links_gives_each_once_in_order() {
        // Repeats were looked up in the list found so far: quadratic in the links of a hostile
        // page. Now a set; this checks the answer is unchanged at that size.
        let page = Url::parse("https://example.org/").unwrap();
        let mut html = String::from("<head>");
        for i in 0..20_000 {
            html.push_str(&format!(
                "<link rel=alternate type=application/rss+xml href=/f{}.xml>",
                i % 10_000
            ));
        }
        let found = discover(&html, &page);
        assert_eq!(found.len(), 10_000);
        assert_eq!(found[0].url.as_str(), "https://example.org/f0.xml");
        assert_eq!(found[9_999].url.as_str(), "https://example.org/f9999.xml");
    }
}
