//! Text helpers of the digest: wrapping for the plain-text part, Markdown escaping, and the
//! organiser's Markdown intro note rendered to safe HTML and to readable plain text.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::domain::SanitizedHtml;

/// Text wrap width of the plain-text e-mail.
pub const TEXT_WIDTH: usize = 72;

/// Wraps `text` at `width` columns of display width (a CJK character takes two), prefixing
/// every line with `indent`: textwrap's first-fit algorithm (the greedy fill plain-text mail
/// has always had) over words of `words_of`. White space is collapsed first. A URL stays
/// whole on its own line even when longer than a line; any other word wider than a line is
/// broken between characters of scripts without spaces.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let collapsed = crate::html::text::collapse_whitespace(text);
    let avail = width
        .saturating_sub(textwrap::core::display_width(indent))
        .max(1);
    let words = words_of(&collapsed, avail);
    let mut out = String::with_capacity(collapsed.len() + 16);
    for line in textwrap::wrap_algorithms::wrap_first_fit(&words, &[avail as f64]) {
        if line.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(indent);
        for (i, word) in line.iter().enumerate() {
            out.push_str(word.word);
            if i + 1 < line.len() {
                out.push_str(word.whitespace);
            }
        }
    }
    out
}

/// Whether a space-separated token is a link, never to be broken.
fn is_url(token: &str) -> bool {
    token.contains("://") || token.starts_with("www.") || token.starts_with("mailto:")
}

/// The words of `collapsed` (white space already collapsed to single spaces) for wrapping at
/// `avail` columns: each space-separated token is a word; a token holding characters of a script
/// without spaces (Chinese, Japanese, Thai) is split where Unicode's line-breaking rules (UAX
/// #14, `unicode-linebreak`) allow, so no line starts with `。` or `、`; a piece still wider than
/// a line (a long Thai phrase) is cut between characters, never before a combining mark.
fn words_of(collapsed: &str, avail: usize) -> Vec<textwrap::core::Word<'_>> {
    use textwrap::core::Word;
    let mut words = Vec::new();
    let mut start = 0;
    while start < collapsed.len() {
        let end = collapsed[start..]
            .find(' ')
            .map_or(collapsed.len(), |p| start + p);
        // The token with its trailing space, which Word::from takes as its white space.
        let with_space = (end + 1).min(collapsed.len());
        let token = &collapsed[start..end];
        if is_url(token) || !crate::html::script::has_unspaced(token) {
            words.push(Word::from(&collapsed[start..with_space]));
        } else {
            let mut piece = start;
            for (at, _) in unicode_linebreak::linebreaks(token) {
                let at = start + at;
                if at > piece {
                    let stop = if at == end { with_space } else { at };
                    split_wide(&collapsed[piece..stop], avail, &mut words);
                    piece = at;
                }
            }
        }
        start = with_space.max(end + 1);
    }
    words
}

/// Pushes `piece` as one word, or as several cut between characters (never before a combining
/// mark) when it is wider than `avail`.
fn split_wide<'a>(piece: &'a str, avail: usize, words: &mut Vec<textwrap::core::Word<'a>>) {
    use crate::html::script::{Class, class};
    use textwrap::core::{Word, display_width};
    if display_width(piece.trim_end()) <= avail {
        words.push(Word::from(piece));
        return;
    }
    let (mut from, mut width) = (0, 0);
    for (i, c) in piece.char_indices() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if i > from && width + w > avail && class(c) != Class::Mark {
            words.push(Word::from(&piece[from..i]));
            (from, width) = (i, 0);
        }
        width += w;
    }
    words.push(Word::from(&piece[from..]));
}

/// Escapes text for Markdown: the characters that would start emphasis, links, headings, code,
/// lists, templates or HTML are backslash-escaped.
pub fn markdown_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`'
                | '*'
                | '_'
                | '['
                | ']'
                | '<'
                | '>'
                | '#'
                | '|'
                | '!'
                | '('
                | ')'
                | '~'
                | '{'
                | '}'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Replaces control characters (terminal escape sequences, stray NULs) with spaces and trims.
pub fn clean_line(s: &str) -> String {
    if s.chars().any(char::is_control) {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .trim()
            .to_string()
    } else {
        s.trim().to_string()
    }
}

/// A link fit for a reader: an absolute http(s) URL, re-serialised (so `"`, `<`, `>` and spaces
/// are percent-encoded); anything else (`javascript:`, `data:`, relative) is dropped.
pub fn safe_url(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

fn parser(markdown: &str) -> Parser<'_> {
    Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH)
}

/// The intro note as HTML: Markdown rendered by pulldown-cmark, then cleaned by the same
/// sanitiser as feed content (the organiser is trusted, but no script reaches a reader).
pub fn intro_html(markdown: &str) -> SanitizedHtml {
    let mut html = String::with_capacity(markdown.len() * 2);
    pulldown_cmark::html::push_html(&mut html, parser(markdown));
    crate::html::sanitize::sanitize(&html, None)
}

/// The intro note as plain text wrapped at [`TEXT_WIDTH`]: paragraphs, `- ` list items, and
/// links as `text [n]`, numbered from `first_number` (`None`: links keep only their text).
/// Returns the text and the links' URLs in order (links that are not http(s) keep their text
/// and get no number).
pub fn intro_text(markdown: &str, first_number: Option<usize>) -> (String, Vec<String>) {
    // (text, is a list item): list items follow each other without a blank line.
    let mut blocks: Vec<(String, bool)> = Vec::new();
    let mut current = String::new();
    let mut prefix: Option<&str> = None;
    let mut links = Vec::new();
    let mut link_stack: Vec<Option<String>> = Vec::new();
    let mut list_depth = 0usize;
    let mut in_code = false;
    let flush = |current: &mut String, prefix: Option<&str>, blocks: &mut Vec<(String, bool)>| {
        if current.trim().is_empty() {
            current.clear();
            return;
        }
        let block = match prefix {
            Some(p) => {
                let wrapped = wrap(current, TEXT_WIDTH, "    ");
                format!("{p}{}", wrapped.trim_start())
            }
            None => wrap(current, TEXT_WIDTH, ""),
        };
        blocks.push((block, prefix.is_some()));
        current.clear();
    };
    for event in parser(markdown) {
        match event {
            Event::Start(Tag::Item) => {
                flush(&mut current, prefix, &mut blocks);
                prefix = Some("  - ");
            }
            Event::Start(Tag::List(_)) => list_depth += 1,
            Event::End(TagEnd::List(_)) => {
                list_depth = list_depth.saturating_sub(1);
                flush(&mut current, prefix, &mut blocks);
                if list_depth == 0 {
                    prefix = None;
                }
            }
            Event::Start(Tag::CodeBlock(_)) => {
                flush(&mut current, prefix, &mut blocks);
                in_code = true;
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code = false;
                let code: Vec<String> = current
                    .lines()
                    .map(|l| format!("    {}", clean_line(l)))
                    .collect();
                blocks.push((code.join("\n"), false));
                current.clear();
            }
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => {
                flush(&mut current, prefix, &mut blocks);
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                link_stack.push(safe_url(&dest_url));
            }
            Event::End(TagEnd::Link) => {
                if let (Some(Some(url)), Some(first)) = (link_stack.pop(), first_number) {
                    links.push(url);
                    current.push_str(&format!(" [{}]", first + links.len() - 1));
                }
            }
            Event::Start(Tag::Image { .. }) => current.push_str("[image: "),
            Event::End(TagEnd::Image) => current.push(']'),
            Event::Text(t) | Event::Code(t) => {
                if in_code {
                    current.push_str(&t);
                } else {
                    current.extend(t.chars().map(|c| if c.is_control() { ' ' } else { c }));
                }
            }
            Event::SoftBreak | Event::HardBreak => current.push(' '),
            Event::Rule => {
                flush(&mut current, prefix, &mut blocks);
                blocks.push(("-".repeat(TEXT_WIDTH / 2), false));
            }
            // Raw HTML in the note has no place in plain text.
            _ => {}
        }
    }
    flush(&mut current, prefix, &mut blocks);
    let mut text = String::new();
    let mut previous_item = false;
    for (i, (block, item)) in blocks.iter().enumerate() {
        if i > 0 {
            text.push_str(if previous_item && *item { "\n" } else { "\n\n" });
        }
        text.push_str(block);
        previous_item = *item;
    }
    (text, links)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_respects_width_and_indent() {
        let text = "word ".repeat(40);
        let w = wrap(&text, 20, "    ");
        for line in w.lines() {
            assert!(line.chars().count() <= 20, "{line:?}");
            assert!(line.starts_with("    "));
        }
        assert_eq!(wrap("short", 72, ""), "short");
    }

    #[test]
    fn wrap_counts_display_width_in_every_script() {
        use unicode_width::UnicodeWidthStr;
        let ja = "先週の土曜日、第十二回の勉強会を渋谷の会議室で開きました。参加者は三十二人で、\
                  そのうち九人は初めての参加でした。";
        let w = wrap(ja, 20, "  ");
        assert_eq!(
            w,
            "  先週の土曜日、第十\n  二回の勉強会を渋谷\n  の会議室で開きまし\n  た。参加者は三十二\n  人で、そのうち九人\n  は初めての参加でし\n  た。"
        );
        assert!(w.lines().all(|l| l.width() <= 20), "{w}");
        // Mixed text: Latin words stay whole, a URL stays whole on its own line.
        let url = "https://example.jp/a-very-long-path/with-many-hyphenated-words-in-it";
        let mixed = format!("We met in 東京 to talk about Rust. 詳しくは {url} を見てください。");
        let w = wrap(&mixed, 30, "");
        assert_eq!(
            w,
            format!("We met in 東京 to talk about\nRust. 詳しくは\n{url}\nを見てください。")
        );
        // A Thai phrase wider than a line is cut, its marks kept with their letters.
        let th = "เมื่อวันเสาร์ที่ผ่านมาเราจัดงานพบปะนักพัฒนาครั้งที่ห้าที่ร้านกาแฟใกล้มหาวิทยาลัย";
        let w = wrap(th, 30, "");
        assert!(
            w.lines().count() > 1 && w.lines().all(|l| l.width() <= 30),
            "{w}"
        );
        assert_eq!(w.replace('\n', ""), th);
        for line in w.lines() {
            let first = line.chars().next().unwrap();
            assert_ne!(
                crate::html::script::class(first),
                crate::html::script::Class::Mark
            );
        }
        // Korean breaks at its spaces, two columns a syllable.
        // The last line is exactly 24 columns wide.
        let ko = "지난 석 달 동안 동네 도서관의 대출 현황을 보여 주는 작은 웹 서비스";
        assert_eq!(
            wrap(ko, 24, ""),
            "지난 석 달 동안 동네\n도서관의 대출 현황을\n보여 주는 작은 웹 서비스"
        );
    }

    #[test]
    fn markdown_escaping() {
        assert_eq!(
            markdown_escape("C# [tips] *now* <b> {{ x }}"),
            "C\\# \\[tips\\] \\*now\\* \\<b\\> \\{\\{ x \\}\\}"
        );
    }

    #[test]
    fn only_http_links_survive() {
        assert_eq!(safe_url("javascript:alert(1)"), None);
        assert_eq!(safe_url("/relative"), None);
        assert_eq!(
            safe_url("https://x.org/a b\"><img onerror=x>").as_deref(),
            Some("https://x.org/a%20b%22%3E%3Cimg%20onerror=x%3E")
        );
    }

    #[test]
    fn intro_html_is_markdown_without_script() {
        let html = intro_html(
            "Hello **all**!\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) \
             [ok](https://chronicle.test/) <img src=x onerror=alert(1)>",
        );
        let h = html.as_str();
        assert!(h.contains("<strong>all</strong>"), "{h}");
        assert!(h.contains("href=\"https://chronicle.test/\""), "{h}");
        assert!(!h.contains("<script") && !h.contains("javascript:") && !h.contains("onerror"));
    }

    #[test]
    fn intro_text_numbers_links_and_wraps() {
        let (text, links) = intro_text(
            "Welcome to **week 47**. Read [the meetup notes](https://example.org/notes) \
             and [this](javascript:alert(1)).\n\n- first point\n- second point with a \
             [link](https://example.org/2)\n",
            Some(1),
        );
        assert_eq!(
            links,
            ["https://example.org/notes", "https://example.org/2"]
        );
        assert!(text.contains("Welcome to week 47. Read the meetup notes [1] and this."));
        assert!(
            text.contains("  - first point\n  - second point with a link [2]"),
            "{text}"
        );
        assert!(text.lines().all(|l| l.chars().count() <= TEXT_WIDTH));
    }
}
