//! The `deliveries` aggregate: the ledger of who got which digest.
//!
//! A row is created for each confirmed subscriber when a digest is frozen
//! ([`super::digests::freeze`]). It moves `pending → sending → sent`; a passing failure puts it
//! back to `pending` with a later `next_attempt_at`; it ends `failed` on a 5xx or after too many
//! attempts, or `skipped` when the reader left (or started bouncing) before their turn.
//!
//! A run claims only as many rows as it is about to put in flight, and the claim commits
//! before the SMTP transaction starts; a row is marked `sent` only after the relay's 2xx. A run
//! that dies leaves its rows in `sending` under its id; [`super::runs::take_over`] hands them
//! back as soon as the run is known dead. So a crash costs at most the messages that were in
//! flight (sent again, under the same Message-ID), never a skipped reader. Claims and records
//! are [`super::ledger`].

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::subscribers::subscriber;
use super::{Pool, StoreError, from_ts};
use crate::domain::Subscriber;

/// Counts of a digest's deliveries by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    /// Not yet attempted, or to be retried.
    pub pending: i64,
    /// Claimed by a sender.
    pub sending: i64,
    /// Accepted by the SMTP server.
    pub sent: i64,
    /// Given up.
    pub failed: i64,
    /// Recipient left (or was bouncing) before their turn.
    pub skipped: i64,
}

impl Tally {
    /// Every delivery settled (sent, failed or skipped)?
    pub fn settled(&self) -> bool {
        self.pending == 0 && self.sending == 0
    }
    /// All rows.
    pub fn total(&self) -> i64 {
        self.pending + self.sending + self.sent + self.failed + self.skipped
    }
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

/// When the earliest pending delivery of a digest comes due (`None`: nothing pending).
pub async fn next_due(pool: &Pool, digest_id: i64) -> Result<Option<DateTime<Utc>>, StoreError> {
    let t: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(next_attempt_at) FROM deliveries WHERE digest_id = $1 AND status = 'pending'",
    )
    .bind(digest_id)
    .fetch_one(pool)
    .await?;
    Ok(t.map(from_ts))
}

/// One ledger row, for `deliveries` and the summary of `send`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeliveryRow {
    /// The recipient.
    pub email: String,
    /// `pending`, `sending`, `sent`, `failed` or `skipped`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// The last error or failing reply.
    pub error: Option<String>,
    /// The relay's reply to the accepted message.
    pub smtp_reply: Option<String>,
    /// The Message-ID sent.
    pub message_id: Option<String>,
    /// Not before (Unix seconds), for pending rows.
    pub next_attempt_at: i64,
}

/// The rows of a digest that are not simply sent: failed, skipped, deferred (pending with an
/// error), in ledger order; at most `limit`.
pub async fn problems(
    pool: &Pool,
    digest_id: i64,
    limit: i64,
) -> Result<Vec<DeliveryRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT s.email, d.status, d.attempts, d.error, d.smtp_reply, d.message_id,
                d.next_attempt_at
         FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
         WHERE d.digest_id = $1 AND (d.status IN ('failed', 'skipped')
            OR (d.status = 'pending' AND d.error IS NOT NULL))
         ORDER BY d.id LIMIT $2",
    )
    .bind(digest_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DeliveryRow {
                email: r.try_get("email")?,
                status: r.try_get("status")?,
                attempts: r.try_get("attempts")?,
                error: r.try_get("error")?,
                smtp_reply: r.try_get("smtp_reply")?,
                message_id: r.try_get("message_id")?,
                next_attempt_at: r.try_get("next_attempt_at")?,
            })
        })
        .collect()
}

/// Who a send of this digest would mail now: its pending ledger rows once frozen, else every
/// confirmed subscriber who is not bouncing. The count, and the first `limit` of them.
pub async fn would_receive(
    pool: &Pool,
    digest_id: i64,
    frozen: bool,
    limit: i64,
) -> Result<(i64, Vec<Subscriber>), StoreError> {
    let filter = if frozen {
        "FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
         WHERE d.digest_id = $1 AND d.status IN ('pending', 'sending')
           AND s.status = 'confirmed' AND s.bouncing_at IS NULL"
    } else {
        "FROM subscribers s WHERE $1 = $1 AND s.status = 'confirmed' AND s.bouncing_at IS NULL"
    };
    let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {filter}"))
        .bind(digest_id)
        .fetch_one(pool)
        .await?;
    let rows = sqlx::query(&format!(
        "SELECT s.id, s.email, s.status, s.token, s.created_at {filter} ORDER BY s.id LIMIT $2"
    ))
    .bind(digest_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let subs = rows.iter().map(subscriber).collect::<Result<_, _>>()?;
    Ok((count, subs))
}
