//! The relay's connections: one that closes each connection after a message (our reused
//! connection is then dead, and the message must go on a new one, once), and one that goes
//! down in the middle of a run (the run stops after a bounded wait, nothing is lost, and the
//! next run sends the rest, once).

use crate::delivery::{FAST, app_with, ledger, newsletter, readers};
use crate::helpers::relay::{Relay, RelayOptions};

#[tokio::test(flavor = "multi_thread")]
async fn a_relay_that_closes_each_connection_still_gets_every_message_once_on_the_first_attempt() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start_with(
        tmp.path(),
        RelayOptions {
            one_per_connection: true,
            ..RelayOptions::default()
        },
    );
    // One connection at a time: every message after the first finds its pooled connection
    // closed by the relay.
    let app = app_with(relay.port, "concurrency = 1", FAST);
    let who = readers(&["ada", "bob", "carol", "dan", "eve", "fay"]);
    let pool = newsletter(&app, &who).await;

    let out = app.ok(&["send", "--week", "2026-W47"]);
    assert!(out.contains("6 sent now, 0 deferred, 0 failed"), "{out}");
    let copies = relay.copies();
    assert_eq!(copies.len(), 6, "{copies:?}");
    assert!(copies.values().all(|n| *n == 1), "{copies:?}");
    let l = ledger(&pool, "2026-W47").await;
    for w in &who {
        assert_eq!((l[w].status.as_str(), l[w].attempts), ("sent", 1), "{w}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relay_that_goes_down_mid_run_stops_it_and_the_next_run_sends_the_rest_once() {
    let tmp = tempfile::tempdir().unwrap();
    let first = Relay::start_with(
        tmp.path(),
        RelayOptions {
            down_after: Some(3),
            ..RelayOptions::default()
        },
    );
    let port = first.port;
    let app = app_with(port, "concurrency = 1", FAST);
    let who = readers(&["r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8"]);
    let pool = newsletter(&app, &who).await;

    let err = app.fails(&["send", "--week", "2026-W47"]);
    assert!(
        err.contains(&format!(
            "the SMTP server 127.0.0.1:{port} has been unreachable for 2 s"
        )),
        "{err}"
    );
    assert!(
        err.contains("5 deliveries of 2026-W47 are not settled"),
        "{err}"
    );
    let l = ledger(&pool, "2026-W47").await;
    let count = |s: &str| l.values().filter(|r| r.status == s).count();
    assert_eq!(
        (count("sent"), count("pending"), count("sending")),
        (3, 5, 0)
    );
    // A message that never reached the relay was no attempt.
    assert!(
        l.values()
            .filter(|r| r.status == "pending")
            .all(|r| r.attempts == 0),
        "{l:?}"
    );
    let before = first.copies();
    assert_eq!(before.len(), 3, "{before:?}");

    // Its own folder: its log holds only what it accepted.
    let dir = tmp.path().join("second");
    std::fs::create_dir_all(&dir).unwrap();
    let second = Relay::start_with(
        &dir,
        RelayOptions {
            port: Some(port),
            ..RelayOptions::default()
        },
    );
    let out = app.ok(&["send", "--week", "2026-W47"]);
    assert!(out.contains("5 sent now, 0 deferred, 0 failed"), "{out}");
    let after = second.copies();
    assert_eq!(after.len(), 5, "{after:?}");
    assert!(
        after.keys().all(|id| !before.contains_key(id)),
        "sent twice"
    );
    assert!(after.values().all(|n| *n == 1), "{after:?}");
    let l = ledger(&pool, "2026-W47").await;
    assert!(l.values().all(|r| r.status == "sent"), "{l:?}");
}
