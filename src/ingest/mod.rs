//! Ingestion: from a feed's URL to clean entries in the store.
//!
//! `fetch` speaks HTTP only, `parse` turns bytes into domain values (cleaned by the one HTML
//! sanitiser of [`crate::html`]), `refresh` runs one feed through all of them and writes the
//! result in one transaction, and [`fetch_feeds`] runs many feeds concurrently within the politeness limits.

pub mod dates;
pub mod discover;
mod encoding;
pub mod fetch;
pub mod guard;
pub mod normalize;
pub mod opml;
pub mod parse;
pub mod recover;
pub mod refresh;
pub mod writer;

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
    /// Entries whose story changed (found to be copies of another feed's post, or released).
    pub regrouped: usize,
}

/// Refreshes `feeds` concurrently: at most `fetch.concurrency` at once overall and
/// `fetch.per_host` at once per host, so one slow host delays nobody else. Each feed runs as its
/// own task, so that fetching, hashing and storing spread over all cores. `on_done` is called as
/// each feed finishes (for progress output).
pub async fn fetch_feeds(
    pool: &Pool,
    fetcher: &Fetcher,
    settings: &Arc<Settings>,
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
    let writer = writer::Writer::spawn(pool.clone());
    let mut stream = futures_util::stream::iter(jobs)
        .map(|(feed, sem)| {
            let (pool, fetcher, settings) = (pool.clone(), fetcher.clone(), settings.clone());
            let writer = writer.clone();
            let (id, url) = (feed.id, feed.url.clone());
            let task = tokio::spawn(async move {
                // The semaphore is never closed, so acquiring cannot fail.
                let _permit = sem.acquire_owned().await.ok();
                let started = std::time::Instant::now();
                let mut out =
                    refresh::refresh_feed(&pool, &fetcher, &writer, &settings, &feed).await;
                out.elapsed = started.elapsed();
                out
            });
            async move {
                task.await.unwrap_or_else(|e| RefreshOutcome {
                    feed_id: id,
                    url,
                    status: RefreshStatus::Failed(format!("internal error: {e}")),
                    elapsed: std::time::Duration::ZERO,
                })
            }
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
    // (Not when the database cannot be written: the next run regroups the window.)
    if report.new_entries + report.updated_entries > 0 && crate::store::unwritable().is_none() {
        let started = std::time::Instant::now();
        match crate::stories::link_stories(pool, chrono::Utc::now()).await {
            Ok(n) => {
                report.regrouped = n;
                tracing::debug!(
                    regrouped = n,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "stories regrouped"
                );
            }
            // Stories stay as they were; the next run regroups the window again.
            Err(e) => tracing::warn!(error = %e, "grouping copies into stories failed"),
        }
    }
    report
}

/// Where `feeds add` found the feed.
#[derive(Debug, Clone)]
pub struct ResolvedFeed {
    /// The feed's URL (after permanent redirects).
    pub url: crate::domain::FeedUrl,
    /// The page it was discovered on, when the organiser gave a page.
    pub page: Option<url::Url>,
    /// The feed's own title.
    pub title: Option<String>,
}

/// Why a URL could not be added as a feed.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The URL could not be fetched.
    #[error("cannot fetch {url}: {reason}")]
    Fetch {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A page that announces no feed.
    #[error("no feed found on {0}: the page announces no RSS, Atom or JSON Feed")]
    NoFeed(String),
    /// Not a feed, not an HTML page.
    #[error("{url} is not a feed: {reason}")]
    NotAFeed {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
}

async fn fetch_and_parse(
    fetcher: &Fetcher,
    url: &crate::domain::FeedUrl,
) -> Result<
    (
        fetch::Response,
        Result<crate::domain::ParsedFeed, parse::ParseError>,
    ),
    ResolveError,
> {
    let fail = |reason: String| ResolveError::Fetch {
        url: url.to_string(),
        reason,
    };
    let resp = match fetcher
        .get(url, None, None)
        .await
        .map_err(|e| fail(e.to_string()))?
    {
        fetch::Fetched::Body(resp) => *resp,
        fetch::Fetched::NotModified { .. } => {
            return Err(fail("HTTP 304 to an unconditional request".into()));
        }
    };
    let (body, ctype, base) = (
        resp.body.clone(),
        resp.content_type.clone(),
        resp.final_url.clone(),
    );
    let parsed =
        tokio::task::spawn_blocking(move || parse::parse_document(&body, ctype.as_deref(), &base))
            .await
            .map_err(|e| fail(format!("parser crashed: {e}")))?;
    Ok((resp, parsed))
}

/// Checks that `url` is a feed, or finds the feed a blog's page announces (the first of
/// `<link rel="alternate">` RSS, Atom or JSON Feed links that parses).
pub async fn resolve_feed(
    fetcher: &Fetcher,
    url: &crate::domain::FeedUrl,
) -> Result<ResolvedFeed, ResolveError> {
    let (resp, parsed) = fetch_and_parse(fetcher, url).await?;
    let final_url = resp.moved_to.clone().unwrap_or_else(|| url.clone());
    match parsed {
        Ok(feed) => Ok(ResolvedFeed {
            url: final_url,
            page: None,
            title: feed.title,
        }),
        Err(err) => {
            let is_html = matches!(err, parse::ParseError::HtmlPage)
                || resp
                    .content_type
                    .as_deref()
                    .is_some_and(|c| c.to_ascii_lowercase().contains("html"));
            if !is_html {
                return Err(ResolveError::NotAFeed {
                    url: url.to_string(),
                    reason: err.to_string(),
                });
            }
            let html = String::from_utf8_lossy(&resp.body);
            let mut last_error = None;
            for candidate in discover::discover(&html, &resp.final_url) {
                let Ok(feed_url) = crate::domain::FeedUrl::from_url(candidate.url.clone()) else {
                    continue;
                };
                match fetch_and_parse(fetcher, &feed_url).await {
                    Ok((r, Ok(feed))) => {
                        return Ok(ResolvedFeed {
                            url: r.moved_to.unwrap_or(feed_url),
                            page: Some(resp.final_url.clone()),
                            title: feed.title.or(candidate.title),
                        });
                    }
                    Ok((_, Err(e))) => last_error = Some(format!("{}: {e}", candidate.url)),
                    Err(e) => last_error = Some(e.to_string()),
                }
            }
            Err(match last_error {
                Some(reason) => ResolveError::NotAFeed {
                    url: url.to_string(),
                    reason: format!("the page announces feeds, but none could be read ({reason})"),
                },
                None => ResolveError::NoFeed(url.to_string()),
            })
        }
    }
}
