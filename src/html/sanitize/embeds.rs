//! Embedded players (`iframe`, `video`, `embed`, `object`) turned into links to what they
//! show, before the allowlist removes the elements themselves.

use std::borrow::Cow;

use url::Url;

use super::{BASE, tag_attributes};

/// Finds `needle` (ASCII, lower case, starting with `<`) in `hay` ignoring ASCII case, from
/// byte `from`: jumps from `<` to `<`, so it costs one byte scan.
fn find_ci(hay: &str, needle: &str, from: usize) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    let mut i = from;
    while let Some(p) = h.get(i..)?.iter().position(|&b| b == b'<') {
        let at = i + p;
        if h.len() >= at + n.len() && h[at..at + n.len()].eq_ignore_ascii_case(n) {
            #[cfg(test)]
            tests::count(at - from);
            return Some(at);
        }
        i = at + 1;
    }
    #[cfg(test)]
    tests::count(h.len().saturating_sub(from));
    None
}

/// The next occurrence of a needle at or after a position that only grows. A needle is looked
/// for again only once the position has passed its last occurrence, and one not found stays
/// not found: the whole rewrite reads the text once per needle. (Looking for every needle from
/// each embed made a post of many `<iframe>`s and no `<object>` quadratic.)
struct Next<'a> {
    html: &'a str,
    needle: &'static str,
    /// The last answer, once searched.
    found: Option<Option<usize>>,
}

impl<'a> Next<'a> {
    fn new(html: &'a str, needle: &'static str) -> Self {
        Self {
            html,
            needle,
            found: None,
        }
    }

    fn from(&mut self, pos: usize) -> Option<usize> {
        match self.found {
            Some(Some(at)) if at >= pos => Some(at),
            Some(None) => None,
            _ => {
                let at = find_ci(self.html, self.needle, pos);
                self.found = Some(at);
                at
            }
        }
    }
}

/// Turns embedded players into links before cleaning: `<iframe src="https://www.youtube.com/
/// embed/ID">` becomes `<p><a href="https://www.youtube.com/watch?v=ID">Watch the video on
/// youtube.com</a></p>`. The element itself is then removed by the allowlist.
pub(super) fn embeds_to_links(html: &str) -> Cow<'_, str> {
    const EMBEDS: &[(&str, &[&str])] = &[
        ("<iframe", &["src", "data-src"]),
        ("<video", &["src", "poster"]),
        ("<embed", &["src"]),
        ("<object", &["data"]),
    ];
    let mut out = String::with_capacity(html.len() + 64);
    let mut pos = 0;
    let mut finders: Vec<Next<'_>> = EMBEDS.iter().map(|(t, _)| Next::new(html, t)).collect();
    let mut sources = Next::new(html, "<source");
    // The `src` of the `<source>` last read, by its position: many `<video>`s before one
    // `<source>` read it once.
    let mut source_src: Option<(usize, Option<String>)> = None;
    loop {
        let next = EMBEDS
            .iter()
            .zip(finders.iter_mut())
            .filter_map(|((t, attrs), n)| n.from(pos).map(|i| (i, *t, *attrs)))
            .min_by_key(|(i, _, _)| *i);
        let Some((at, name, wanted)) = next else {
            break;
        };
        out.push_str(&html[pos..at]);
        let (attrs, len) = tag_attributes(&html[at..]);
        let mut src = wanted
            .iter()
            .find_map(|w| attrs.iter().find(|(n, v)| n == w && !v.trim().is_empty()))
            .map(|(_, v)| crate::html::text::decode_entities(v.trim()));
        // <video><source src=...></video>: the first source.
        if src.is_none()
            && name == "<video"
            && let Some(s) = sources.from(at)
        {
            if source_src.as_ref().is_none_or(|(p, _)| *p != s) {
                let (attrs, _) = tag_attributes(&html[s..]);
                let v = attrs.into_iter().find(|(n, _)| n == "src").map(|(_, v)| v);
                source_src = Some((s, v));
            }
            src = source_src.as_ref().and_then(|(_, v)| v.clone());
        }
        if let Some(link) = src.as_deref().and_then(video_link) {
            let host = Url::parse(&link)
                .ok()
                .and_then(|u| {
                    u.host_str()
                        .map(|h| h.trim_start_matches("www.").to_string())
                })
                .unwrap_or_default();
            let what = if name == "<iframe" && !is_video_host(&host) {
                "Open the embedded content"
            } else {
                "Watch the video"
            };
            let label = if host.is_empty() {
                what.to_string()
            } else {
                format!("{what} on {host}")
            };
            out.push_str(&format!(
                "<p><a href=\"{}\">{}</a></p>",
                link.replace('&', "&amp;").replace('"', "&quot;"),
                label
            ));
        }
        pos = at + len.max(1);
    }
    out.push_str(&html[pos..]);
    Cow::Owned(out)
}

fn is_video_host(host: &str) -> bool {
    [
        "youtube.com",
        "youtube-nocookie.com",
        "youtu.be",
        "vimeo.com",
        "player.vimeo.com",
    ]
    .iter()
    .any(|h| host == *h || host.ends_with(&format!(".{h}")))
}

/// The page to link for an embedded player's URL: YouTube and Vimeo players map to their watch
/// pages; other URLs are resolved against the entry's base and kept as they are. Protocol-relative
/// URLs (`//www.youtube.com/...`) become https.
fn video_link(src: &str) -> Option<String> {
    let src = if let Some(rest) = src.strip_prefix("//") {
        format!("https://{rest}")
    } else {
        src.to_string()
    };
    let url = match Url::parse(&src) {
        Ok(u) => u,
        Err(_) => BASE.with(|b| b.borrow().as_ref().and_then(|base| base.join(&src).ok()))?,
    };
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str().unwrap_or("").trim_start_matches("www.");
    let mut segments = url.path_segments().into_iter().flatten();
    match host {
        "youtube.com" | "youtube-nocookie.com" if segments.next() == Some("embed") => {
            if let Some(id) = segments.next().filter(|id| !id.is_empty()) {
                return Some(format!("https://www.youtube.com/watch?v={id}"));
            }
        }
        "player.vimeo.com" if segments.next() == Some("video") => {
            if let Some(id) = segments.next().filter(|id| !id.is_empty()) {
                return Some(format!("https://vimeo.com/{id}"));
            }
        }
        _ => {}
    }
    Some(url.into())
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::embeds_to_links;

    thread_local! {
        /// Bytes `find_ci` read on this thread.
        static SCANNED: Cell<usize> = const { Cell::new(0) };
    }

    pub(super) fn count(bytes: usize) {
        SCANNED.with(|c| c.set(c.get() + bytes));
    }

    #[test]
    fn many_embeds_are_rewritten_in_one_read_per_needle() {
        let one = r#"<p>x</p><iframe src="https://www.youtube.com/embed/abc"></iframe><video>"#;
        let html = format!(
            "{}<source src=\"https://v.example.org/v.mp4\">",
            one.repeat(5_000)
        );
        SCANNED.with(|c| c.set(0));
        let out = embeds_to_links(&html);
        assert_eq!(out.matches("watch?v=abc").count(), 5_000);
        assert_eq!(out.matches("v.example.org/v.mp4").count(), 5_000 + 1);
        // Four embed needles and `<source`, each read through the text once (searching every
        // needle again from each embed read about 15,000 × 370 KB here).
        let read = SCANNED.with(Cell::get);
        assert!(
            read <= 5 * html.len(),
            "{read} bytes read for {}",
            html.len()
        );
    }
}
