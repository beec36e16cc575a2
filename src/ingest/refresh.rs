//! One feed, end to end: fetch → parse and sanitise (off the async threads) → store the entries
//! and the feed's new state in one transaction.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use super::fetch::{FetchError, Fetched, Fetcher};
use super::parse::{body_hash, parse_feed};
use crate::config::Settings;
use crate::domain::FeedRecord;
use crate::store::{self, Pool, entries::Upsert, feeds::FetchRecord};

/// Consecutive errors after which a feed is only tried once a day.
pub const FAILING_AFTER: i64 = 10;
/// Longest wait between two polls of a feed.
pub const MAX_INTERVAL: StdDuration = StdDuration::from_secs(24 * 3600);

/// What refreshing one feed did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshStatus {
    /// 304 Not Modified.
    NotModified,
    /// 200 with a body identical to the last one: not parsed.
    Unchanged,
    /// Parsed and stored.
    Updated {
        /// New entries.
        new: usize,
        /// Changed entries updated in place.
        updated: usize,
    },
    /// Failed; the reason in plain words.
    Failed(String),
}

/// The outcome for one feed.
#[derive(Debug, Clone)]
pub struct RefreshOutcome {
    /// The feed's id.
    pub feed_id: i64,
    /// The feed's URL (the new one when it moved).
    pub url: String,
    /// What happened.
    pub status: RefreshStatus,
}

/// When to poll again: the base interval, raised by the feed's own `<ttl>`, backed off
/// exponentially after consecutive errors (daily once failing), never before `retry_after`.
pub fn next_check(
    settings: &Settings,
    now: DateTime<Utc>,
    ttl_minutes: Option<u32>,
    errors: i64,
    retry_after: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    let base = settings.fetch.interval().max(StdDuration::from_secs(60));
    let ttl = StdDuration::from_secs(u64::from(ttl_minutes.unwrap_or(0)) * 60);
    let mut wait = base.max(ttl);
    if errors >= FAILING_AFTER {
        wait = MAX_INTERVAL;
    } else if errors > 0 {
        wait = wait.saturating_mul(1 << (errors - 1).min(16) as u32);
    }
    let wait = wait.min(MAX_INTERVAL);
    let at = now + Duration::from_std(wait).unwrap_or(Duration::hours(24));
    match retry_after {
        Some(r) if r > at => r.min(now + Duration::days(7)),
        _ => at,
    }
}

/// Refreshes one feed. Never fails: every problem is recorded on the feed and reported in the
/// outcome, so one bad feed cannot stop a run.
#[tracing::instrument(skip_all, fields(feed_id = feed.id, feed_url = %feed.url))]
pub async fn refresh_feed(
    pool: &Pool,
    fetcher: &Fetcher,
    settings: &Settings,
    feed: &FeedRecord,
) -> RefreshOutcome {
    let outcome = |status| RefreshOutcome {
        feed_id: feed.id,
        url: feed.url.clone(),
        status,
    };
    match try_refresh(pool, fetcher, settings, feed).await {
        Ok(out) => {
            if feed.error_count > 0 {
                tracing::info!(feed_url = %feed.url, "feed recovered after {} errors", feed.error_count);
            }
            out
        }
        Err(Failure {
            message,
            http_status,
            retry_after,
            gone,
        }) => {
            let now = Utc::now();
            let errors = feed.error_count + 1;
            let next = next_check(settings, now, None, errors, retry_after);
            let record = FetchRecord::Failed {
                error: &message,
                http_status,
            };
            let stored = async {
                store::feeds::record_fetch(pool, feed.id, &record, now, next).await?;
                if gone {
                    store::feeds::disable(pool, feed.id, &message).await?;
                }
                Ok::<_, store::StoreError>(())
            }
            .await;
            if let Err(e) = stored {
                tracing::error!(feed_url = %feed.url, "cannot record fetch error: {e}");
            }
            // Log when a problem starts or changes, not at every poll.
            if feed.last_error.as_deref() != Some(message.as_str()) {
                tracing::warn!(feed_url = %feed.url, "feed error: {message}");
            }
            outcome(RefreshStatus::Failed(message))
        }
    }
}

struct Failure {
    message: String,
    http_status: Option<u16>,
    retry_after: Option<DateTime<Utc>>,
    gone: bool,
}

impl From<FetchError> for Failure {
    fn from(e: FetchError) -> Self {
        Self {
            http_status: e.http_status(),
            retry_after: match &e {
                FetchError::Status { retry_after, .. } => *retry_after,
                _ => None,
            },
            gone: matches!(e, FetchError::Gone),
            message: e.to_string(),
        }
    }
}

impl From<store::StoreError> for Failure {
    fn from(e: store::StoreError) -> Self {
        Self::msg(format!("cannot store entries: {e}"))
    }
}

impl Failure {
    fn msg(message: String) -> Self {
        Self {
            message,
            http_status: None,
            retry_after: None,
            gone: false,
        }
    }
}

async fn try_refresh(
    pool: &Pool,
    fetcher: &Fetcher,
    settings: &Settings,
    feed: &FeedRecord,
) -> Result<RefreshOutcome, Failure> {
    let url = feed
        .feed_url()
        .ok_or_else(|| Failure::msg(format!("invalid feed URL `{}`", feed.url)))?;
    let fetched = fetcher
        .get(&url, feed.etag.as_deref(), feed.last_modified.as_deref())
        .await?;
    let now = Utc::now();
    let resp = match fetched {
        Fetched::NotModified => {
            let next = next_check(settings, now, None, 0, None);
            store::feeds::record_fetch(pool, feed.id, &FetchRecord::NotModified, now, next).await?;
            return Ok(RefreshOutcome {
                feed_id: feed.id,
                url: feed.url.clone(),
                status: RefreshStatus::NotModified,
            });
        }
        Fetched::Body(resp) => *resp,
    };
    let hash = body_hash(&resp.body);
    let unchanged = store::feeds::body_hash(pool, feed.id).await?.as_deref() == Some(hash.as_str());
    let parsed = if unchanged {
        None
    } else {
        let (body, base) = (resp.body, resp.final_url.clone());
        let parsed = tokio::task::spawn_blocking(move || parse_feed(&body, &base))
            .await
            .map_err(|e| Failure::msg(format!("parser crashed: {e}")))?
            .map_err(|e| Failure::msg(e.to_string()))?;
        Some(parsed)
    };
    let next = next_check(
        settings,
        now,
        parsed.as_ref().and_then(|p| p.ttl_minutes),
        0,
        None,
    );
    let mut tx = store::begin_write(pool).await?;
    let (mut new, mut updated) = (0, 0);
    if let Some(parsed) = &parsed {
        for entry in &parsed.entries {
            match store::entries::upsert(&mut tx, feed.id, entry, now).await? {
                Upsert::Inserted => new += 1,
                Upsert::Updated => updated += 1,
                Upsert::Unchanged => {}
            }
        }
    }
    let record = FetchRecord::Fetched {
        feed_title: parsed.as_ref().and_then(|p| p.title.as_deref()),
        site_url: parsed.as_ref().and_then(|p| p.site_url.as_deref()),
        etag: resp.etag.as_deref(),
        last_modified: resp.last_modified.as_deref(),
        body_hash: &hash,
        http_status: resp.status,
    };
    store::feeds::record_fetch(&mut *tx, feed.id, &record, now, next).await?;
    let mut url = feed.url.clone();
    if let Some(moved) = &resp.moved_to {
        if store::feeds::move_url(&mut *tx, feed.id, moved).await? {
            tracing::info!(from = %feed.url, to = %moved, "feed moved permanently");
            url = moved.to_string();
        }
    }
    tx.commit().await.map_err(store::StoreError::from)?;
    let status = if parsed.is_none() {
        RefreshStatus::Unchanged
    } else {
        RefreshStatus::Updated { new, updated }
    };
    Ok(RefreshOutcome {
        feed_id: feed.id,
        url,
        status,
    })
}
