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
    let cleaned = super::sanitize::serialize(&STRIP.clean(&spaced));
    collapse_whitespace(&decode_serialized(&cleaned))
}

/// Plain text of sanitised HTML, in one pass without re-parsing: the sanitiser's output is
/// well-formed (no comments, no script or style, quoted attributes), so skipping tags and decoding
/// references is exact. Returns the first `keep_words` words of the text (block boundaries count
/// as spaces, white space collapsed) and the total word count. This runs on every entry, so it
/// works on bytes and allocates only the kept text.
pub fn sanitized_to_text(
    html: &crate::domain::SanitizedHtml,
    keep_words: usize,
) -> (String, usize) {
    let html = html.as_str();
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(keep_words.min(4096) * 8);
    let mut words = 0usize;
    let mut in_word = false;
    let push = |out: &mut String, c: char, words: &mut usize, in_word: &mut bool| {
        if c.is_whitespace() {
            *in_word = false;
        } else {
            if !*in_word {
                *in_word = true;
                *words += 1;
                if *words > 1 && *words <= keep_words {
                    out.push(' ');
                }
            }
            if *words <= keep_words {
                out.push(c);
            }
        }
    };
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => {
                let name_start = i + 1 + usize::from(bytes.get(i + 1) == Some(&b'/'));
                let mut name_end = name_start;
                // A block boundary matters only inside a word.
                if in_word {
                    name_end = bytes[name_start..]
                        .iter()
                        .position(|b| !b.is_ascii_alphanumeric())
                        .map_or(bytes.len(), |p| name_start + p);
                    if is_block(&bytes[name_start..name_end]) {
                        in_word = false;
                    }
                }
                // Skip to the tag's end, minding quoted attribute values (the serialiser
                // always writes `"`, and escapes `"` inside values).
                i = name_end;
                while let Some(p) = memchr::memchr2(b'"', b'>', &bytes[i..]) {
                    i += p;
                    if bytes[i] == b'>' {
                        break;
                    }
                    i += 1 + memchr::memchr(b'"', &bytes[i + 1..]).unwrap_or(bytes.len() - i - 1);
                    i += 1;
                }
                i += 1;
            }
            b'&' => {
                let (decoded, len) = decode_one(&html[i..]);
                for c in decoded.chars() {
                    push(&mut out, c, &mut words, &mut in_word);
                }
                i += len;
            }
            _ if words > keep_words => {
                // Past the kept words only the count matters.
                let end = memchr::memchr2(b'<', b'&', &bytes[i..]).map_or(bytes.len(), |p| i + p);
                let (starts, ends_in_word) = count_word_starts(&bytes[i..end], in_word);
                words += starts;
                in_word = ends_in_word;
                i = end;
            }
            _ => {
                // A text run among the kept words: copy whole words, not characters.
                let end = memchr::memchr2(b'<', b'&', &bytes[i..]).map_or(bytes.len(), |p| i + p);
                let run = &html[i..end];
                let rb = run.as_bytes();
                let mut j = 0;
                while j < rb.len() {
                    let (space, len) = space_at(run, j);
                    if space {
                        in_word = false;
                        j += len;
                        continue;
                    }
                    // A word starts here, or continues one begun before this run (as in
                    // `a<b>b</b>`); copy it whole.
                    if !in_word {
                        in_word = true;
                        words += 1;
                        if words > 1 && words <= keep_words {
                            out.push(' ');
                        }
                    }
                    let start = j;
                    j += len;
                    while j < rb.len() {
                        let (space, len) = space_at(run, j);
                        if space {
                            break;
                        }
                        j += len;
                    }
                    if words <= keep_words {
                        out.push_str(&run[start..j]);
                    }
                }
                i = end;
            }
        }
    }
    (out, words)
}

/// Whether the character at byte `j` of `run` is white space, and its length: ASCII decided on
/// the byte, other characters decoded (U+2009, a thin space, is white space).
fn space_at(run: &str, j: usize) -> (bool, usize) {
    match run.as_bytes()[j] {
        b @ 0..0x80 => (ascii_space(b), 1),
        _ => run[j..]
            .chars()
            .next()
            .map_or((false, 1), |c| (c.is_whitespace(), c.len_utf8())),
    }
}

/// The ASCII characters `char::is_whitespace` accepts.
fn ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// Words starting in `run` (a text run without markup), given whether the text before it ended
/// inside a word; and whether `run` ends inside one. A word starts at a byte that is not ASCII
/// white space after one that is (UTF-8 continuation bytes are never ASCII). No loop-carried
/// state, so the count vectorises.
fn count_word_starts(run: &[u8], in_word: bool) -> (usize, bool) {
    let space = ascii_space;
    let (Some(&first), Some(&last)) = (run.first(), run.last()) else {
        return (0, in_word);
    };
    let mut starts = usize::from(!in_word && !space(first));
    for (before, here) in run.chunks(255).zip(run[1..].chunks(255)) {
        let n = before
            .iter()
            .zip(here)
            .map(|(&b, &h)| u8::from(space(b) & !space(h)))
            .fold(0u8, u8::wrapping_add);
        starts += usize::from(n);
    }
    (starts, !space(last))
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

/// About `words` words of `text`, cut on a word boundary, with `…` when cut.
pub fn excerpt(text: &str, words: usize) -> String {
    // ASCII text (the common case) splits on bytes; U+000B is the one ASCII character that
    // `char::is_whitespace` counts and `split_ascii_whitespace` does not.
    if text.is_ascii() && !text.contains('\x0b') {
        cut(text.split_ascii_whitespace(), words)
    } else {
        cut(text.split_whitespace(), words)
    }
}

fn cut<'a>(split: impl Iterator<Item = &'a str>, words: usize) -> String {
    let mut out = String::new();
    for (count, word) in split.enumerate() {
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
    fn sanitized_html_to_text_matches_the_parser() {
        let html = crate::ingest::sanitize::sanitize(
            r#"<p title="a > b">Fish &amp; <b>chips</b></p><ul><li>one</li><li>two&nbsp;2</li></ul><img alt="x" src="https://e.org/i.png">end"#,
            None,
        );
        let (text, words) = sanitized_to_text(&html, 100);
        assert_eq!(text, html_to_text(html.as_str()));
        assert_eq!(text, "Fish & chips one two 2 end");
        assert_eq!(words, 7);
        let (first, words) = sanitized_to_text(&html, 3);
        assert_eq!((first.as_str(), words), ("Fish & chips", 7));
    }

    #[test]
    fn words_run_across_inline_tags_and_stop_at_the_limit() {
        let html = crate::ingest::sanitize::sanitize(
            "<p>ab<b>cd</b> ef&amp;g  h\u{a0}i</p><p>j</p>",
            None,
        );
        assert_eq!(sanitized_to_text(&html, 2), ("abcd ef&g".to_string(), 5));
        assert_eq!(
            sanitized_to_text(&html, 9),
            ("abcd ef&g h i j".to_string(), 5)
        );
        assert_eq!(html_to_text(html.as_str()), "abcd ef&g h i j");
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

    #[test]
    fn excerpt_cuts_on_words() {
        assert_eq!(excerpt("one two three four", 2), "one two…");
        assert_eq!(excerpt("one two", 5), "one two");
        assert_eq!(excerpt("one, two, three", 2), "one, two…");
        assert_eq!(excerpt("un\u{2009}deux\u{a0}trois quatre", 2), "un deux…");
        assert_eq!(excerpt("a\x0bb\tc", 2), "a b…");
    }
}

/// The one-pass text of sanitised HTML agrees with the parser's (proptest).
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn fragment() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[a-zé]{1,8}",
            Just(" ".to_string()),
            Just("\n\t".to_string()),
            Just("&nbsp;".to_string()),
            Just("&amp;".to_string()),
            Just("&#8217;".to_string()),
            Just("<b>".to_string()),
            Just("</b>".to_string()),
            Just("<p>".to_string()),
            Just("</p>".to_string()),
            Just("<br>".to_string()),
            Just(r#"<a href="https://e.org/?a=1&amp;b=&quot;2&quot;" title="x > y">"#.to_string()),
            Just("</a>".to_string()),
            Just("<li>".to_string()),
        ];
        proptest::collection::vec(piece, 0..80).prop_map(|p| p.concat())
    }

    proptest! {
        #[test]
        fn one_pass_text_matches_the_parser(html in fragment(), keep in 0usize..30) {
            let clean = crate::ingest::sanitize::sanitize(&html, None);
            let parsed = html_to_text(clean.as_str());
            let all: Vec<&str> = parsed.split_whitespace().collect();
            let (text, count) = sanitized_to_text(&clean, keep);
            prop_assert_eq!(count, all.len());
            prop_assert_eq!(text, all[..keep.min(all.len())].join(" "));
        }
    }
}
