//! Housekeeping through the real binary and the real jobs: pruning with exact counts (entries
//! a digest carried stay), an online backup while `serve` runs, `check` listing every problem,
//! and `fetch --all` progress on a terminal and off it.

use std::process::Command;

use chronicle::daemon::{AppJobs, Job, Jobs as _};
use chronicle::domain::DigestWeek;
use chrono::TimeZone as _;

use crate::delivery::{newsletter, readers};
use crate::helpers::daemon::{Daemon, serve_config};
use crate::helpers::{FeedServer, Relay, RelayOptions, TestApp, free_port};

async fn titles(pool: &sqlx::SqlitePool) -> Vec<String> {
    sqlx::query_scalar("SELECT title FROM entries ORDER BY published_at")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daily_prune_deletes_old_entries_but_keeps_what_a_digest_carried() {
    // No grace days: 2026-W47's digest carries its own week's stories only.
    let app = TestApp::new(
        25,
        "\n[store]\nkeep_days = 10\n\n[digest]\ngrace_days = 0\n",
    );
    let pool = newsletter(&app, &readers(&["ada"])).await;
    // 2026-W47's digest carries Seventeen and Eighteen.
    app.ok(&["digest", "--week", "2026-W47", "--format", "text"]);
    let settings = chronicle::config::Settings::load(&app.config).unwrap();
    let jobs = AppJobs(chronicle::app::App::build(settings).await.unwrap());
    let now = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
    let week = DigestWeek::new(2026, 48).unwrap();
    let token = tokio_util::sync::CancellationToken::new();
    let r = jobs.run(Job::Prune, now, now, week, &token).await;
    assert_eq!(
        r.summary,
        "pruned 2 entries older than 10 days, kept 2 older ones that a digest carried; forgot 0 \
         old job runs"
    );
    assert_eq!(
        titles(&pool).await,
        vec!["Seventeen", "Eighteen", "Twenty-four", "Twenty-five"]
    );
    // Run again: nothing more to prune.
    let r = jobs.run(Job::Prune, now, now, week, &token).await;
    assert!(r.summary.starts_with("pruned 0 entries"), "{}", r.summary);
    // Eight days on, Twenty-four and Twenty-five are old too and no digest carried them.
    let later = now + chrono::Duration::days(8);
    let r = jobs.run(Job::Prune, later, later, week, &token).await;
    assert!(r.summary.starts_with("pruned 2 entries"), "{}", r.summary);
    assert_eq!(titles(&pool).await, vec!["Seventeen", "Eighteen"]);
    // The archive's digest still renders whole.
    let text = app.ok(&["digest", "--week", "2026-W47", "--format", "text"]);
    assert!(
        text.contains("Seventeen") && text.contains("Eighteen"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn keep_days_0_keeps_every_entry() {
    let app = TestApp::new(25, "\n[store]\nkeep_days = 0\n");
    let pool = newsletter(&app, &readers(&["ada"])).await;
    let settings = chronicle::config::Settings::load(&app.config).unwrap();
    let jobs = AppJobs(chronicle::app::App::build(settings).await.unwrap());
    let now = chrono::Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let token = tokio_util::sync::CancellationToken::new();
    let week = DigestWeek::new(2029, 52).unwrap();
    let r = jobs.run(Job::Prune, now, now, week, &token).await;
    assert_eq!(r.summary, "store.keep_days = 0: every entry kept");
    assert_eq!(titles(&pool).await.len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_while_serve_runs_is_a_whole_consistent_copy() {
    let port = free_port();
    let app = TestApp::new(
        25,
        &serve_config(port, 5, "send = \"0 8 1 1 *\"\ndigest = \"0 7 1 1 *\""),
    );
    let pool = newsletter(&app, &readers(&["ada", "bob", "carol"])).await;
    app.ok(&["digest", "--week", "2026-W47", "--format", "text"]);
    let mut d = Daemon::start(&app, port, &[], &[]);
    let copy = app.dir.path().join("backup/copy.db");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    let out = app.ok(&["backup", copy.to_str().unwrap()]);
    assert!(
        out.starts_with(&format!("backed up to {}", copy.display())),
        "{out}"
    );
    let copied = sqlx::SqlitePool::connect(&format!("sqlite://{}", copy.display()))
        .await
        .unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&copied)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    for table in [
        "entries",
        "feeds",
        "subscribers",
        "digests",
        "digest_entries",
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let live: i64 = sqlx::query_scalar(&sql).fetch_one(&pool).await.unwrap();
        let kept: i64 = sqlx::query_scalar(&sql).fetch_one(&copied).await.unwrap();
        assert_eq!(kept, live, "{table}");
    }
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM entries")
            .fetch_one(&copied)
            .await
            .unwrap(),
        6
    );
    // A second backup to the same file is refused, and the first copy is untouched.
    let err = app.fails(&["backup", copy.to_str().unwrap()]);
    assert_eq!(
        err.trim(),
        format!(
            "error: {} exists already: give a new file name",
            copy.display()
        )
    );
    assert!(d.term().0.success());
}

#[test]
fn check_greets_the_relay_and_finds_no_problem_in_a_good_setup() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start_with(tmp.path(), RelayOptions::default());
    let app = TestApp::new(relay.port, "");
    let out = app.ok(&["check", "--smtp"]);
    assert!(out.contains("smtp: the server answers"), "{out}");
    assert!(out.contains("schedule.send: `0 8 * * Mon`, next "), "{out}");
    assert!(out.ends_with("no problems found\n"), "{out}");
}

#[test]
fn check_lists_each_problem_on_one_line_and_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let templates = tmp.path().join("templates");
    std::fs::create_dir_all(templates.join("email")).unwrap();
    std::fs::write(templates.join("email/digest.txt"), "{% if %}broken").unwrap();
    let closed = free_port();
    let app = TestApp::new(
        closed,
        &format!(
            "\n[digest]\ntemplates = \"{}\"\n\n[dkim]\nselector = \"s\"\ndomain = \"chronicle.test\"\n\
             key_file = \"{}\"\n",
            templates.display(),
            tmp.path().join("missing.pem").display()
        ),
    );
    let out = app.run(&["check", "--smtp"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let problems: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("problem: "))
        .collect();
    assert_eq!(problems.len(), 3, "{stderr}");
    assert!(problems[0].starts_with("problem: templates: "), "{stderr}");
    assert!(
        problems[1].starts_with("problem: dkim: cannot read dkim.key_file "),
        "{stderr}"
    );
    assert!(
        problems[2].starts_with(&format!("problem: smtp: 127.0.0.1:{closed}: ")),
        "{stderr}"
    );
    assert_eq!(stderr.lines().last(), Some("error: 3 problem(s) found"));
}

fn three_feeds(app: &TestApp, feeds: &FeedServer) -> String {
    app.add_unchecked(&feeds.feed_url("seeds-atom.xml"));
    app.add_unchecked(&feeds.feed_url("seeds-rss.xml"));
    let broken = feeds.feed_url("missing-feed.xml");
    app.add_unchecked(&broken);
    broken
}

#[test]
fn fetch_all_off_a_terminal_prints_plain_lines() {
    let feeds = FeedServer::start();
    let app = TestApp::new(25, "");
    let broken = three_feeds(&app, &feeds);
    let out = app.run(&["fetch", "--all"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("fetched 3 feeds: "), "{stdout}");
    assert!(stdout.contains("1 failed"), "{stdout}");
    let failed: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("failed: "))
        .collect();
    assert_eq!(
        failed,
        vec![format!("failed: {broken}: HTTP 404 Not Found")],
        "{stderr}"
    );
    assert!(!stderr.contains('\x1b'), "no terminal codes in a log");
}

#[test]
fn fetch_all_on_a_terminal_shows_a_progress_bar() {
    let feeds = FeedServer::start();
    let app = TestApp::new(25, "");
    three_feeds(&app, &feeds);
    // `script` runs the command on a pseudo-terminal (util-linux, in Debian's base system).
    let cmd = format!(
        "{} --config {} fetch --all",
        env!("CARGO_BIN_EXE_chronicle"),
        app.config.display()
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env_remove("RUST_LOG")
        .output()
        .expect("script (util-linux)");
    let tty = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{tty}");
    assert!(tty.contains("3/3 feeds done, 1 failed"), "{tty}");
    assert!(tty.contains("fetched 3 feeds: "), "{tty}");
}
