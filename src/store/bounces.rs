//! Hard bounces per subscriber: `bounce_count` (consecutive 5xx replies) and `bouncing_at`
//! (set at `delivery.bounce_limit`). A bouncing subscriber keeps their stored status; every
//! query that picks recipients also asks `bouncing_at IS NULL`. Kept apart from
//! `subscribers.rs`, which sign-up owns.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::{Pool, StoreError, WriteTx, ts};

/// Counts one hard bounce; at `limit` consecutive ones the subscriber becomes bouncing.
pub(crate) async fn count_hard_bounce(
    tx: &mut WriteTx,
    subscriber_id: i64,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE subscribers SET bounce_count = bounce_count + 1,
            bouncing_at = CASE WHEN bounce_count + 1 >= $2 THEN COALESCE(bouncing_at, $3)
                               ELSE bouncing_at END
         WHERE id = $1",
    )
    .bind(subscriber_id)
    .bind(i64::from(limit))
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Ids of the subscribers who are bouncing (for `subscribers list`).
pub async fn bouncing_ids(pool: &Pool) -> Result<HashSet<i64>, StoreError> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM subscribers WHERE bouncing_at IS NOT NULL")
            .fetch_all(pool)
            .await?;
    Ok(ids.into_iter().collect())
}

/// Consecutive hard bounces of an address (0 when unknown).
pub async fn bounce_count(pool: &Pool, email: &str) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT bounce_count FROM subscribers WHERE email = $1")
            .bind(email)
            .fetch_optional(pool)
            .await?
            .unwrap_or(0),
    )
}
