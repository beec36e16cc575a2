//! Stories: one article however many feeds carry it. A post-store stage: after each fetch run
//! that stored something, the entries first seen in the recent window ([`WINDOW_DAYS`]) are
//! grouped again ([`group::assign`]), so an edited post that no longer matches becomes its own
//! story again, and the organiser's merges and splits ([`StoryOverride`]) always hold.
//!
//! Reads and writes through `store`; knows ingest only through the [`crate::domain`] types.

pub mod group;
pub mod rules;
pub mod sketch;

use chrono::{DateTime, Duration, Utc};

use crate::domain::StoryOverride;
use crate::store::{self, Pool, StoreError};

/// Entries first seen this recently are grouped (a post is never published after it is first
/// seen, so this covers every post published in the window too).
pub const WINDOW_DAYS: i64 = 60;

/// Makes `entry` a story of its own, kept apart from the other members of its story for good
/// (`entries split` and the dashboard's "split" button), then regroups. Returns the entries it
/// is now kept apart from: empty when it already was a story of its own (nothing changed).
pub async fn split_apart(
    pool: &Pool,
    entry: i64,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StoreError> {
    let members = store::stories::story_of(pool, entry).await?;
    let others: Vec<i64> = members
        .iter()
        .map(|m| m.id)
        .filter(|m| *m != entry)
        .collect();
    if others.is_empty() {
        return Ok(others);
    }
    store::stories::set_overrides(pool, entry, &others, false, now).await?;
    link_stories(pool, now).await?;
    Ok(others)
}

/// Regroups the recent window into stories. Returns how many entries changed story.
pub async fn link_stories(pool: &Pool, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let since = now - Duration::days(WINDOW_DAYS);
    let started = std::time::Instant::now();
    sketch_missing(pool, since).await?;
    let records = store::stories::window(pool, since).await?;
    let overrides: Vec<StoryOverride> = store::stories::overrides(pool).await?;
    let read_ms = started.elapsed().as_millis() as u64;
    let count = records.len();
    let changes = tokio::task::spawn_blocking(move || group::assign(&records, &overrides))
        .await
        .map_err(|e| StoreError::Corrupt(format!("story grouping stopped: {e}")))?;
    tracing::debug!(
        entries = count,
        read_ms,
        grouped_ms = started.elapsed().as_millis() as u64 - read_ms,
        "story window read and grouped"
    );
    if !changes.is_empty() {
        store::stories::set_links(pool, &changes).await?;
    }
    Ok(changes.len())
}

/// Entries stored by a version before sketches existed (their sketch is NULL): makes their
/// sketch, and their excerpt and word count again with the current rules (so that a Chinese or
/// Japanese post stored as one long "word" gets a real excerpt). Once: a text too short to
/// sketch stores an empty sketch.
async fn sketch_missing(pool: &Pool, since: DateTime<Utc>) -> Result<(), StoreError> {
    let missing = store::stories::unsketched(pool, since).await?;
    if missing.is_empty() {
        return Ok(());
    }
    let rows = tokio::task::spawn_blocking(move || {
        missing
            .into_iter()
            .map(|(id, html)| {
                let html = crate::domain::SanitizedHtml::from_trusted_store(html);
                let (text, words) = crate::html::text::sanitized_to_text(&html, 150);
                let summary = (!text.is_empty()).then(|| {
                    (
                        crate::html::excerpt(&text, crate::html::excerpt::EXCERPT_WORDS),
                        words,
                    )
                });
                store::stories::Rederived {
                    id,
                    sketch: sketch::sketch_html(html.as_str()),
                    summary,
                }
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("sketching stopped: {e}")))?;
    tracing::info!(
        entries = rows.len(),
        "entries stored by an older version derived again"
    );
    store::stories::set_rederived(pool, &rows).await
}
