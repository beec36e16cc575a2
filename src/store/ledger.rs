//! One transaction per turn of a sender: record the attempts that came back, and claim as many
//! due deliveries as there are free slots.
//!
//! Why one: each statement is a round trip to SQLite's worker thread, and a write transaction
//! is the one writer's lock. `bench/send.sh` measured a third of the sender's CPU in those
//! round trips when records and claims were separate transactions of one statement per row; a
//! turn is now BEGIN, one UPDATE for every accepted message, one for their readers' bounce
//! counts, the claim's SELECT and UPDATE, COMMIT — however many messages it settles.
//!
//! The claim commits before any claimed message is sent, and a row becomes `sent` only in the
//! turn after the relay's 2xx: a crash costs at most the messages in flight (sent again under
//! the same Message-ID), never a skipped reader. The row lock is the transaction (SQLite has
//! one writer); on PostgreSQL the claim's SELECT takes `FOR UPDATE OF d SKIP LOCKED`, so that
//! several processes claim disjoint rows, and the batched UPDATE ... FROM (VALUES ...) is the
//! same statement there.

use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Row};

use super::subscribers::subscriber;
use super::{Db, Pool, StoreError, WriteTx, ts};
use crate::domain::{Claimed, Outcome, SubscriberStatus};

/// Rows per batched statement (three binds each; far under SQLite's 32,766 variables).
const BATCH: usize = 500;

/// Records `outcomes` of `run_id`'s attempts, then claims up to `want` due deliveries of
/// `digest_id`, in one transaction. A hard bounce counts towards `bounce_limit`; at the limit
/// the reader becomes bouncing.
pub async fn settle_and_claim(
    pool: &Pool,
    digest_id: i64,
    run_id: i64,
    outcomes: &[Outcome],
    want: usize,
    bounce_limit: u32,
    now: DateTime<Utc>,
) -> Result<Vec<Claimed>, StoreError> {
    if outcomes.is_empty() && want == 0 {
        return Ok(Vec::new());
    }
    let mut tx = super::begin_write(pool).await?;
    record_in(&mut tx, run_id, outcomes, bounce_limit, now).await?;
    let claimed = claim_in(&mut tx, digest_id, run_id, want, now).await?;
    tx.commit().await?;
    Ok(claimed)
}

async fn record_in(
    tx: &mut WriteTx,
    run_id: i64,
    outcomes: &[Outcome],
    bounce_limit: u32,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sent: Vec<(i64, i64, &str, &str)> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Sent {
                id,
                subscriber_id,
                reply,
                message_id,
            } => Some((*id, *subscriber_id, reply.as_str(), message_id.as_str())),
            _ => None,
        })
        .collect();
    for chunk in sent.chunks(BATCH) {
        mark_sent(tx, chunk, now).await?;
    }
    for o in outcomes {
        match o {
            Outcome::Sent { .. } => {}
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
                .execute(&mut **tx)
                .await?;
            }
            Outcome::Failed {
                id,
                subscriber_id,
                error,
                hard_bounce,
            } => {
                let failed = sqlx::query(
                    "UPDATE deliveries SET status = 'failed', error = $3, run_id = NULL
                     WHERE id = $1 AND run_id = $2 AND status = 'sending'",
                )
                .bind(id)
                .bind(run_id)
                .bind(error)
                .execute(&mut **tx)
                .await?
                .rows_affected();
                // A row taken over meanwhile is the other run's to settle (and to count).
                if *hard_bounce && failed == 1 {
                    super::bounces::count_hard_bounce(tx, *subscriber_id, bounce_limit, now)
                        .await?;
                }
            }
        }
    }
    Ok(())
}

/// Marks accepted messages sent, whoever holds their rows now (the relay took the message, so
/// it is sent), and starts their readers' hard-bounce counts again.
async fn mark_sent(
    tx: &mut WriteTx,
    rows: &[(i64, i64, &str, &str)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut qb = QueryBuilder::<Db>::new("WITH v(id, reply, mid) AS (VALUES ");
    let mut list = qb.separated(", ");
    for (id, _, reply, mid) in rows {
        list.push("(")
            .push_bind_unseparated(*id)
            .push_unseparated(", ")
            .push_bind_unseparated(*reply)
            .push_unseparated(", ")
            .push_bind_unseparated(*mid)
            .push_unseparated(")");
    }
    qb.push(
        ") UPDATE deliveries SET status = 'sent', smtp_reply = v.reply, message_id = v.mid, \
         error = NULL, run_id = NULL, sent_at = ",
    )
    .push_bind(ts(now))
    .push(" FROM v WHERE deliveries.id = v.id");
    qb.build().execute(&mut **tx).await?;
    let mut qb = QueryBuilder::<Db>::new(
        "UPDATE subscribers SET bounce_count = 0 WHERE bounce_count <> 0 AND id IN (",
    );
    push_ids(&mut qb, rows.iter().map(|r| r.1));
    qb.build().execute(&mut **tx).await?;
    Ok(())
}

fn push_ids(qb: &mut QueryBuilder<'_, Db>, ids: impl IntoIterator<Item = i64>) {
    let mut list = qb.separated(", ");
    for id in ids {
        list.push_bind(id);
    }
    qb.push(")");
}

/// Claims up to `limit` due deliveries of a digest for `run_id` inside `tx`. Rows whose reader
/// is no longer confirmed, or is bouncing, are marked `skipped` on the way and not returned.
async fn claim_in(
    tx: &mut WriteTx,
    digest_id: i64,
    run_id: i64,
    limit: usize,
    now: DateTime<Utc>,
) -> Result<Vec<Claimed>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
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
    .fetch_all(&mut **tx)
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
        push_ids(&mut qb, ids.iter().copied());
        qb.build().execute(&mut **tx).await?;
    }
    if !take.is_empty() {
        let mut qb = QueryBuilder::<Db>::new(
            "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, run_id = ",
        );
        qb.push_bind(run_id)
            .push(", last_attempt_at = ")
            .push_bind(ts(now))
            .push(" WHERE id IN (");
        push_ids(&mut qb, take.iter().copied());
        qb.build().execute(&mut **tx).await?;
    }
    Ok(claimed)
}

#[cfg(test)]
mod tests;
