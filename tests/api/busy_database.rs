//! CLI commands while `serve` works, for real: a `serve` process taking sign-ups and serving
//! pages while `send`, `fetch --all` and `digest edit` run in loops beside it for several
//! seconds. No command fails and no stderr ever says "database is locked" (WAL, a busy
//! timeout, write transactions that take the lock up front and stay short).

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::helpers::{FeedServer, SmtpServer, TestApp};

/// How long the loops run.
const RUN_FOR: Duration = Duration::from_secs(6);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `args` again and again until `stop`; returns (runs, failures with their stderr).
fn loop_cli(t: &TestApp, args: &[&str], stop: &AtomicBool) -> (usize, Vec<String>) {
    let (mut runs, mut failures) = (0, Vec::new());
    while !stop.load(Ordering::Relaxed) {
        let out = t.run(args);
        runs += 1;
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() || err.to_lowercase().contains("locked") {
            failures.push(format!("{args:?}: {err}"));
        }
    }
    (runs, failures)
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_commands_beside_a_working_serve_never_meet_a_locked_database() {
    let feeds = FeedServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let port = free_port();
    let t = TestApp::new(
        smtp.port,
        &format!(
            "\n[web]\nbind = \"127.0.0.1:{port}\"\n\n[subscribe]\nrequests_per_minute = 100000\n\
             mails_per_day = 100000\nmail_interval_minutes = 0\n"
        ),
    );
    let urls: Vec<String> = (0..20)
        .map(|i| feeds.set_body(&format!("blog{i}.xml"), &crate::machine::atom(i, 120)))
        .collect();
    t.import_urls(urls.iter().map(String::as_str));
    t.ok(&["fetch"]);
    let readers: Vec<String> = (0..30).map(|i| format!("reader{i}@example.org")).collect();
    let mut add = vec!["subscribers", "add"];
    add.extend(readers.iter().map(String::as_str));
    t.ok(&add);

    let serve_log = t.dir.path().join("serve.log");
    let mut serve = Command::new(env!("CARGO_BIN_EXE_chronicle"))
        .arg("--config")
        .arg(&t.config)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&serve_log).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !t.run(&["check", "--health"]).status.success() {
        assert!(Instant::now() < deadline, "serve never became healthy");
        std::thread::sleep(Duration::from_millis(100));
    }

    let stop = Arc::new(AtomicBool::new(false));
    let t = Arc::new(t);
    let loops: Vec<_> = [
        vec!["send", "--week", "2026-W46"],
        vec!["fetch", "--all"],
        vec![
            "digest",
            "edit",
            "--week",
            "2026-W47",
            "--intro",
            "Hello again",
        ],
    ]
    .into_iter()
    .map(|args| {
        let (t, stop) = (t.clone(), stop.clone());
        std::thread::spawn(move || loop_cli(&t, &args, &stop))
    })
    .collect();
    // Visitors meanwhile: pages, and sign-ups that write.
    let base = format!("http://127.0.0.1:{port}");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let started = Instant::now();
    let (mut signups, mut web_failures) = (0, Vec::new());
    while started.elapsed() < RUN_FOR {
        for path in ["/", "/digests", "/blogs"] {
            let r = client.get(format!("{base}{path}")).send().await.unwrap();
            if r.status() != 200 {
                web_failures.push(format!("GET {path}: {}", r.status()));
            }
        }
        let home = client.get(format!("{base}/")).send().await.unwrap();
        let cookie = home.headers()["set-cookie"].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_string();
        let csrf = crate::helpers::site::csrf_field(&home.text().await.unwrap()).unwrap();
        let email = format!("visitor{signups}@example.org");
        let r = client
            .post(format!("{base}/subscribe"))
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "email={}&csrf={csrf}&website=",
                email.replace('@', "%40")
            ))
            .send()
            .await
            .unwrap();
        if r.status() != 200 {
            web_failures.push(format!("POST /subscribe: {}", r.status()));
        }
        signups += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let results: Vec<(usize, Vec<String>)> = loops.into_iter().map(|h| h.join().unwrap()).collect();
    // Every mail went out before serve stops (confirmations are sent in the background).
    let mail = smtp.wait_for(readers.len() + signups);
    let subject = |m: &crate::helpers::Received, s: &str| {
        String::from_utf8_lossy(&m.raw).contains(&format!("Subject: {s}"))
    };
    let confirmations = mail
        .iter()
        .filter(|m| subject(m, "Confirm your subscription"))
        .count();
    assert_eq!(confirmations, signups, "one confirmation per sign-up");
    assert_eq!(
        mail.len() - confirmations,
        readers.len(),
        "one digest per reader"
    );
    // SAFETY: kill with a pid of a child this test started and has not reaped yet.
    unsafe {
        libc::kill(serve.id() as i32, libc::SIGTERM);
    }
    let status = serve.wait().unwrap();
    assert!(status.success(), "serve stops cleanly: {status:?}");

    let log = std::fs::read_to_string(&serve_log).unwrap();
    assert!(
        !log.to_lowercase().contains("locked") && !log.contains("ERROR"),
        "serve: {log}"
    );
    assert!(web_failures.is_empty(), "{web_failures:#?}");
    for (runs, failures) in &results {
        assert!(failures.is_empty(), "{failures:#?}");
        assert!(*runs >= 3, "a loop ran only {runs} times");
    }
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM subscribers WHERE status = 'pending'")
            .fetch_one(&t.pool().await)
            .await
            .unwrap();
    assert_eq!(pending, signups as i64, "every sign-up was stored");
    eprintln!(
        "runs: send {}, fetch {}, edit {}; sign-ups {signups}",
        results[0].0, results[1].0, results[2].0
    );
}
