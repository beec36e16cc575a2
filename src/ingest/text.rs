//! Plain text out of HTML: titles, excerpts, reading time.

use std::collections::HashSet;
use std::sync::LazyLock;

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
    let cleaned = STRIP.clean(&spaced).to_string();
    collapse_whitespace(&decode_serialized(&cleaned))
}

/// Decodes HTML character references (`&nbsp;`, `&eacute;`, `&#8217;`, `&#x2019;`) in plain
/// text; an unknown one is kept as written.
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map(|j| j + 1);
        let decoded = match end {
            Some(end) if rest[end..].starts_with(';') && end > 1 => {
                let name = &rest[1..end];
                let ch = if let Some(num) = name.strip_prefix('#') {
                    let n = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => num.parse::<u32>().ok(),
                    };
                    n.and_then(char::from_u32).map(String::from)
                } else {
                    quick_xml::escape::resolve_html5_entity(name).map(str::to_string)
                };
                ch.map(|c| (c, end + 1))
            }
            _ => None,
        };
        match decoded {
            Some((c, len)) => {
                out.push_str(&c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
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

/// About `words` words of `text`, cut on a word boundary, with `…` when cut.
pub fn excerpt(text: &str, words: usize) -> String {
    let mut out = String::new();
    for (count, word) in text.split_whitespace().enumerate() {
        if count == words {
            let trimmed = out.trim_end_matches([',', ';', ':', '-', '–', '—']);
            return format!("{trimmed}…");
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Minutes to read `text` at 230 words a minute, at least one.
pub fn reading_minutes(text: &str) -> u32 {
    let words = text.split_whitespace().count();
    (words.div_ceil(230)).max(1) as u32
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
    fn entities_in_plain_text() {
        assert_eq!(
            decode_entities("a&nbsp;b &eacute; &#8217; &#x2019; &bogus; & x"),
            "a\u{a0}b é ’ ’ &bogus; & x"
        );
    }

    #[test]
    fn excerpt_cuts_on_words() {
        assert_eq!(excerpt("one two three four", 2), "one two…");
        assert_eq!(excerpt("one two", 5), "one two");
        assert_eq!(excerpt("one, two, three", 2), "one, two…");
    }

    #[test]
    fn reading_time() {
        assert_eq!(reading_minutes(""), 1);
        assert_eq!(reading_minutes(&"w ".repeat(460)), 2);
        assert_eq!(reading_minutes(&"w ".repeat(461)), 3);
    }
}
