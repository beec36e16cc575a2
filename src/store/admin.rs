//! The dashboard's sessions and the service's history: fetches per day and the last successful
//! run of each job. Only stores; deciding who is signed in is the web's job.

use chrono::{DateTime, Utc};

use super::{Pool, StoreError, from_ts, ts};

/// Records a new session (the token's hash) valid until `expires`; drops expired ones.
pub async fn create_session(
    pool: &Pool,
    token_hash: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = super::begin_write(pool).await?;
    sqlx::query("DELETE FROM admin_sessions WHERE expires_at <= $1")
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO admin_sessions (token_hash, created_at, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(token_hash)
    .bind(ts(now))
    .bind(ts(expires))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether `token_hash` names a session that has not expired at `now`.
pub async fn session_valid(
    pool: &Pool,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM admin_sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(ts(now))
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}

/// Ends a session (sign out).
pub async fn end_session(pool: &Pool, token_hash: &str) -> Result<(), StoreError> {
    let _slot = super::write_slot().await;
    sqlx::query("DELETE FROM admin_sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(pool)
        .await?;
    Ok(())
}

/// Fetches of one run, by result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchCounts {
    /// Parsed and stored.
    pub updated: i64,
    /// 304 or the same body.
    pub unchanged: i64,
    /// Failed.
    pub failed: i64,
}

/// Adds a run's fetches to the day of `now` (UTC), in one transaction.
pub async fn add_fetches(
    pool: &Pool,
    counts: FetchCounts,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let day = ts(now) - ts(now).rem_euclid(86_400);
    let mut tx = super::begin_write(pool).await?;
    for (result, n) in [
        ("updated", counts.updated),
        ("unchanged", counts.unchanged),
        ("failed", counts.failed),
    ] {
        if n == 0 {
            continue;
        }
        sqlx::query(
            "INSERT INTO fetch_days (day, result, fetches) VALUES ($1, $2, $3)
             ON CONFLICT (day, result) DO UPDATE SET fetches = fetch_days.fetches + excluded.fetches",
        )
        .bind(day)
        .bind(result)
        .bind(n)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Records that `job` succeeded at `now`.
pub async fn job_succeeded(pool: &Pool, job: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    let _slot = super::write_slot().await;
    sqlx::query(
        "INSERT INTO job_successes (job, at) VALUES ($1, $2)
         ON CONFLICT (job) DO UPDATE SET at = excluded.at",
    )
    .bind(job)
    .bind(ts(now))
    .execute(pool)
    .await?;
    Ok(())
}

/// The last success of each job that ever succeeded, by name.
pub async fn job_successes(pool: &Pool) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT job, at FROM job_successes ORDER BY job")
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|(j, at)| (j, from_ts(at))).collect())
}
