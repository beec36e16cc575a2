//! The one HTML allowlist. Everything a feed says in HTML passes through [`sanitize`] before it
//! is stored; only its output type, [`SanitizedHtml`], is printed unescaped by templates.
//!
//! Policy: ammonia's default allowlist (no `script`, `style`, `iframe`, `object`, `embed`, `form`,
//! no event-handler or `style` attributes), URL schemes limited to http, https and mailto (so no
//! `javascript:`, `vbscript:` or `data:`), relative URLs resolved against the entry's base, and
//! `rel="noopener noreferrer nofollow"` on every link.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::LazyLock;

use url::Url;

use crate::domain::SanitizedHtml;

thread_local! {
    /// The base URL of the document being cleaned on this thread. ammonia's builder is built
    /// once and shared, while the base changes per entry; cleaning is synchronous, so a
    /// thread-local set around each call is exact.
    static BASE: RefCell<Option<Url>> = const { RefCell::new(None) };
}

fn resolve_relative(url: &str) -> Option<Cow<'_, str>> {
    BASE.with(|b| {
        let base = b.borrow();
        let joined = base.as_ref()?.join(url).ok()?;
        matches!(joined.scheme(), "http" | "https" | "mailto").then(|| Cow::Owned(joined.into()))
    })
}

static BUILDER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::Custom(Box::new(resolve_relative)))
        .link_rel(Some("noopener noreferrer nofollow"))
        .strip_comments(true);
    b
});

/// Cleans `html`, resolving relative URLs against `base`.
pub fn sanitize(html: &str, base: Option<&Url>) -> SanitizedHtml {
    BASE.with(|b| *b.borrow_mut() = base.cloned());
    let cleaned = BUILDER.clean(html).to_string();
    BASE.with(|b| *b.borrow_mut() = None);
    SanitizedHtml::new_unchecked(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_script_capable_constructs() {
        let base = Url::parse("https://blog.example.org/posts/1/").unwrap();
        let out = sanitize(
            r#"<p onclick="x()">Hi<script>alert(1)</script><img src="a.png" onerror="x()">
               <a href="javascript:alert(1)">j</a><a href="../2/">rel</a>
               <iframe src="https://evil.example"></iframe><style>p{}</style>
               <a href="data:text/html,x">d</a></p>"#,
            Some(&base),
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
}
