//! Plain text out of HTML: titles, entity decoding, the one-pass text of stored entries.

use std::collections::HashSet;
use std::sync::LazyLock;

mod one_pass;

pub use one_pass::sanitized_to_text;

/// Strips every tag (dropping `<script>`/`<style>` with their content), decodes entities and
/// collapses white space. Block boundaries become spaces, so `<p>a</p><p>b</p>` reads `a b`.
pub fn html_to_text(html: &str) -> String {
    static STRIP: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
        let mut b = ammonia::Builder::empty();
        b.clean_content_tags(HashSet::from(["script", "style", "template", "noscript"]));
        b
    });
    if !html.contains(['<', '&']) {
        return collapse_whitespace(html);
    }
    let spaced = space_blocks(html);
    let cleaned = crate::html::sanitize::serialize(&STRIP.clean(&spaced));
    collapse_whitespace(&decode_serialized(&cleaned))
}

/// The text of the HTML named character reference `&name;`, from the HTML standard's table (as
/// html5ever's tokenizer uses it). quick-xml's own table has wrong values for some names (Greek
/// letters among them), so it is not used.
pub fn html_entity(name: &str) -> Option<String> {
    if name.len() > 40 {
        return None;
    }
    let key = format!("{name};");
    let &(a, b) = html5ever::data::NAMED_ENTITIES.get(key.as_str())?;
    let mut out = String::with_capacity(4);
    out.push(char::from_u32(a)?);
    if b != 0 {
        out.push(char::from_u32(b)?);
    }
    Some(out)
}

/// Decodes the character reference at the start of `s` (which starts with `&`): the text and
/// the bytes consumed; a lone `&` stays itself.
fn decode_one(s: &str) -> (std::borrow::Cow<'static, str>, usize) {
    let end = s[1..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
        .map(|j| j + 1);
    if let Some(end) = end.filter(|e| *e > 1 && s[*e..].starts_with(';')) {
        let name = &s[1..end];
        let decoded = if let Some(num) = name.strip_prefix('#') {
            let n = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => num.parse::<u32>().ok(),
            };
            n.and_then(char::from_u32)
                .map(|c| std::borrow::Cow::Owned(c.to_string()))
        } else {
            // The references a serialiser writes, without a table lookup or an allocation.
            match name {
                "amp" => Some(std::borrow::Cow::Borrowed("&")),
                "lt" => Some(std::borrow::Cow::Borrowed("<")),
                "gt" => Some(std::borrow::Cow::Borrowed(">")),
                "quot" => Some(std::borrow::Cow::Borrowed("\"")),
                "nbsp" => Some(std::borrow::Cow::Borrowed("\u{a0}")),
                "apos" => Some(std::borrow::Cow::Borrowed("'")),
                _ => html_entity(name).map(std::borrow::Cow::Owned),
            }
        };
        if let Some(d) = decoded {
            return (d, end + 1);
        }
    }
    (std::borrow::Cow::Borrowed("&"), 1)
}

/// Decodes HTML character references (`&nbsp;`, `&eacute;`, `&#8217;`, `&#x2019;`) in plain
/// text; an unknown one is kept as written.
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let (decoded, len) = decode_one(&rest[i..]);
        out.push_str(&decoded);
        rest = &rest[i + len..];
    }
    out.push_str(rest);
    out
}

/// Collapses runs of white space into one space and trims.
pub fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// html5ever's serializer escapes only these in text; undo them (`&amp;` last).
fn decode_serialized(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "td",
    "th",
    "table",
    "blockquote",
    "pre",
    "section",
    "article",
    "header",
    "footer",
    "figure",
    "figcaption",
    "dt",
    "dd",
    "hr",
    "img",
];

/// Whether a tag name (any case) is one of [`BLOCKS`], without allocating.
fn is_block(name: &[u8]) -> bool {
    let mut lower = [0u8; 10];
    if name.is_empty() || name.len() > lower.len() {
        return false;
    }
    for (l, b) in lower.iter_mut().zip(name) {
        *l = b.to_ascii_lowercase();
    }
    matches!(
        &lower[..name.len()],
        b"p" | b"div"
            | b"br"
            | b"li"
            | b"ul"
            | b"ol"
            | b"h1"
            | b"h2"
            | b"h3"
            | b"h4"
            | b"h5"
            | b"h6"
            | b"tr"
            | b"td"
            | b"th"
            | b"table"
            | b"blockquote"
            | b"pre"
            | b"section"
            | b"article"
            | b"header"
            | b"footer"
            | b"figure"
            | b"figcaption"
            | b"dt"
            | b"dd"
            | b"hr"
            | b"img"
    )
}

/// Puts a space before block-level tags so that words of adjacent blocks do not run together.
fn space_blocks(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + html.len() / 16);
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let tag = &rest[i + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if BLOCKS.contains(&name.as_str()) {
            out.push(' ');
        }
        out.push('<');
        rest = tag;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_and_decodes() {
        assert_eq!(
            html_to_text(
                "<p>Fish &amp; <b>chips</b></p><p>2 &lt; 3&nbsp;!</p><script>x()</script>"
            ),
            "Fish & chips 2 < 3 !"
        );
        assert_eq!(html_to_text("  plain\n text "), "plain text");
        assert_eq!(html_to_text("a<br>b"), "a b");
    }

    #[test]
    fn block_names_match_the_list() {
        for b in BLOCKS {
            assert!(
                is_block(b.as_bytes()) && is_block(b.to_uppercase().as_bytes()),
                "{b}"
            );
        }
        assert!(!is_block(b"span") && !is_block(b"") && !is_block(b"a"));
    }

    #[test]
    fn entities_in_plain_text() {
        assert_eq!(
            decode_entities("a&nbsp;b &eacute; &#8217; &#x2019; &bogus; & x &alpha;&chi;&Zeta;"),
            "a\u{a0}b é ’ ’ &bogus; & x αχΖ"
        );
    }
}
