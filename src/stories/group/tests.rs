use super::*;
use crate::domain::Sketch;
use crate::stories::sketch::sketch;

const DAY: i64 = 86_400;

fn rec(id: i64, feed: i64, url: &str) -> StoryRecord {
    StoryRecord {
        id,
        feed_id: feed,
        norm_url: Some(url.to_string()),
        title: format!("Post {id}"),
        published: id * 100,
        first_seen: id * 100,
        ..StoryRecord::default()
    }
}

/// Distinct text of about `words` words, different for every `seed`.
fn prose(seed: u64, words: usize) -> String {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..words)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            format!("w{}", x % 5000)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn text_rec(id: i64, feed: i64, title: &str, text: &str) -> StoryRecord {
    StoryRecord {
        title: title.into(),
        sketch: sketch(text),
        ..rec(id, feed, &format!("https://f{feed}.org/{id}"))
    }
}

fn originals(changes: &[(i64, StoryLink)]) -> Vec<(i64, Option<i64>)> {
    changes.iter().map(|(id, l)| (*id, l.original)).collect()
}

#[test]
fn same_link_earliest_wins_and_says_why() {
    let recs = vec![
        rec(1, 1, "https://a.org/x"),
        rec(2, 2, "https://a.org/x"),
        rec(3, 3, "https://b.org/y"),
    ];
    let changes = assign(&recs, &[]);
    assert_eq!(originals(&changes), vec![(2, Some(1))]);
    assert_eq!(changes[0].1.rule, Some(StoryRule::SameLink));
    assert_eq!((changes[0].1.via, changes[0].1.distance), (Some(1), None));
}

#[test]
fn the_authors_own_post_is_the_original_even_when_later() {
    let mut cross = rec(1, 1, "https://dev.to/ana/x");
    cross.canonical_url = Some("https://ana.org/x".into());
    let own = rec(2, 2, "https://ana.org/x");
    let changes = assign(&[cross, own], &[]);
    assert_eq!(originals(&changes), vec![(1, Some(2))]);
    assert_eq!(changes[0].1.rule, Some(StoryRule::Canonical));
}

#[test]
fn a_sent_story_keeps_its_original() {
    let mut cross = rec(1, 1, "https://dev.to/ana/x");
    cross.canonical_url = Some("https://ana.org/x".into());
    cross.sent_at = Some(5);
    let own = rec(2, 2, "https://ana.org/x");
    assert_eq!(originals(&assign(&[cross, own], &[])), vec![(2, Some(1))]);
}

/// Regression (issue 10): "What I learned building Aspire" was made a copy of "A deep dive into
/// ML.NET" because both open with the same series paragraphs.
#[test]
fn distinct_posts_sharing_a_series_opening_stay_apart() {
    let opening = prose(1, 150);
    let recs: Vec<StoryRecord> = (0..4)
        .map(|i| {
            text_rec(
                i + 1,
                i + 1,
                &format!("Title {i}"),
                &format!("{opening} {}", prose(10 + i as u64, 150)),
            )
        })
        .collect();
    assert_eq!(assign(&recs, &[]), vec![]);
    // Two posts only (no third to call it boilerplate): half their text in common is not enough.
    assert_eq!(assign(&recs[..2], &[]), vec![]);
}

#[test]
fn a_copy_with_a_new_footer_or_cut_to_its_start_joins_its_original() {
    let body = prose(3, 600);
    let own = text_rec(1, 1, "Migrating to Aspire", &body);
    let footer = text_rec(
        2,
        2,
        "Migrating to Aspire - DEV Community",
        &format!("{body} {}", prose(4, 40)),
    );
    let first: String = body.split(' ').take(80).collect::<Vec<_>>().join(" ");
    let cut = text_rec(
        3,
        3,
        "Migrating to Aspire",
        &format!("{first} Continue reading"),
    );
    let changes = assign(&[own, footer, cut], &[]);
    assert_eq!(originals(&changes), vec![(2, Some(1)), (3, Some(1))]);
    assert!(changes.iter().all(|c| c.1.rule == Some(StoryRule::Text)));
    let d = changes[0].1.distance.unwrap();
    assert!(
        (0.0..0.15).contains(&d),
        "a footer of 40 words in 640: distance {d}"
    );
}

/// Regression: a three-paragraph post whose last paragraph was rewritten on dev.to.
#[test]
fn a_short_post_with_a_rewritten_last_paragraph_joins_under_the_same_title() {
    let (p1, p2) = (prose(5, 60), prose(6, 90));
    let own = text_rec(
        1,
        1,
        "Automating MAUI",
        &format!("{p1} {p2} {}", prose(7, 119)),
    );
    let copy = text_rec(
        2,
        2,
        "Automating MAUI",
        &format!("{p1} {p2} {}", prose(8, 51)),
    );
    assert_eq!(
        originals(&assign(&[own.clone(), copy.clone()], &[])),
        vec![(2, Some(1))]
    );
    // Another title: not enough.
    let retitled = StoryRecord {
        title: "Something else".into(),
        ..copy
    };
    assert_eq!(assign(&[own, retitled], &[]), vec![]);
}

#[test]
fn near_identical_posts_of_one_feed_are_two_posts() {
    let body = prose(9, 300);
    let a = text_rec(1, 1, "Weekly notes 1", &body);
    let b = text_rec(
        2,
        1,
        "Weekly notes 2",
        &format!("{body} one more line here"),
    );
    assert_eq!(assign(&[a, b], &[]), vec![]);
}

#[test]
fn texts_published_far_apart_need_the_same_text() {
    let body = prose(11, 400);
    let own = text_rec(1, 1, "Scaling Copilot", &body);
    let first: String = body.split(' ').take(100).collect::<Vec<_>>().join(" ");
    let mut cut = text_rec(2, 2, "Scaling Copilot", &first);
    cut.published = own.published + (crate::stories::rules::FUZZY_DAYS + 1) * DAY;
    assert_eq!(
        assign(&[own.clone(), cut], &[]),
        vec![],
        "a cut copy 15 days later"
    );
    let mut whole = text_rec(3, 2, "Another title", &body);
    whole.published = own.published + 40 * DAY;
    assert_eq!(
        originals(&assign(&[own, whole], &[])),
        vec![(3, Some(1))],
        "the same text, later"
    );
}

#[test]
fn a_split_entry_stays_apart_and_a_merge_joins_by_hand() {
    let a = rec(1, 1, "https://a.org/x");
    let b = rec(2, 2, "https://a.org/x");
    let c = rec(3, 3, "https://c.org/z");
    let apart = StoryOverride {
        entry_id: 2,
        other_id: 1,
        together: false,
    };
    assert_eq!(assign(&[a.clone(), b.clone(), c.clone()], &[apart]), vec![]);
    let merge = StoryOverride {
        entry_id: 1,
        other_id: 3,
        together: true,
    };
    let changes = assign(&[a, b, c], &[apart, merge]);
    // 1 joins 3 by hand (3 becomes the original); 2 stays apart from 1, so alone.
    assert_eq!(originals(&changes), vec![(1, Some(3))]);
    assert_eq!(changes[0].1.rule, Some(StoryRule::Manual));
}

#[test]
fn an_edited_copy_that_no_longer_matches_is_released() {
    let a = rec(1, 1, "https://a.org/x");
    let mut b = rec(2, 2, "https://b.org/other");
    b.link = StoryLink {
        original: Some(1),
        via: Some(1),
        rule: Some(StoryRule::SameLink),
        distance: None,
    };
    assert_eq!(assign(&[a, b], &[]), vec![(2, StoryLink::default())]);
}

#[test]
fn entries_without_text_are_never_matched_by_text() {
    let a = StoryRecord {
        sketch: Sketch::default(),
        title: "Same".into(),
        ..rec(1, 1, "https://a.org/1")
    };
    let b = StoryRecord {
        sketch: Sketch::default(),
        title: "Same".into(),
        ..rec(2, 2, "https://b.org/2")
    };
    assert_eq!(assign(&[a, b], &[]), vec![]);
}

#[test]
fn a_cut_copy_joins_within_fourteen_days_and_not_after() {
    let body = prose(21, 400);
    let first: String = body.split(' ').take(100).collect::<Vec<_>>().join(" ");
    let mut own = text_rec(1, 1, "Testing Blazor", &body);
    own.published = 1_795_000_000;
    let mut cut = text_rec(2, 2, "Testing Blazor", &first);
    cut.published = own.published + 13 * DAY;
    assert_eq!(
        originals(&assign(&[own.clone(), cut.clone()], &[])),
        vec![(2, Some(1))]
    );
    cut.published = own.published - 13 * DAY;
    assert_eq!(
        originals(&assign(&[own.clone(), cut.clone()], &[])),
        vec![(1, Some(2))],
        "either way round"
    );
    cut.published = own.published + 15 * DAY;
    assert_eq!(assign(&[own, cut], &[]), vec![]);
}
