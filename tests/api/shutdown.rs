//! Shutdown at its edges: a message stalled past `serve.shutdown_secs` (the process still exits
//! 0 at the bound, and the next `serve` takes the delivery over), and `chronicle send` stopped
//! by SIGTERM from the command line.

use crate::delivery::{FAST, app_with, ledger};
use crate::helpers::daemon::{Daemon, serve_config, wait_until};
use crate::helpers::{Relay, RelayOptions, free_port};
use crate::schedule::{EVERY_MINUTE, futures_block, last_weeks_newsletter, scalar, sent};

#[tokio::test(flavor = "multi_thread")]
async fn a_message_stalled_past_the_shutdown_bound_is_dropped_and_sent_by_the_next_serve() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start_with(
        tmp.path(),
        RelayOptions {
            stall_secs: Some(30),
            ..RelayOptions::default()
        },
    );
    let port = free_port();
    let extra = format!("{FAST}{}", serve_config(port, 2, EVERY_MINUTE));
    let app = app_with(relay.port, "concurrency = 2", &extra);
    let (pool, week, mut all) = last_weeks_newsletter(&app, 5).await;
    app.ok(&["subscribers", "add", "stall-ann@example.org"]);
    all.push("stall-ann@example.org".into());
    all.sort();

    let mut first = Daemon::start(&app, port, &[], &[]);
    // Everyone but Ann has it; Ann's message hangs after DATA for 30 s.
    assert!(
        wait_until(30, || relay.accepted().len() == 5),
        "{}",
        first.logs()
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (status, took) = first.term();
    eprintln!("SIGTERM with a stalled message in flight: exited after {took:?}");
    assert!(status.success(), "exit {status}: {}", first.logs());
    assert!(
        took.as_secs() < 5,
        "took {took:?} with serve.shutdown_secs = 2"
    );
    assert!(
        first.logs().contains("serve.shutdown_secs = 2 passed"),
        "{}",
        first.logs()
    );
    let left: Vec<String> = ledger(&pool, &week)
        .await
        .into_iter()
        .filter(|(_, r)| r.status != "sent")
        .map(|(e, r)| format!("{e} {}", r.status))
        .collect();
    assert_eq!(left, vec!["stall-ann@example.org sending"]);

    // The next serve sees that process gone, takes Ann's delivery over and sends it.
    let mut second = Daemon::start(&app, port, &[], &[]);
    assert!(
        wait_until(30, || relay.accepted().len() == 6),
        "{}",
        second.logs()
    );
    assert!(wait_until(10, || futures_block(sent(&pool, &week)) == 6));
    assert!(second.term().0.success());
    let copies = relay.copies();
    assert_eq!(copies.len(), 6);
    assert!(copies.values().all(|n| *n == 1));
    let mut received: Vec<String> = relay.accepted().into_iter().flat_map(|a| a.rcpt).collect();
    received.sort();
    assert_eq!(received, all);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_a_send_from_the_command_line_gracefully_too() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start_with(tmp.path(), RelayOptions::default());
    let app = app_with(relay.port, "concurrency = 4\nrate_per_second = 40", FAST);
    let (pool, week, all) = last_weeks_newsletter(&app, 400).await;
    let child = crate::helpers::chronicle_command()
        .arg("--config")
        .arg(&app.config)
        .args(["send", "--week", &week])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(wait_until(30, || relay.accepted().len() >= 40));
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "an unfinished send is not a success");
    assert!(
        stderr.contains("are not settled: shutdown; run `chronicle send"),
        "{stderr}"
    );
    let accepted = relay.accepted().len();
    assert!(accepted < all.len());
    assert_eq!(sent(&pool, &week).await, accepted);
    assert_eq!(
        scalar(
            &pool,
            "SELECT COUNT(*) FROM deliveries WHERE status = 'sending'"
        )
        .await,
        0
    );
    let out = app.ok(&["send", "--week", &week]);
    assert!(
        out.contains(&format!("ledger: {} sent", all.len())),
        "{out}"
    );
    assert!(relay.copies().values().all(|n| *n == 1));
    assert_eq!(relay.copies().len(), all.len());
}
