//! The `digests` aggregate: a rendered week, frozen once sending starts.

use chrono::{DateTime, Utc};
use sqlx::{Row, sqlite::SqliteRow};

use super::{Pool, StoreError, from_ts, ts};
use crate::domain::DigestWeek;

/// A stored digest.
#[derive(Debug, Clone)]
pub struct DigestRecord {
    /// Database id.
    pub id: i64,
    /// The week it covers.
    pub week: DigestWeek,
    /// E-mail subject.
    pub subject: String,
    /// Rendered HTML e-mail (with the unsubscribe placeholder).
    pub html: String,
    /// Rendered plain-text e-mail (with the unsubscribe placeholder).
    pub text: String,
    /// Rendered Markdown.
    pub markdown: String,
    /// Number of stories.
    pub story_count: i64,
    /// When it was rendered.
    pub created_at: DateTime<Utc>,
    /// When sending started; a frozen digest is never rendered again.
    pub frozen_at: Option<DateTime<Utc>>,
    /// When every delivery was settled.
    pub sent_at: Option<DateTime<Utc>>,
}

fn record(row: &SqliteRow) -> Result<DigestRecord, StoreError> {
    let week: String = row.try_get("week")?;
    Ok(DigestRecord {
        id: row.try_get("id")?,
        week: week
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("digest week: {e}")))?,
        subject: row.try_get("subject")?,
        html: row.try_get("html")?,
        text: row.try_get("text")?,
        markdown: row.try_get("markdown")?,
        story_count: row.try_get("story_count")?,
        created_at: from_ts(row.try_get("created_at")?),
        frozen_at: row.try_get::<Option<i64>, _>("frozen_at")?.map(from_ts),
        sent_at: row.try_get::<Option<i64>, _>("sent_at")?.map(from_ts),
    })
}

const SELECT: &str =
    "SELECT id, week, subject, html, text, markdown, story_count, created_at, frozen_at,
    sent_at FROM digests";

/// The digest of `week`, if one was built.
pub async fn get(pool: &Pool, week: DigestWeek) -> Result<Option<DigestRecord>, StoreError> {
    let row = sqlx::query(&format!("{SELECT} WHERE week = $1"))
        .bind(week.to_string())
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(record).transpose()
}

/// Frozen digests (those that went out), newest first.
pub async fn list_frozen(pool: &Pool) -> Result<Vec<DigestRecord>, StoreError> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE frozen_at IS NOT NULL ORDER BY week DESC"
    ))
    .fetch_all(pool)
    .await?;
    rows.iter().map(record).collect()
}

/// What to store for a digest.
#[derive(Debug, Clone)]
pub struct NewDigest<'a> {
    /// The week.
    pub week: DigestWeek,
    /// E-mail subject.
    pub subject: &'a str,
    /// Rendered HTML.
    pub html: &'a str,
    /// Rendered text.
    pub text: &'a str,
    /// Rendered Markdown.
    pub markdown: &'a str,
    /// The stories, in order.
    pub entry_ids: &'a [i64],
}

/// Stores (or replaces) the digest of a week. Refuses with [`StoreError::Duplicate`] when that
/// week's digest is frozen: what was sent must stay exactly what was sent.
pub async fn save(pool: &Pool, d: &NewDigest<'_>, now: DateTime<Utc>) -> Result<i64, StoreError> {
    let mut tx = super::begin_write(pool).await?;
    let week = d.week.to_string();
    // One statement inserts a new digest or rewrites an unfrozen one; a frozen digest matches
    // no row of the `WHERE`, so nothing comes back and it stays exactly as sent.
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO digests (week, subject, html, text, story_count, created_at, markdown)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (week) DO UPDATE SET subject = excluded.subject, html = excluded.html,
            text = excluded.text, story_count = excluded.story_count,
            created_at = excluded.created_at, markdown = excluded.markdown
         WHERE digests.frozen_at IS NULL
         RETURNING id",
    )
    .bind(&week)
    .bind(d.subject)
    .bind(d.html)
    .bind(d.text)
    .bind(d.entry_ids.len() as i64)
    .bind(ts(now))
    .bind(d.markdown)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        return Err(StoreError::Duplicate(format!(
            "the digest of {week} was already sent, so it"
        )));
    };
    sqlx::query("DELETE FROM digest_entries WHERE digest_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for (pos, entry_id) in d.entry_ids.iter().enumerate() {
        sqlx::query(
            "INSERT INTO digest_entries (digest_id, entry_id, position) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(entry_id)
        .bind(pos as i64)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Freezes a digest and snapshots its recipients (the subscribers confirmed now) into the
/// delivery ledger, in one transaction. Idempotent: a frozen digest keeps its first snapshot.
/// Returns the number of deliveries created by this call.
pub async fn freeze(pool: &Pool, digest_id: i64, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let mut tx = super::begin_write(pool).await?;
    let updated =
        sqlx::query("UPDATE digests SET frozen_at = $2 WHERE id = $1 AND frozen_at IS NULL")
            .bind(digest_id)
            .bind(ts(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
    let created = if updated == 1 {
        sqlx::query(
            "INSERT INTO deliveries (digest_id, subscriber_id, status)
             SELECT $1, id, 'pending' FROM subscribers WHERE status = 'confirmed'
             ON CONFLICT (digest_id, subscriber_id) DO NOTHING",
        )
        .bind(digest_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
    } else {
        0
    };
    tx.commit().await?;
    Ok(created)
}

/// Marks a digest as fully sent.
pub async fn mark_sent(pool: &Pool, digest_id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query("UPDATE digests SET sent_at = $2 WHERE id = $1 AND sent_at IS NULL")
        .bind(digest_id)
        .bind(ts(now))
        .execute(pool)
        .await?;
    Ok(())
}
