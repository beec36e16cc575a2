//! When two entries' texts are one article: the rules of [`text_match`], and the title and
//! author comparisons they lean on.
//!
//! Texts are compared by [`Overlap`] over their whole [`crate::domain::Sketch`]es, boilerplate
//! left out (see [`super::group`]). Three rules merge two entries of different feeds:
//! 1. **the same text**: at least [`SAME_TEXT`] of both texts in common (a cross-post with a
//!    changed first or last paragraph), when the titles or the authors agree, or at least
//!    [`IDENTICAL_TEXT`] whatever the titles (the same text, retitled); published within
//!    the grouping window;
//! 2. **a cut copy**: at least [`CUT_COPY`] of the shorter text found in the longer (a
//!    summary-only feed's first paragraphs, a copy that dropped its footer), when the titles
//!    agree, published within [`FUZZY_DAYS`];
//!    The same title (case and punctuation aside) needs only [`SAME_TITLE_COPY`] (a short post
//!    whose last paragraph was rewritten);
//! 3. **a long text found whole in another**: at least [`LONG_COPY`] of a shorter text with at
//!    least [`LONG_SHINGLES`] sampled shingles, within [`FUZZY_DAYS`]: retitled copies of long
//!    posts.
//!
//! Each rule also needs a minimum of shared shingles, so that two short notes never match by
//! chance. The thresholds were set on the labelled set in `tests/fixtures/stories/` (true
//! cross-posts in their real variants, and distinct posts sharing openings, closings, quotes and
//! templates); the README gives the figures.

use super::sketch::{Overlap, is_unspaced};
use crate::domain::StoryRecord;

/// Rule 1: resemblance needed when titles or authors agree.
pub const SAME_TEXT: f64 = 0.6;
/// Rule 1: resemblance needed whatever the titles.
pub const IDENTICAL_TEXT: f64 = 0.8;
/// Rule 2: containment needed when titles agree.
pub const CUT_COPY: f64 = 0.75;
/// Rule 2: containment needed when the titles are the same.
pub const SAME_TITLE_COPY: f64 = 0.6;
/// Rule 3: containment needed of a long text.
pub const LONG_COPY: f64 = 0.9;
/// Rule 3: sampled shingles the shorter text needs.
pub const LONG_SHINGLES: usize = 24;
/// Rules 2 and 3: most days between the two publication dates.
pub const FUZZY_DAYS: i64 = 14;

const DAY: i64 = 86_400;

/// Whether `a` and `b` (of different feeds) carry one article by their texts; returns the
/// distance (1 − the similarity that matched, 0 = identical).
pub fn text_match(a: &StoryRecord, b: &StoryRecord, ov: &Overlap) -> Option<f64> {
    if a.feed_id == b.feed_id {
        return None;
    }
    let close = (a.published - b.published).abs() <= FUZZY_DAYS * DAY;
    let (resemblance, containment) = (ov.resemblance(), ov.containment());
    let titles = titles_alike(&a.title, &b.title);
    let authors = authors_alike(a.author.as_deref(), b.author.as_deref());
    if ov.shared >= 6
        && (resemblance >= IDENTICAL_TEXT || (resemblance >= SAME_TEXT && (titles || authors)))
    {
        return Some(1.0 - resemblance);
    }
    if close && ov.shared >= 4 && titles && containment >= CUT_COPY {
        return Some(1.0 - containment);
    }
    if close
        && ov.shared >= 8
        && containment >= SAME_TITLE_COPY
        && title_key(&a.title) == title_key(&b.title)
    {
        return Some(1.0 - containment);
    }
    if close && ov.left.min(ov.right) >= LONG_SHINGLES && containment >= LONG_COPY {
        return Some(1.0 - containment);
    }
    None
}

/// The words of a title, lower-cased; each character of a script without spaces is a word.
pub fn title_words(title: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in title.chars() {
        if is_unspaced(c) {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            words.push(c.to_string());
        } else if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Two titles name one article: the same words, or at least half of their words in common, or
/// the words of one (two at least) all in the other ("X" and "X - DEV Community").
pub fn titles_alike(a: &str, b: &str) -> bool {
    use std::collections::HashSet;
    let (wa, wb) = (title_words(a), title_words(b));
    if wa.is_empty() || wb.is_empty() {
        return false;
    }
    if wa == wb {
        return true;
    }
    let (sa, sb): (HashSet<&str>, HashSet<&str>) = (
        wa.iter().map(String::as_str).collect(),
        wb.iter().map(String::as_str).collect(),
    );
    let common = sa.intersection(&sb).count();
    let smaller = sa.len().min(sb.len());
    common * 2 >= sa.len() + sb.len() - common || (smaller >= 2 && common == smaller)
}

/// Two bylines name one person: the same words, case and punctuation aside, in any order.
pub fn authors_alike(a: Option<&str>, b: Option<&str>) -> bool {
    let key = |s: &str| {
        let mut w = title_words(s);
        w.sort();
        w
    };
    match (a, b) {
        (Some(a), Some(b)) => {
            let (ka, kb) = (key(a), key(b));
            !ka.is_empty() && ka == kb
        }
        _ => false,
    }
}

/// The key under which titles count as the same for boilerplate (see [`super::group`]).
pub fn title_key(title: &str) -> String {
    title_words(title).join(" ")
}

#[cfg(test)]
mod tests;
