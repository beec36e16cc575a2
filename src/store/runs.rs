//! The `delivery_runs` aggregate: each `send` process working on a digest, with its heartbeat.
//!
//! A run that finished, or whose heartbeat stopped, holds nothing: [`take_over`] hands its
//! `sending` rows back to `pending` at once, so a restarted send never waits out a lease, and a
//! slow but live run (still beating) is never taken over.

use chrono::{DateTime, Duration, Utc};
use sqlx::QueryBuilder;

use super::{Db, Pool, StoreError, from_ts, ts};

/// A run that has not finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRun {
    /// Its id.
    pub id: i64,
    /// The machine it runs on.
    pub host: String,
    /// Its process id there.
    pub pid: i64,
    /// Its last heartbeat.
    pub heartbeat_at: DateTime<Utc>,
}

/// Records a new run of `digest_id` and returns its id.
pub async fn start(
    pool: &Pool,
    digest_id: i64,
    host: &str,
    pid: i64,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let _slot = super::write_slot().await;
    Ok(sqlx::query_scalar(
        "INSERT INTO delivery_runs (digest_id, host, pid, started_at, heartbeat_at)
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(digest_id)
    .bind(host)
    .bind(pid)
    .bind(ts(now))
    .fetch_one(pool)
    .await?)
}

/// The run is alive.
pub async fn heartbeat(pool: &Pool, run_id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    let _slot = super::write_slot().await;
    sqlx::query("UPDATE delivery_runs SET heartbeat_at = $2 WHERE id = $1")
        .bind(run_id)
        .bind(ts(now))
        .execute(pool)
        .await?;
    Ok(())
}

/// Every unfinished run of a digest except `except`.
pub async fn open_runs(
    pool: &Pool,
    digest_id: i64,
    except: i64,
) -> Result<Vec<OpenRun>, StoreError> {
    let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
        "SELECT id, host, pid, heartbeat_at FROM delivery_runs
         WHERE digest_id = $1 AND finished_at IS NULL AND id <> $2 ORDER BY id",
    )
    .bind(digest_id)
    .bind(except)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, host, pid, hb)| OpenRun {
            id,
            host,
            pid,
            heartbeat_at: from_ts(hb),
        })
        .collect())
}

/// Marks `dead` runs finished and hands their `sending` rows back to `pending`, due now; also
/// rows left in `sending` without a run (by versions before runs existed) for longer than
/// `legacy_lease`. Returns the number of rows handed back.
pub async fn take_over(
    pool: &Pool,
    digest_id: i64,
    dead: &[i64],
    legacy_lease: Duration,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let mut tx = super::begin_write(pool).await?;
    let mut released = 0;
    if !dead.is_empty() {
        let mut qb = QueryBuilder::<Db>::new("UPDATE delivery_runs SET finished_at = ");
        qb.push_bind(ts(now))
            .push(", outcome = 'dead' WHERE finished_at IS NULL AND id IN (");
        push_ids(&mut qb, dead);
        qb.build().execute(&mut *tx).await?;
        let mut qb = QueryBuilder::<Db>::new(
            "UPDATE deliveries SET status = 'pending', run_id = NULL, next_attempt_at = 0
             WHERE status = 'sending' AND run_id IN (",
        );
        push_ids(&mut qb, dead);
        released += qb.build().execute(&mut *tx).await?.rows_affected();
    }
    released += sqlx::query(
        "UPDATE deliveries SET status = 'pending', next_attempt_at = 0
         WHERE digest_id = $1 AND status = 'sending' AND run_id IS NULL AND last_attempt_at < $2",
    )
    .bind(digest_id)
    .bind(ts(now - legacy_lease))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(released)
}

/// Ends a run: whatever it still holds goes back to `pending` (a graceful stop), and the run
/// records how it ended.
pub async fn finish(
    pool: &Pool,
    run_id: i64,
    outcome: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = super::begin_write(pool).await?;
    sqlx::query(
        "UPDATE deliveries SET status = 'pending', run_id = NULL
         WHERE run_id = $1 AND status = 'sending'",
    )
    .bind(run_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE delivery_runs SET finished_at = $2, outcome = $3 WHERE id = $1")
        .bind(run_id)
        .bind(ts(now))
        .bind(outcome)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

fn push_ids(qb: &mut QueryBuilder<'_, Db>, ids: &[i64]) {
    let mut list = qb.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    qb.push(")");
}
