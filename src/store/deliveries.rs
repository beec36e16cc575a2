//! The `deliveries` aggregate: the ledger of who got which digest.
//!
//! A row is created for each confirmed subscriber when a digest is frozen
//! ([`super::digests::freeze`]); it moves `pending → sending → sent`, or to `failed` after too
//! many attempts, or to `skipped` when the reader left before their turn. A row is marked `sent`
//! only after the SMTP server accepted the message, so a crash can at worst leave a row in
//! `sending`, which [`claim`] retries: at-least-once, never silently dropped.

use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

use super::subscribers::subscriber;
use super::{Pool, StoreError, ts};
use crate::domain::Subscriber;

/// A delivery to attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Ledger row id.
    pub id: i64,
    /// The recipient.
    pub subscriber: Subscriber,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// Counts of a digest's deliveries by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Not yet attempted, or to be retried.
    pub pending: i64,
    /// Claimed by a sender.
    pub sending: i64,
    /// Accepted by the SMTP server.
    pub sent: i64,
    /// Given up.
    pub failed: i64,
    /// Recipient left before their turn.
    pub skipped: i64,
}

/// Claims the next batch of deliveries of a digest: pending ones, and ones stuck in `sending`
/// for longer than `lease` (a crashed sender). Recipients who unsubscribed since the snapshot
/// are marked `skipped` instead.
pub async fn claim(
    pool: &Pool,
    digest_id: i64,
    limit: i64,
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<Claimed>, StoreError> {
    let mut tx = super::begin_write(pool).await?;
    sqlx::query(
        "UPDATE deliveries SET status = 'skipped', error = 'unsubscribed before sending'
         WHERE digest_id = $1 AND status IN ('pending', 'sending')
           AND subscriber_id IN (SELECT id FROM subscribers WHERE status <> 'confirmed')",
    )
    .bind(digest_id)
    .execute(&mut *tx)
    .await?;
    let rows = sqlx::query(
        "SELECT d.id AS delivery_id, d.attempts, s.id, s.email, s.status, s.token, s.created_at
         FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
         WHERE d.digest_id = $1
           AND (d.status = 'pending' OR (d.status = 'sending' AND d.last_attempt_at < $2))
         ORDER BY d.id LIMIT $3",
    )
    .bind(digest_id)
    .bind(ts(now - lease))
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: i64 = row.try_get("delivery_id")?;
        sqlx::query("UPDATE deliveries SET status = 'sending', last_attempt_at = $2 WHERE id = $1")
            .bind(id)
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
        claimed.push(Claimed {
            id,
            attempts: row.try_get("attempts")?,
            subscriber: subscriber(row)?,
        });
    }
    tx.commit().await?;
    Ok(claimed)
}

/// Records that the SMTP server accepted the message.
pub async fn mark_sent(
    pool: &Pool,
    id: i64,
    smtp_reply: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE deliveries SET status = 'sent', attempts = attempts + 1, sent_at = $2,
            smtp_reply = $3, error = NULL WHERE id = $1",
    )
    .bind(id)
    .bind(ts(now))
    .bind(smtp_reply)
    .execute(pool)
    .await?;
    Ok(())
}

/// Records a failed attempt: back to `pending` for a retry, or `failed` when `give_up`.
pub async fn mark_failed(
    pool: &Pool,
    id: i64,
    error: &str,
    give_up: bool,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE deliveries SET status = $2, attempts = attempts + 1, error = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(if give_up { "failed" } else { "pending" })
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// Counts a digest's deliveries by status.
pub async fn tally(pool: &Pool, digest_id: i64) -> Result<Tally, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, COUNT(*) FROM deliveries WHERE digest_id = $1 GROUP BY status",
    )
    .bind(digest_id)
    .fetch_all(pool)
    .await?;
    let mut t = Tally::default();
    for (status, n) in rows {
        match status.as_str() {
            "pending" => t.pending = n,
            "sending" => t.sending = n,
            "sent" => t.sent = n,
            "failed" => t.failed = n,
            "skipped" => t.skipped = n,
            other => return Err(StoreError::Corrupt(format!("delivery status `{other}`"))),
        }
    }
    Ok(t)
}
