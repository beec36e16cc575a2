//! The `job_runs` aggregate: every run of a scheduled job for a period, and how it ended.
//!
//! A period is settled once one of its runs ended `done` (or `missed`: reported, not to be
//! done); the scheduler asks before it acts, while holding the job's lease.

use chrono::{DateTime, Utc};

use super::{Pool, StoreError, from_ts, ts};

/// How a job run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// It did its work.
    Done,
    /// It failed; a later tick tries again.
    Failed,
    /// Its time passed more than `schedule.catch_up_hours` ago: reported, not done.
    Missed,
    /// Shutdown stopped it; it is resumed at the next start.
    Stopped,
}

impl RunOutcome {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Done => "done",
            RunOutcome::Failed => "failed",
            RunOutcome::Missed => "missed",
            RunOutcome::Stopped => "stopped",
        }
    }
}

/// One recorded run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    /// The job's name.
    pub job: String,
    /// Its period key.
    pub period: String,
    /// The process that ran it.
    pub holder: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended, if it did.
    pub finished_at: Option<DateTime<Utc>>,
    /// `done`, `failed`, `missed` or `stopped`; none while running.
    pub outcome: Option<String>,
    /// Its one-line summary.
    pub summary: Option<String>,
}

/// Whether a run of `job` for `period` ended `done` or `missed`.
pub async fn settled(pool: &Pool, job: &str, period: &str) -> Result<bool, StoreError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM job_runs WHERE job = $1 AND period = $2
         AND outcome IN ('done', 'missed')",
    )
    .bind(job)
    .bind(period)
    .fetch_one(pool)
    .await?;
    Ok(n > 0)
}

/// Records the start of a run and returns its id.
pub async fn start(
    pool: &Pool,
    job: &str,
    period: &str,
    holder: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let _slot = super::write_slot().await;
    Ok(sqlx::query_scalar(
        "INSERT INTO job_runs (job, period, holder, started_at) VALUES ($1, $2, $3, $4)
         RETURNING id",
    )
    .bind(job)
    .bind(period)
    .bind(holder)
    .bind(ts(now))
    .fetch_one(pool)
    .await?)
}

/// Records how run `id` ended.
pub async fn finish(
    pool: &Pool,
    id: i64,
    outcome: RunOutcome,
    summary: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let _slot = super::write_slot().await;
    sqlx::query("UPDATE job_runs SET finished_at = $2, outcome = $3, summary = $4 WHERE id = $1")
        .bind(id)
        .bind(ts(now))
        .bind(outcome.as_str())
        .bind(summary)
        .execute(pool)
        .await?;
    Ok(())
}

/// Records a run that was not done (`missed`), in one step.
pub async fn record_missed(
    pool: &Pool,
    job: &str,
    period: &str,
    holder: &str,
    summary: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let id = start(pool, job, period, holder, now).await?;
    finish(pool, id, RunOutcome::Missed, summary, now).await
}

/// Every run of `job`, oldest first.
pub async fn list(pool: &Pool, job: &str) -> Result<Vec<JobRun>, StoreError> {
    type Raw = (
        String,
        String,
        String,
        i64,
        Option<i64>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Raw> = sqlx::query_as(
        "SELECT job, period, holder, started_at, finished_at, outcome, summary FROM job_runs
         WHERE job = $1 ORDER BY id",
    )
    .bind(job)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(job, period, holder, s, f, outcome, summary)| JobRun {
            job,
            period,
            holder,
            started_at: from_ts(s),
            finished_at: f.map(from_ts),
            outcome,
            summary,
        })
        .collect())
}

/// Forgets finished runs that started before `before` (housekeeping).
pub async fn prune(pool: &Pool, before: DateTime<Utc>) -> Result<u64, StoreError> {
    let _slot = super::write_slot().await;
    Ok(
        sqlx::query("DELETE FROM job_runs WHERE finished_at IS NOT NULL AND started_at < $1")
            .bind(ts(before))
            .execute(pool)
            .await?
            .rows_affected(),
    )
}
