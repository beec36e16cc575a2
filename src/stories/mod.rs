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

/// Makes the sketches of entries stored before sketches existed (once: a text too short to
/// sketch stores an empty one).
async fn sketch_missing(pool: &Pool, since: DateTime<Utc>) -> Result<(), StoreError> {
    let missing = store::stories::unsketched(pool, since).await?;
    if missing.is_empty() {
        return Ok(());
    }
    let sketches = tokio::task::spawn_blocking(move || {
        missing
            .into_iter()
            .map(|(id, html)| {
                let html = crate::domain::SanitizedHtml::from_trusted_store(html);
                let (text, _) = crate::ingest::text::sanitized_to_text(&html, usize::MAX);
                (id, sketch::sketch(&text))
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("sketching stopped: {e}")))?;
    tracing::info!(
        entries = sketches.len(),
        "sketched entries stored before sketches existed"
    );
    store::stories::set_sketches(pool, &sketches).await
}
