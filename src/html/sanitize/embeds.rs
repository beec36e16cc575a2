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
            return Some(at);
        }
        i = at + 1;
    }
    None
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
    loop {
        let next = EMBEDS
            .iter()
            .filter_map(|(t, attrs)| find_ci(html, t, pos).map(|i| (i, *t, *attrs)))
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
        if src.is_none() && name == "<video" {
            if let Some(s) = find_ci(html, "<source", at) {
                let (attrs, _) = tag_attributes(&html[s..]);
                src = attrs.into_iter().find(|(n, _)| n == "src").map(|(_, v)| v);
            }
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
