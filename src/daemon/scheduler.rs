//! Cron → jobs. One loop: sleep until the earliest due job, run it, repeat; stop when cancelled.
//! Jobs run one at a time, so a long fetch delays a digest rather than racing it; a job whose
//! time passed while another ran runs once, not once per missed tick.

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::app::{App, SendOutcome};

/// The scheduled jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Poll the feeds that are due.
    Fetch,
    /// Build the last complete week's digest.
    Digest,
    /// Send the last complete week's digest.
    Send,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Done; a summary for the log.
    Done(String),
    /// Failed; the reason.
    Failed(String),
}

fn next_after(app: &App, job: Job, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let s = &app.settings.schedule;
    let expr = match job {
        Job::Fetch => &s.fetch,
        Job::Digest => &s.digest,
        Job::Send => &s.send,
    };
    let tz = app.settings.digest.timezone.0;
    expr.schedule()
        .after(&after.with_timezone(&tz))
        .next()
        .map(|t| t.with_timezone(&Utc))
}

/// Runs one job now.
pub async fn run_job(app: &App, job: Job) -> JobOutcome {
    let result: anyhow::Result<String> = async {
        match job {
            Job::Fetch => {
                let r = app.fetch(None, false, |_| {}).await?;
                Ok(format!(
                    "{} feeds: {} new, {} updated, {} unchanged, {} failed",
                    r.feeds, r.new_entries, r.updated_entries, r.unchanged, r.failed
                ))
            }
            Job::Digest => {
                let week = app.last_complete_week(Utc::now());
                let d = app.digest(week).await?;
                Ok(format!("digest {week}: {} stories", d.story_count))
            }
            Job::Send => {
                let week = app.last_complete_week(Utc::now());
                Ok(match app.send(week).await? {
                    SendOutcome::Empty(_) => format!("digest {week}: no stories, nothing sent"),
                    SendOutcome::BelowMinimum(d) => format!(
                        "digest {week}: {} stories, fewer than digest.min_stories = {}: nothing \
                         sent, they roll into the next digest",
                        d.story_count, app.settings.digest.min_stories
                    ),
                    SendOutcome::Sent(_, r) => format!(
                        "digest {week}: {} sent now, {} sent in all, {} failed",
                        r.sent, r.tally.sent, r.tally.failed
                    ),
                })
            }
        }
    }
    .await;
    match result {
        Ok(summary) => JobOutcome::Done(summary),
        Err(e) => JobOutcome::Failed(format!("{e:#}")),
    }
}

/// The scheduler loop.
pub async fn run(app: App, shutdown: CancellationToken) {
    let jobs = [Job::Fetch, Job::Digest, Job::Send];
    let mut next: Vec<Option<DateTime<Utc>>> = jobs
        .iter()
        .map(|j| next_after(&app, *j, Utc::now()))
        .collect();
    tracing::info!(
        fetch = ?next[0], digest = ?next[1], send = ?next[2],
        "scheduler started"
    );
    loop {
        let Some((i, at)) = next
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.map(|t| (i, t)))
            .min_by_key(|(_, t)| *t)
        else {
            tracing::warn!("no scheduled job has a next run; scheduler idle");
            shutdown.cancelled().await;
            return;
        };
        let wait = (at - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        let job = jobs[i];
        match run_job(&app, job).await {
            JobOutcome::Done(s) => tracing::info!(job = ?job, "{s}"),
            JobOutcome::Failed(e) => tracing::error!(job = ?job, "job failed: {e}"),
        }
        next[i] = next_after(&app, job, Utc::now().max(at));
    }
}
