//! The loop: sleep until the earliest due run, run it under its job's lease, repeat; stop when
//! cancelled.
//!
//! At start: every digest whose sending began and did not finish is resumed, the digest, send
//! and housekeeping runs whose time passed while the daemon was down catch up (within
//! `schedule.catch_up_hours`; an older one is recorded `missed` and logged), and due feeds are
//! fetched at once. Jobs run one at a time, so a long fetch delays a digest rather than racing
//! it; a tick that passed while another job ran runs once, not once per missed tick. A run
//! whose lease another process holds comes back after a lease's length: by then that process
//! has settled the period (and this run does nothing) or died (and its lease expired).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::{Clock, Job, JobResult, Jobs, Plan, Status};
use crate::store::{self, jobs::RunOutcome};

/// A failed digest or send is tried again after this long (within the catch-up window).
const RETRY_AFTER_MINUTES: i64 = 10;

/// This process's name as a lease holder: host, pid and a random part (pids are reused).
pub fn holder_id() -> String {
    format!(
        "{}:{}:{:08x}",
        crate::mail::run::host_name(),
        std::process::id(),
        rand::random::<u32>()
    )
}

/// One planned run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Due {
    job: Job,
    /// When to run it.
    at: DateTime<Utc>,
    /// The scheduled time it stands for (its period).
    tick: DateTime<Utc>,
    /// The job's regular tick (a catch-up or retry is a one-off and plans no successor).
    regular: bool,
}

/// What became of a planned run.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ran {
    /// It ran.
    Finished,
    /// Its period was settled already (done, or reported missed now or before).
    Settled,
    /// Another process holds the lease.
    Busy,
    /// It failed.
    Failed,
}

/// The scheduler: jobs, their plan, a clock and this process's holder name.
pub struct Scheduler<J: Jobs, C: Clock> {
    jobs: Arc<J>,
    plan: Plan,
    clock: Arc<C>,
    holder: String,
    status: Status,
}

impl<J: Jobs + 'static, C: Clock + 'static> Scheduler<J, C> {
    /// A scheduler that will report its state in `status`.
    pub fn new(jobs: Arc<J>, plan: Plan, clock: Arc<C>, holder: String, status: Status) -> Self {
        Self {
            jobs,
            plan,
            clock,
            holder,
            status,
        }
    }

    /// Runs until `shutdown` is cancelled; a job in flight gets `shutdown` too and winds down.
    pub async fn run(self, shutdown: CancellationToken) {
        self.status.set(true);
        let now = self.clock.now();
        let mut queue = self.start_plan(now);
        tracing::info!(
            holder = %self.holder,
            next = %queue.iter().filter(|d| d.regular)
                .map(|d| format!("{}={}", d.job.name(), d.at.to_rfc3339()))
                .collect::<Vec<_>>().join(" "),
            "scheduler started"
        );
        while let Some(i) = earliest(&queue) {
            let due = queue.remove(i);
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                _ = self.clock.sleep_until(due.at) => {}
            }
            if shutdown.is_cancelled() {
                break;
            }
            let ran = self.run_due(&due, &shutdown).await;
            let now = self.clock.now();
            self.replan(&mut queue, &due, &ran, now);
            let sent = matches!(ran, Ran::Finished | Ran::Failed);
            if due.job == Job::Send && sent && !shutdown.is_cancelled() {
                queue.push(Due {
                    job: Job::Resume,
                    at: now,
                    tick: now,
                    regular: false,
                });
            }
        }
        self.status.set(false);
        tracing::info!("scheduler stopped");
    }

    fn start_plan(&self, now: DateTime<Utc>) -> Vec<Due> {
        let one_off = |job, tick| Due {
            job,
            at: now,
            tick,
            regular: false,
        };
        let mut queue = vec![one_off(Job::Resume, now)];
        for job in [Job::Digest, Job::Send, Job::Prune] {
            if let Some(last) = self.plan.last_at_or_before(job, now) {
                queue.push(one_off(job, last));
            }
        }
        // New feeds are due at once: the first fetch does not wait for the first tick.
        queue.push(Due {
            job: Job::Fetch,
            at: now,
            tick: now,
            regular: true,
        });
        for job in [Job::Digest, Job::Send, Job::Prune] {
            if let Some(at) = self.plan.next_after(job, now) {
                queue.push(Due {
                    job,
                    at,
                    tick: at,
                    regular: true,
                });
            }
        }
        queue
    }

    fn replan(&self, queue: &mut Vec<Due>, due: &Due, ran: &Ran, now: DateTime<Utc>) {
        let within = now - due.tick <= self.plan.catch_up;
        let retry = match ran {
            // A resume blocked by a lease comes back too: the holder may be a process that
            // died mid-send, whose lease expires after `lease_secs`.
            Ran::Busy if (due.job.once_per_period() || due.job == Job::Resume) && within => {
                Some(now + self.plan.lease)
            }
            Ran::Failed if due.job.once_per_period() && within => {
                Some(now + chrono::Duration::minutes(RETRY_AFTER_MINUTES))
            }
            _ => None,
        };
        if let Some(at) = retry {
            queue.push(Due {
                at,
                regular: false,
                ..*due
            });
        }
        if due.regular {
            // After a long job, the next tick after now: one run, not one per missed tick.
            if let Some(at) = self.plan.next_after(due.job, due.at.max(now)) {
                queue.push(Due {
                    job: due.job,
                    at,
                    tick: at,
                    regular: true,
                });
            }
        }
    }

    /// Runs `due` under its job's lease, unless its period is settled or too old.
    async fn run_due(&self, due: &Due, shutdown: &CancellationToken) -> Ran {
        let pool = self.jobs.pool();
        let lease = due.job.lease();
        let now = self.clock.now();
        match store::leases::acquire(pool, lease, &self.holder, self.plan.lease, now).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!(job = due.job.name(), "another process holds {lease}");
                return Ran::Busy;
            }
            Err(e) => {
                tracing::error!(job = due.job.name(), "cannot take the lease {lease}: {e}");
                return Ran::Failed;
            }
        }
        let stop = CancellationToken::new();
        let heart = self.spawn_heartbeat(lease, stop.clone());
        let ran = match self.run_held(due, shutdown).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(job = due.job.name(), "cannot record the job's run: {e}");
                Ran::Failed
            }
        };
        stop.cancel();
        let _ = heart.await;
        if let Err(e) = store::leases::release(pool, lease, &self.holder).await {
            tracing::warn!("cannot release the lease {lease}: {e}");
        }
        ran
    }

    async fn run_held(
        &self,
        due: &Due,
        shutdown: &CancellationToken,
    ) -> Result<Ran, store::StoreError> {
        let pool = self.jobs.pool();
        let (job, now) = (due.job, self.clock.now());
        let period = self.plan.period(job, due.tick);
        if job.once_per_period() && store::jobs::settled(pool, job.name(), &period).await? {
            tracing::debug!(job = job.name(), %period, "already done");
            return Ok(Ran::Settled);
        }
        let late = now - due.tick;
        if job.once_per_period() && job != Job::Prune && late > self.plan.catch_up {
            let summary = format!(
                "{} of {period} was due at {} ({} h ago, more than schedule.catch_up_hours = {}): \
                 not done; `chronicle {} --week {period}` does it by hand",
                job.name(),
                due.tick.to_rfc3339(),
                late.num_hours(),
                self.plan.catch_up.num_hours(),
                job.name(),
            );
            tracing::warn!(job = job.name(), %period, outcome = "missed", "{summary}");
            store::jobs::record_missed(pool, job.name(), &period, &self.holder, &summary, now)
                .await?;
            return Ok(Ran::Settled);
        }
        let id = store::jobs::start(pool, job.name(), &period, &self.holder, now).await?;
        let started = std::time::Instant::now();
        let week = self.plan.week(due.tick);
        let JobResult { outcome, summary } =
            self.jobs.run(job, due.tick, now, week, shutdown).await;
        store::jobs::finish(pool, id, outcome, &summary, self.clock.now()).await?;
        let secs = started.elapsed().as_secs_f64();
        if outcome == RunOutcome::Failed {
            tracing::error!(job = job.name(), %period, outcome = outcome.as_str(), secs, "{summary}");
            return Ok(Ran::Failed);
        }
        tracing::info!(job = job.name(), %period, outcome = outcome.as_str(), secs, "{summary}");
        Ok(Ran::Finished)
    }

    /// Renews the lease every third of its length while the job runs.
    fn spawn_heartbeat(
        &self,
        lease: &'static str,
        stop: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let pool = self.jobs.pool().clone();
        let (holder, ttl, clock) = (self.holder.clone(), self.plan.lease, self.clock.clone());
        let every = (ttl / 3).to_std().unwrap_or(Duration::from_secs(1));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every.max(Duration::from_secs(1)));
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tick.tick() => {}
                }
                match store::leases::renew(&pool, lease, &holder, ttl, clock.now()).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!("lost the lease {lease}"),
                    Err(e) => tracing::warn!("cannot renew the lease {lease}: {e}"),
                }
            }
        })
    }
}

/// The index of the earliest run (the first planned among equals).
fn earliest(queue: &[Due]) -> Option<usize> {
    queue
        .iter()
        .enumerate()
        .min_by_key(|(i, d)| (d.at, *i))
        .map(|(i, _)| i)
}
