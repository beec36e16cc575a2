//! Excerpts: the opening of a post's plain text, cut on a boundary, for the stored summary and
//! the digest's cards. In every script: space-separated text is cut between words; text in a
//! script without spaces (Chinese, Japanese, Thai: see [`super::script`]) is cut after a
//! sentence end (`。！？`) when one is near, else at the character limit, never inside a Latin
//! word or between a letter and its combining marks. An excerpt of a text longer than its
//! budget is always shorter than the text and ends with `…`.

use super::script::{Class, class, has_unspaced};

/// Words in an entry's stored excerpt.
pub const EXCERPT_WORDS: usize = 60;

/// About `words` words of `text`, cut on a boundary, with `…` when cut. A character of a
/// script without spaces costs half a word (a word of Chinese or Japanese is one to two
/// characters long), so 60 words allow about 120 such characters.
pub fn excerpt(text: &str, words: usize) -> String {
    // ASCII text (the common case) splits on bytes; U+000B is the one ASCII character that
    // `char::is_whitespace` counts and `split_ascii_whitespace` does not.
    if text.is_ascii() && !text.contains('\x0b') {
        cut(text.split_ascii_whitespace(), words)
    } else if !has_unspaced(text) {
        cut(text.split_whitespace(), words)
    } else {
        cut_mixed(text, words)
    }
}

fn cut<'a>(split: impl Iterator<Item = &'a str>, words: usize) -> String {
    let mut out = String::new();
    for (count, word) in split.enumerate() {
        if count == words {
            return ellipsis(&out);
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// `kept` with trailing separators trimmed, then `…`.
fn ellipsis(kept: &str) -> String {
    let trimmed =
        kept.trim_end_matches([',', ';', ':', '-', '–', '—', '、', '，', '；', '：', ' ']);
    format!("{trimmed}…")
}

/// Characters that end a sentence.
fn ends_sentence(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '．' | '｡' | '!' | '?' | '.' | '…')
}

/// Closing brackets and quotes that belong to the sentence they follow (`。」`).
fn closes(c: char) -> bool {
    matches!(
        c,
        '」' | '』' | '）' | '】' | '〕' | '》' | '〉' | '"' | '\'' | ')' | '”' | '’' | '］'
    )
}

/// The excerpt of text holding characters of scripts without spaces. Costs in half words: a
/// run of other letters (a Latin word, a number) 2, a letter of such a script 1, punctuation and
/// combining marks 0. The text is cut before the first character that passes the budget; that
/// character always begins a word or is a letter by itself, so no word is split and combining
/// marks stay with their letter.
fn cut_mixed(text: &str, words: usize) -> String {
    let budget = words.saturating_mul(2);
    let mut cost = 0usize;
    let mut out = String::with_capacity(text.len().min(budget * 4 + 8));
    // Byte length of `out` after the last sentence end (with its closing quotes), and before
    // its last space (Thai writes spaces between phrases, not words).
    let mut sentence_end = None;
    let mut last_space = None;
    let mut in_word = false;
    let mut pending_space = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let kind = class(c);
        let price = match kind {
            // An excerpt's own `…` (a stored excerpt cut again for the digest) costs nothing.
            Class::Other if !in_word && c != '…' => 2,
            Class::Letter => 1,
            _ => 0,
        };
        if cost + price > budget {
            // Inside a run of letters without spaces the last space is a better cut than the
            // limit; anywhere else the cut already falls between words.
            let mid_run = kind == Class::Letter && !pending_space;
            return finish(&out, [sentence_end, last_space.filter(|_| mid_run)], budget);
        }
        cost += price;
        in_word = kind == Class::Other;
        if kind == Class::Space {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            last_space = Some(out.len());
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
        let next = chars.peek().copied();
        if ends_sentence(c) && next.is_none_or(|n| ends_here(c, n)) {
            while let Some(n) = chars.peek().copied().filter(|n| closes(*n)) {
                out.push(n);
                chars.next();
            }
            sentence_end = Some(out.len());
        }
    }
    out
}

/// Whether a sentence ends at `c`, followed by `next`: not before another terminator (`?!`),
/// and an ASCII one only before a space or a letter of a script without spaces (so `v1.2` and
/// `example.org` go on).
fn ends_here(c: char, next: char) -> bool {
    if ends_sentence(next) {
        return false;
    }
    !c.is_ascii() && c != '…' || class(next) != Class::Other || closes(next)
}

/// Where a cut excerpt ends: after the last sentence end, else before the last space, when
/// that keeps at least half of the budget's text; else where the budget ran out.
fn finish(out: &str, boundaries: [Option<usize>; 2], budget: usize) -> String {
    for end in boundaries.into_iter().flatten() {
        // Half the budget, measured in characters (a character costs at most one half word).
        if out[..end].chars().count() * 2 >= budget {
            return format!("{}…", out[..end].trim_end());
        }
    }
    ellipsis(out)
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

    #[test]
    fn chinese_is_cut_at_a_sentence_end_or_the_limit() {
        let sentence = "今天北京天气晴朗。";
        let text = sentence.repeat(30);
        // 10 words = 20 characters: two sentences of 8 letters fit, the third does not.
        assert_eq!(excerpt(&text, 10), format!("{}…", sentence.repeat(2)));
        // No sentence end within reach: cut at the limit.
        let run = "中".repeat(300);
        assert_eq!(excerpt(&run, 60), format!("{}…", "中".repeat(120)));
        // Shorter than the budget: whole.
        assert_eq!(excerpt(sentence, 60), sentence);
    }

    #[test]
    fn mixed_text_keeps_latin_words_whole() {
        let text = "今日はRustのasync/awaitについて書きます 詳しくは下の記事で";
        let e = excerpt(text, 5);
        // 今 日 は (3) Rust (2) の (1) async/await (2) に つ (2) = 10; い passes it.
        assert_eq!(e, "今日はRustのasync/awaitにつ…");
        let e = excerpt("Tokyo 東京 is big and busy", 3);
        assert_eq!(e, "Tokyo 東京 is…");
    }

    #[test]
    fn an_excerpt_cut_again_with_the_same_budget_stays_as_it_is() {
        let text = "今天北京天气晴朗。".repeat(30);
        let once = excerpt(&text, 60);
        assert_eq!(excerpt(&once, 60), once);
        let mixed =
            "Version 1.2 of the tool ships today. 新しい版では、起動が速くなりました。".repeat(8);
        let once = excerpt(&mixed, 20);
        assert_eq!(excerpt(&once, 20), once);
        // `1.2` and `tool.` inside a line do not end a sentence before a Latin letter.
        assert!(!once.ends_with("1.…"), "{once}");
    }

    #[test]
    fn closing_quotes_follow_the_sentence() {
        let text = format!("「{}。」{}", "あ".repeat(12), "い".repeat(40));
        assert_eq!(excerpt(&text, 10), format!("「{}。」…", "あ".repeat(12)));
    }

    #[test]
    fn thai_marks_stay_with_their_letter() {
        // สวัสดี: ส ว ั ส ด ี, marks U+0E31 and U+0E35 cost nothing.
        let text = "สวัสดี".repeat(10);
        let e = excerpt(&text, 2);
        assert_eq!(e, "สวัสดี…");
        assert!(e.chars().count() < text.chars().count());
        // Spaces separate Thai phrases: the cut falls on the last one when it is not too early.
        let phrases = "สวัสดีครับ ยินดีต้อนรับ ขอบคุณมาก".repeat(3);
        assert_eq!(excerpt(&phrases, 10), "สวัสดีครับ ยินดีต้อนรับ…");
    }
}
