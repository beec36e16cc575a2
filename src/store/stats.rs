//! Counts and time series for `/metrics`, the dashboard and `chronicle status`: read-only
//! aggregates over the other tables. Statuses come back as text so new ones show as they are.

use chrono::{DateTime, Utc};

use super::{Pool, StoreError, from_ts, ts};

/// Rows per status, e.g. `[("confirmed", 12), ("pending", 3)]`, sorted by status.
pub type ByStatus = Vec<(String, i64)>;

/// Feeds by health: `disabled`, `failing` (at least `failing_after` errors in a row),
/// `erroring` (fewer), `new` (never fetched) and `ok`.
pub async fn feeds_by_status(pool: &Pool, failing_after: u32) -> Result<ByStatus, StoreError> {
    Ok(sqlx::query_as(
        "SELECT CASE
                WHEN enabled = 0 THEN 'disabled'
                WHEN error_count >= $1 THEN 'failing'
                WHEN error_count > 0 THEN 'erroring'
                WHEN last_fetched_at IS NULL THEN 'new'
                ELSE 'ok' END AS health,
            COUNT(*)
         FROM feeds GROUP BY health ORDER BY health",
    )
    .bind(i64::from(failing_after))
    .fetch_all(pool)
    .await?)
}

/// Subscribers by status.
pub async fn subscribers_by_status(pool: &Pool) -> Result<ByStatus, StoreError> {
    Ok(
        sqlx::query_as("SELECT status, COUNT(*) FROM subscribers GROUP BY status ORDER BY status")
            .fetch_all(pool)
            .await?,
    )
}

/// Deliveries by status, of every digest (`digest_id = None`) or one.
pub async fn deliveries_by_status(
    pool: &Pool,
    digest_id: Option<i64>,
) -> Result<ByStatus, StoreError> {
    Ok(sqlx::query_as(
        "SELECT status, COUNT(*) FROM deliveries WHERE ($1 IS NULL OR digest_id = $1)
         GROUP BY status ORDER BY status",
    )
    .bind(digest_id)
    .fetch_all(pool)
    .await?)
}

/// Totals of what is stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Entries stored.
    pub entries: i64,
    /// Stories (entries that are their story's original).
    pub stories: i64,
    /// Digests built.
    pub digests: i64,
}

/// Entries, stories and digests stored.
pub async fn totals(pool: &Pool) -> Result<Totals, StoreError> {
    let (entries, stories, digests): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM entries),
                (SELECT COUNT(*) FROM entries WHERE duplicate_of IS NULL),
                (SELECT COUNT(*) FROM digests)",
    )
    .fetch_one(pool)
    .await?;
    Ok(Totals {
        entries,
        stories,
        digests,
    })
}

/// Stories published in each span of `width` seconds starting at `start` (the first `spans`
/// spans): one count per span, empty spans included. Publication dates are what the digests
/// go by (a post first seen late still belongs to its week).
pub async fn stories_per_span(
    pool: &Pool,
    start: DateTime<Utc>,
    width: i64,
    spans: i64,
) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT (published_at - $1) / $2 AS span, COUNT(*) FROM entries
         WHERE duplicate_of IS NULL AND published_at >= $1 AND published_at < $1 + $2 * $3
         GROUP BY span",
    )
    .bind(ts(start))
    .bind(width)
    .bind(spans)
    .fetch_all(pool)
    .await?;
    let mut out = vec![0; usize::try_from(spans).unwrap_or(0)];
    for (span, n) in rows {
        if let Some(slot) = usize::try_from(span).ok().and_then(|s| out.get_mut(s)) {
            *slot = n;
        }
    }
    Ok(out)
}

/// One day's fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchDay {
    /// The day's 00:00 UTC.
    pub day: DateTime<Utc>,
    /// Fetches that stored a new or changed feed.
    pub updated: i64,
    /// 304s and unchanged bodies.
    pub unchanged: i64,
    /// Failures.
    pub failed: i64,
}

/// Fetches per day since `since`, oldest first (days without fetches are left out).
pub async fn fetch_days(pool: &Pool, since: DateTime<Utc>) -> Result<Vec<FetchDay>, StoreError> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT day, result, fetches FROM fetch_days WHERE day >= $1 ORDER BY day, result",
    )
    .bind(ts(since) - ts(since).rem_euclid(86_400))
    .fetch_all(pool)
    .await?;
    let mut days: Vec<FetchDay> = Vec::new();
    for (day, result, n) in rows {
        if days.last().is_none_or(|d| d.day != from_ts(day)) {
            days.push(FetchDay {
                day: from_ts(day),
                updated: 0,
                unchanged: 0,
                failed: 0,
            });
        }
        if let Some(d) = days.last_mut() {
            match result.as_str() {
                "updated" => d.updated += n,
                "unchanged" => d.unchanged += n,
                _ => d.failed += n,
            }
        }
    }
    Ok(days)
}

/// Confirmed subscribers at each instant of `at`: confirmed by then and not gone by then.
pub async fn subscribers_at(pool: &Pool, at: &[DateTime<Utc>]) -> Result<Vec<i64>, StoreError> {
    let mut out = Vec::with_capacity(at.len());
    for t in at {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM subscribers WHERE confirmed_at IS NOT NULL AND confirmed_at <= $1
             AND (unsubscribed_at IS NULL OR unsubscribed_at > $1)",
        )
        .bind(ts(*t))
        .fetch_one(pool)
        .await?;
        out.push(n);
    }
    Ok(out)
}

/// A digest that went out, without its rendered bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRow {
    /// The digest's id.
    pub id: i64,
    /// Its week, e.g. `2026-W47`.
    pub week: String,
    /// Its subject.
    pub subject: String,
    /// When sending started.
    pub started: DateTime<Utc>,
    /// When every delivery was settled.
    pub finished: Option<DateTime<Utc>>,
}

/// The last `limit` digests that went out, newest week first. Reads no rendered body: this
/// runs at every `/metrics` scrape.
pub async fn recent_sends(pool: &Pool, limit: i64) -> Result<Vec<SendRow>, StoreError> {
    let rows: Vec<(i64, String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, week, subject, frozen_at, sent_at FROM digests
         WHERE frozen_at IS NOT NULL ORDER BY week DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, week, subject, started, finished)| SendRow {
            id,
            week,
            subject,
            started: from_ts(started),
            finished: finished.map(from_ts),
        })
        .collect())
}
