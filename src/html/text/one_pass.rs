//! Plain text of sanitised HTML in one pass over its bytes: the text of every stored entry, so
//! the hot path of normalising.

use super::{decode_one, is_block};
use crate::html::script::{Class, class, may_be_unspaced};

/// The text being collected and counted.
struct Collect {
    /// The kept text.
    out: String,
    /// Words so far ([`count_words`](crate::html::script::count_words)'s words).
    words: usize,
    /// Words to keep.
    keep: usize,
    /// Inside a run of [`Class::Other`] characters (a word of space-separated text).
    in_word: bool,
    /// The last character was not white space (so a block boundary separates).
    after_text: bool,
    /// White space was seen since the last kept character.
    pending_space: bool,
}

impl Collect {
    fn space(&mut self) {
        self.in_word = false;
        self.after_text = false;
        self.pending_space = true;
    }

    /// Writes the pending separator and `s`, when still keeping.
    fn emit(&mut self, s: &str) {
        if self.words <= self.keep {
            if self.pending_space && !self.out.is_empty() {
                self.out.push(' ');
            }
            self.pending_space = false;
            self.out.push_str(s);
        }
    }

    /// One character of class `kind`.
    fn push(&mut self, c: char, kind: Class) {
        match kind {
            Class::Space => return self.space(),
            Class::Other => {
                self.words += usize::from(!self.in_word);
                self.in_word = true;
            }
            Class::Letter => {
                self.words += 1;
                self.in_word = false;
            }
            Class::Mark => self.in_word = false,
        }
        self.after_text = true;
        let mut buf = [0u8; 4];
        self.emit(c.encode_utf8(&mut buf));
    }
}

/// Plain text of sanitised HTML, in one pass without re-parsing: the sanitiser's output is
/// well-formed (no comments, no script or style, quoted attributes), so skipping tags and decoding
/// references is exact. Returns the first `keep_words` words of the text (block boundaries count
/// as spaces, white space collapsed) and the total word count, where a character of a script
/// written without spaces counts as a word ([`crate::html::script`]). This runs on every entry,
/// so it works on bytes and allocates only the kept text.
pub fn sanitized_to_text(
    html: &crate::domain::SanitizedHtml,
    keep_words: usize,
) -> (String, usize) {
    let html = html.as_str();
    let bytes = html.as_bytes();
    let mut st = Collect {
        out: String::with_capacity(keep_words.min(4096) * 8),
        words: 0,
        keep: keep_words,
        in_word: false,
        after_text: false,
        pending_space: false,
    };
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => {
                let name_start = i + 1 + usize::from(bytes.get(i + 1) == Some(&b'/'));
                let mut name_end = name_start;
                // A block boundary matters only right after text.
                if st.after_text {
                    name_end = bytes[name_start..]
                        .iter()
                        .position(|b| !b.is_ascii_alphanumeric())
                        .map_or(bytes.len(), |p| name_start + p);
                    if is_block(&bytes[name_start..name_end]) {
                        st.space();
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
                    st.push(c, class(c));
                }
                i += len;
            }
            _ if st.words > keep_words => {
                // Past the kept words only the count matters.
                let end = memchr::memchr2(b'<', b'&', &bytes[i..]).map_or(bytes.len(), |p| i + p);
                let (starts, ends_in_word, unspaced) =
                    count_word_starts(&bytes[i..end], st.in_word);
                let (starts, ends_in_word, ends_after_text) = if unspaced {
                    count_units(&html[i..end], st.in_word)
                } else {
                    (starts, ends_in_word, ends_in_word)
                };
                st.words += starts;
                st.in_word = ends_in_word;
                st.after_text = ends_after_text;
                i = end;
            }
            _ => {
                // A text run among the kept words: copy whole words, not characters.
                let end = memchr::memchr2(b'<', b'&', &bytes[i..]).map_or(bytes.len(), |p| i + p);
                i = keep_run(&mut st, &html[i..end], keep_words) + i;
            }
        }
    }
    (st.out, st.words)
}

/// Collects `run` (text without markup) while words are kept; returns the bytes consumed (all
/// of `run`, or up to the first word past the kept ones, whose rest the caller counts).
fn keep_run(st: &mut Collect, run: &str, keep_words: usize) -> usize {
    let rb = run.as_bytes();
    let mut j = 0;
    while j < rb.len() {
        if st.words > keep_words {
            return j;
        }
        let (kind, len) = class_at(run, j);
        match kind {
            Class::Space => st.space(),
            Class::Other => {
                // A word starts here, or continues one begun before this run (as in
                // `a<b>b</b>`); copy it whole.
                st.words += usize::from(!st.in_word);
                st.in_word = true;
                st.after_text = true;
                let start = j;
                j += len;
                while j < rb.len() {
                    let (kind, len) = class_at(run, j);
                    if kind != Class::Other {
                        break;
                    }
                    j += len;
                }
                st.emit(&run[start..j]);
                continue;
            }
            Class::Letter | Class::Mark => {
                let c = run[j..].chars().next().unwrap_or(' ');
                st.push(c, kind);
            }
        }
        j += len;
    }
    rb.len()
}

/// The class of the character at byte `j` of `run`, and its length: ASCII decided on the byte,
/// other characters decoded (U+2009, a thin space, is white space).
fn class_at(run: &str, j: usize) -> (Class, usize) {
    match run.as_bytes()[j] {
        b @ 0..0x80 => (
            if ascii_space(b) {
                Class::Space
            } else {
                Class::Other
            },
            1,
        ),
        _ => run[j..]
            .chars()
            .next()
            .map_or((Class::Other, 1), |c| (class(c), c.len_utf8())),
    }
}

/// Words starting in `run` (text without markup) when it may hold characters of scripts without
/// spaces, given whether the text before ended inside a word; whether it ends inside one, and
/// whether it ends after text (not white space).
fn count_units(run: &str, mut in_word: bool) -> (usize, bool, bool) {
    let mut starts = 0;
    let mut after_text = in_word;
    for c in run.chars() {
        let kind = class(c);
        match kind {
            Class::Other => starts += usize::from(!in_word),
            Class::Letter => starts += 1,
            Class::Space | Class::Mark => {}
        }
        in_word = kind == Class::Other;
        after_text = kind != Class::Space;
    }
    (starts, in_word, after_text)
}

/// The ASCII characters `char::is_whitespace` accepts.
fn ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// Words starting in `run` (a text run without markup), given whether the text before it ended
/// inside a word; whether `run` ends inside one; and whether it may hold a character of a script
/// without spaces (then the caller counts it with [`count_units`] instead). A word starts at a
/// byte that is not ASCII white space after one that is (UTF-8 continuation bytes are never
/// ASCII). No loop-carried state but the sums, so the count vectorises.
fn count_word_starts(run: &[u8], in_word: bool) -> (usize, bool, bool) {
    let space = ascii_space;
    let (Some(&first), Some(&last)) = (run.first(), run.last()) else {
        return (0, in_word, false);
    };
    let mut starts = usize::from(!in_word && !space(first));
    // Lead bytes of three- and four-byte characters, folded into the same pass (one compare a
    // byte); only a run that has one is searched for characters of scripts without spaces.
    let mut wide = first;
    for (before, here) in run.chunks(255).zip(run[1..].chunks(255)) {
        let (n, w) = before
            .iter()
            .zip(here)
            .fold((0u8, 0u8), |(n, w), (&b, &h)| {
                (n.wrapping_add(u8::from(space(b) & !space(h))), w.max(h))
            });
        starts += usize::from(n);
        wide = wide.max(w);
    }
    let unspaced = wide >= 0xE0 && run.iter().any(|&b| may_be_unspaced(b));
    (starts, !space(last), unspaced)
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
    fn characters_of_scripts_without_spaces_count_as_words() {
        let html = crate::html::sanitize::sanitize(
            "<p>今日は<b>Rust</b>の話。</p><p>東京&#12290;</p><p>한국어 문장</p>",
            None,
        );
        let (text, words) = sanitized_to_text(&html, 100);
        assert_eq!(text, html_to_text(html.as_str()));
        assert_eq!(text, "今日はRustの話。 東京。 한국어 문장");
        // 今 日 は Rust の 話 東 京 한국어 문장
        assert_eq!(words, 10);
        assert_eq!(sanitized_to_text(&html, 4), ("今日はRust".to_string(), 10));
        assert_eq!(
            sanitized_to_text(&html, 6),
            ("今日はRustの話。".to_string(), 10)
        );
        // Past the kept words the count goes on by characters.
        let long = format!("<p>{}</p><p>{}</p>", "word ".repeat(10), "漢字".repeat(50));
        let html = crate::html::sanitize::sanitize(&long, None);
        assert_eq!(
            sanitized_to_text(&html, 3),
            ("word word word".to_string(), 110)
        );
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
            Just("中文".to_string()),
            Just("。".to_string()),
            Just("「日本」".to_string()),
            Just("かな".to_string()),
            Just("สวัสดี".to_string()),
            Just("한국어".to_string()),
            Just("&#12290;".to_string()),
        ];
        proptest::collection::vec(piece, 0..80).prop_map(|p| p.concat())
    }

    /// The opening of `parsed` up to the first character that starts word `keep + 1`.
    fn kept_reference(parsed: &str, keep: usize) -> String {
        use crate::html::script::{Class, class};
        let (mut words, mut in_word) = (0, false);
        for (i, c) in parsed.char_indices() {
            let kind = class(c);
            words += match kind {
                Class::Other => usize::from(!in_word),
                Class::Letter => 1,
                _ => 0,
            };
            in_word = kind == Class::Other;
            if words > keep {
                return parsed[..i].trim_end().to_string();
            }
        }
        parsed.to_string()
    }

    proptest! {
        #[test]
        fn one_pass_text_matches_the_parser(html in fragment(), keep in 0usize..30) {
            let clean = crate::html::sanitize::sanitize(&html, None);
            let parsed = html_to_text(clean.as_str());
            let (text, count) = sanitized_to_text(&clean, keep);
            prop_assert_eq!(count, crate::html::script::count_words(&parsed));
            prop_assert_eq!(text, kept_reference(&parsed, keep));
        }
    }
}
