//! Crash safety for real: `send` killed with SIGKILL at random moments of a send to 3,000
//! readers, started again each time. Nobody is skipped, every reader's copies share one
//! Message-ID, and the extra copies are at most what was in flight at each kill.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use crate::delivery::{FAST, app_with, ledger, newsletter};
use crate::helpers::{Relay, RelayOptions};

const READERS: usize = 3000;
const CONCURRENCY: usize = 8;

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_a_send_skips_no_one_and_doubles_only_what_was_in_flight() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start_with(tmp.path(), RelayOptions::default());
    let app = app_with(relay.port, &format!("concurrency = {CONCURRENCY}"), FAST);
    let all: Vec<String> = (0..READERS)
        .map(|i| format!("reader{i:04}@example.org"))
        .collect();
    let pool = newsletter(&app, &all).await;
    let seed: u64 = rand::random();
    eprintln!("crash test seed: {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let mut kills = 0;
    for _ in 0..5 {
        let mut child = crate::helpers::chronicle_command()
            .arg("--config")
            .arg(&app.config)
            .args(["send", "--week", "2026-W47"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill once this run is under way, at a random moment.
        let before = relay.accepted().len();
        let deadline = Instant::now() + Duration::from_secs(30);
        while relay.accepted().len() == before && Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(rng.random_range(0..400)));
        if child.try_wait().unwrap().is_some() {
            break;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
    }
    assert!(
        kills >= 3,
        "only {kills} kills happened: the sends finished too fast"
    );
    let sent_before_last = relay.accepted().len();
    assert!(
        sent_before_last < READERS,
        "the kills did not interrupt anything"
    );

    // One more run, straight after the last kill: it takes over at once and finishes.
    let out = app.ok(&["send", "--week", "2026-W47"]);
    assert!(
        out.contains("ledger: 3000 sent, 0 failed, 0 skipped, 0 pending"),
        "{out}"
    );

    let copies = relay.copies();
    let l = ledger(&pool, "2026-W47").await;
    assert_eq!(l.len(), READERS);
    for (email, row) in &l {
        assert_eq!(row.status, "sent", "{email}");
        let id = row.message_id.as_deref().unwrap();
        assert!(
            copies.contains_key(id),
            "{email}: its Message-ID {id} never arrived"
        );
    }
    let received: BTreeSet<String> = relay.accepted().into_iter().flat_map(|a| a.rcpt).collect();
    let expected: BTreeSet<String> = all.iter().cloned().collect();
    assert_eq!(received, expected, "someone was skipped");
    // Copies of one delivery carry one Message-ID: as many ids as readers.
    assert_eq!(copies.len(), READERS);
    let extra: usize = copies.values().map(|n| n - 1).sum();
    assert!(
        extra <= kills * CONCURRENCY,
        "{extra} duplicates after {kills} kills with {CONCURRENCY} in flight"
    );
    let open: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM delivery_runs WHERE finished_at IS NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(open, 0, "every killed run was found dead and closed");
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(integrity, "ok", "the kills left a sound database");
}
