//! The real jobs (fetch, digest, send, housekeeping) driven by the scheduler on an injected
//! clock: eleven days of schedule against a real SQLite file and a real SMTP server in seconds.
//! And `serve` killed with SIGKILL in the middle of a send: the next `serve` resumes it.

use std::sync::Arc;

use chronicle::daemon::{AppJobs, ManualClock, Plan, Scheduler, Status};
use chrono::TimeZone as _;
use tokio_util::sync::CancellationToken;

use crate::delivery::{FAST, app_with, ledger, newsletter, readers};
use crate::helpers::daemon::{Daemon, serve_config, wait_until};
use crate::helpers::{Relay, RelayOptions, free_port};
use crate::schedule::{EVERY_MINUTE, futures_block, last_weeks_newsletter, sent};

#[tokio::test(flavor = "multi_thread")]
async fn eleven_days_of_the_real_jobs_send_each_week_once_on_monday() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start_with(tmp.path(), RelayOptions::default());
    let app = app_with(relay.port, "", FAST);
    let all = readers(&["ada", "bob", "carol"]);
    let pool = newsletter(&app, &all).await;
    let settings = chronicle::config::Settings::load(&app.config).unwrap();
    let plan = Plan::from_settings(&settings);
    let jobs = Arc::new(AppJobs(chronicle::app::App::build(settings).await.unwrap()));
    // Friday 20 November 2026 to Tuesday 1 December.
    let start = chrono::Utc
        .with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .unwrap();
    let stop = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let token = CancellationToken::new();
    let clock = Arc::new(ManualClock::new(start, stop, token.clone()));
    let began = std::time::Instant::now();
    Scheduler::new(jobs, plan, clock, "sim".into(), Status::default())
        .run(token)
        .await;
    eprintln!("eleven days of schedule ran in {:?}", began.elapsed());

    for week in ["2026-W47", "2026-W48"] {
        let l = ledger(&pool, week).await;
        assert_eq!(l.len(), 3, "{week}");
        assert!(l.values().all(|r| r.status == "sent"), "{week}: {l:?}");
    }
    let copies = relay.copies();
    assert_eq!(copies.len(), 6, "two digests to three readers");
    assert!(copies.values().all(|n| *n == 1));
    let sends: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT period, outcome, strftime('%Y-%m-%dT%H:%M', started_at, 'unixepoch')
         FROM job_runs WHERE job = 'send' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let expect = |p: &str, o: &str, t: &str| (p.to_string(), o.to_string(), t.to_string());
    assert_eq!(
        sends,
        vec![
            // Started on a Friday: Monday 16 November's send is four days old, reported.
            expect("2026-W46", "missed", "2026-11-20T12:00"),
            expect("2026-W47", "done", "2026-11-23T08:00"),
            expect("2026-W48", "done", "2026-11-30T08:00"),
        ]
    );
    let digests: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM job_runs WHERE job = 'digest' AND outcome = 'done'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(digests, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_killed_mid_send_is_resumed_by_the_next_serve() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start_with(tmp.path(), RelayOptions::default());
    let port = free_port();
    let extra = format!("{FAST}{}", serve_config(port, 10, EVERY_MINUTE));
    let app = app_with(relay.port, "concurrency = 4\nrate_per_second = 40", &extra);
    let (pool, week, all) = last_weeks_newsletter(&app, 300).await;
    let first = Daemon::start(&app, port, &[], &[]);
    assert!(
        wait_until(30, || relay.accepted().len() >= 40),
        "{}",
        first.logs()
    );
    drop(first); // SIGKILL: no graceful anything, the lease stays until it expires
    let at_kill = relay.accepted().len();
    assert!(at_kill < all.len());

    let mut second = Daemon::start(&app, port, &[], &[]);
    assert!(
        wait_until(60, || futures_block(sent(&pool, &week)) == all.len()),
        "{}",
        second.logs()
    );
    assert!(second.term().0.success());
    let copies = relay.copies();
    assert_eq!(copies.len(), all.len(), "someone was skipped");
    let extra: usize = copies.values().map(|n| n - 1).sum();
    assert!(
        extra <= 4,
        "{extra} duplicates with 4 in flight at the kill"
    );
}
