//! The relay's connections: one that closes each connection after a message (our reused
//! connection is then dead, and the message must go on a new one, once), and one that goes
//! down in the middle of a run (the run stops after a bounded wait, nothing is lost, and the
//! next run sends the rest, once).

use crate::delivery::{FAST, app_with, ledger, newsletter, readers};
use crate::helpers::{Relay, RelayOptions};

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
    // Only the message in flight when the relay went (one connection) reached it: the others
    // were refused at connect and count no attempt.
    let attempts: Vec<i64> = l
        .values()
        .filter(|r| r.status == "pending")
        .map(|r| r.attempts)
        .collect();
    assert!(attempts.iter().sum::<i64>() <= 1, "{attempts:?}");
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

/// Runs `chronicle unsubscribe-mail` with `mail` on stdin; returns stdout.
fn pipe_mail(app: &crate::helpers::TestApp, mail: &str) -> String {
    use std::io::Write as _;
    let mut child = crate::helpers::chronicle_command()
        .arg("--config")
        .arg(&app.config)
        .arg("unsubscribe-mail")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(mail.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_mailto_unsubscribe_request_piped_into_chronicle_unsubscribes_that_reader_only() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start_with(
        tmp.path(),
        RelayOptions {
            save: true,
            ..RelayOptions::default()
        },
    );
    let extra = format!("unsubscribe_address = \"leave@chronicle.test\"\n{FAST}");
    let app = app_with(relay.port, "", &extra);
    let pool = newsletter(&app, &readers(&["ada", "bob"])).await;
    app.ok(&["send", "--week", "2026-W47"]);

    // What Bob's mail program reads from his copy's List-Unsubscribe header.
    let saved = relay.saved();
    let bobs = saved
        .iter()
        .map(|m| String::from_utf8_lossy(m).into_owned())
        .find(|m| m.contains("To: bob@example.org"))
        .expect("bob's copy");
    let head = bobs.split("\r\n\r\n").next().unwrap().replace("\r\n ", " ");
    let mailto = head
        .split("<mailto:")
        .nth(1)
        .and_then(|r| r.split('>').next())
        .expect("a mailto in List-Unsubscribe")
        .to_string();
    let (to, query) = mailto.split_once("?subject=").unwrap();
    assert_eq!(to, "leave@chronicle.test");
    let subject = query.replace("%20", " ");

    let unrelated = "From: carol@example.org\r\nTo: leave@chronicle.test\r\n\
                     Subject: thanks for the digest\r\n\r\nLovely issue.\r\n";
    assert_eq!(
        pipe_mail(&app, unrelated),
        "no unsubscribe token in the message: nothing done\n"
    );
    let forged = "Subject: unsubscribe 0123456789abcdef0123456789abcdef\r\n\r\n";
    assert_eq!(
        pipe_mail(&app, forged),
        "no subscriber has that token: nothing done\n"
    );
    let request = format!(
        "From: Bob <bob@example.org>\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n(sent by a mail program)\r\n"
    );
    assert_eq!(pipe_mail(&app, &request), "unsubscribed bob@example.org\n");

    let status: Vec<(String, String)> =
        sqlx::query_as("SELECT email, status FROM subscribers ORDER BY email")
            .fetch_all(&pool)
            .await
            .unwrap();
    let want = [
        ("ada@example.org", "confirmed"),
        ("bob@example.org", "unsubscribed"),
    ];
    assert_eq!(
        status,
        want.map(|(e, s)| (e.to_string(), s.to_string())).to_vec()
    );
}
