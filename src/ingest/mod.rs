//! Ingestion: from a feed's URL to clean entries in the store.
//!
//! `fetch` speaks HTTP only, `parse` turns bytes into domain values, `sanitize` owns the one
//! HTML allowlist, `refresh` runs one feed through all of them and writes the result in one
//! transaction, and [`fetch_feeds`] runs many feeds concurrently within the politeness limits.

pub mod fetch;
mod guard;
pub mod parse;
pub mod recover;
pub mod refresh;
pub mod sanitize;
pub mod text;

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::Semaphore;

use crate::config::Settings;
use crate::domain::FeedRecord;
use crate::store::Pool;
pub use fetch::Fetcher;
pub use refresh::{RefreshOutcome, RefreshStatus};

/// Totals of one fetch run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchReport {
    /// Feeds attempted.
    pub feeds: usize,
    /// Feeds that answered 304 or an unchanged body.
    pub unchanged: usize,
    /// Feeds that failed.
    pub failed: usize,
    /// New entries stored.
    pub new_entries: usize,
    /// Known entries updated in place.
    pub updated_entries: usize,
}

/// Refreshes `feeds` concurrently: at most `fetch.concurrency` at once overall and
/// `fetch.per_host` at once per host, so one slow host delays nobody else. `on_done` is called
/// as each feed finishes (for progress output).
pub async fn fetch_feeds(
    pool: &Pool,
    fetcher: &Fetcher,
    settings: &Settings,
    feeds: Vec<FeedRecord>,
    mut on_done: impl FnMut(&RefreshOutcome),
) -> FetchReport {
    let mut per_host: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let jobs: Vec<_> = feeds
        .into_iter()
        .map(|feed| {
            let host = feed
                .feed_url()
                .map(|u| u.host().to_string())
                .unwrap_or_default();
            let sem = per_host
                .entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(settings.fetch.per_host)))
                .clone();
            (feed, sem)
        })
        .collect();
    let mut report = FetchReport {
        feeds: jobs.len(),
        ..FetchReport::default()
    };
    let mut stream = futures_util::stream::iter(jobs)
        .map(|(feed, sem)| async move {
            // The semaphore is never closed, so acquiring cannot fail.
            let _permit = sem.acquire_owned().await.ok();
            refresh::refresh_feed(pool, fetcher, settings, &feed).await
        })
        .buffer_unordered(settings.fetch.concurrency);
    while let Some(outcome) = stream.next().await {
        match &outcome.status {
            RefreshStatus::NotModified | RefreshStatus::Unchanged => report.unchanged += 1,
            RefreshStatus::Failed(_) => report.failed += 1,
            RefreshStatus::Updated { new, updated } => {
                report.new_entries += new;
                report.updated_entries += updated;
            }
        }
        on_done(&outcome);
    }
    report
}
