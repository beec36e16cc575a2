//! The newline that opens a `<pre>`: the HTML parser drops one line feed right after `<pre>`,
//! and the standard's serialisation writes it back (an extra line feed when the text starts with
//! one); html5ever's serialiser does not. Without it, each cleaning removed a blank line opening
//! a code block, so cleaning was not idempotent (found by fuzzing).

/// `html` (serialised) with a line feed added after every `<pre ...>` whose text starts with
/// one; `html` itself when there is none.
pub(super) fn keep_pre_newline(html: String) -> String {
    let bytes = html.as_bytes();
    if memchr::memmem::find(bytes, b"<pre").is_none() {
        return html;
    }
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    // Text `<` is always written `&lt;`: a raw `<` opens a tag. html5ever 0.40 also escapes
    // `<` and `>` in attribute values; double-quoted values are skipped all the same, so a
    // serialiser that does not cannot make an `alt="<pre>"` grow.
    while let Some(p) = memchr::memchr(b'<', &bytes[i..]) {
        let at = i + p;
        let mut quoted = false;
        let end = bytes[at..]
            .iter()
            .position(|&b| {
                quoted ^= b == b'"';
                b == b'>' && !quoted
            })
            .map_or(bytes.len(), |e| at + e + 1);
        let pre =
            bytes[at..].starts_with(b"<pre") && matches!(bytes.get(at + 4), Some(b'>' | b' '));
        if pre && bytes.get(end) == Some(&b'\n') {
            out.push_str(&html[copied..end]);
            out.push('\n');
            copied = end;
        }
        i = end;
    }
    if copied == 0 {
        return html;
    }
    out.push_str(&html[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::super::sanitize;

    #[test]
    fn a_blank_line_opening_a_code_block_survives_every_cleaning() {
        let once = sanitize("<pre>\n\ncode\n</pre><pre title=\"a>b\">\nx</pre>", None);
        assert_eq!(
            once.as_str(),
            "<pre>\n\ncode\n</pre><pre title=\"a&gt;b\">x</pre>"
        );
        assert_eq!(sanitize(once.as_str(), None).as_str(), once.as_str());
        assert_eq!(sanitize("<p>pre\n</p>", None).as_str(), "<p>pre\n</p>");
        let alt = sanitize(
            "<img alt=\"<pre>\nx\" src=\"https://a.example/i.png\">",
            None,
        );
        assert_eq!(
            alt.as_str(),
            "<img alt=\"&lt;pre&gt;\nx\" src=\"https://a.example/i.png\">"
        );
    }
}
