//! Delivery through the real binary against a real SMTP server that misbehaves on purpose:
//! hard bounces, 451s, connections dropped after DATA, stalls, a relay that is down, readers who
//! leave after the digest was frozen, bouncing readers, and the organiser's controls.

use std::collections::BTreeMap;

use crate::helpers::seed::{Seeder, story};
use crate::helpers::{Relay, RelayOptions, TestApp};

/// Fast retries for tests: a second between attempts, three attempts, a short relay wait.
pub const FAST: &str = "\n[delivery]\nretry_base_secs = 1\nretry_max_secs = 2\nmax_attempts = 3\n\
                        wait_secs = 30\nrelay_down_secs = 2\nheartbeat_secs = 1\nstale_after_secs = 5\n";

/// A Chronicle with `smtp_extra` added to its `[smtp]` section and `extra` appended.
pub fn app_with(port: u16, smtp_extra: &str, extra: &str) -> TestApp {
    let app = TestApp::new(port, extra);
    let text = std::fs::read_to_string(&app.config).unwrap();
    let text = text.replacen(
        "tls = \"none\"\n",
        &format!("tls = \"none\"\n{smtp_extra}\n"),
        1,
    );
    std::fs::write(&app.config, text).unwrap();
    app
}

/// One blog with two stories in each of 2026-W46, W47 and W48, and `readers` subscribed.
pub async fn newsletter(app: &TestApp, readers: &[String]) -> sqlx::SqlitePool {
    let mut seed = Seeder::follow(app, 1);
    let pool = app.pool().await;
    let stories: Vec<_> = [
        ("Nine", (2026, 11, 10, 9)),
        ("Ten", (2026, 11, 11, 9)),
        ("Seventeen", (2026, 11, 17, 9)),
        ("Eighteen", (2026, 11, 18, 9)),
        ("Twenty-four", (2026, 11, 24, 9)),
        ("Twenty-five", (2026, 11, 25, 9)),
    ]
    .into_iter()
    .map(|(title, day)| story(1, title, day))
    .collect();
    seed.insert_all(app, &pool, &stories).await;
    for chunk in readers.chunks(500) {
        let mut args = vec!["subscribers", "add"];
        args.extend(chunk.iter().map(String::as_str));
        app.ok(&args);
    }
    pool
}

/// Addresses from local parts.
pub fn readers(locals: &[&str]) -> Vec<String> {
    locals.iter().map(|l| format!("{l}@example.org")).collect()
}

/// One ledger row.
#[derive(Debug, Clone)]
pub struct Row {
    pub status: String,
    pub attempts: i64,
    pub smtp_reply: Option<String>,
    pub message_id: Option<String>,
    pub error: Option<String>,
}

/// A week's ledger by address.
pub async fn ledger(pool: &sqlx::SqlitePool, week: &str) -> BTreeMap<String, Row> {
    type Raw = (
        String,
        String,
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Raw> = sqlx::query_as(
        "SELECT s.email, d.status, d.attempts, d.smtp_reply, d.message_id, d.error
             FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
             JOIN digests g ON g.id = d.digest_id WHERE g.week = $1",
    )
    .bind(week)
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(email, status, attempts, smtp_reply, message_id, error)| {
            (
                email,
                Row {
                    status,
                    attempts,
                    smtp_reply,
                    message_id,
                    error,
                },
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_deliveries_are_recorded_as_failed_with_the_relays_reply_never_as_sent() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(tmp.path());
    let app = app_with(relay.port, "", FAST);
    let pool = newsletter(&app, &readers(&["ada", "bounce-bob", "always-carol"])).await;

    let out = app.ok(&["send", "--week", "2026-W47"]);
    assert!(out.contains("1 sent now, 2 deferred, 2 failed"), "{out}");
    assert!(
        out.contains(
            "failed: bounce-bob@example.org: 550 5.1.1 <bounce-bob@example.org>: Recipient"
        ),
        "{out}"
    );
    assert!(
        out.contains("failed: always-carol@example.org: gave up after 3 attempts"),
        "{out}"
    );

    let got = relay.accepted();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].rcpt, ["ada@example.org"]);
    let l = ledger(&pool, "2026-W47").await;
    let ada = &l["ada@example.org"];
    assert_eq!((ada.status.as_str(), ada.attempts), ("sent", 1));
    assert_eq!(ada.message_id.as_deref(), Some(got[0].message_id.as_str()));
    assert!(
        ada.smtp_reply
            .as_deref()
            .unwrap()
            .starts_with("250 2.0.0 Ok: queued as")
    );
    let bob = &l["bounce-bob@example.org"];
    assert_eq!((bob.status.as_str(), bob.attempts), ("failed", 1));
    assert!(
        bob.error.as_deref().unwrap().contains("550 5.1.1"),
        "{bob:?}"
    );
    assert_eq!(bob.smtp_reply, None);
    let carol = &l["always-carol@example.org"];
    assert_eq!((carol.status.as_str(), carol.attempts), ("failed", 3));
    assert!(
        carol.error.as_deref().unwrap().contains("451 4.3.0"),
        "{carol:?}"
    );
    let bounces: i64 = sqlx::query_scalar(
        "SELECT bounce_count FROM subscribers WHERE email = 'bounce-bob@example.org'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(bounces, 1, "a 5xx is a hard bounce; a 451 is not");

    let json = app.json_lines(&["deliveries", "--week", "2026-W47"]);
    assert_eq!(json.len(), 1);
    let j = &json[0];
    assert_eq!(
        (
            j["sent"].as_i64(),
            j["failed"].as_i64(),
            j["pending"].as_i64()
        ),
        (Some(1), Some(2), Some(0))
    );
    let failed: Vec<&str> = j["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        ["bounce-bob@example.org", "always-carol@example.org"]
    );
    let text = app.ok(&["deliveries"]);
    assert!(
        text.contains("2026-W47: 1 sent, 2 failed, 0 skipped, 0 pending"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn readers_who_leave_after_the_freeze_get_nothing_and_a_dead_relay_stops_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let port = crate::helpers::free_port();
    let app = app_with(
        port,
        "",
        &format!("{FAST}\n[web]\nbind = \"127.0.0.1:0\"\n"),
    );
    let pool = newsletter(&app, &readers(&["ada", "bob", "carol"])).await;

    // Nothing listens: the run freezes the digest, waits a bounded time, stops and says so.
    let started = std::time::Instant::now();
    let err = app.fails(&["send", "--week", "2026-W47"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert!(
        err.contains(&format!(
            "the SMTP server 127.0.0.1:{port} has been unreachable for 2 s"
        )),
        "{err}"
    );
    assert!(
        err.contains("3 deliveries of 2026-W47 are not settled"),
        "{err}"
    );
    let l = ledger(&pool, "2026-W47").await;
    assert_eq!(l.len(), 3);
    assert!(
        l.values().all(|r| r.status == "pending" && r.attempts == 0),
        "{l:?}"
    );

    // Bob leaves through the one-click link of the frozen digest.
    let token: String =
        sqlx::query_scalar("SELECT token FROM subscribers WHERE email = 'bob@example.org'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let (base, stop, handle) = crate::helpers::serve(&app).await;
    let resp = reqwest::Client::new()
        .post(format!("{base}/unsubscribe/{token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    stop.cancel();
    handle.await.unwrap().unwrap();

    let relay = Relay::start_with(
        tmp.path(),
        RelayOptions {
            port: Some(port),
            ..RelayOptions::default()
        },
    );
    let out = app.ok(&["send", "--week", "2026-W47"]);
    assert!(out.contains("2 sent now"), "{out}");
    let mut to: Vec<String> = relay.accepted().into_iter().flat_map(|a| a.rcpt).collect();
    to.sort();
    assert_eq!(to, ["ada@example.org", "carol@example.org"]);
    let l = ledger(&pool, "2026-W47").await;
    assert_eq!(l["bob@example.org"].status, "skipped");
    assert_eq!(
        l["bob@example.org"].error.as_deref(),
        Some("unsubscribed before sending")
    );
    assert_eq!(l["ada@example.org"].status, "sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn deferred_dropped_and_stalled_messages_are_sent_again_under_the_same_message_id() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start_with(
        tmp.path(),
        RelayOptions {
            stall_secs: Some(6),
            ..RelayOptions::default()
        },
    );
    let app = app_with(relay.port, "timeout_secs = 2\nconcurrency = 4", FAST);
    let pool = newsletter(
        &app,
        &readers(&["ada", "defer-dan", "drop-dora", "stall-sam"]),
    )
    .await;

    let out = app.ok(&["send", "--week", "2026-W47"]);
    assert!(out.contains("4 sent now, 3 deferred, 0 failed"), "{out}");
    let copies = relay.copies();
    assert_eq!(copies.len(), 4, "{copies:?}");
    assert!(copies.values().all(|n| *n == 1), "{copies:?}");
    let l = ledger(&pool, "2026-W47").await;
    for (who, attempts) in [
        ("ada", 1),
        ("defer-dan", 2),
        ("drop-dora", 2),
        ("stall-sam", 2),
    ] {
        let r = &l[&format!("{who}@example.org")];
        assert_eq!(
            (r.status.as_str(), r.attempts),
            ("sent", attempts),
            "{who}: {r:?}"
        );
        // The relay deferred/dropped/stalled only the first time it saw a Message-ID: a new
        // one on the retry would have been refused again.
        assert!(
            copies.contains_key(r.message_id.as_deref().unwrap()),
            "{who}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn consecutive_hard_bounces_make_a_reader_bouncing_and_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(tmp.path());
    let app = app_with(relay.port, "", &format!("{FAST}bounce_limit = 2\n"));
    let pool = newsletter(&app, &readers(&["ada", "bounce-bob"])).await;
    for week in ["2026-W46", "2026-W47"] {
        app.ok(&["send", "--week", week]);
        assert_eq!(
            ledger(&pool, week).await["bounce-bob@example.org"].status,
            "failed"
        );
    }
    let list = app.ok(&["subscribers", "list"]);
    let line = list.lines().find(|l| l.contains("bounce-bob")).unwrap();
    assert!(line.contains("bouncing"), "{list}");
    let line = list.lines().find(|l| l.contains("ada@")).unwrap();
    assert!(line.contains("confirmed"), "{list}");
    let bouncing = app.json_lines(&["subscribers", "list", "--status", "bouncing"]);
    assert_eq!(bouncing.len(), 1);
    assert_eq!(
        (
            bouncing[0]["email"].as_str(),
            bouncing[0]["status"].as_str()
        ),
        (Some("bounce-bob@example.org"), Some("bouncing"))
    );

    let dry = app.ok(&["send", "--week", "2026-W48", "--dry-run"]);
    assert!(dry.contains("would go to 1 reader"), "{dry}");
    app.ok(&["send", "--week", "2026-W48"]);
    let l = ledger(&pool, "2026-W48").await;
    assert_eq!(l.keys().collect::<Vec<_>>(), ["ada@example.org"]);
    let rcpts: Vec<String> = relay.accepted().into_iter().flat_map(|a| a.rcpt).collect();
    assert_eq!(rcpts, ["ada@example.org"; 3]);
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_sends_nothing_and_a_test_copy_is_not_a_delivery() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(tmp.path());
    let app = app_with(relay.port, "", FAST);
    let pool = newsletter(&app, &readers(&["ada", "bob"])).await;

    let dry = app.ok(&["send", "--week", "2026-W47", "--dry-run"]);
    assert!(dry.contains(") would go to 2 readers\n"), "{dry}");
    assert!(
        dry.contains("\n  ada@example.org\n  bob@example.org\n"),
        "{dry}"
    );
    assert!(dry.contains("To: ada@example.org"), "{dry}");
    assert!(
        dry.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{dry}"
    );
    assert!(relay.accepted().is_empty());
    let err = app.fails(&["deliveries", "--week", "2026-W47"]);
    assert!(
        err.contains("the digest of 2026-W47 has not been sent"),
        "{err}"
    );

    let out = app.ok(&[
        "send",
        "--week",
        "2026-W47",
        "--to",
        "organiser@chronicle.test",
    ]);
    assert!(
        out.contains("test copy of digest 2026-W47 sent to organiser@chronicle.test"),
        "{out}"
    );
    assert_eq!(relay.accepted()[0].rcpt, ["organiser@chronicle.test"]);
    assert!(
        ledger(&pool, "2026-W47").await.is_empty(),
        "a test copy is no delivery"
    );

    app.ok(&["send", "--week", "2026-W47"]);
    app.ok(&[
        "send",
        "--week",
        "2026-W47",
        "--to",
        "organiser@chronicle.test",
    ]);
    let rcpts: Vec<String> = relay.accepted().into_iter().flat_map(|a| a.rcpt).collect();
    assert_eq!(rcpts.len(), 4, "{rcpts:?}");
    assert_eq!(rcpts[3], "organiser@chronicle.test");
    let l = ledger(&pool, "2026-W47").await;
    assert_eq!(l.len(), 2);
    assert!(l.values().all(|r| r.status == "sent"));
    let err = app.fails(&["send", "--week", "2026-W47", "--to", "not an address"]);
    assert!(err.contains("is not a valid e-mail address"), "{err}");
}
