//! The scheduler against a real SQLite file with an injected clock: weeks of schedule in
//! milliseconds, restarts, catch-up, DST, long jobs and two schedulers on one database.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use tokio_util::sync::CancellationToken;

use super::*;
use crate::config::Settings;
use crate::domain::DigestWeek;
use crate::store::{self, Pool, jobs::RunOutcome};

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("valid time")
}

fn settings(extra: &str) -> Settings {
    let text = format!("[digest]\ntimezone = \"Europe/Berlin\"\n{extra}");
    Settings::from_parts(Path::new("test.toml"), &text, Vec::new()).expect("settings")
}

fn plan(extra: &str) -> Plan {
    Plan::from_settings(&settings(extra))
}

/// Every run the fake saw: the job, its week (digest and send) and the clock's time.
type Calls = Arc<Mutex<Vec<(Job, String, DateTime<Utc>)>>>;

/// Records every run; fetches take `fetch_takes` of clock time; the first `fail_sends` sends
/// fail.
struct Fake {
    pool: Pool,
    clock: Arc<ManualClock>,
    calls: Calls,
    fetch_takes: chrono::Duration,
    fail_sends: AtomicU32,
}

impl Jobs for Fake {
    fn pool(&self) -> &Pool {
        &self.pool
    }
    fn run<'a>(
        &'a self,
        job: Job,
        _tick: DateTime<Utc>,
        now: DateTime<Utc>,
        week: DigestWeek,
        _cancel: &'a CancellationToken,
    ) -> jobs::JobFuture<'a> {
        Box::pin(async move {
            let key = match job {
                Job::Digest | Job::Send => week.to_string(),
                _ => String::new(),
            };
            self.calls.lock().unwrap().push((job, key, now));
            if job == Job::Fetch {
                self.clock.advance(self.fetch_takes);
            }
            let fail = job == Job::Send
                && self
                    .fail_sends
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
            JobResult {
                outcome: if fail {
                    RunOutcome::Failed
                } else {
                    RunOutcome::Done
                },
                summary: "fake".into(),
            }
        })
    }
}

struct Sim {
    pool: Pool,
    calls: Calls,
    _dir: tempfile::TempDir,
}

impl Sim {
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("c.db").display());
        let pool = store::connect(&url, 4).await.expect("db");
        Self {
            pool,
            calls: Arc::default(),
            _dir: dir,
        }
    }

    /// Runs one scheduler named `holder` from `start` until `stop`.
    async fn run(&self, holder: &str, extra: &str, start: DateTime<Utc>, stop: DateTime<Utc>) {
        self.run_with(holder, extra, start, stop, chrono::Duration::zero(), 0)
            .await;
    }

    async fn run_with(
        &self,
        holder: &str,
        extra: &str,
        start: DateTime<Utc>,
        stop: DateTime<Utc>,
        fetch_takes: chrono::Duration,
        fail_sends: u32,
    ) {
        let token = CancellationToken::new();
        let clock = Arc::new(ManualClock::new(start, stop, token.clone()));
        let fake = Fake {
            pool: self.pool.clone(),
            clock: clock.clone(),
            calls: self.calls.clone(),
            fetch_takes,
            fail_sends: AtomicU32::new(fail_sends),
        };
        let status = Status::default();
        let s = Scheduler::new(
            Arc::new(fake),
            plan(extra),
            clock,
            holder.into(),
            status.clone(),
        );
        s.run(token).await;
        assert!(!status.running(), "the status goes down with the loop");
    }

    fn runs_of(&self, job: Job) -> Vec<(String, DateTime<Utc>)> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(j, _, _)| *j == job)
            .map(|(_, k, t)| (k.clone(), *t))
            .collect()
    }

    async fn outcomes(&self, job: Job) -> Vec<(String, String)> {
        store::jobs::list(&self.pool, job.name())
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.period, r.outcome.unwrap_or_default()))
            .collect()
    }
}

#[tokio::test]
async fn three_weeks_run_each_digest_and_send_once_and_report_what_was_missed_before() {
    let sim = Sim::new().await;
    // Started on a Wednesday: the last send (12 October) is 54 h away, beyond the 24 h window.
    sim.run("a", "", utc(2026, 10, 14, 12, 0), utc(2026, 11, 4, 12, 0))
        .await;
    let weeks = |job| {
        sim.runs_of(job)
            .into_iter()
            .map(|(k, t)| (k, t.to_rfc3339()))
            .collect::<Vec<_>>()
    };
    let expect = |h: [u32; 3]| {
        vec![
            (
                "2026-W42".to_string(),
                utc(2026, 10, 19, h[0], 0).to_rfc3339(),
            ),
            (
                "2026-W43".to_string(),
                utc(2026, 10, 26, h[1], 0).to_rfc3339(),
            ),
            (
                "2026-W44".to_string(),
                utc(2026, 11, 2, h[2], 0).to_rfc3339(),
            ),
        ]
    };
    assert_eq!(weeks(Job::Send), expect([6, 7, 7]));
    assert_eq!(weeks(Job::Digest), expect([5, 6, 6]));
    let missed: Vec<_> = sim.outcomes(Job::Send).await;
    assert_eq!(missed[0], ("2026-W41".to_string(), "missed".to_string()));
    assert_eq!(missed.len(), 4);
    // Fetch: once at start, then every 30 minutes until the stop (1007 ticks in 21 days), but
    // the repeated hour of 25 October runs its two wall times once (two ticks fewer).
    assert_eq!(sim.runs_of(Job::Fetch).len(), 1 + 1007 - 2);
    assert_eq!(sim.runs_of(Job::Fetch)[0].1, utc(2026, 10, 14, 12, 0));
    // Housekeeping: today's (03:30 passed) at start, then each night.
    assert_eq!(sim.runs_of(Job::Prune).len(), 1 + 21);
    // Resume: at start and after each send tick.
    assert_eq!(sim.runs_of(Job::Resume).len(), 1 + 3);
}

#[tokio::test]
async fn a_send_missed_within_the_catch_up_window_runs_at_start_and_once() {
    let sim = Sim::new().await;
    let start = utc(2026, 11, 2, 19, 0); // Monday 20:00 CET, 12 h after the send
    sim.run("a", "", start, start + chrono::Duration::hours(1))
        .await;
    assert_eq!(
        sim.runs_of(Job::Send),
        vec![("2026-W44".to_string(), start)]
    );
    assert_eq!(
        sim.runs_of(Job::Digest),
        vec![("2026-W44".to_string(), start)]
    );
    // Restarted an hour later: the week is settled, nothing runs twice.
    let later = start + chrono::Duration::hours(2);
    sim.run("b", "", later, later + chrono::Duration::hours(1))
        .await;
    assert_eq!(sim.runs_of(Job::Send).len(), 1);
    assert_eq!(sim.runs_of(Job::Digest).len(), 1);
    // At each start, and after the send that ran; not after finding the week settled.
    assert_eq!(sim.runs_of(Job::Resume).len(), 3);
}

#[tokio::test]
async fn a_smaller_catch_up_window_reports_instead_of_sending() {
    let sim = Sim::new().await;
    let start = utc(2026, 11, 2, 19, 0); // 12 h late
    sim.run(
        "a",
        "[schedule]\ncatch_up_hours = 6\n",
        start,
        start + chrono::Duration::hours(1),
    )
    .await;
    assert!(sim.runs_of(Job::Send).is_empty());
    assert_eq!(
        sim.outcomes(Job::Send).await,
        vec![("2026-W44".to_string(), "missed".to_string())]
    );
    let runs = store::jobs::list(&sim.pool, "send").await.unwrap();
    let summary = runs[0].summary.as_deref().unwrap();
    assert!(
        summary.contains("more than schedule.catch_up_hours = 6")
            && summary.contains("chronicle send --week 2026-W44"),
        "{summary}"
    );
}

#[tokio::test]
async fn the_twice_happening_local_time_sends_once() {
    let sim = Sim::new().await;
    let extra = "[schedule]\nsend = \"30 2 * * Sun\"\n";
    sim.run("a", extra, utc(2026, 10, 20, 12, 0), utc(2026, 11, 3, 0, 0))
        .await;
    let sends: Vec<String> = sim.runs_of(Job::Send).into_iter().map(|(k, _)| k).collect();
    // Sunday 02:30 sends the week before; 25 October's 02:30 happens twice and sends once.
    assert_eq!(sends, vec!["2026-W42", "2026-W43"]);
}

#[tokio::test]
async fn a_fetch_longer_than_its_interval_runs_once_not_once_per_missed_tick() {
    let sim = Sim::new().await;
    let start = utc(2026, 11, 4, 0, 0);
    sim.run_with(
        "a",
        "",
        start,
        start + chrono::Duration::hours(24),
        chrono::Duration::hours(2),
        0,
    )
    .await;
    let at: Vec<DateTime<Utc>> = sim
        .runs_of(Job::Fetch)
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    // Each fetch takes 2 h; the next starts at the first tick after it ended.
    assert_eq!(at.len(), 10);
    assert_eq!(
        &at[..3],
        &[start, utc(2026, 11, 4, 2, 30), utc(2026, 11, 4, 5, 0)]
    );
}

#[tokio::test]
async fn a_failed_send_is_retried_ten_minutes_later_and_then_done_once() {
    let sim = Sim::new().await;
    let start = utc(2026, 11, 1, 12, 0);
    sim.run_with(
        "a",
        "",
        start,
        utc(2026, 11, 3, 0, 0),
        chrono::Duration::zero(),
        1,
    )
    .await;
    let sends = sim.runs_of(Job::Send);
    assert_eq!(
        sends,
        vec![
            ("2026-W44".to_string(), utc(2026, 11, 2, 7, 0)),
            ("2026-W44".to_string(), utc(2026, 11, 2, 7, 10)),
        ]
    );
    assert_eq!(
        sim.outcomes(Job::Send).await,
        vec![
            ("2026-W43".to_string(), "missed".to_string()),
            ("2026-W44".to_string(), "failed".to_string()),
            ("2026-W44".to_string(), "done".to_string())
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_schedulers_on_one_database_send_each_week_once() {
    let sim = Sim::new().await;
    let (start, stop) = (utc(2026, 10, 18, 12, 0), utc(2026, 11, 8, 12, 0));
    tokio::join!(sim.run("a", "", start, stop), sim.run("b", "", start, stop));
    let sends: Vec<String> = sim.runs_of(Job::Send).into_iter().map(|(k, _)| k).collect();
    assert_eq!(sends, vec!["2026-W42", "2026-W43", "2026-W44"]);
    let digests: Vec<String> = sim
        .runs_of(Job::Digest)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(digests, vec!["2026-W42", "2026-W43", "2026-W44"]);
    // One housekeeping run a day: the start's catch-up, then 21 nights.
    assert_eq!(sim.runs_of(Job::Prune).len(), 22);
}

#[tokio::test]
async fn a_resume_blocked_by_a_dead_holders_lease_runs_once_the_lease_expired() {
    let sim = Sim::new().await;
    let start = utc(2026, 11, 4, 12, 0); // a Wednesday: no send due
    let ttl = chrono::Duration::seconds(60);
    // A process that died mid-send still holds the send lease for 40 more seconds.
    let dead = store::leases::acquire(&sim.pool, "job:send", "dead", ttl, start - ttl / 3);
    assert!(dead.await.unwrap());
    sim.run("a", "", start, start + chrono::Duration::hours(1))
        .await;
    let resumes: Vec<DateTime<Utc>> = sim
        .runs_of(Job::Resume)
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert_eq!(resumes, vec![start + ttl]);
}
