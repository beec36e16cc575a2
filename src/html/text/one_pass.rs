//! Plain text of sanitised HTML in one pass over its bytes: the text of every stored entry, so
//! the hot path of normalising.

use super::{decode_one, is_block};

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

#[cfg(test)]
mod tests {
    use super::super::html_to_text;
    use super::*;

    #[test]
    fn sanitized_html_to_text_matches_the_parser() {
        let html = crate::html::sanitize::sanitize(
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
        let html =
            crate::html::sanitize::sanitize("<p>ab<b>cd</b> ef&amp;g  h\u{a0}i</p><p>j</p>", None);
        assert_eq!(sanitized_to_text(&html, 2), ("abcd ef&g".to_string(), 5));
        assert_eq!(
            sanitized_to_text(&html, 9),
            ("abcd ef&g h i j".to_string(), 5)
        );
        assert_eq!(html_to_text(html.as_str()), "abcd ef&g h i j");
    }
}

/// The one-pass text of sanitised HTML agrees with the parser's (proptest).
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::super::html_to_text;
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
            let clean = crate::html::sanitize::sanitize(&html, None);
            let parsed = html_to_text(clean.as_str());
            let all: Vec<&str> = parsed.split_whitespace().collect();
            let (text, count) = sanitized_to_text(&clean, keep);
            prop_assert_eq!(count, all.len());
            prop_assert_eq!(text, all[..keep.min(all.len())].join(" "));
        }
    }
}
