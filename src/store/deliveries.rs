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
//! flight (sent again, under the same Message-ID), never a skipped reader.

use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Row};

use super::subscribers::subscriber;
use super::{Db, Pool, StoreError, from_ts, ts};
use crate::domain::{Subscriber, SubscriberStatus};

/// A delivery to attempt now.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Ledger row id.
    pub id: i64,
    /// The recipient.
    pub subscriber: Subscriber,
    /// Attempts made, this one included.
    pub attempts: i64,
}

/// What one attempt came to, to be recorded.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The relay accepted the message (2xx).
    Sent {
        /// Ledger row id.
        id: i64,
        /// The recipient (their hard-bounce count starts again).
        subscriber_id: i64,
        /// The relay's reply.
        reply: String,
        /// The Message-ID sent.
        message_id: String,
    },
    /// A passing failure: try again at `next_attempt_at`.
    Deferred {
        /// Ledger row id.
        id: i64,
        /// What went wrong.
        error: String,
        /// Not before.
        next_attempt_at: DateTime<Utc>,
        /// Whether the relay was reached at all; if not, the attempt does not count.
        attempted: bool,
    },
    /// Given up: a 5xx (a hard bounce) or too many attempts.
    Failed {
        /// Ledger row id.
        id: i64,
        /// The recipient.
        subscriber_id: i64,
        /// The relay's reply or the last error.
        error: String,
        /// A 5xx reply: counts towards `delivery.bounce_limit`.
        hard_bounce: bool,
    },
}

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

fn push_ids(qb: &mut QueryBuilder<'_, Db>, ids: &[i64]) {
    let mut list = qb.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    qb.push(")");
}

/// Claims up to `limit` due deliveries of a digest for `run_id`, in one transaction that
/// commits before any of them is sent. Rows whose reader is no longer confirmed, or is
/// bouncing, are marked `skipped` on the way and not returned.
///
/// The row lock is the transaction (SQLite has one writer); on PostgreSQL the SELECT takes
/// `FOR UPDATE OF d SKIP LOCKED`, so that several processes claim disjoint rows.
pub async fn claim(
    pool: &Pool,
    digest_id: i64,
    run_id: i64,
    limit: usize,
    now: DateTime<Utc>,
) -> Result<Vec<Claimed>, StoreError> {
    let mut tx = super::begin_write(pool).await?;
    let rows = sqlx::query(
        "SELECT d.id AS delivery_id, d.attempts, s.id, s.email, s.status, s.token, s.created_at,
                s.bouncing_at
         FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
         WHERE d.digest_id = $1 AND d.status = 'pending' AND d.next_attempt_at <= $2
         ORDER BY d.next_attempt_at, d.id LIMIT $3",
    )
    .bind(digest_id)
    .bind(ts(now))
    .bind(limit as i64)
    .fetch_all(&mut *tx)
    .await?;
    let (mut take, mut left, mut bouncing) = (Vec::new(), Vec::new(), Vec::new());
    let mut claimed = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: i64 = row.try_get("delivery_id")?;
        let s = subscriber(row)?;
        if s.status != SubscriberStatus::Confirmed {
            left.push(id);
        } else if row.try_get::<Option<i64>, _>("bouncing_at")?.is_some() {
            bouncing.push(id);
        } else {
            take.push(id);
            claimed.push(Claimed {
                id,
                attempts: row.try_get::<i64, _>("attempts")? + 1,
                subscriber: s,
            });
        }
    }
    for (ids, why) in [
        (&left, "unsubscribed before sending"),
        (&bouncing, "address bouncing"),
    ] {
        if ids.is_empty() {
            continue;
        }
        let mut qb = QueryBuilder::<Db>::new("UPDATE deliveries SET status = 'skipped', error = ");
        qb.push_bind(why).push(" WHERE id IN (");
        push_ids(&mut qb, ids);
        qb.build().execute(&mut *tx).await?;
    }
    if !take.is_empty() {
        let mut qb = QueryBuilder::<Db>::new(
            "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, run_id = ",
        );
        qb.push_bind(run_id)
            .push(", last_attempt_at = ")
            .push_bind(ts(now))
            .push(" WHERE id IN (");
        push_ids(&mut qb, &take);
        qb.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(claimed)
}

/// Records the outcomes of several attempts by `run_id` in one transaction (one commit for a
/// batch of replies: what lets thousands of messages a second go through one SQLite writer).
/// A hard bounce counts towards `bounce_limit`; at the limit the reader becomes bouncing.
pub async fn record(
    pool: &Pool,
    run_id: i64,
    outcomes: &[Outcome],
    bounce_limit: u32,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = super::begin_write(pool).await?;
    for o in outcomes {
        match o {
            Outcome::Sent {
                id,
                subscriber_id,
                reply,
                message_id,
            } => {
                // Whoever holds the row now: the relay took the message, so it is sent.
                sqlx::query(
                    "UPDATE deliveries SET status = 'sent', sent_at = $2, smtp_reply = $3,
                        message_id = $4, error = NULL, run_id = NULL WHERE id = $1",
                )
                .bind(id)
                .bind(ts(now))
                .bind(reply)
                .bind(message_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE subscribers SET bounce_count = 0 WHERE id = $1 AND bounce_count <> 0",
                )
                .bind(subscriber_id)
                .execute(&mut *tx)
                .await?;
            }
            Outcome::Deferred {
                id,
                error,
                next_attempt_at,
                attempted,
            } => {
                // Only a row this run still holds: one taken over meanwhile may be sent.
                sqlx::query(
                    "UPDATE deliveries SET status = 'pending', error = $3, next_attempt_at = $4,
                        run_id = NULL, attempts = attempts - $5
                     WHERE id = $1 AND run_id = $2 AND status = 'sending'",
                )
                .bind(id)
                .bind(run_id)
                .bind(error)
                .bind(ts(*next_attempt_at))
                .bind(i64::from(!*attempted))
                .execute(&mut *tx)
                .await?;
            }
            Outcome::Failed {
                id,
                subscriber_id,
                error,
                hard_bounce,
            } => {
                sqlx::query(
                    "UPDATE deliveries SET status = 'failed', error = $3, run_id = NULL
                     WHERE id = $1 AND run_id = $2 AND status = 'sending'",
                )
                .bind(id)
                .bind(run_id)
                .bind(error)
                .execute(&mut *tx)
                .await?;
                if *hard_bounce {
                    super::bounces::count_hard_bounce(&mut tx, *subscriber_id, bounce_limit, now)
                        .await?;
                }
            }
        }
    }
    tx.commit().await?;
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
