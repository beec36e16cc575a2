//! One entry field at a time, out of feed-rs's model: people's names, tags, the first image, the
//! original of a cross-post, the post's link, text constructs as text or HTML.

use feed_rs::model;
use url::Url;

use super::normalize;
use crate::html::text::{collapse_whitespace, html_to_text};

/// A person's display name. RSS's `<author>` holds an e-mail address, optionally with the name
/// in parentheses (`ana@example.org (Ana Moreira)`); feed-rs stores that text as the e-mail of a
/// person named after the element (`author`). Names come out of `email (Name)`, `Name <email>`
/// and `Name (email)`; a bare address is not shown to readers (the feed's author, or the
/// organiser's, is used instead).
pub(super) fn person_name(p: &model::Person) -> Option<String> {
    let role = matches!(
        p.name.as_str(),
        "author" | "managingEditor" | "webMaster" | ""
    );
    let raw = match (&p.email, role) {
        (Some(email), true) => email.as_str(),
        _ => p.name.as_str(),
    };
    let raw = collapse_whitespace(&if raw.contains('&') {
        crate::html::text::decode_entities(raw)
    } else {
        raw.to_string()
    });
    let is_email = |s: &str| s.contains('@') && !s.contains(' ');
    let name =
        if let Some((before, inside)) = raw.strip_suffix(')').and_then(|r| r.rsplit_once('(')) {
            // `email (Name)` or `Name (email)`.
            if is_email(before.trim()) {
                inside.trim()
            } else {
                before.trim()
            }
            .to_string()
        } else if let Some((before, _)) = raw.strip_suffix('>').and_then(|r| r.rsplit_once('<')) {
            before.trim().trim_matches('"').to_string()
        } else {
            raw
        };
    (!name.is_empty() && !is_email(&name)).then_some(name)
}

/// Categories as plain, distinct labels (the first ten).
pub(super) fn tags_of(categories: &[model::Category]) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for c in categories {
        let t = collapse_whitespace(c.label.as_deref().unwrap_or(&c.term));
        let t = if t.contains('&') {
            crate::html::text::decode_entities(&t)
        } else {
            t
        };
        if !t.is_empty() && !tags.iter().any(|k| k.eq_ignore_ascii_case(&t)) && tags.len() < 10 {
            tags.push(t);
        }
    }
    tags
}

/// The post's picture: a `media:thumbnail`, else an image `media:content` or enclosure, else an
/// Atom `rel="enclosure"` link of an image type, else the first `<img>` of the (already
/// sanitised, so absolute and pixel-free) content.
pub(super) fn first_image(
    e: &model::Entry,
    base: &Url,
    content: &crate::domain::SanitizedHtml,
) -> Option<String> {
    let http = |u: &str| normalize::clean_link(u, base).map(String::from);
    e.media
        .iter()
        .flat_map(|m| &m.thumbnails)
        .find_map(|t| http(&t.image.uri))
        .or_else(|| {
            e.media.iter().flat_map(|m| &m.content).find_map(|c| {
                let is_image = c.content_type.as_ref().is_some_and(|t| t.ty() == "image");
                if is_image {
                    c.url.as_ref().and_then(|u| http(u.as_str()))
                } else {
                    None
                }
            })
        })
        .or_else(|| {
            e.links
                .iter()
                .filter(|l| l.rel.as_deref() == Some("enclosure"))
                .filter(|l| {
                    l.media_type
                        .as_deref()
                        .is_some_and(|t| t.starts_with("image/"))
                })
                .find_map(|l| http(&l.href))
        })
        .or_else(|| first_img_src(content.as_str()).and_then(|s| http(&s)))
}

/// `src` of the first `<img>` in sanitised HTML (attributes there are always double-quoted).
pub(super) fn first_img_src(html: &str) -> Option<String> {
    let mut rest = html;
    while let Some(i) = memchr::memmem::find(rest.as_bytes(), b"<img ") {
        let tag = &rest[i..];
        let end = tag.find('>').unwrap_or(tag.len());
        let tag = &tag[..end];
        if let Some(p) = tag.find(" src=\"") {
            let v = &tag[p + 6..];
            if let Some(q) = v.find('"') {
                return Some(crate::html::text::decode_entities(&v[..q]));
            }
        }
        rest = &rest[i + 5..];
    }
    None
}

/// A cross-post names its original: "Originally published at <a href=...>", "This post first
/// appeared on ...". Returns the first link in the first or last 2 KB of the post that follows
/// such a phrase within 200 bytes.
pub(super) fn originally_published_at(content: &crate::domain::SanitizedHtml) -> Option<Url> {
    const PHRASES: &[&str] = &[
        "originally published",
        "originally posted",
        "originally appeared",
        "first published",
        "first appeared",
        "first posted",
        "cross-posted from",
        "crossposted from",
    ];
    // Such a note opens or closes the post: only links in its first and last 2 KB are read, and
    // for each, the 200 bytes before it.
    const EDGE: usize = 2048;
    const BEFORE: usize = 200;
    let html = content.as_str();
    let floor = |mut i: usize| {
        while !html.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let head_end = floor(html.len().min(EDGE));
    let tail_start = floor(html.len().saturating_sub(EDGE).max(head_end));
    let mut from = 0;
    while let Some(p) = memchr::memmem::find(&html.as_bytes()[from..], b" href=\"") {
        let at = from + p;
        from = at + 7;
        if at > head_end && at < tail_start {
            from = tail_start;
            continue;
        }
        let before = html[floor(at.saturating_sub(BEFORE))..at].to_ascii_lowercase();
        if PHRASES.iter().any(|phrase| before.contains(phrase)) {
            let v = &html[at + 7..];
            let q = v.find('"')?;
            if let Ok(url) = Url::parse(&crate::html::text::decode_entities(&v[..q])) {
                return Some(url);
            }
        }
    }
    None
}

/// The alternate (or first rel-less) http(s) link, made absolute against `base`.
pub(super) fn pick_link(links: &[model::Link], base: &Url) -> Option<Url> {
    let usable = |l: &&model::Link| !l.href.trim().is_empty();
    let mut candidates = links
        .iter()
        .filter(usable)
        .filter(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .chain(links.iter().filter(usable).filter(|l| {
            !matches!(
                l.rel.as_deref(),
                Some("self" | "edit" | "replies" | "enclosure" | "license" | "hub" | "next")
            )
        }));
    candidates.find_map(|l| normalize::clean_link(&l.href, base))
}

/// A text construct as plain text.
pub(super) fn text_of(t: &model::Text) -> String {
    if t.content_type.subty() == "html"
        || t.content_type.subty() == "xhtml"
        || t.content.contains('<')
    {
        html_to_text(&t.content)
    } else if t.content.contains('&') {
        collapse_whitespace(&crate::html::text::decode_entities(&t.content))
    } else {
        collapse_whitespace(&t.content)
    }
}

/// A text construct as HTML (plain text escaped).
pub(super) fn html_of(t: &model::Text) -> String {
    if t.content_type.subty() == "plain" && !t.content.contains('<') {
        t.content
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    } else {
        t.content.clone()
    }
}
