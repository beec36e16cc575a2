//! Each rule of [`text_match`] on exact overlaps: where it holds, where it stops, and the
//! distance it reports.

use super::*;

const T: i64 = 1_795_000_000;

fn rec(feed: i64, title: &str, author: &str, published: i64) -> StoryRecord {
    StoryRecord {
        feed_id: feed,
        title: title.into(),
        author: Some(author.into()),
        published,
        ..StoryRecord::default()
    }
}

fn ov(shared: usize, left: usize, right: usize) -> Overlap {
    Overlap {
        shared,
        left,
        right,
    }
}

fn distance(a: &StoryRecord, b: &StoryRecord, o: Overlap) -> Option<f64> {
    text_match(a, b, &o).map(|d| (d * 1000.0).round() / 1000.0)
}

#[test]
fn never_within_one_feed() {
    let a = rec(1, "Same", "Ana", T);
    let b = rec(1, "Same", "Ana", T);
    assert_eq!(text_match(&a, &b, &ov(100, 100, 100)), None);
}

#[test]
fn rule_one_the_same_text() {
    let a = rec(1, "Scaling Blazor", "Ana Silva", T);
    // Resemblance 0.7 (70 shared of 100): titles alike, or authors alike, are enough.
    assert_eq!(
        distance(&a, &rec(2, "Scaling Blazor!", "Ben", T), ov(70, 85, 85)),
        Some(0.3)
    );
    assert_eq!(
        distance(&a, &rec(2, "Other words", "silva, ana", T), ov(70, 85, 85)),
        Some(0.3)
    );
    assert_eq!(
        distance(&a, &rec(2, "Other words", "Ben", T), ov(70, 85, 85)),
        None
    );
    // Resemblance 0.85: whatever the titles and authors, and however far apart in time.
    assert_eq!(
        distance(
            &a,
            &rec(2, "Other words", "Ben", T + 50 * DAY),
            ov(85, 92, 93)
        ),
        Some(0.15)
    );
    // Five shared shingles are too few for this rule, even all of them.
    assert_eq!(
        distance(&a, &rec(2, "Other words", "Ben", T), ov(5, 5, 5)),
        None
    );
    assert_eq!(
        distance(&a, &rec(2, "Other words", "Ben", T), ov(6, 6, 6)),
        Some(0.0)
    );
}

#[test]
fn rule_two_a_cut_copy_under_an_alike_title() {
    let a = rec(1, "Migrating to Aspire", "Ana", T);
    let b = rec(
        2,
        "Migrating to Aspire - DEV Community",
        "ana_dev",
        T + 2 * DAY,
    );
    // 20 of 22 sampled shingles of the summary in the post: containment 0.909.
    assert_eq!(distance(&a, &b, ov(20, 22, 200)), Some(0.091));
    assert_eq!(
        distance(&a, &b, ov(16, 20, 200)),
        Some(0.2),
        "containment 0.8"
    );
    assert_eq!(distance(&a, &b, ov(14, 20, 200)), None, "containment 0.7");
    assert_eq!(
        distance(&a, &b, ov(3, 3, 200)),
        None,
        "three shingles are too few"
    );
    let late = rec(
        2,
        "Migrating to Aspire - DEV Community",
        "ana_dev",
        T + 15 * DAY,
    );
    assert_eq!(distance(&a, &late, ov(20, 22, 200)), None, "15 days apart");
    let before = rec(
        2,
        "Migrating to Aspire - DEV Community",
        "ana_dev",
        T - 13 * DAY,
    );
    assert_eq!(
        distance(&a, &before, ov(20, 22, 200)),
        Some(0.091),
        "13 days before"
    );
}

#[test]
fn rule_three_the_same_title_needs_less() {
    let a = rec(1, "Automating MAUI", "Ana", T);
    let b = rec(2, "automating maui", "Ben", T + DAY);
    assert_eq!(
        distance(&a, &b, ov(12, 20, 100)),
        Some(0.4),
        "containment 0.6"
    );
    assert_eq!(distance(&a, &b, ov(11, 20, 100)), None, "containment 0.55");
    assert_eq!(
        distance(&a, &b, ov(7, 10, 100)),
        None,
        "seven shingles are too few"
    );
    let far = rec(2, "automating maui", "Ben", T + 20 * DAY);
    assert_eq!(distance(&a, &far, ov(12, 20, 100)), None, "20 days apart");
}

#[test]
fn rule_four_a_long_text_inside_another_whatever_the_title() {
    let a = rec(1, "A deep dive into ML.NET", "Ana", T);
    let b = rec(2, "Something else entirely", "Ben", T + DAY);
    assert_eq!(
        distance(&a, &b, ov(28, 30, 300)),
        Some(0.067),
        "containment 0.933"
    );
    assert_eq!(distance(&a, &b, ov(26, 30, 300)), None, "containment 0.867");
    assert_eq!(
        distance(&a, &b, ov(23, 23, 300)),
        None,
        "a text of 23 sampled shingles is too short"
    );
    assert_eq!(distance(&a, &b, ov(24, 24, 300)), Some(0.0));
}

#[test]
fn titles_and_bylines_that_name_the_same_thing() {
    assert!(titles_alike(
        "Migrating to Aspire",
        "Migrating to Aspire | Hashnode"
    ));
    assert!(titles_alike(
        "[Cross-post] Migrating to Aspire",
        "Migrating to Aspire"
    ));
    assert!(titles_alike("速い Rust", "速い rust"));
    assert!(
        !titles_alike("Weekly", "Weekly notes on Rust"),
        "one word is not enough"
    );
    // Near-identical titles of different posts are alike: their texts tell them apart.
    assert!(titles_alike(
        "What's new in Blazor 2026",
        "What's new in Kubernetes 2026"
    ));
    assert!(!titles_alike("Scaling Blazor", "Testing Kubernetes"));
    assert!(
        !titles_alike("Scaling Blazor", "Scaling Kubernetes"),
        "one word of three in common"
    );
    assert!(!titles_alike("", "Anything"));
    assert!(authors_alike(Some("Ana Silva"), Some("silva, ana")));
    assert!(
        authors_alike(Some("Ana Silva"), Some("ana_silva")),
        "a handle of the same words"
    );
    assert!(!authors_alike(Some("Ana Silva"), Some("Ana Costa")));
    assert!(!authors_alike(None, Some("Ana")));
    assert_eq!(title_key("Hello, World!  (2)"), "hello world 2");
}

#[test]
fn title_words_split_scripts_without_spaces_into_characters() {
    assert_eq!(title_words("Rust速い!"), ["rust", "速", "い"]);
    assert_eq!(title_words("速い Rust"), ["速", "い", "rust"]);
    assert_eq!(title_words("  Hello,  Wörld "), ["hello", "wörld"]);
    assert_eq!(title_words(""), Vec::<String>::new());
}
