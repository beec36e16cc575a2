//! What the dashboard's pages show, read from the store: the charts' series, the next
//! digest's preview and the last sends.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::charts::Series;
use super::views::when;
use crate::digest::select;
use crate::domain::DigestWeek;
use crate::store::{self, StoreError, digest_edits::Pick};
use crate::web::AppState;

fn this_week(state: &AppState, now: DateTime<Utc>) -> DigestWeek {
    let d = &state.settings.digest;
    DigestWeek::last_complete(now, d.timezone.0, d.week_starts.0).next()
}

fn week_label(w: DigestWeek) -> String {
    format!("W{:02}", w.week())
}

/// Stories first seen in each of the last `weeks` weeks (this one included).
pub async fn stories_per_week(
    state: &AppState,
    now: DateTime<Utc>,
    weeks: i64,
) -> Result<Series, StoreError> {
    let d = &state.settings.digest;
    let mut w = this_week(state, now);
    let mut list = vec![w];
    for _ in 1..weeks {
        w = w.previous();
        list.push(w);
    }
    list.reverse();
    let (start, _) = list[0].bounds(d.timezone.0, d.week_starts.0);
    let counts = store::stats::stories_per_span(&state.pool, start, 7 * 86_400, weeks).await?;
    Ok(Series {
        labels: list.into_iter().map(week_label).collect(),
        values: counts.into_iter().map(|n| n as f64).collect(),
    })
}

/// Share of fetches that worked, per day of the last `days` days that had fetches.
pub async fn fetch_success(
    state: &AppState,
    now: DateTime<Utc>,
    days: i64,
) -> Result<Series, StoreError> {
    let rows = store::stats::fetch_days(&state.pool, now - Duration::days(days - 1)).await?;
    Ok(Series {
        labels: rows
            .iter()
            .map(|d| d.day.format("%-d %b").to_string())
            .collect(),
        values: rows
            .iter()
            .map(|d| {
                let total = d.updated + d.unchanged + d.failed;
                if total == 0 {
                    0.0
                } else {
                    100.0 * (d.updated + d.unchanged) as f64 / total as f64
                }
            })
            .collect(),
    })
}

/// Confirmed subscribers at the end of each of the last `weeks` weeks (now for this one).
pub async fn subscribers_per_week(
    state: &AppState,
    now: DateTime<Utc>,
    weeks: i64,
) -> Result<Series, StoreError> {
    let d = &state.settings.digest;
    let mut w = this_week(state, now);
    let mut list = vec![w];
    for _ in 1..weeks {
        w = w.previous();
        list.push(w);
    }
    list.reverse();
    let at: Vec<DateTime<Utc>> = list
        .iter()
        .map(|w| w.bounds(d.timezone.0, d.week_starts.0).1.min(now))
        .collect();
    let counts = store::stats::subscribers_at(&state.pool, &at).await?;
    Ok(Series {
        labels: list.into_iter().map(week_label).collect(),
        values: counts.into_iter().map(|n| n as f64).collect(),
    })
}

/// A story of the preview.
#[derive(Debug, Serialize)]
pub struct PreviewStory {
    id: i64,
    title: String,
    url: Option<String>,
    blog: String,
    date: String,
    pinned: bool,
    group: String,
    /// The other entries grouped into this story (copies on other blogs): each can be split off.
    copies: Vec<Member>,
}

/// An entry grouped into a story.
#[derive(Debug, Serialize)]
pub struct Member {
    id: i64,
    title: String,
    blog: String,
    how: String,
}

/// An excluded story.
#[derive(Debug, Serialize)]
pub struct Excluded {
    id: i64,
    title: String,
    blog: String,
}

/// The next digest as it stands.
#[derive(Debug, Serialize)]
pub struct Preview {
    week: String,
    week_label: String,
    frozen: bool,
    intro: String,
    stories: Vec<PreviewStory>,
    excluded: Vec<Excluded>,
    cut: usize,
}

/// The week the next digest covers: the last complete week unless its digest went out
/// already, then the current one.
pub async fn next_week(state: &AppState, now: DateTime<Utc>) -> Result<DigestWeek, StoreError> {
    let d = &state.settings.digest;
    let last = DigestWeek::last_complete(now, d.timezone.0, d.week_starts.0);
    Ok(match store::digests::get(&state.pool, last).await? {
        Some(r) if r.frozen_at.is_some() => last.next(),
        _ => last,
    })
}

/// The next digest's stories (selected as `digest build` would), its intro and exclusions.
pub async fn preview(state: &AppState, now: DateTime<Utc>) -> Result<Preview, StoreError> {
    let week = next_week(state, now).await?;
    let selection = select::select(&state.pool, &state.settings, week).await?;
    let mut stories = Vec::new();
    for group in &selection.groups {
        for s in &group.stories {
            let members = store::stories::story_of(&state.pool, s.entry.id).await?;
            let copies = members
                .into_iter()
                .filter(|m| m.id != s.entry.id)
                .map(|m| Member {
                    id: m.id,
                    title: m.title,
                    blog: m.blog,
                    how: m.link.rule.map_or("grouped", |r| r.describe()).to_string(),
                })
                .collect();
            stories.push(PreviewStory {
                id: s.entry.id,
                title: s.entry.title.clone(),
                url: s.entry.url.clone(),
                blog: s.entry.feed_title.clone(),
                date: s.entry.published.format("%a %-d %b").to_string(),
                pinned: s.pinned,
                group: group.name.clone(),
                copies,
            });
        }
    }
    let picks = store::digest_edits::picks(&state.pool, week).await?;
    let excluded_ids: Vec<i64> = picks
        .iter()
        .filter(|(_, p)| *p == Pick::Exclude)
        .map(|(id, _)| *id)
        .collect();
    let excluded = store::entries::by_ids(&state.pool, &excluded_ids)
        .await?
        .into_iter()
        .map(|e| Excluded {
            id: e.id,
            title: e.title,
            blog: e.feed_title,
        })
        .collect();
    let d = &state.settings.digest;
    Ok(Preview {
        week: week.to_string(),
        week_label: week.label(d.week_starts.0),
        frozen: store::digests::get(&state.pool, week)
            .await?
            .is_some_and(|r| r.frozen_at.is_some()),
        intro: store::digest_edits::note(&state.pool, week)
            .await?
            .unwrap_or_default(),
        stories,
        excluded,
        cut: selection
            .skipped
            .iter()
            .filter(|(_, r)| *r == store::digests::SkipReason::Cap)
            .count(),
    })
}

/// One digest that went out.
#[derive(Debug, Serialize)]
pub struct SendView {
    week: String,
    subject: String,
    started: String,
    finished: String,
    settled: bool,
    tally: store::deliveries::Tally,
    problems: Vec<store::deliveries::DeliveryRow>,
}

/// The sends page.
#[derive(Debug, Serialize)]
pub struct Sends {
    running: bool,
    sends: Vec<SendView>,
}

/// The last `limit` digests that went out, newest first, with their ledgers and failures.
pub async fn sends(state: &AppState, running: bool, limit: i64) -> Result<Sends, StoreError> {
    let mut out = Vec::new();
    for d in store::stats::recent_sends(&state.pool, limit).await? {
        let tally = store::deliveries::tally(&state.pool, d.id).await?;
        out.push(SendView {
            week: d.week,
            subject: d.subject,
            started: when(Some(d.started)),
            finished: when(d.finished),
            settled: tally.settled() && d.finished.is_some(),
            tally,
            problems: store::deliveries::problems(&state.pool, d.id, 50).await?,
        });
    }
    Ok(Sends {
        running,
        sends: out,
    })
}
