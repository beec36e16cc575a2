//! Grouping entries into stories: the pure part of [`super::link_stories`].
//!
//! Entries are joined by edges, strongest first: the organiser's merges, then equal
//! normalised links, then canonical / "originally published at" links, then text matches
//! ([`super::rules::text_match`]) from the closest to the least close. Joining is transitive,
//! except that two entries the organiser split apart are never put in one story: an edge that
//! would join them is skipped.
//!
//! **Boilerplate.** A shingle hash found in posts of three or more different titles, or in two
//! posts of one feed with different titles, is boilerplate — a series' opening, a sponsor block,
//! a blog's footer, a much-quoted paragraph, a release-notes template — and is left out when
//! texts are compared. A true cross-post keeps its title across sites, so its text never
//! counts as boilerplate of itself.
//!
//! **The original.** Each story keeps one original: an entry already sent in a digest (so a sent
//! story never comes back under another name), else the entry the organiser merged others into,
//! else the author's own post (the one whose link the others name as canonical), else the
//! earliest published (then first seen, then the feed added first, then the lowest id). Every
//! other entry records the original and the rule of the edge that brought it in.

use std::collections::{HashMap, HashSet};

use super::rules::{text_match, title_key};
use super::sketch::Overlap;
use crate::domain::{StoryLink, StoryOverride, StoryRecord, StoryRule};

/// A hash in more posts than this is boilerplate whatever their titles, and is not paired.
const MAX_POSTING: usize = 64;

struct Sets {
    parent: Vec<usize>,
    apart: Vec<(usize, usize)>,
}

impl Sets {
    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// Joins the sets of `a` and `b` unless that would put two entries kept apart together.
    fn join(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        for k in 0..self.apart.len() {
            let (x, y) = self.apart[k];
            let (rx, ry) = (self.find(x), self.find(y));
            if (rx == ra && ry == rb) || (rx == rb && ry == ra) {
                return false;
            }
        }
        self.parent[ra.max(rb)] = ra.min(rb);
        true
    }
}

struct Edge {
    a: usize,
    b: usize,
    rule: StoryRule,
    distance: f64,
}

/// Groups `records` into stories and returns, for every entry whose story link changes, its
/// new link. `overrides` are the organiser's merges and splits.
pub fn assign(records: &[StoryRecord], overrides: &[StoryOverride]) -> Vec<(i64, StoryLink)> {
    let index: HashMap<i64, usize> = records.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let pair = |o: &StoryOverride| Some((*index.get(&o.entry_id)?, *index.get(&o.other_id)?));
    let mut edges = Vec::new();
    let mut merged_into = HashSet::new();
    let mut apart = Vec::new();
    for o in overrides {
        if let Some((a, b)) = pair(o) {
            if o.together {
                merged_into.insert(b);
                edges.push(Edge {
                    a,
                    b,
                    rule: StoryRule::Manual,
                    distance: 0.0,
                });
            } else {
                apart.push((a, b));
            }
        }
    }
    link_edges(records, &mut edges);
    let mut text = text_edges(records);
    text.sort_by(|x, y| x.distance.total_cmp(&y.distance));
    edges.extend(text);
    let mut sets = Sets {
        parent: (0..records.len()).collect(),
        apart,
    };
    let mut kept: Vec<&Edge> = Vec::new();
    for e in &edges {
        if sets.join(e.a, e.b) {
            kept.push(e);
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..records.len() {
        let root = sets.find(i);
        groups.entry(root).or_default().push(i);
    }
    let mut adjacent: HashMap<usize, Vec<&Edge>> = HashMap::new();
    for e in kept {
        adjacent.entry(e.a).or_default().push(e);
        adjacent.entry(e.b).or_default().push(e);
    }
    let mut want: Vec<StoryLink> = vec![StoryLink::default(); records.len()];
    for members in groups.values().filter(|m| m.len() > 1) {
        let original = pick_original(records, members, &merged_into);
        // Walk the kept edges out from the original: each member records the edge it came by.
        let mut queue = vec![original];
        let mut seen = HashSet::from([original]);
        while let Some(at) = queue.pop() {
            for e in adjacent.get(&at).into_iter().flatten() {
                let next = if e.a == at { e.b } else { e.a };
                if seen.insert(next) {
                    want[next] = StoryLink {
                        original: Some(records[original].id),
                        via: Some(records[at].id),
                        rule: Some(e.rule),
                        distance: (e.rule == StoryRule::Text).then_some(e.distance),
                    };
                    queue.push(next);
                }
            }
        }
    }
    let mut changes: Vec<(i64, StoryLink)> = records
        .iter()
        .zip(want)
        .filter(|(r, w)| r.link != *w)
        .map(|(r, w)| (r.id, w))
        .collect();
    changes.sort_unstable_by_key(|c| c.0);
    changes
}

/// Edges of equal normalised links and of canonical links.
fn link_edges(records: &[StoryRecord], edges: &mut Vec<Edge>) {
    let edge = |a, b, rule| Edge {
        a,
        b,
        rule,
        distance: 0.0,
    };
    let mut by_url: HashMap<&str, usize> = HashMap::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        if let Some(u) = r.norm_url.as_deref() {
            match by_url.get(u) {
                Some(&j) => edges.push(edge(j, i, StoryRule::SameLink)),
                None => {
                    by_url.insert(u, i);
                }
            }
        }
    }
    let mut by_canonical: HashMap<&str, usize> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        let Some(c) = r.canonical_url.as_deref() else {
            continue;
        };
        if let Some(&j) = by_url.get(c).filter(|&&j| j != i) {
            edges.push(edge(j, i, StoryRule::Canonical));
        }
        match by_canonical.get(c) {
            Some(&j) => edges.push(edge(j, i, StoryRule::Canonical)),
            None => {
                by_canonical.insert(c, i);
            }
        }
    }
}

/// Edges of entries whose texts match, boilerplate left out.
///
/// Measured on 20,434 entries (4.4 million sketch hashes, `cargo bench --bench stories`): with
/// tuple postings, a hash map per run and a boilerplate lookup for every compared hash this
/// took 1.2 s on a loaded machine; postings and pairs packed in sorted `u64`s, interned titles
/// and boilerplate-free hash lists filled in the same pass take about a quarter of that. (A
/// hand-written radix sort of the postings was no faster than `sort_unstable`: not kept.)
fn text_edges(records: &[StoryRecord]) -> Vec<Edge> {
    // (hash << 32 | entry index), sorted: each run of one hash lists the entries holding it.
    let mut postings: Vec<u64> =
        Vec::with_capacity(records.iter().map(|r| r.sketch.hashes().len()).sum());
    for (i, r) in records.iter().enumerate() {
        postings.extend(
            r.sketch
                .hashes()
                .iter()
                .map(|&h| u64::from(h) << 32 | i as u64),
        );
    }
    postings.sort_unstable();
    let titles = intern_titles(records);
    // Each record's hashes that are not boilerplate, ascending (filled in hash order).
    let mut kept: Vec<Vec<u32>> = records
        .iter()
        .map(|r| Vec::with_capacity(r.sketch.hashes().len()))
        .collect();
    let mut pairs: Vec<u64> = Vec::new();
    let mut run: Vec<u32> = Vec::with_capacity(MAX_POSTING);
    for group in postings.chunk_by(|x, y| x >> 32 == y >> 32) {
        let hash = (group[0] >> 32) as u32;
        if group.len() > MAX_POSTING {
            continue;
        }
        run.clear();
        run.extend(group.iter().map(|p| *p as u32));
        if run.len() > 1 && is_boilerplate(&run, records, &titles) {
            continue;
        }
        for &i in &run {
            kept[i as usize].push(hash);
        }
        for (k, &a) in run.iter().enumerate() {
            for &b in &run[k + 1..] {
                if records[a as usize].feed_id != records[b as usize].feed_id {
                    pairs.push(u64::from(a.min(b)) << 32 | u64::from(a.max(b)));
                }
            }
        }
    }
    pairs.sort_unstable();
    let mut edges = Vec::new();
    for same in pairs.chunk_by(|x, y| x == y) {
        if same.len() < 4 {
            continue;
        }
        let (a, b) = ((same[0] >> 32) as usize, same[0] as u32 as usize);
        let (ra, rb) = (&records[a], &records[b]);
        let overlap =
            Overlap::of_kept(&kept[a], ra.sketch.horizon(), &kept[b], rb.sketch.horizon());
        if let Some(distance) = text_match(ra, rb, &overlap) {
            edges.push(Edge {
                a,
                b,
                rule: StoryRule::Text,
                distance,
            });
        }
    }
    edges
}

/// Each record's title key as a small number: equal keys, equal numbers.
fn intern_titles(records: &[StoryRecord]) -> Vec<u32> {
    let mut ids: HashMap<String, u32> = HashMap::new();
    records
        .iter()
        .map(|r| {
            let next = ids.len() as u32;
            *ids.entry(title_key(&r.title)).or_insert(next)
        })
        .collect()
}

/// A hash shared by posts of three different titles, or by two posts of one feed with
/// different titles. `run` holds the entries (indices) that have it.
fn is_boilerplate(run: &[u32], records: &[StoryRecord], titles: &[u32]) -> bool {
    let mut distinct: [u32; 2] = [u32::MAX; 2];
    let mut count = 0;
    for (k, &i) in run.iter().enumerate() {
        let (feed, title) = (records[i as usize].feed_id, titles[i as usize]);
        let same_feed_other_title = run[..k]
            .iter()
            .any(|&j| records[j as usize].feed_id == feed && titles[j as usize] != title);
        if same_feed_other_title {
            return true;
        }
        if !distinct[..count].contains(&title) {
            if count == 2 {
                return true;
            }
            distinct[count] = title;
            count += 1;
        }
    }
    false
}

fn pick_original(
    records: &[StoryRecord],
    members: &[usize],
    merged_into: &HashSet<usize>,
) -> usize {
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
                !merged_into.contains(&m),
                !is_own(m),
                r.published,
                r.first_seen,
                r.feed_id,
                r.id,
            )
        })
        .unwrap_or(&members[0])
}

#[cfg(test)]
mod tests;
