//! The one HTML allowlist. Everything a feed says in HTML passes through [`sanitize`] before it
//! is stored; only its output type, [`SanitizedHtml`], is printed unescaped by templates.
//!
//! Policy, for e-mail and the web:
//! * ammonia's default allowlist of elements and attributes, plus `srcset`/`sizes` on `img`:
//!   no `script`, `style`, `iframe`, `object`, `embed`, `form` (their text content is dropped
//!   for `script`, `style`, `template` and `noscript`), no event-handler or `style` attribute;
//! * an embedded video or frame (`iframe`, `video`, `embed`, `object`) becomes a paragraph with a
//!   link to it ("Watch the video on youtube.com"), so the reader still finds it;
//! * URL schemes limited to http, https and mailto: no `javascript:`, `vbscript:` or `data:`,
//!   not even `data:image/*` in `img` (some mail clients block them, they bloat the e-mail and
//!   SVG payloads are script-capable);
//! * relative URLs in `href`, `src` and each `srcset` candidate resolved against the entry's base;
//!   a relative URL with no base to resolve against is dropped;
//! * `rel="noopener noreferrer nofollow"` on every link;
//! * tracking pixels removed: images of 1×1 (or 0) pixels, and images served by known tracker
//!   hosts (FeedBurner, WordPress stats, Google Analytics, ...); an image left without a `src`
//!   goes too;
//! * size bounded: input beyond [`MAX_HTML_BYTES`] is cut (at a character boundary; the HTML
//!   parser closes what was left open), so one enormous post cannot bloat the database or a
//!   digest.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::LazyLock;

use url::Url;

use crate::domain::SanitizedHtml;

mod embeds;
mod pixels;
mod pre;

use embeds::embeds_to_links;
use pixels::{drop_pixels, is_tracker};

/// Largest HTML input cleaned, in bytes (512 KiB: a very long post is about 100 KiB).
pub const MAX_HTML_BYTES: usize = 512 * 1024;

thread_local! {
    /// The base URL of the document being cleaned on this thread. ammonia's builder is built
    /// once and shared, while the base changes per entry; cleaning is synchronous, so a
    /// thread-local set around each call is exact.
    static BASE: RefCell<Option<Url>> = const { RefCell::new(None) };
}

fn resolve(url: &str) -> Option<String> {
    BASE.with(|b| {
        let base = b.borrow();
        let joined = match base.as_ref() {
            Some(base) => base.join(url.trim()).ok()?,
            None => Url::parse(url.trim()).ok()?,
        };
        matches!(joined.scheme(), "http" | "https" | "mailto").then(|| joined.into())
    })
}

fn resolve_relative(url: &str) -> Option<Cow<'_, str>> {
    BASE.with(|b| b.borrow().is_some())
        .then(|| resolve(url))
        .flatten()
        .map(Cow::Owned)
}

/// `srcset` with every candidate URL made absolute; candidates that are not http(s) are dropped.
fn clean_srcset(value: &str) -> Option<Cow<'static, str>> {
    let kept: Vec<String> = value
        .split(',')
        .filter_map(|candidate| {
            let mut parts = candidate.split_whitespace();
            let url = resolve(parts.next()?)?;
            if !url.starts_with("http") {
                return None;
            }
            let descriptor: Vec<&str> = parts.collect();
            Some(if descriptor.is_empty() {
                url
            } else {
                format!("{url} {}", descriptor.join(" "))
            })
        })
        .collect();
    (!kept.is_empty()).then(|| Cow::Owned(kept.join(", ")))
}

static BUILDER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::Custom(Box::new(resolve_relative)))
        .link_rel(Some("noopener noreferrer nofollow"))
        .add_tag_attributes("img", ["srcset", "sizes"])
        .clean_content_tags(HashSet::from(["script", "style", "template", "noscript"]))
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("img", "srcset") => clean_srcset(value),
            ("img", "src") if is_tracker(value) => None,
            _ => Some(Cow::Borrowed(value)),
        })
        .strip_comments(true);
    b
});

/// Cleans `html`, resolving relative URLs against `base`.
pub fn sanitize(html: &str, base: Option<&Url>) -> SanitizedHtml {
    let mut end = html.len().min(MAX_HTML_BYTES);
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    let bounded = &html[..end];
    BASE.with(|b| *b.borrow_mut() = base.cloned());
    let found = scan_tags(bounded);
    let with_links = if found.embed {
        embeds_to_links(bounded)
    } else {
        Cow::Borrowed(bounded)
    };
    let mut cleaned = serialize(&BUILDER.clean(&with_links));
    if found.unwrapped {
        // Removing an element keeps its children, which can leave markup a browser would nest
        // differently (`<p><button><p>` becomes `<p><p>`); a second pass settles it, so that
        // what is stored is what a browser sees and cleaning stays idempotent.
        cleaned = serialize(&BUILDER.clean(&cleaned));
    }
    BASE.with(|b| *b.borrow_mut() = None);
    SanitizedHtml::new_unchecked(pre::keep_pre_newline(drop_pixels(cleaned)))
}

/// The cleaned document as a string, serialised once (ammonia's `Display` serialises into a
/// buffer and then copies it through the formatter).
pub(crate) fn serialize(doc: &ammonia::Document) -> String {
    let mut buf = Vec::with_capacity(4096);
    // Writing into a Vec cannot fail, and html5ever writes UTF-8.
    if doc.write_to(&mut buf).is_err() {
        return String::new();
    }
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// What one scan over the tags of an input found.
#[derive(Debug, Clone, Copy, Default)]
struct Found {
    /// An element that [`embeds_to_links`] rewrites (`iframe`, `video`, `embed`, `object`).
    embed: bool,
    /// An element the allowlist removes while keeping its children (a `<form>`, `<button>`,
    /// `<font>`, an unknown tag...). Typical blog HTML has none.
    unwrapped: bool,
}

fn scan_tags(html: &str) -> Found {
    // Tag names packed into integers (names are at most 16 bytes here), sorted: a lookup is a
    // few integer comparisons.
    fn pack(name: &[u8]) -> u128 {
        name.iter().take(16).fold(0u128, |acc, b| {
            acc << 8 | u128::from(b.to_ascii_lowercase())
        })
    }
    static KEPT: LazyLock<Vec<u128>> = LazyLock::new(|| {
        let mut names: Vec<u128> = BUILDER
            .clone_tags()
            .into_iter()
            .chain(BUILDER.clone_clean_content_tags())
            .filter(|t| t.len() <= 16)
            .map(|t| pack(t.as_bytes()))
            .collect();
        names.sort_unstable();
        names
    });
    // Removed elements whose removal cannot change how the rest parses, so they need no second
    // pass: `iframe` (its content is raw text) and void elements have no child elements, and
    // ordinary elements (`video`, `audio`, `picture`) are no scope boundary for the HTML
    // parser. Scoping and special elements (`object`, `button`, `form`, `svg`, `section`...)
    // are not listed.
    static PLAIN: LazyLock<[u128; 9]> = LazyLock::new(|| {
        [
            "iframe", "embed", "source", "track", "param", "video", "audio", "picture", "link",
        ]
        .map(|t| pack(t.as_bytes()))
    });
    let h = html.as_bytes();
    let mut found = Found::default();
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'<', &h[i..]) {
        let at = i + p + 1;
        i = at;
        let len = h[at..]
            .iter()
            .take(17)
            .position(|b| !b.is_ascii_alphanumeric())
            .unwrap_or((h.len() - at).min(17));
        if len == 0 || !h[at].is_ascii_alphabetic() {
            continue;
        }
        let tag = &h[at..at + len];
        if len > 16 || KEPT.binary_search(&pack(tag)).is_err() && !PLAIN.contains(&pack(tag)) {
            found.unwrapped = true;
        }
        if (5..=6).contains(&len)
            && [&b"iframe"[..], b"video", b"embed", b"object"]
                .iter()
                .any(|e| tag.eq_ignore_ascii_case(e))
        {
            found.embed = true;
        }
        if found.embed && found.unwrapped {
            break;
        }
    }
    found
}

/// The attributes of the tag starting at `tag` (which begins with `<name`), and the tag's length.
fn tag_attributes(tag: &str) -> (Vec<(String, String)>, usize) {
    let bytes = tag.as_bytes();
    let mut i = 1;
    while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
        i += 1;
    }
    let mut attrs = Vec::new();
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] == b'>' {
            return (attrs, (i + 1).min(bytes.len()));
        }
        let name_start = i;
        while i < bytes.len() && !matches!(bytes[i], b'=' | b'>' | b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        }
        let name = tag[name_start..i].to_ascii_lowercase();
        let mut value = String::new();
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            match bytes.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let end = tag[i + 1..]
                        .find(q as char)
                        .map_or(tag.len(), |p| i + 1 + p);
                    value = tag[i + 1..end].to_string();
                    i = (end + 1).min(tag.len());
                }
                _ => {
                    let start = i;
                    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                        i += 1;
                    }
                    value = tag[start..i].to_string();
                }
            }
        }
        attrs.push((name, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://blog.example.org/posts/1/").unwrap()
    }

    #[test]
    fn removes_script_capable_constructs() {
        let out = sanitize(
            r#"<p onclick="x()">Hi<script>alert(1)</script><img src="a.png" onerror="x()">
               <a href="javascript:alert(1)">j</a><a href="../2/">rel</a>
               <iframe src="javascript:alert(1)"></iframe><style>p{}</style>
               <a href="data:text/html,x">d</a><img src="data:image/png;base64,AAAA"></p>"#,
            Some(&base()),
        );
        let s = out.as_str();
        for bad in [
            "script",
            "onclick",
            "onerror",
            "javascript:",
            "iframe",
            "<style",
            "data:",
        ] {
            assert!(!s.contains(bad), "{bad} left in {s}");
        }
        assert!(
            s.contains(r#"src="https://blog.example.org/posts/1/a.png""#),
            "{s}"
        );
        assert!(
            s.contains(r#"href="https://blog.example.org/posts/2/""#),
            "{s}"
        );
        assert!(s.contains(r#"rel="noopener noreferrer nofollow""#), "{s}");
    }

    #[test]
    fn relative_urls_without_base_are_dropped() {
        let s = sanitize(r#"<a href="/x">x</a>"#, None);
        assert!(!s.as_str().contains("href"), "{}", s.as_str());
    }

    #[test]
    fn embedded_videos_become_links() {
        let s = sanitize(
            r#"<p>Talk:</p><iframe width="560" src="https://www.youtube.com/embed/dQw4w9WgXcQ?rel=0" allowfullscreen></iframe>
               <IFRAME SRC='//player.vimeo.com/video/76979871'></IFRAME>
               <video controls><source src="/media/demo.mp4" type="video/mp4"></video>
               <iframe src="https://codepen.io/x/embed/abc"></iframe>"#,
            Some(&base()),
        );
        let s = s.as_str();
        assert!(!s.to_ascii_lowercase().contains("<iframe"), "{s}");
        assert!(!s.contains("<video"), "{s}");
        assert!(
            s.contains(r#"<a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ" rel="noopener noreferrer nofollow">Watch the video on youtube.com</a>"#),
            "{s}"
        );
        assert!(s.contains(r#"href="https://vimeo.com/76979871""#), "{s}");
        assert!(
            s.contains(r#"href="https://blog.example.org/media/demo.mp4""#),
            "{s}"
        );
        assert!(s.contains("Open the embedded content on codepen.io"), "{s}");
    }

    #[test]
    fn srcset_is_absolute_and_http_only() {
        let s = sanitize(
            r#"<img src="a.png" srcset="a-2x.png 2x, javascript:alert(1) 3x, /b.png 640w" sizes="50vw" alt="A">"#,
            Some(&base()),
        );
        assert_eq!(
            s.as_str(),
            r#"<img src="https://blog.example.org/posts/1/a.png" srcset="https://blog.example.org/posts/1/a-2x.png 2x, https://blog.example.org/b.png 640w" sizes="50vw" alt="A">"#
        );
    }

    #[test]
    fn tracking_pixels_are_removed() {
        let s = sanitize(
            r#"<p>Text</p><img src="https://blog.example.org/real.png" width="600" height="400">
               <img src="https://blog.example.org/p.gif" width="1" height="1">
               <img src="http://feeds.feedburner.com/~r/Blog/~4/abc" height="1" width="1" alt="">
               <img src="https://pixel.wp.com/b.gif?host=x" alt="">
               <img src="https://stats.wordpress.com/b.gif">
               <img src="https://medium.com/_/stat?event=post.clientViewed">
               <img src="javascript:x">"#,
            Some(&base()),
        );
        let s = s.as_str();
        assert_eq!(s.matches("<img").count(), 1, "{s}");
        assert!(s.contains("real.png"), "{s}");
    }

    #[test]
    fn long_and_unknown_tag_names_are_unwrapped_safely() {
        let s = sanitize(
            "<p>a<averyveryverylongtagname>b</averyveryverylongtagname><font>c</font></p><q",
            None,
        );
        assert_eq!(s.as_str(), "<p>abc</p>");
    }

    #[test]
    fn only_removals_that_can_change_the_parse_get_a_second_pass() {
        for plain in [
            r#"<p>a<iframe src="https://e.org/x">t</iframe>b</p>"#,
            "<p><video controls><source src=v.mp4><p>fallback</video></p>",
            "<picture><source srcset=a.webp><img src=a.png></picture><embed src=x>",
            "<p>text <b>bold</b></p><ul><li>one</li></ul>",
        ] {
            assert!(!scan_tags(plain).unwrapped, "{plain}");
        }
        for scoping in [
            "<p><button><p>x</button>",
            "<object data=x><p>y</object>",
            "<form><p>x</form>",
            "<svg><p>x</svg>",
            "<li><section><li>x",
            "<x-widget>y</x-widget>",
        ] {
            assert!(scan_tags(scoping).unwrapped, "{scoping}");
        }
    }

    #[test]
    fn content_is_bounded() {
        let huge = format!("<p>{}</p>", "é".repeat(MAX_HTML_BYTES));
        let s = sanitize(&huge, None);
        assert!(
            s.as_str().len() <= MAX_HTML_BYTES + 16,
            "{}",
            s.as_str().len()
        );
        assert!(s.as_str().ends_with("</p>"));
    }

    #[test]
    fn sanitising_twice_changes_nothing() {
        let once = sanitize(
            r#"<p>a <a href="/x">x</a> <img src="i.png" srcset="i2.png 2x"> <iframe src="https://www.youtube.com/embed/ab"></iframe></p>"#,
            Some(&base()),
        );
        let twice = sanitize(once.as_str(), Some(&base()));
        assert_eq!(once.as_str(), twice.as_str());
    }
}

#[cfg(test)]
mod properties;
