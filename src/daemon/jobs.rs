//! What each scheduled job does: the same functions as the CLI, through an [`App`] handed in.
//! [`Jobs`] is the seam the scheduler's tests replace.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::app::{App, SendOutcome};
use crate::domain::DigestWeek;
use crate::store::{self, Pool, jobs::RunOutcome};

/// The scheduled jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Job {
    /// Poll the feeds that are due (each feed's next-check time decides).
    Fetch,
    /// Build the digest of the week that just ended.
    Digest,
    /// Send the digest of the week that just ended.
    Send,
    /// Resume every digest whose sending began and did not finish.
    Resume,
    /// Housekeeping: prune old entries and old job records.
    Prune,
}

impl Job {
    /// The job's name in logs and `job_runs`.
    pub fn name(self) -> &'static str {
        match self {
            Job::Fetch => "fetch",
            Job::Digest => "digest",
            Job::Send => "send",
            Job::Resume => "resume",
            Job::Prune => "prune",
        }
    }

    /// The lease it runs under: resuming and sending share one, so they never overlap.
    pub fn lease(self) -> &'static str {
        match self {
            Job::Fetch => "job:fetch",
            Job::Digest => "job:digest",
            Job::Send | Job::Resume => "job:send",
            Job::Prune => "job:prune",
        }
    }

    /// Whether a period is done once (digest, send, prune) rather than each tick.
    pub fn once_per_period(self) -> bool {
        matches!(self, Job::Digest | Job::Send | Job::Prune)
    }
}

/// How a run ended, and its one-line summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobResult {
    /// Done, failed or stopped.
    pub outcome: RunOutcome,
    /// For the log and `job_runs.summary`.
    pub summary: String,
}

impl JobResult {
    fn done(summary: String) -> Self {
        Self {
            outcome: RunOutcome::Done,
            summary,
        }
    }
}

/// A boxed job future.
pub type JobFuture<'a> = Pin<Box<dyn Future<Output = JobResult> + Send + 'a>>;

/// What the scheduler drives.
pub trait Jobs: Send + Sync {
    /// The database holding leases and job runs.
    fn pool(&self) -> &Pool;
    /// Runs `job` for the tick `tick` (whose week or day is `period`); `now` is the clock's.
    /// `cancel` asks a long job to stop claiming work and wind down.
    fn run<'a>(
        &'a self,
        job: Job,
        tick: DateTime<Utc>,
        now: DateTime<Utc>,
        week: DigestWeek,
        cancel: &'a CancellationToken,
    ) -> JobFuture<'a>;
}

/// The real jobs.
#[derive(Debug, Clone)]
pub struct AppJobs(pub App);

impl Jobs for AppJobs {
    fn pool(&self) -> &Pool {
        &self.0.pool
    }

    fn run<'a>(
        &'a self,
        job: Job,
        _tick: DateTime<Utc>,
        now: DateTime<Utc>,
        week: DigestWeek,
        cancel: &'a CancellationToken,
    ) -> JobFuture<'a> {
        Box::pin(async move {
            let app = &self.0;
            let result = match job {
                Job::Fetch => fetch(app).await,
                Job::Digest => app
                    .digest(week)
                    .await
                    .map(|d| JobResult::done(format!("digest {week}: {} stories", d.story_count))),
                Job::Send => send(app, week, cancel).await,
                Job::Resume => resume(app, cancel).await,
                Job::Prune => prune(app, now).await,
            };
            result.unwrap_or_else(|e| JobResult {
                outcome: RunOutcome::Failed,
                summary: format!("{e:#}").replace('\n', " "),
            })
        })
    }
}

async fn fetch(app: &App) -> anyhow::Result<JobResult> {
    let r = app.fetch(None, false, |_| {}).await?;
    Ok(JobResult::done(format!(
        "{} feeds: {} new, {} updated, {} unchanged, {} failed",
        r.feeds, r.new_entries, r.updated_entries, r.unchanged, r.failed
    )))
}

async fn send(
    app: &App,
    week: DigestWeek,
    cancel: &CancellationToken,
) -> anyhow::Result<JobResult> {
    let outcome = app.send_until(week, cancel, &|_| {}).await?;
    Ok(match outcome {
        SendOutcome::Empty(_) => {
            JobResult::done(format!("digest {week}: no stories, nothing sent"))
        }
        SendOutcome::BelowMinimum(d) => JobResult::done(format!(
            "digest {week}: {} stories, fewer than digest.min_stories = {}: nothing sent, they \
             roll into the next digest",
            d.story_count, app.settings.digest.min_stories
        )),
        SendOutcome::Sent(_, r) => {
            let summary = format!(
                "digest {week}: {} sent now, {} sent in all, {} failed, {} pending{}",
                r.sent,
                r.tally.sent,
                r.tally.failed,
                r.tally.pending + r.tally.sending,
                r.stopped
                    .as_deref()
                    .map(|s| format!("; stopped: {s}"))
                    .unwrap_or_default()
            );
            // A send that stopped short (relay down, deliveries deferred far) is not done:
            // the scheduler tries again within the catch-up window, resuming the ledger.
            let outcome = match r.stopped.as_deref() {
                Some(crate::mail::deliver::SHUTDOWN) => RunOutcome::Stopped,
                Some(_) if !r.tally.settled() => RunOutcome::Failed,
                _ => RunOutcome::Done,
            };
            JobResult { outcome, summary }
        }
    })
}

async fn resume(app: &App, cancel: &CancellationToken) -> anyhow::Result<JobResult> {
    let open: Vec<DigestWeek> = store::digests::list_frozen(&app.pool)
        .await?
        .into_iter()
        .filter(|d| d.sent_at.is_none())
        .map(|d| d.week)
        .collect();
    if open.is_empty() {
        return Ok(JobResult::done("no unfinished send".into()));
    }
    let mut parts = Vec::new();
    let mut outcome = RunOutcome::Done;
    for week in open {
        if cancel.is_cancelled() {
            outcome = RunOutcome::Stopped;
            break;
        }
        let r = send(app, week, cancel).await?;
        if r.outcome != RunOutcome::Done {
            outcome = r.outcome;
        }
        parts.push(format!("resumed {}", r.summary));
    }
    Ok(JobResult {
        outcome,
        summary: parts.join("; "),
    })
}

async fn prune(app: &App, now: DateTime<Utc>) -> anyhow::Result<JobResult> {
    let days = app.settings.store.keep_days;
    if days == 0 {
        return Ok(JobResult::done(
            "store.keep_days = 0: every entry kept".into(),
        ));
    }
    let cutoff = now - chrono::Duration::days(i64::from(days));
    let (pruned, kept) = store::housekeeping::prune_entries(&app.pool, cutoff).await?;
    // Job records are small; a few months of them is history enough.
    let runs = store::jobs::prune(&app.pool, now - chrono::Duration::days(92)).await?;
    Ok(JobResult::done(format!(
        "pruned {pruned} entries older than {days} days, kept {kept} older ones that a digest \
         carried; forgot {runs} old job runs"
    )))
}
