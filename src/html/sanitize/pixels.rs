//! Tracking pixels: 1×1 images and images of known tracker hosts, and images left without a
//! source.

use url::Url;

use super::tag_attributes;

/// Hosts (and their subdomains) that serve tracking pixels and nothing a reader wants to see.
const TRACKER_HOSTS: &[&str] = &[
    "feedproxy.google.com",
    "pixel.wp.com",
    "stats.wordpress.com",
    "google-analytics.com",
    "www.google-analytics.com",
    "ssl.google-analytics.com",
    "doubleclick.net",
    "pixel.quantserve.com",
    "feeds.wordpress.com",
    "pi.feedsportal.com",
    "da.feedsportal.com",
    "rss.feedsportal.com",
    "api.feedblitz.com",
    "assets.feedblitz.com",
    "pixel.mathtag.com",
    "b.scorecardresearch.com",
    "sb.scorecardresearch.com",
    "counter.yadro.ru",
    "ad.doubleclick.net",
    "ads.pheedo.com",
    "a.rfihub.com",
];

/// Whether an image URL points at a known tracker (`medium.com` only for its `/_/stat` path).
pub(super) fn is_tracker(src: &str) -> bool {
    let Ok(url) = Url::parse(src) else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    match host {
        "medium.com" => return url.path().starts_with("/_/stat"),
        "www.facebook.com" | "facebook.com" => return url.path() == "/tr",
        // FeedBurner's pixels live under /~r/, its share buttons under /~ff/.
        h if h.ends_with("feedburner.com") => {
            return url.path().starts_with("/~r/") || url.path().starts_with("/~ff/");
        }
        _ => {}
    }
    TRACKER_HOSTS
        .iter()
        .any(|t| host == *t || host.ends_with(&format!(".{t}")))
}

/// Whether a sanitised `<img ...>` tag is a tracking pixel (1×1 or smaller) or has no source.
fn is_pixel(tag: &str) -> bool {
    if tag.contains(" src=\"http") && !tag.contains("width=\"") && !tag.contains("height=\"") {
        // The common case, decided without parsing.
        return false;
    }
    let (attrs, _) = tag_attributes(tag);
    let get = |n: &str| attrs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let tiny = |v: Option<&str>| {
        v.and_then(|v| v.trim().trim_end_matches("px").parse::<u32>().ok())
            .is_some_and(|n| n <= 1)
    };
    get("src").is_none_or(|s| s.trim().is_empty()) || (tiny(get("width")) && tiny(get("height")))
}

/// The end of the tag starting at `i`: after the first `>` outside a double-quoted value.
/// html5ever 0.40 writes `>` in attribute values as `&gt;`, so the first `>` ends the tag today;
/// with a serialiser that does not, cutting at a `>` in an `alt` would remove `<img alt="` and
/// leave the rest of the value as markup. Hardening from the fuzzing audit; the test below pins
/// the behaviour.
fn tag_end(bytes: &[u8], i: usize) -> usize {
    let mut quoted = false;
    for (j, b) in bytes.iter().enumerate().skip(i) {
        match b {
            b'"' => quoted = !quoted,
            b'>' if !quoted => return j + 1,
            _ => {}
        }
    }
    bytes.len()
}

/// Removes tracking pixels and source-less images from sanitised HTML (whose `img` tags are
/// well-formed: `<img a="v" ...>`, double-quoted values). Returns `html` itself, uncopied, when
/// there is none (the common case).
pub(super) fn drop_pixels(html: String) -> String {
    let bytes = html.as_bytes();
    let tag_end = |i: usize| tag_end(bytes, i);
    if !memchr::memmem::find_iter(bytes, b"<img").any(|i| is_pixel(&html[i..tag_end(i)])) {
        return html;
    }
    let mut out = String::with_capacity(html.len());
    let mut pos = 0;
    while let Some(i) = memchr::memmem::find(&bytes[pos..], b"<img").map(|i| pos + i) {
        let end = tag_end(i);
        out.push_str(&html[pos..i]);
        if !is_pixel(&html[i..end]) {
            out.push_str(&html[i..end]);
        }
        pos = end;
    }
    out.push_str(&html[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::super::sanitize;

    #[test]
    fn a_dropped_image_never_leaves_its_attribute_value_as_markup() {
        // A `>` inside an attribute value must not end the tag: removing the image would leave
        // the rest of the value (here a script) as markup.
        let out = |html: &str| sanitize(html, None).into_string();
        assert_eq!(out(r#"<img alt="><script>alert(1)</script>">"#), "");
        assert_eq!(
            out(
                r#"<p><img alt="a>b<b>c</b>" width="1" height="1" src="https://a.example/p.gif">x</p>"#
            ),
            "<p>x</p>"
        );
        let kept = sanitize(r#"<img alt="1 > 0" src="https://a.example/i.png">"#, None);
        assert_eq!(
            kept.as_str(),
            r#"<img alt="1 &gt; 0" src="https://a.example/i.png">"#
        );
    }
}
