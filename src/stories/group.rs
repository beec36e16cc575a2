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
fn text_edges(records: &[StoryRecord]) -> Vec<Edge> {
    let mut postings: Vec<(u32, u32)> = Vec::new();
    for (i, r) in records.iter().enumerate() {
        postings.extend(r.sketch.hashes().iter().map(|&h| (h, i as u32)));
    }
    postings.sort_unstable();
    let titles: Vec<String> = records.iter().map(|r| title_key(&r.title)).collect();
    let mut boilerplate: HashSet<u32> = HashSet::new();
    let mut shared: HashMap<(u32, u32), u32> = HashMap::new();
    for run in postings.chunk_by(|x, y| x.0 == y.0) {
        if run.len() < 2 {
            continue;
        }
        if run.len() > MAX_POSTING || is_boilerplate(run, records, &titles) {
            boilerplate.insert(run[0].0);
            continue;
        }
        for (k, &(_, a)) in run.iter().enumerate() {
            for &(_, b) in &run[k + 1..] {
                if records[a as usize].feed_id != records[b as usize].feed_id {
                    *shared.entry((a.min(b), a.max(b))).or_default() += 1;
                }
            }
        }
    }
    let mut edges = Vec::new();
    for (&(a, b), &count) in &shared {
        if count < 4 {
            continue;
        }
        let (ra, rb) = (&records[a as usize], &records[b as usize]);
        let overlap = Overlap::of(&ra.sketch, &rb.sketch, |h| boilerplate.contains(&h));
        if let Some(distance) = text_match(ra, rb, &overlap) {
            edges.push(Edge {
                a: a as usize,
                b: b as usize,
                rule: StoryRule::Text,
                distance,
            });
        }
    }
    edges
}

/// A hash shared by posts of three different titles, or by two posts of one feed with
/// different titles.
fn is_boilerplate(run: &[(u32, u32)], records: &[StoryRecord], titles: &[String]) -> bool {
    let mut distinct: Vec<&str> = Vec::new();
    let mut per_feed: HashMap<i64, &str> = HashMap::new();
    for &(_, i) in run {
        let i = i as usize;
        let title = titles[i].as_str();
        if let Some(&other) = per_feed.get(&records[i].feed_id) {
            if other != title {
                return true;
            }
        } else {
            per_feed.insert(records[i].feed_id, title);
        }
        if !distinct.contains(&title) {
            distinct.push(title);
            if distinct.len() >= 3 {
                return true;
            }
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
