//! Which stories a week's digest holds, and in what order.
//!
//! **The week.** A digest covers seven days in `digest.timezone`, starting on
//! `digest.week_starts` (see [`DigestWeek`] for how the week is named).
//!
//! **The rule.** A story belongs to the digest of the week in which it was published. A story
//! that missed its own week's digest — found after that digest was sent (a feed that was down, a
//! back-dated post, a blog added later), or held back because its week had fewer than
//! `digest.min_stories` stories — goes into the next digest built, unless it was published more
//! than `digest.grace_days` (default 14) before that digest's week starts. Precisely, the
//! candidates of week W are the stories (shown through their original; copies found on other
//! blogs are listed under it as "also on") that
//! 1. have a member — the original or a copy — that was published in W, or was published in
//!    the `grace_days` before W starts and first seen before W ended (so a copy found this week
//!    brings in its story even when the original is older, or its blog was added later: a merge
//!    never makes a post of the week disappear), and
//! 2. no sent digest has *settled*: carried, cut by a cap the organiser set, or excluded by the
//!    organiser — the story's entry or any copy of it (a story readers already got is never
//!    sent again, whichever of its entries went out).
//!
//! A digest is frozen when sending starts, and only frozen digests settle stories, so across
//! consecutive digests no story is lost within the grace period and none appears twice; a digest
//! rebuilt before it is sent simply takes the current candidates again.
//!
//! **The editor's hand.** Stories the organiser pinned into W come first (even from outside the
//! window, or cut from an earlier sent digest, but never one a sent digest carried) and are
//! never cut; excluded stories never appear.
//!
//! **Caps.** By default there is none: every story of the week goes out (the e-mail gives the
//! first `digest.featured` a full card and the rest a compact line, and links to the archive page
//! for what does not fit under Gmail's clipping size). Caps are the organiser's choice: taking the
//! other candidates oldest first, a story is cut when the digest already holds
//! `digest.max_stories` stories, or `digest.max_per_blog` stories of its blog (0: no limit, the
//! default for both). Pinned stories count towards both caps.
//!
//! **Order and groups.** Stories are ordered by publication time, `digest.order` = `oldest`
//! (default) or `newest` first, ties broken by id. `digest.group_by` = `none` gives one list,
//! pinned stories first; `blog` or `tag` gives a first group "Editor's picks" holding the pinned
//! stories, then one group per blog (by name) or per tag, in alphabetical order. A story's tag
//! is its blog's first tag from the organiser (`[[feeds]] tags`, alphabetically first), else the
//! post's own first category, else "Other", which comes last.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::Duration;

use crate::config::{DigestSettings, GroupBy, Settings, StoryOrder};
use crate::domain::{DigestWeek, Entry};
use crate::store::digest_edits::Pick;
use crate::store::digests::SkipReason;
use crate::store::{self, Pool, StoreError};

/// Name of the group of pinned stories when stories are grouped.
pub const PICKS_GROUP: &str = "Editor's picks";
/// Name of the group of stories without a tag.
pub const OTHER_GROUP: &str = "Other";

/// One selected story.
#[derive(Debug, Clone)]
pub struct Selected {
    /// The story's original entry.
    pub entry: Entry,
    /// Pinned by the organiser.
    pub pinned: bool,
}

/// A titled run of stories (the title is empty when stories are not grouped).
#[derive(Debug, Clone)]
pub struct Group {
    /// Heading: a blog, a tag, [`PICKS_GROUP`] or empty.
    pub name: String,
    /// The stories, in order.
    pub stories: Vec<Selected>,
}

/// What a week's digest holds.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// The stories, grouped and in order.
    pub groups: Vec<Group>,
    /// Candidates left out, and why (settled once the digest is sent).
    pub skipped: Vec<(i64, SkipReason)>,
}

impl Selection {
    /// All stories in reading order.
    pub fn stories(&self) -> impl Iterator<Item = &Selected> {
        self.groups.iter().flat_map(|g| g.stories.iter())
    }

    /// Number of stories.
    pub fn len(&self) -> usize {
        self.groups.iter().map(|g| g.stories.len()).sum()
    }

    /// Whether the digest holds no story.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Loads the candidates, the organiser's picks and the blogs' tags of `week`, and selects.
pub async fn select(
    pool: &Pool,
    settings: &Settings,
    week: DigestWeek,
) -> Result<Selection, StoreError> {
    let d = &settings.digest;
    let (start, end) = week.bounds(d.timezone.0, d.week_starts.0);
    let oldest = start - Duration::days(i64::from(d.grace_days));
    let candidates = store::entries::digest_candidates(pool, start, end, oldest).await?;
    let picks = store::digest_edits::picks(pool, week).await?;
    let pin_ids: Vec<i64> = picks
        .iter()
        .filter(|(_, p)| *p == Pick::Pin)
        .map(|(id, _)| *id)
        .collect();
    let excluded: HashSet<i64> = picks
        .iter()
        .filter(|(_, p)| *p == Pick::Exclude)
        .map(|(id, _)| *id)
        .collect();
    // A pinned entry that became a copy of another story stands for that story.
    let mut pinned = store::entries::by_ids(pool, &pin_ids).await?;
    let originals: Vec<i64> = pinned
        .iter()
        .filter(|e| e.story != e.id)
        .map(|e| e.story)
        .collect();
    pinned.retain(|e| e.story == e.id);
    pinned.extend(store::entries::by_ids(pool, &originals).await?);
    let pinned_ids: Vec<i64> = pinned.iter().map(|e| e.id).collect();
    // A pin brings back a story a sent digest cut or excluded, never one it carried.
    let settled = store::digests::settled(pool, &pinned_ids).await?;
    pinned.retain(|e| !settled.get(&e.id).is_some_and(|s| s.carried));
    // Candidates carried by a sent digest are already gone; those it cut or excluded go here.
    let candidate_ids: Vec<i64> = candidates.iter().map(|e| e.id).collect();
    let settled = store::digests::settled(pool, &candidate_ids).await?;
    let candidates = candidates
        .into_iter()
        .filter(|e| !settled.contains_key(&e.id))
        .collect();
    let tags: HashMap<i64, String> = store::feeds::list(pool)
        .await?
        .into_iter()
        .filter_map(|f| f.tags.first().cloned().map(|t| (f.id, t)))
        .collect();
    Ok(arrange(candidates, pinned, &excluded, &tags, d))
}

/// The pure part of [`select`]: caps, order and groups. `candidates` come oldest first;
/// `feed_tags` holds each blog's first organiser tag.
pub fn arrange(
    candidates: Vec<Entry>,
    mut pinned: Vec<Entry>,
    excluded: &HashSet<i64>,
    feed_tags: &HashMap<i64, String>,
    rules: &DigestSettings,
) -> Selection {
    let mut skipped = Vec::new();
    let mut seen: HashSet<i64> = HashSet::new();
    pinned.retain(|e| !excluded.contains(&e.id) && seen.insert(e.id));
    let mut per_blog: HashMap<i64, usize> = HashMap::new();
    for e in &pinned {
        *per_blog.entry(e.feed_id).or_default() += 1;
    }
    let mut total = pinned.len();
    let mut taken = Vec::new();
    for e in candidates {
        if seen.contains(&e.id) {
            continue;
        }
        if excluded.contains(&e.id) {
            skipped.push((e.id, SkipReason::Excluded));
            continue;
        }
        let blog = per_blog.entry(e.feed_id).or_default();
        let over_total = rules.max_stories > 0 && total >= rules.max_stories;
        if over_total || (rules.max_per_blog > 0 && *blog >= rules.max_per_blog) {
            skipped.push((e.id, SkipReason::Cap));
            continue;
        }
        *blog += 1;
        total += 1;
        seen.insert(e.id);
        taken.push(e);
    }
    let sort = |v: &mut Vec<Entry>| {
        v.sort_by_key(|e| (e.published, e.id));
        if rules.order == StoryOrder::Newest {
            v.reverse();
        }
    };
    sort(&mut pinned);
    sort(&mut taken);
    let as_selected = |v: Vec<Entry>, pinned: bool| -> Vec<Selected> {
        v.into_iter()
            .map(|entry| Selected { entry, pinned })
            .collect()
    };
    let mut groups = Vec::new();
    match rules.group_by {
        GroupBy::None => {
            let mut stories = as_selected(pinned, true);
            stories.extend(as_selected(taken, false));
            if !stories.is_empty() {
                groups.push(Group {
                    name: String::new(),
                    stories,
                });
            }
        }
        GroupBy::Blog | GroupBy::Tag => {
            if !pinned.is_empty() {
                groups.push(Group {
                    name: PICKS_GROUP.to_string(),
                    stories: as_selected(pinned, true),
                });
            }
            // Keyed by ("Other" last, name ignoring case, name): a deterministic order.
            let mut by_key: BTreeMap<(bool, String, String), Vec<Selected>> = BTreeMap::new();
            for entry in taken {
                let name = match rules.group_by {
                    GroupBy::Blog => entry.feed_title.clone(),
                    _ => group_tag(&entry, feed_tags),
                };
                by_key
                    .entry((name == OTHER_GROUP, name.to_lowercase(), name))
                    .or_default()
                    .push(Selected {
                        entry,
                        pinned: false,
                    });
            }
            groups.extend(
                by_key
                    .into_iter()
                    .map(|((_, _, name), stories)| Group { name, stories }),
            );
        }
    }
    Selection { groups, skipped }
}

fn group_tag(entry: &Entry, feed_tags: &HashMap<i64, String>) -> String {
    feed_tags
        .get(&entry.feed_id)
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .or_else(|| entry.tags.iter().map(|t| t.trim()).find(|t| !t.is_empty()))
        .map_or_else(|| OTHER_GROUP.to_string(), str::to_string)
}

#[cfg(test)]
mod tests;
