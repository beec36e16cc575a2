//! One story, however many feeds carry it.
//!
//! After each fetch run that stored something, the entries first seen in the recent window
//! ([`WINDOW_DAYS`]) are grouped into stories. Two entries are copies of one article when:
//! 1. their normalised links are equal ([`super::normalize::normalize_url`]: scheme, host case,
//!    `www.`, trailing slash, `index.html`, tracking parameters and fragment aside), which also
//!    covers one feed listed twice under two URLs; or
//! 2. one names the other as its original: its `rel=canonical` link or an "originally published
//!    at" link in its content is the other's normalised link (or both name the same original); or
//! 3. they come from different feeds, were published within [`FUZZY_DAYS`] of each other, and
//!    their text fingerprints (64-bit SimHash of word 3-shingles) differ in at most
//!    [`NEAR_DUPLICATE_BITS`] bits, or in at most [`SAME_TITLE_BITS`] bits when their titles are
//!    the same apart from case, punctuation and spacing.
//!
//! Matching is transitive. Each story keeps one original: an entry already sent in a digest (so a
//! sent story never comes back under another name), else the author's own post (the one whose
//! link the others name as canonical), else the earliest published (then first seen, then the
//! feed added first, then the lowest id). Every other entry records `duplicate_of` = the original, which digests show as
//! "also on ...". Matching is recomputed over the window on every run, so an edited post that no
//! longer matches becomes its own story again.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::fingerprint::{NEAR_DUPLICATE_BITS, SAME_TITLE_BITS, distance};
use crate::store::{self, Pool, StoreError};

/// Entries first seen this recently are grouped (a post is never published after it is first
/// seen, so this covers every post published in the window too).
pub const WINDOW_DAYS: i64 = 60;

/// Near-duplicate texts must have been published this close together.
pub const FUZZY_DAYS: i64 = 14;

/// What grouping needs to know of an entry.
#[derive(Debug, Clone)]
pub struct DedupRecord {
    /// Entry id.
    pub id: i64,
    /// Its feed.
    pub feed_id: i64,
    /// Normalised link.
    pub norm_url: Option<String>,
    /// Normalised canonical / "originally published at" link.
    pub canonical_url: Option<String>,
    /// Plain-text title.
    pub title: String,
    /// SimHash of the text, 0 when too short.
    pub fingerprint: u64,
    /// Publication time.
    pub published: i64,
    /// First-seen time.
    pub first_seen: i64,
    /// When a frozen digest holding it went out, if one did.
    pub sent_at: Option<i64>,
    /// Its current original, if it is a copy.
    pub duplicate_of: Option<i64>,
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb)] = ra.min(rb);
        }
    }
}

fn title_key(title: &str) -> String {
    let mut key = String::with_capacity(title.len());
    for word in title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !key.is_empty() {
            key.push(' ');
        }
        key.extend(word.chars().flat_map(char::to_lowercase));
    }
    key
}

/// Groups `records` into stories and returns, for every entry whose original changes, its new
/// `duplicate_of` (None for an original). Pure: the caller reads and writes the store.
pub fn assign(records: &[DedupRecord]) -> Vec<(i64, Option<i64>)> {
    let n = records.len();
    let mut uf = UnionFind((0..n).collect());
    let mut by_url: HashMap<&str, usize> = HashMap::with_capacity(n);
    for (i, r) in records.iter().enumerate() {
        if let Some(u) = r.norm_url.as_deref() {
            match by_url.get(u) {
                Some(&j) => uf.union(i, j),
                None => {
                    by_url.insert(u, i);
                }
            }
        }
    }
    let mut by_canonical: HashMap<&str, usize> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        if let Some(c) = r.canonical_url.as_deref() {
            if let Some(&j) = by_url.get(c) {
                uf.union(i, j);
            }
            match by_canonical.get(c) {
                Some(&j) => uf.union(i, j),
                None => {
                    by_canonical.insert(c, i);
                }
            }
        }
    }
    // Near-duplicates. Fingerprints within 3 bits share one of four 16-bit bands exactly
    // (pigeonhole), so only entries sharing a band, or a title, are compared.
    let fuzzy_secs = Duration::days(FUZZY_DAYS).num_seconds();
    let close = |a: &DedupRecord, b: &DedupRecord, bits: u32| {
        a.feed_id != b.feed_id
            && a.fingerprint != 0
            && b.fingerprint != 0
            && (a.published - b.published).abs() <= fuzzy_secs
            && distance(a.fingerprint, b.fingerprint) <= bits
    };
    let mut bands: HashMap<(u8, u16), Vec<usize>> = HashMap::new();
    let mut titles: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        if r.fingerprint == 0 {
            continue;
        }
        for band in 0..4u8 {
            let value = (r.fingerprint >> (16 * band)) as u16;
            let bucket = bands.entry((band, value)).or_default();
            for &j in bucket.iter() {
                if close(r, &records[j], NEAR_DUPLICATE_BITS) {
                    uf.union(i, j);
                }
            }
            bucket.push(i);
        }
        let key = title_key(&r.title);
        if !key.is_empty() {
            let bucket = titles.entry(key).or_default();
            for &j in bucket.iter() {
                if close(r, &records[j], SAME_TITLE_BITS) {
                    uf.union(i, j);
                }
            }
            bucket.push(i);
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..n {
        let root = uf.find(i);
        groups.entry(root).or_default().push(i);
    }
    let mut changes = Vec::new();
    for members in groups.values() {
        let original = if members.len() == 1 {
            members[0]
        } else {
            pick_original(records, members)
        };
        let original_id = records[original].id;
        for &m in members {
            let want = (m != original).then_some(original_id);
            if records[m].duplicate_of != want {
                changes.push((records[m].id, want));
            }
        }
    }
    changes.sort_unstable();
    changes
}

fn pick_original(records: &[DedupRecord], members: &[usize]) -> usize {
    let named: Vec<&str> = members
        .iter()
        .filter_map(|&m| records[m].canonical_url.as_deref())
        .collect();
    let is_own = |m: usize| {
        records[m]
            .norm_url
            .as_deref()
            .is_some_and(|u| named.contains(&u))
    };
    *members
        .iter()
        .min_by_key(|&&m| {
            let r = &records[m];
            (
                r.sent_at.unwrap_or(i64::MAX),
                !is_own(m),
                r.published,
                r.first_seen,
                r.feed_id,
                r.id,
            )
        })
        .unwrap_or(&members[0])
}

/// Regroups the recent window into stories. Returns how many entries changed story.
pub async fn link_stories(pool: &Pool, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let since = now - Duration::days(WINDOW_DAYS);
    let started = std::time::Instant::now();
    let records = store::entries::dedup_window(pool, since).await?;
    let read_ms = started.elapsed().as_millis() as u64;
    let count = records.len();
    let changes = tokio::task::spawn_blocking(move || assign(&records))
        .await
        .unwrap_or_default();
    tracing::debug!(
        entries = count,
        read_ms,
        grouped_ms = started.elapsed().as_millis() as u64 - read_ms,
        "story window read and grouped"
    );
    if !changes.is_empty() {
        store::entries::set_duplicates(pool, &changes).await?;
    }
    Ok(changes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: i64, feed: i64, url: &str) -> DedupRecord {
        DedupRecord {
            id,
            feed_id: feed,
            norm_url: Some(url.to_string()),
            canonical_url: None,
            title: format!("Post {id}"),
            fingerprint: 0,
            published: id * 100,
            first_seen: id * 100,
            sent_at: None,
            duplicate_of: None,
        }
    }

    #[test]
    fn same_link_earliest_wins() {
        let recs = vec![
            rec(1, 1, "https://a.org/x"),
            rec(2, 2, "https://a.org/x"),
            rec(3, 3, "https://b.org/y"),
        ];
        assert_eq!(assign(&recs), vec![(2, Some(1))]);
    }

    #[test]
    fn the_authors_own_post_is_the_original_even_when_later() {
        let mut cross = rec(1, 1, "https://dev.to/ana/x");
        cross.canonical_url = Some("https://ana.org/x".into());
        let own = rec(2, 2, "https://ana.org/x");
        assert_eq!(assign(&[cross, own]), vec![(1, Some(2))]);
    }

    #[test]
    fn a_sent_story_keeps_its_original() {
        let mut cross = rec(1, 1, "https://dev.to/ana/x");
        cross.canonical_url = Some("https://ana.org/x".into());
        cross.sent_at = Some(5);
        let own = rec(2, 2, "https://ana.org/x");
        assert_eq!(assign(&[cross, own]), vec![(2, Some(1))]);
    }

    #[test]
    fn near_duplicates_across_feeds_only() {
        let mut a = rec(1, 1, "https://a.org/x");
        let mut b = rec(2, 2, "https://b.org/x");
        let mut c = rec(3, 1, "https://a.org/y");
        a.fingerprint = 0xFFFF_0000_FFFF_0000;
        b.fingerprint = 0xFFFF_0000_FFFF_0007; // 3 bits away
        c.fingerprint = 0xFFFF_0000_FFFF_0001; // same feed as a
        assert_eq!(assign(&[a.clone(), b.clone()]), vec![(2, Some(1))]);
        // Two near-identical posts of one feed are two posts (a series, a weekly roundup).
        assert!(assign(&[a.clone(), c]).is_empty());
        // Same title: 12 bits allowed; different titles: not.
        b.fingerprint = 0xFFFF_0000_FFFF_0FFF;
        assert!(assign(&[a.clone(), b.clone()]).is_empty());
        b.title = a.title.to_uppercase() + "!";
        assert_eq!(assign(&[a.clone(), b.clone()]), vec![(2, Some(1))]);
        // Too far apart in time.
        b.published = a.published + Duration::days(FUZZY_DAYS + 1).num_seconds();
        assert!(assign(&[a, b]).is_empty());
    }

    #[test]
    fn an_edited_copy_that_no_longer_matches_is_released() {
        let a = rec(1, 1, "https://a.org/x");
        let mut b = rec(2, 2, "https://b.org/other");
        b.duplicate_of = Some(1);
        assert_eq!(assign(&[a, b]), vec![(2, None)]);
    }
}
