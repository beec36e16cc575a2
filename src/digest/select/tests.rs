//! The pure part of selection: caps, picks, order and groups.

use chrono::{Duration, TimeZone, Utc};

use super::*;
use crate::domain::SanitizedHtml;

fn entry(id: i64, feed: i64, hours: i64, tags: &[&str]) -> Entry {
    let t = Utc.with_ymd_and_hms(2026, 11, 16, 0, 0, 0).unwrap() + Duration::hours(hours);
    Entry {
        id,
        feed_id: feed,
        feed_url: format!("https://blog{feed}.example.org/feed"),
        feed_title: format!("Blog {feed}"),
        guid: id.to_string(),
        url: Some(format!("https://blog{feed}.example.org/{id}")),
        title: format!("Post {id}"),
        author: None,
        published: t,
        updated: None,
        first_seen: t,
        summary: String::new(),
        content: SanitizedHtml::default(),
        word_count: 100,
        image_url: None,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        story: id,
    }
}

fn ids(s: &Selection) -> Vec<i64> {
    s.stories().map(|x| x.entry.id).collect()
}

fn rules() -> DigestSettings {
    DigestSettings::default()
}

#[test]
fn oldest_first_by_default_and_newest_when_asked() {
    let c = vec![
        entry(1, 1, 1, &[]),
        entry(2, 2, 2, &[]),
        entry(3, 1, 3, &[]),
    ];
    let s = arrange(
        c.clone(),
        vec![],
        &HashSet::new(),
        &HashMap::new(),
        &rules(),
    );
    assert_eq!(ids(&s), [1, 2, 3]);
    assert_eq!(s.groups.len(), 1);
    assert_eq!(s.groups[0].name, "");
    let r = DigestSettings {
        order: StoryOrder::Newest,
        ..rules()
    };
    let s = arrange(c, vec![], &HashSet::new(), &HashMap::new(), &r);
    assert_eq!(ids(&s), [3, 2, 1]);
}

#[test]
fn caps_cut_oldest_first_served_and_pins_survive_them() {
    let c: Vec<Entry> = (1..=10).map(|i| entry(i, i % 2, i, &[])).collect();
    let r = DigestSettings {
        max_stories: 4,
        max_per_blog: 2,
        ..rules()
    };
    // Pinned: entry 10 (blog 0) and an old entry from outside the window.
    let pinned = vec![entry(10, 0, 10, &[]), entry(99, 0, -200, &[])];
    let excluded: HashSet<i64> = [1].into();
    let s = arrange(c, pinned, &excluded, &HashMap::new(), &r);
    // Pins first (oldest first), then blog 1 fills its two places; blog 0 is full with pins.
    assert_eq!(ids(&s), [99, 10, 3, 5]);
    assert!(s.stories().take(2).all(|x| x.pinned));
    let skipped: Vec<(i64, SkipReason)> = s.skipped.clone();
    assert!(skipped.contains(&(1, SkipReason::Excluded)));
    for id in [2, 4, 6, 7, 8, 9] {
        assert!(skipped.contains(&(id, SkipReason::Cap)), "{id} cut");
    }
    assert!(
        !skipped.iter().any(|(id, _)| *id == 10),
        "pinned is not skipped"
    );
}

#[test]
fn pins_survive_caps_even_beyond_max_stories() {
    let pinned: Vec<Entry> = (1..=3).map(|i| entry(i, 1, i, &[])).collect();
    let r = DigestSettings {
        max_stories: 2,
        max_per_blog: 1,
        ..rules()
    };
    let s = arrange(
        vec![entry(4, 2, 4, &[])],
        pinned,
        &HashSet::new(),
        &HashMap::new(),
        &r,
    );
    assert_eq!(ids(&s), [1, 2, 3]);
    assert_eq!(s.skipped, [(4, SkipReason::Cap)]);
}

#[test]
fn excluded_wins_over_pinned() {
    let s = arrange(
        vec![entry(1, 1, 1, &[])],
        vec![entry(1, 1, 1, &[])],
        &[1].into(),
        &HashMap::new(),
        &rules(),
    );
    assert!(s.is_empty());
}

#[test]
fn grouping_by_blog_sorts_blogs_and_puts_picks_first() {
    let mut c = vec![
        entry(1, 2, 1, &[]),
        entry(2, 1, 2, &[]),
        entry(3, 2, 3, &[]),
    ];
    c[0].feed_title = "zeta".into();
    c[2].feed_title = "zeta".into();
    c[1].feed_title = "Alpha".into();
    let r = DigestSettings {
        group_by: GroupBy::Blog,
        ..rules()
    };
    let s = arrange(
        c,
        vec![entry(9, 3, 0, &[])],
        &HashSet::new(),
        &HashMap::new(),
        &r,
    );
    let names: Vec<&str> = s.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, [PICKS_GROUP, "Alpha", "zeta"]);
    assert_eq!(ids(&s), [9, 2, 1, 3]);
}

#[test]
fn grouping_by_tag_uses_blog_tags_then_post_tags_then_other_last() {
    let c = vec![
        entry(1, 1, 1, &["Rust"]),
        entry(2, 2, 2, &["  ", "Zig"]),
        entry(3, 3, 3, &[]),
        entry(4, 4, 4, &["ignored"]),
    ];
    let feed_tags: HashMap<i64, String> = [(4, "azure".to_string())].into();
    let r = DigestSettings {
        group_by: GroupBy::Tag,
        ..rules()
    };
    let s = arrange(c, vec![], &HashSet::new(), &feed_tags, &r);
    let groups: Vec<(&str, Vec<i64>)> = s
        .groups
        .iter()
        .map(|g| {
            (
                g.name.as_str(),
                g.stories.iter().map(|x| x.entry.id).collect(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            ("azure", vec![4]),
            ("Rust", vec![1]),
            ("Zig", vec![2]),
            (OTHER_GROUP, vec![3])
        ]
    );
}

#[test]
fn caps_cut_candidates_without_any_pin_and_every_story_goes_out_by_default() {
    let c: Vec<Entry> = (1..=6).map(|i| entry(i, 1 + i % 2, i, &[])).collect();
    // No cap (the default): all six.
    let s = arrange(
        c.clone(),
        vec![],
        &HashSet::new(),
        &HashMap::new(),
        &rules(),
    );
    assert_eq!((ids(&s), s.skipped.len()), (vec![1, 2, 3, 4, 5, 6], 0));
    // Two per blog: blog 2 holds 1 and 3, blog 1 holds 2 and 4; 5 and 6 are cut.
    let per_blog = DigestSettings {
        max_per_blog: 2,
        ..rules()
    };
    let s = arrange(
        c.clone(),
        vec![],
        &HashSet::new(),
        &HashMap::new(),
        &per_blog,
    );
    assert_eq!(ids(&s), [1, 2, 3, 4]);
    assert_eq!(s.skipped, vec![(5, SkipReason::Cap), (6, SkipReason::Cap)]);
    // Three in all.
    let total = DigestSettings {
        max_stories: 3,
        ..rules()
    };
    let s = arrange(c, vec![], &HashSet::new(), &HashMap::new(), &total);
    assert_eq!(ids(&s), [1, 2, 3]);
    assert_eq!(s.skipped.iter().map(|x| x.0).collect::<Vec<_>>(), [4, 5, 6]);
}
