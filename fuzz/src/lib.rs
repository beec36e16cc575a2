//! Invariant checks shared by the fuzz targets: what must hold of the sanitiser's output beyond
//! "no panic". Cheap, hand-written scanners (the targets run them on every input), strict enough
//! that a script, a style, an event handler or a `javascript:` link reaching a reader fails.

/// Elements the sanitiser must never let through.
const FORBIDDEN: &[&str] = &[
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "form", "input", "button",
    "textarea", "select", "svg", "math", "template", "noscript", "base", "meta", "link", "video",
    "audio", "applet", "param",
];

/// Attributes that carry script or styling, or that leave the page's control.
fn forbidden_attribute(name: &str) -> bool {
    name.starts_with("on")
        || matches!(
            name,
            "style" | "formaction" | "action" | "srcdoc" | "xlink:href" | "background"
        )
}

/// Whether an URL attribute's value would run or embed something: only http(s), mailto and
/// relative references may remain.
fn dangerous_url(value: &str) -> bool {
    let v: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    match v.find(':') {
        Some(i) => {
            // Only `letter (letter | digit | + - .)*` before the colon is a scheme (the URL
            // standard); anything else makes the URL relative.
            let before = &v[..i];
            let scheme = before.starts_with(|c: char| c.is_ascii_alphabetic())
                && before
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            scheme && !matches!(before, "http" | "https" | "mailto")
        }
        None => false,
    }
}

/// Checks that `html` (sanitiser output, serialised by html5ever) contains no forbidden
/// element, no forbidden attribute and no script-capable URL. Panics with the reason.
pub fn assert_clean_html(html: &str) {
    let bytes = html.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        // Text `<` is always escaped as `&lt;` by the serialiser: a raw `<` starts markup.
        let start = i + 1;
        let closing = bytes.get(start) == Some(&b'/');
        let name_start = if closing { start + 1 } else { start };
        let mut j = name_start;
        while j < bytes.len() && !matches!(bytes[j], b' ' | b'\t' | b'\n' | b'\r' | b'/' | b'>') {
            j += 1;
        }
        let name = html[name_start..j].to_ascii_lowercase();
        assert!(
            !name.starts_with('!') && !name.starts_with('?'),
            "comment, doctype or processing instruction in output: {html:?}"
        );
        assert!(
            !FORBIDDEN.contains(&name.as_str()),
            "forbidden element <{name}> in output: {html:?}"
        );
        i = attributes(html, j, &name);
    }
}

/// Reads the attributes of a start tag from `i` to its `>`; returns the index after it.
fn attributes(html: &str, mut i: usize, element: &str) -> usize {
    let bytes = html.as_bytes();
    loop {
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r' | b'/') {
            i += 1;
        }
        if i >= bytes.len() {
            return i;
        }
        if bytes[i] == b'>' {
            return i + 1;
        }
        let name_start = i;
        while i < bytes.len() && !matches!(bytes[i], b'=' | b' ' | b'>' | b'/') {
            i += 1;
        }
        let name = html[name_start..i].to_ascii_lowercase();
        assert!(
            !forbidden_attribute(&name),
            "forbidden attribute {name} on <{element}>: {html:?}"
        );
        if bytes.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        // html5ever always double-quotes attribute values and escapes `"` inside them.
        assert_eq!(
            bytes.get(i),
            Some(&b'"'),
            "unquoted attribute value: {html:?}"
        );
        let value_start = i + 1;
        let end = html[value_start..]
            .find('"')
            .map(|e| value_start + e)
            .unwrap_or_else(|| panic!("unterminated attribute value: {html:?}"));
        let value = html[value_start..end].replace("&amp;", "&");
        let urls: Vec<&str> = match name.as_str() {
            // Candidates `url descriptor, url descriptor`; other URLs may hold commas.
            "srcset" => value
                .split(',')
                .map(|c| c.split_whitespace().next().unwrap_or(""))
                .collect(),
            "href" | "src" | "cite" | "poster" | "longdesc" => vec![value.as_str()],
            _ => Vec::new(),
        };
        for url in urls {
            assert!(
                !dangerous_url(url),
                "script-capable URL {url:?} in {name} of <{element}>: {html:?}"
            );
        }
        i = end + 1;
    }
}

/// Whether `s` has white space at either end or a run of two white-space characters: what
/// "white space collapsed" rules out.
pub fn assert_collapsed(s: &str, what: &str) {
    assert_eq!(s, s.trim(), "{what} not trimmed: {s:?}");
    let mut prev_space = false;
    for c in s.chars() {
        let space = c.is_whitespace();
        assert!(
            !(space && prev_space),
            "{what} has a run of white space: {s:?}"
        );
        prev_space = space;
    }
}

/// Lossy text of fuzz bytes: the parsers of text take `&str`, and the bytes a server or a file
/// sends are read lossily the same way by Chronicle.
pub fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_html_passes_and_dirty_html_fails() {
        assert_clean_html(
            r#"<p><a href="https://x.org/a:b" rel="noopener">x &lt;script&gt;</a></p>"#,
        );
        assert_clean_html(r#"<img src="/a.png" alt="<script>">"#);
        for bad in [
            "<script>x</script>",
            r#"<a href="javascript:alert(1)">x</a>"#,
            "<a href=\" JaVa\nscript:x\">x</a>",
            r#"<p onclick="x">x</p>"#,
            r#"<p style="x">x</p>"#,
            "<!-- x -->",
        ] {
            let caught = std::panic::catch_unwind(|| assert_clean_html(bad)).is_err();
            assert!(caught, "{bad}");
        }
    }
}
