//! Excerpts: the first words of a post's plain text, cut on a boundary, for the stored summary
//! and the digest's cards.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_on_words() {
        assert_eq!(excerpt("one two three four", 2), "one two…");
        assert_eq!(excerpt("one two", 5), "one two");
        assert_eq!(excerpt("one, two, three", 2), "one, two…");
        assert_eq!(excerpt("un\u{2009}deux\u{a0}trois quatre", 2), "un deux…");
        assert_eq!(excerpt("a\x0bb\tc", 2), "a b…");
    }
}
