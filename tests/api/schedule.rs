//! `chronicle serve` as organisers run it, as real processes on one real SQLite file: a send
//! caught up at start, SIGTERM in the middle of it and the next `serve` resuming, two `serve`
//! processes on one database, new feeds fetched at once, the health probes, and logs that
//! never carry a secret.

use chronicle::domain::DigestWeek;
use chrono::{Datelike as _, Utc, Weekday};

use crate::delivery::{FAST, app_with, ledger};
use crate::delivery_tls::{PASSWORD, tls_pair};
use crate::helpers::daemon::{Daemon, serve_config, wait_until};
use crate::helpers::seed::{Seeder, story};
use crate::helpers::{FeedServer, Relay, RelayOptions, TestApp, free_port};

/// Sends every minute (so a `serve` started now catches the last week's send up at once).
pub(crate) const EVERY_MINUTE: &str = "send = \"* * * * *\"\ndigest = \"* * * * *\"";
/// Sends never come due (the last one is months away: reported missed, not done).
const NO_SEND: &str = "send = \"0 8 1 1 *\"\ndigest = \"0 7 1 1 *\"";

/// Two stories in the last complete week (whatever today is) and `n` readers.
pub(crate) async fn last_weeks_newsletter(
    app: &TestApp,
    n: usize,
) -> (sqlx::SqlitePool, String, Vec<String>) {
    let week = DigestWeek::last_complete(Utc::now(), chrono_tz::UTC, Weekday::Mon);
    let monday = week.first_day(Weekday::Mon);
    let day = |d: u64| {
        let t = monday + chrono::Days::new(d);
        (t.year(), t.month(), t.day(), 9)
    };
    let mut seed = Seeder::follow(app, 1);
    let pool = app.pool().await;
    let posts = [
        story(1, "Tuesday notes", day(1)),
        story(1, "Wednesday notes", day(2)),
    ];
    seed.insert_all(app, &pool, &posts).await;
    let all: Vec<String> = (0..n)
        .map(|i| format!("reader{i:04}@example.org"))
        .collect();
    for chunk in all.chunks(500) {
        let mut args = vec!["subscribers", "add"];
        args.extend(chunk.iter().map(String::as_str));
        app.ok(&args);
    }
    (pool, week.to_string(), all)
}

pub(crate) async fn scalar(pool: &sqlx::SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

pub(crate) async fn sent(pool: &sqlx::SqlitePool, week: &str) -> usize {
    ledger(pool, week)
        .await
        .values()
        .filter(|r| r.status == "sent")
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_in_the_middle_of_a_send_exits_0_and_the_next_serve_resumes_one_copy_each() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start_with(tmp.path(), RelayOptions::default());
    let port = free_port();
    let extra = format!("{FAST}{}", serve_config(port, 10, EVERY_MINUTE));
    let app = app_with(relay.port, "concurrency = 4\nrate_per_second = 40", &extra);
    let (pool, week, all) = last_weeks_newsletter(&app, 400).await;

    let mut first = Daemon::start(&app, port, &[], &[]);
    assert!(
        wait_until(30, || relay.accepted().len() >= 40),
        "the catch-up send did not start: {}",
        first.logs()
    );
    let (status, took) = first.term();
    eprintln!(
        "SIGTERM mid-send: exited after {took:?}, {} of {} sent",
        relay.accepted().len(),
        all.len()
    );
    assert!(status.success(), "exit {status}: {}", first.logs());
    assert!(
        took.as_secs() < 10,
        "took {took:?}, more than serve.shutdown_secs"
    );
    let accepted = relay.accepted().len();
    assert!(accepted < all.len(), "the send was not interrupted");
    // Everything the relay accepted is recorded sent; nothing stays claimed.
    assert_eq!(sent(&pool, &week).await, accepted);
    assert_eq!(
        scalar(
            &pool,
            "SELECT COUNT(*) FROM deliveries WHERE status = 'sending'"
        )
        .await,
        0
    );
    let outcome: String =
        sqlx::query_scalar("SELECT outcome FROM delivery_runs ORDER BY id DESC LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(outcome, "stopped: shutdown");
    let runs: Vec<(String, String)> = sqlx::query_as(
        "SELECT period, outcome FROM job_runs WHERE job = 'send' AND outcome <> 'missed'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(runs, vec![(week.clone(), "stopped".to_string())]);
    assert!(first.logs().contains("job=\"send\""), "{}", first.logs());

    let mut second = Daemon::start(&app, port, &[], &[]);
    let done = wait_until(60, || relay.accepted().len() >= all.len());
    assert!(done, "not resumed: {}", second.logs());
    assert!(wait_until(10, || {
        futures_block(sent(&pool, &week)) == all.len()
    }));
    let (status, _) = second.term();
    assert!(status.success());
    let copies = relay.copies();
    assert_eq!(copies.len(), all.len());
    assert!(copies.values().all(|n| *n == 1), "a reader got two copies");
    let mut received: Vec<String> = relay.accepted().into_iter().flat_map(|a| a.rcpt).collect();
    received.sort();
    assert_eq!(received, all);
    assert_eq!(
        scalar(&pool, "SELECT COUNT(*) FROM leases").await,
        0,
        "leases released"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_send_stopped_by_a_relay_that_is_down_is_recorded_failed_not_done() {
    let port = free_port();
    let closed = free_port();
    let app = app_with(
        closed,
        "",
        &format!("{FAST}{}", serve_config(port, 5, EVERY_MINUTE)),
    );
    let (pool, week, _) = last_weeks_newsletter(&app, 2).await;
    let mut d = Daemon::start(&app, port, &[], &[]);
    let failed = "SELECT COUNT(*) FROM job_runs WHERE job = 'send' AND outcome = 'failed'";
    assert!(
        wait_until(30, || futures_block(scalar(&pool, failed)) == 1),
        "{}",
        d.logs()
    );
    let summary: String = sqlx::query_scalar(
        "SELECT summary FROM job_runs WHERE job = 'send' AND outcome = 'failed'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        summary.starts_with(&format!("digest {week}: 0 sent now, 0 sent in all, 0 failed, 2 pending; stopped: the SMTP server 127.0.0.1:{closed} has been unreachable")),
        "{summary}"
    );
    assert!(d.logs().contains("outcome=\"failed\""), "{}", d.logs());
    assert!(d.term().0.success());
}

/// Runs a future to completion from sync code inside a multi-threaded test.
pub(crate) fn futures_block<F: std::future::Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}

#[tokio::test(flavor = "multi_thread")]
async fn two_serve_processes_on_one_database_send_the_week_once() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start_with(tmp.path(), RelayOptions::default());
    let (p1, p2) = (free_port(), free_port());
    let app = app_with(
        relay.port,
        "concurrency = 4\nrate_per_second = 100",
        &format!("{FAST}{}", serve_config(p1, 10, EVERY_MINUTE)),
    );
    let (pool, week, all) = last_weeks_newsletter(&app, 300).await;
    // The second process reads the same file but listens elsewhere.
    let other = TestApp {
        dir: tempfile::tempdir().unwrap(),
        config: app.dir.path().join("config-2.toml"),
    };
    let text = std::fs::read_to_string(&app.config).unwrap();
    std::fs::write(
        &other.config,
        text.replace(&format!("127.0.0.1:{p1}"), &format!("127.0.0.1:{p2}")),
    )
    .unwrap();
    let mut a = Daemon::start(&app, p1, &[], &[]);
    let mut b = Daemon::start(&other, p2, &[], &[]);
    assert!(
        wait_until(60, || relay.accepted().len() >= all.len()),
        "{}\n{}",
        a.logs(),
        b.logs()
    );
    // Both have had time to tick again (lease_secs = 3): still nothing more.
    std::thread::sleep(std::time::Duration::from_secs(4));
    assert!(a.term().0.success());
    assert!(b.term().0.success());
    let copies = relay.copies();
    assert_eq!(copies.len(), all.len());
    assert!(copies.values().all(|n| *n == 1), "a reader got two copies");
    let done: Vec<(String, String)> = sqlx::query_as(
        "SELECT period, holder FROM job_runs WHERE job = 'send' AND outcome = 'done'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0].0, week);
    assert_eq!(scalar(&pool, "SELECT COUNT(*) FROM delivery_runs").await, 1);
    assert_eq!(sent(&pool, &week).await, all.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_serve_fetches_new_feeds_at_once_and_reports_ready() {
    let feeds = FeedServer::start();
    let port = free_port();
    let app = TestApp::new(25, &serve_config(port, 5, NO_SEND));
    app.add_unchecked(&feeds.feed_url("seeds-atom.xml"));
    let pool = app.pool().await;
    let mut d = Daemon::start(&app, port, &[], &[]);
    assert!(
        wait_until(20, || futures_block(scalar(
            &pool,
            "SELECT COUNT(*) FROM entries"
        )) == 3),
        "{}",
        d.logs()
    );
    assert!(wait_until(10, || {
        futures_block(scalar(
            &pool,
            "SELECT COUNT(*) FROM job_runs WHERE job = 'fetch' AND outcome = 'done'",
        )) == 1
    }));
    let summary: String = sqlx::query_scalar("SELECT summary FROM job_runs WHERE job = 'fetch'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(summary, "1 feeds: 3 new, 0 updated, 0 unchanged, 0 failed");
    assert_eq!(d.get("/healthz"), (200, "ok\n".to_string()));
    assert_eq!(d.get("/readyz"), (200, "ready\n".to_string()));
    assert_eq!(d.get("/health").0, 200, "the older probe still answers");
    // The sends whose time passed long ago are reported, not done.
    let missed = scalar(
        &pool,
        "SELECT COUNT(*) FROM job_runs WHERE job IN ('digest', 'send') AND outcome = 'missed'",
    )
    .await;
    assert_eq!(missed, 2);
    assert!(d.logs().contains("more than schedule.catch_up_hours = 24"));

    // A migration this binary knows is no longer recorded as applied: not ready.
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 20261202000001")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        d.get("/readyz"),
        (503, "migrations not applied: 20261202000001\n".to_string())
    );
    pool.close().await;
    // The database's folder vanishes (an unmounted volume): not ready, and still alive.
    let moved = app.dir.path().join("moved");
    std::fs::rename(app.dir.path().join("data"), &moved).unwrap();
    let (code, body) = d.get("/readyz");
    assert_eq!(code, 503);
    assert!(body.starts_with("database unreachable: "), "{body}");
    assert_eq!(d.get("/healthz").0, 200);
    std::fs::rename(&moved, app.dir.path().join("data")).unwrap();
    let (status, _) = d.term();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn json_logs_carry_one_summary_line_per_job_and_never_the_smtp_password() {
    let tmp = tempfile::tempdir().unwrap();
    let (relay, app) = tls_pair(tmp.path(), "starttls");
    let port = free_port();
    let text = std::fs::read_to_string(&app.config).unwrap();
    std::fs::write(
        &app.config,
        format!("{text}{}", serve_config(port, 10, EVERY_MINUTE)),
    )
    .unwrap();
    let (pool, week, all) = last_weeks_newsletter(&app, 3).await;
    let env = [
        ("CHRONICLE_SMTP__USERNAME", "newsletter"),
        ("CHRONICLE_SMTP__PASSWORD", PASSWORD),
        // Even asked for by name, the SMTP client's debug lines stay off.
        ("RUST_LOG", "trace,lettre=trace"),
    ];
    let mut d = Daemon::start(&app, port, &["--log-json"], &env);
    assert!(
        wait_until(30, || relay.accepted().len() >= all.len()),
        "{}",
        d.logs()
    );
    assert!(wait_until(10, || futures_block(sent(&pool, &week)) == all.len()));
    assert!(d.term().0.success());
    let logs = d.logs();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    for secret in [
        PASSWORD.to_string(),
        b64.encode(PASSWORD),
        b64.encode(format!("\0newsletter\0{PASSWORD}")),
    ] {
        assert!(!logs.contains(&secret), "the log holds {secret}");
    }
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let summaries: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["fields"]["job"] == "send" && l["fields"]["outcome"] == "done")
        .collect();
    assert_eq!(summaries.len(), 1, "one summary line for the one send");
    let message = summaries[0]["fields"]["message"].as_str().unwrap();
    assert_eq!(
        message,
        format!("digest {week}: 3 sent now, 3 sent in all, 0 failed, 0 pending")
    );
    assert_eq!(summaries[0]["fields"]["period"], week.as_str());
}
