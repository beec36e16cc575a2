//! Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar,
//! Yi): how their characters count in word counts, excerpts and reading time.
//!
//! Where a script has no word separators, a word count counts its characters instead, the way
//! Miniflux's reading time does (miniflux/v2 `internal/reader/readingtime/readingtime.go`,
//! read at commit 106cdd09 of 2026-08-11: when more than half of the first 100 letters are
//! Han, Hangul, Hiragana, Katakana, Yi or Bopomofo, it counts runes at `cjk_reading_speed`,
//! default 500 a minute, else words at `default_reading_speed`, default 265). Unlike Miniflux,
//! mixed text (English with Japanese) is counted part by part: each run of letters between
//! spaces is one word and each character of a script without spaces is one more, so
//! `Rustは速い` counts 4. Korean is written with spaces between words, so Hangul counts in
//! words, like Latin.

use unicode_width::UnicodeWidthChar;

/// What a character is to counting and cutting text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// White space: ends a word.
    Space,
    /// A letter of a script written without spaces: counts as a word by itself.
    Letter,
    /// Punctuation of those scripts (`。`, `、`, `「`, fullwidth `！`) and their combining
    /// marks: ends a word, counts nothing.
    Mark,
    /// Anything else: part of a word of space-separated text.
    Other,
}

/// The class of `c`.
pub fn class(c: char) -> Class {
    if c.is_ascii() {
        return if c.is_ascii_whitespace() || c == '\x0b' {
            Class::Space
        } else {
            Class::Other
        };
    }
    if c.is_whitespace() {
        return Class::Space;
    }
    let u = c as u32;
    let unspaced = matches!(u,
        0x0E00..=0x0EFF            // Thai, Lao
        | 0x1000..=0x109F          // Myanmar
        | 0x1780..=0x17FF          // Khmer
        | 0x19E0..=0x19FF          // Khmer symbols
        | 0x3005..=0x3007          // 々 〆 〇
        | 0x3040..=0x30FF          // Hiragana, Katakana
        | 0x3100..=0x312F          // Bopomofo
        | 0x31A0..=0x31FF          // Bopomofo extended, Katakana extensions
        | 0x3400..=0x4DBF          // Han, extension A
        | 0x4E00..=0x9FFF          // Han
        | 0xA000..=0xA4CF          // Yi
        | 0xF900..=0xFAFF          // Han compatibility
        | 0xFF66..=0xFF9F          // half-width Katakana
        | 0x20000..=0x3FFFF // Han, extensions B and later
    );
    let mark = matches!(u,
        0x3000..=0x303F            // CJK symbols and punctuation
        | 0x30FB                   // ・
        | 0xFE30..=0xFE4F          // CJK compatibility forms
        | 0xFF01..=0xFF0F          // fullwidth ! " # ... /
        | 0xFF1A..=0xFF20          // fullwidth : ; < = > ? @
        | 0xFF3B..=0xFF40
        | 0xFF5B..=0xFF65
    );
    if mark && !(0x3005..=0x3007).contains(&u) {
        Class::Mark
    } else if unspaced {
        // Combining marks (Thai vowels and tone marks, the kana voicing marks) belong to the
        // letter before them.
        if c.width() == Some(0) {
            Class::Mark
        } else {
            Class::Letter
        }
    } else {
        Class::Other
    }
}

/// Whether a byte of UTF-8 may begin a character of class [`Class::Letter`] or
/// [`Class::Mark`]: the lead bytes of U+0800–U+1FFF, U+3000–U+AFFF, U+F000–U+FFFF and
/// U+10000 and above. Two-byte characters (accented Latin, Greek, Cyrillic, Hebrew, Arabic),
/// general punctuation (`’`, `—`, `…`, lead byte 0xE2) and Hangul syllables (0xEB–0xED) never
/// do, so space-separated text skips the character-by-character path.
#[inline]
pub fn may_be_unspaced(b: u8) -> bool {
    (b >= 0xE0) & (b != 0xE2) & !matches!(b, 0xEB..=0xEE)
}

/// Whether `s` holds any character that counts by itself ([`Class::Letter`]) or punctuation of
/// those scripts.
pub fn has_unspaced(s: &str) -> bool {
    s.bytes().any(may_be_unspaced)
        && s.chars()
            .any(|c| matches!(class(c), Class::Letter | Class::Mark))
}

/// Words in `text`: every run of [`Class::Other`] characters, plus every [`Class::Letter`].
pub fn count_words(text: &str) -> usize {
    let mut count = 0;
    let mut in_word = false;
    for c in text.chars() {
        match class(c) {
            Class::Other => {
                count += usize::from(!in_word);
                in_word = true;
            }
            Class::Letter => {
                count += 1;
                in_word = false;
            }
            Class::Space | Class::Mark => in_word = false,
        }
    }
    count
}

/// Whether `text` reads as a script without spaces: more than half of its first 100 letters
/// are [`Class::Letter`] (Miniflux's rule, which looks at the first 100 letters).
pub fn mostly_unspaced(text: &str) -> bool {
    let (mut letters, mut unspaced) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()).take(100) {
        letters += 1;
        unspaced += usize::from(class(c) == Class::Letter);
    }
    unspaced * 2 > letters
}

/// Words a minute in space-separated text (about the 228 of English readers measured by
/// Trauzettel-Klosinski and Dietz's IReST study, 2012; Miniflux's default is 265).
pub const WORDS_PER_MINUTE: u64 = 230;

/// Characters a minute in scripts without spaces: Miniflux's `cjk_reading_speed` default (also
/// Medium's figure for Chinese, Japanese and Korean).
pub const CHARACTERS_PER_MINUTE: u64 = 500;

/// Minutes to read a post of `word_count` words (as counted by [`count_words`]), at least one:
/// at [`CHARACTERS_PER_MINUTE`] when `sample` (the post's opening, e.g. its excerpt) is mostly
/// in a script without spaces, else at [`WORDS_PER_MINUTE`].
pub fn reading_minutes(word_count: u64, sample: &str) -> u32 {
    let rate = if sample.bytes().any(may_be_unspaced) && mostly_unspaced(sample) {
        CHARACTERS_PER_MINUTE
    } else {
        WORDS_PER_MINUTE
    };
    u32::try_from(word_count.div_ceil(rate).max(1)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(class('a'), Class::Other);
        assert_eq!(class('é'), Class::Other);
        assert_eq!(class('’'), Class::Other);
        assert_eq!(class('한'), Class::Other);
        assert_eq!(class('\u{2009}'), Class::Space);
        assert_eq!(class('\x0b'), Class::Space);
        for c in ['中', 'ひ', 'カ', 'ー', '々', 'ก', '𠀋', 'ｶ'] {
            assert_eq!(class(c), Class::Letter, "{c}");
        }
        for c in [
            '。', '、', '「', '」', '！', '？', '・', '\u{0E34}', '\u{3099}',
        ] {
            assert_eq!(class(c), Class::Mark, "{c:?}");
        }
    }

    #[test]
    fn lead_bytes_cover_every_letter_and_mark() {
        for u in 0x80..0x3_0000u32 {
            let Some(c) = char::from_u32(u) else { continue };
            if matches!(class(c), Class::Letter | Class::Mark) {
                let mut buf = [0u8; 4];
                let lead = c.encode_utf8(&mut buf).as_bytes()[0];
                assert!(may_be_unspaced(lead), "U+{u:04X}");
            }
        }
    }

    #[test]
    fn words_and_characters() {
        assert_eq!(count_words("one two  three"), 3);
        assert_eq!(count_words("Rustは速い。"), 4);
        assert_eq!(count_words("今日は、晴れ。"), 5);
        assert_eq!(count_words("안녕하세요 세계"), 2);
        assert_eq!(count_words("สวัสดี"), 4);
        assert_eq!(count_words("「東京」と iPhone 15"), 5);
    }

    #[test]
    fn reading_time_by_script() {
        assert_eq!(reading_minutes(0, ""), 1);
        assert_eq!(reading_minutes(460, "plain English words"), 2);
        assert_eq!(reading_minutes(461, "plain English words"), 3);
        assert_eq!(
            reading_minutes(2700, "中国新闻网报道，今天北京天气晴朗。"),
            6
        );
        // Mostly English with a Japanese name: read as English.
        assert_eq!(
            reading_minutes(600, "We met the 東京 team at the conference"),
            3
        );
        assert!(mostly_unspaced(
            "日本語の文章です。とても長い文です。Some English."
        ));
        assert!(!mostly_unspaced("日本語の文章です。Some English."));
        assert!(!mostly_unspaced("Some English text. 日本"));
    }
}
