//! The `feeds` aggregate: the list of blogs and each one's polling state.

use chrono::{DateTime, Utc};
use sqlx::{Executor, Row, SqliteConnection, sqlite::SqliteRow};

use super::{Db, Pool, StoreError, from_ts, ts};
use crate::domain::{FeedRecord, FeedUrl};

/// A new feed, as the organiser lists it.
#[derive(Debug, Clone)]
pub struct NewFeed<'a> {
    /// The feed's address.
    pub url: &'a FeedUrl,
    /// Title override.
    pub title: Option<&'a str>,
    /// Author override.
    pub author: Option<&'a str>,
    /// Tags.
    pub tags: &'a [String],
}

const SELECT: &str = "SELECT f.id, f.url, f.title, f.author, f.feed_title, f.site_url, f.etag,
        f.last_modified, f.last_status, f.last_error, f.error_count, f.last_fetched_at,
        f.last_success_at, f.next_check_at, f.enabled, f.body_hash,
        (SELECT COUNT(*) FROM entries e WHERE e.feed_id = f.id) AS entry_count,
        (SELECT GROUP_CONCAT(t.tag, ',') FROM feed_tags t WHERE t.feed_id = f.id) AS tags
    FROM feeds f";

fn record(row: &SqliteRow) -> Result<FeedRecord, sqlx::Error> {
    let tags: Option<String> = row.try_get("tags")?;
    let mut tags: Vec<String> = tags
        .unwrap_or_default()
        .split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    tags.sort();
    Ok(FeedRecord {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        title: row.try_get("title")?,
        author: row.try_get("author")?,
        tags,
        feed_title: row.try_get("feed_title")?,
        site_url: row.try_get("site_url")?,
        etag: row.try_get("etag")?,
        last_modified: row.try_get("last_modified")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        error_count: row.try_get("error_count")?,
        last_fetched_at: row
            .try_get::<Option<i64>, _>("last_fetched_at")?
            .map(from_ts),
        last_success_at: row
            .try_get::<Option<i64>, _>("last_success_at")?
            .map(from_ts),
        next_check_at: from_ts(row.try_get("next_check_at")?),
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        body_hash: row.try_get("body_hash")?,
        entry_count: row.try_get("entry_count")?,
    })
}

async fn replace_tags(
    conn: &mut SqliteConnection,
    feed_id: i64,
    tags: &[String],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM feed_tags WHERE feed_id = $1")
        .bind(feed_id)
        .execute(&mut *conn)
        .await?;
    for tag in tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        sqlx::query("INSERT INTO feed_tags (feed_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(feed_id)
            .bind(tag.replace(',', " "))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Adds a feed listed by the organiser on the command line. Fails with
/// [`StoreError::Duplicate`] when the URL is already listed.
pub async fn add(pool: &Pool, feed: &NewFeed<'_>, now: DateTime<Utc>) -> Result<i64, StoreError> {
    let mut tx = super::begin_write(pool).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO feeds (url, title, author, source, created_at, next_check_at)
         VALUES ($1, $2, $3, 'cli', $4, 0) RETURNING id",
    )
    .bind(feed.url.as_str())
    .bind(feed.title)
    .bind(feed.author)
    .bind(ts(now))
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match StoreError::from(e) {
        StoreError::Duplicate(_) => StoreError::Duplicate(format!("feed {}", feed.url)),
        other => other,
    })?;
    replace_tags(&mut tx, id, feed.tags).await?;
    tx.commit().await?;
    Ok(id)
}

/// Makes the `[[feeds]]` of `config.toml` true in the database: listed feeds are added or updated
/// (and re-enabled), feeds that came from the file and are no longer in it are disabled, never
/// deleted, so their entries and digests stay. Returns (added, disabled).
pub async fn sync_config(
    pool: &Pool,
    feeds: &[NewFeed<'_>],
    now: DateTime<Utc>,
) -> Result<(usize, usize), StoreError> {
    let mut tx = super::begin_write(pool).await?;
    let mut added = 0;
    let mut keep: Vec<i64> = Vec::with_capacity(feeds.len());
    for feed in feeds {
        let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM feeds WHERE url = $1")
            .bind(feed.url.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        let id = match existing {
            Some(id) => {
                // Re-enabled only if the file itself had disabled it: a feed the server
                // removed (410) or the organiser stopped waits for `feeds enable`.
                sqlx::query(
                    "UPDATE feeds SET title = $2, author = $3, source = 'config',
                        enabled = CASE WHEN enabled = 1 OR disabled_reason = 'config'
                                       THEN 1 ELSE 0 END,
                        disabled_reason = CASE WHEN enabled = 1 OR disabled_reason = 'config'
                                               THEN NULL ELSE disabled_reason END
                     WHERE id = $1",
                )
                .bind(id)
                .bind(feed.title)
                .bind(feed.author)
                .execute(&mut *tx)
                .await?;
                id
            }
            None => {
                added += 1;
                sqlx::query_scalar(
                    "INSERT INTO feeds (url, title, author, source, created_at, next_check_at)
                     VALUES ($1, $2, $3, 'config', $4, 0) RETURNING id",
                )
                .bind(feed.url.as_str())
                .bind(feed.title)
                .bind(feed.author)
                .bind(ts(now))
                .fetch_one(&mut *tx)
                .await?
            }
        };
        replace_tags(&mut tx, id, feed.tags).await?;
        keep.push(id);
    }
    let config_ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM feeds WHERE source = 'config' AND enabled = 1")
            .fetch_all(&mut *tx)
            .await?;
    let mut disabled = 0;
    for id in config_ids.into_iter().filter(|id| !keep.contains(id)) {
        sqlx::query(
            "UPDATE feeds SET enabled = 0, disabled_reason = 'config',
                    last_error = 'removed from config.toml'
             WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        disabled += 1;
    }
    tx.commit().await?;
    Ok((added, disabled))
}

/// Every feed, in the order they were added.
pub async fn list(pool: &Pool) -> Result<Vec<FeedRecord>, StoreError> {
    let rows = sqlx::query(&format!("{SELECT} ORDER BY f.id"))
        .fetch_all(pool)
        .await?;
    Ok(rows.iter().map(record).collect::<Result<_, _>>()?)
}

/// Enabled feeds whose next check is due at `now` (all enabled feeds when `all`).
pub async fn due(
    pool: &Pool,
    now: DateTime<Utc>,
    all: bool,
) -> Result<Vec<FeedRecord>, StoreError> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE f.enabled = 1 AND ($1 = 1 OR f.next_check_at <= $2) ORDER BY f.next_check_at, f.id"
    ))
    .bind(i64::from(all))
    .bind(ts(now))
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(record).collect::<Result<_, _>>()?)
}

/// Finds a feed by numeric id or by URL.
pub async fn find(pool: &Pool, id_or_url: &str) -> Result<FeedRecord, StoreError> {
    let row = match id_or_url.trim().parse::<i64>() {
        Ok(id) => {
            sqlx::query(&format!("{SELECT} WHERE f.id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?
        }
        Err(_) => {
            let url = FeedUrl::parse(id_or_url)
                .map(|u| u.to_string())
                .unwrap_or_else(|_| id_or_url.trim().to_string());
            sqlx::query(&format!("{SELECT} WHERE f.url = $1"))
                .bind(url)
                .fetch_optional(pool)
                .await?
        }
    };
    match row {
        Some(row) => Ok(record(&row)?),
        None => Err(StoreError::NotFound(format!("feed `{}`", id_or_url.trim()))),
    }
}

/// Removes a feed and its entries. Entries that went out in a sent digest keep living in that
/// digest's frozen HTML and text.
pub async fn remove(pool: &Pool, id: i64) -> Result<(), StoreError> {
    let done = sqlx::query("DELETE FROM feeds WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("feed {id}")));
    }
    Ok(())
}

/// What a fetch found out about a feed, to be recorded.
#[derive(Debug, Clone)]
pub enum FetchRecord<'a> {
    /// 200 with a body that was parsed (or found identical to the last one).
    Fetched {
        /// The feed's own title.
        feed_title: Option<&'a str>,
        /// The blog's home page.
        site_url: Option<&'a str>,
        /// Response `ETag`.
        etag: Option<&'a str>,
        /// Response `Last-Modified`.
        last_modified: Option<&'a str>,
        /// Hash of the body.
        body_hash: &'a str,
        /// HTTP status.
        http_status: u16,
    },
    /// 304 Not Modified.
    NotModified,
    /// Anything that went wrong.
    Failed {
        /// Plain-words reason.
        error: &'a str,
        /// HTTP status, if one came back.
        http_status: Option<u16>,
    },
}

/// Records the outcome of a fetch and when to check again. Returns the new consecutive error
/// count.
pub async fn record_fetch<'c, E>(
    ex: E,
    id: i64,
    outcome: &FetchRecord<'_>,
    now: DateTime<Utc>,
    next_check: DateTime<Utc>,
) -> Result<i64, StoreError>
where
    E: Executor<'c, Database = Db>,
{
    let (now, next_check) = (ts(now), ts(next_check));
    let count: i64 =
        match outcome {
            FetchRecord::Fetched {
                feed_title,
                site_url,
                etag,
                last_modified,
                body_hash,
                http_status,
            } => {
                sqlx::query_scalar(
                    "UPDATE feeds SET feed_title = COALESCE($2, feed_title),
                    site_url = COALESCE($3, site_url), etag = $4, last_modified = $5,
                    body_hash = $6, last_http_status = $7, last_status = 'ok', last_error = NULL,
                    error_count = 0, last_fetched_at = $8, last_success_at = $8, next_check_at = $9
                 WHERE id = $1 RETURNING error_count",
                )
                .bind(id)
                .bind(*feed_title)
                .bind(*site_url)
                .bind(*etag)
                .bind(*last_modified)
                .bind(*body_hash)
                .bind(i64::from(*http_status))
                .bind(now)
                .bind(next_check)
                .fetch_one(ex)
                .await?
            }
            FetchRecord::NotModified => sqlx::query_scalar(
                "UPDATE feeds SET last_status = 'not modified', last_error = NULL, error_count = 0,
                    last_http_status = 304, last_fetched_at = $2, last_success_at = $2,
                    next_check_at = $3
                 WHERE id = $1 RETURNING error_count",
            )
            .bind(id)
            .bind(now)
            .bind(next_check)
            .fetch_one(ex)
            .await?,
            FetchRecord::Failed { error, http_status } => {
                sqlx::query_scalar(
                    "UPDATE feeds SET last_status = 'error', last_error = $2,
                    error_count = error_count + 1, last_http_status = $3, last_fetched_at = $4,
                    next_check_at = $5
                 WHERE id = $1 RETURNING error_count",
                )
                .bind(id)
                .bind(*error)
                .bind(http_status.map(i64::from))
                .bind(now)
                .bind(next_check)
                .fetch_one(ex)
                .await?
            }
        };
    Ok(count)
}

/// Who stopped polling a feed; only [`Disabled::Config`] is undone by config.toml's sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disabled {
    /// The server said 410 Gone.
    Gone,
    /// The organiser ran `feeds disable`.
    Organiser,
}

impl Disabled {
    fn as_str(self) -> &'static str {
        match self {
            Self::Gone => "gone",
            Self::Organiser => "organiser",
        }
    }
}

/// Stops polling a feed (after 410 Gone, or on the organiser's word), keeping its entries.
/// Nothing polls it again until [`enable`].
pub async fn disable<'c, E>(ex: E, id: i64, why: Disabled, message: &str) -> Result<(), StoreError>
where
    E: Executor<'c, Database = Db>,
{
    sqlx::query(
        "UPDATE feeds SET enabled = 0, disabled_reason = $2, last_error = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(why.as_str())
    .bind(message)
    .execute(ex)
    .await?;
    Ok(())
}

/// Polls a disabled feed again, from a clean slate: due now, no error count to back off from.
/// Returns false when the feed was not disabled.
pub async fn enable(pool: &Pool, id: i64) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE feeds SET enabled = 1, disabled_reason = NULL, error_count = 0, next_check_at = 0
         WHERE id = $1 AND enabled = 0",
    )
    .bind(id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many feeds are disabled (what `fetch --all` skips).
pub async fn count_disabled(pool: &Pool) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM feeds WHERE enabled = 0")
            .fetch_one(pool)
            .await?,
    )
}

/// Records that a feed moved permanently. Returns false (and changes nothing) when another feed
/// already has the new URL.
pub async fn move_url<'c, E>(ex: E, id: i64, new_url: &FeedUrl) -> Result<bool, StoreError>
where
    E: Executor<'c, Database = Db>,
{
    let done = sqlx::query(
        "UPDATE feeds SET url = $2 WHERE id = $1
           AND NOT EXISTS (SELECT 1 FROM feeds other WHERE other.url = $2)",
    )
    .bind(id)
    .bind(new_url.as_str())
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}
