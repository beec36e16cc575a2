//! The web site, served by the real application on a random port.

use chronicle::app::App;
use chronicle::serve::Server;
use tokio_util::sync::CancellationToken;

use crate::helpers::{FeedServer, SmtpServer, TestApp};

/// GETs `url` and returns the body.
async fn get_text(client: &reqwest::Client, url: String) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// Parses `xml` with Python's feedparser: (bozo, number of entries, first entry's title).
fn feedparser(xml: &str) -> (String, usize, String) {
    use std::io::Write;
    let mut child = std::process::Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import sys, feedparser; d = feedparser.parse(sys.stdin.buffer.read()); \
             print(int(d.bozo)); print(len(d.entries)); print(d.entries[0].title if d.entries else '')",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3-feedparser is needed: apt-get install python3-feedparser (scripts/test does)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(xml.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "feedparser failed: {text}");
    let mut lines = text.lines();
    let bozo = lines.next().unwrap_or_default().to_string();
    let count = lines.next().and_then(|l| l.parse().ok()).unwrap_or(0);
    (bozo, count, lines.next().unwrap_or_default().to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn archive_health_and_one_click_unsubscribe() {
    let feeds = FeedServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let t = TestApp::new(smtp.port, "\n[web]\nbind = \"127.0.0.1:0\"\n");
    t.ok(&["feeds", "add", &feeds.feed_url("seeds-atom.xml")]);
    t.ok(&["fetch"]);
    t.ok(&["subscribers", "add", "ada@example.org"]);
    t.ok(&["send", "--week", "2026-W46"]);

    let settings = crate::helpers::load_settings(&t.config);
    let app = App::build(settings).await.unwrap();
    let server = Server::bind(app).await.unwrap();
    let base = format!("http://127.0.0.1:{}", server.port());
    let stop = CancellationToken::new();
    let handle = tokio::spawn(server.run_until_stopped(stop.clone(), false));
    let client = reqwest::Client::new();

    let health = client.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let list = get_text(&client, format!("{base}/digests")).await;
    assert!(list.contains("2026-W46"), "{list}");
    let page = client
        .get(format!("{base}/digests/2026-W46"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Why do you want to be an MVP???")
    );
    assert_eq!(
        client
            .get(format!("{base}/digests/2026-W30"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        client
            .get(format!("{base}/nope"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // The Atom feeds parse cleanly in Python's feedparser (Debian python3-feedparser).
    for (path, entries) in [("/feeds/stories.atom", 3), ("/feeds/digests.atom", 1)] {
        let resp = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/atom+xml")
        );
        let xml = resp.text().await.unwrap();
        let (bozo, count, first_title) = feedparser(&xml);
        assert_eq!(
            bozo, "0",
            "{path} is not well-formed for feedparser:\n{xml}"
        );
        assert_eq!(count, entries, "{path}");
        assert!(!first_title.is_empty(), "{path}");
    }
    let digests_feed = get_text(&client, format!("{base}/feeds/digests.atom")).await;
    assert!(
        digests_feed.contains("Why do you want to be an MVP???")
            && !digests_feed.contains("%%UNSUBSCRIBE")
    );

    let pool = t.pool().await;
    let token: String = sqlx::query_scalar("SELECT token FROM subscribers")
        .fetch_one(&pool)
        .await
        .unwrap();
    let confirm = client
        .get(format!("{base}/unsubscribe/{token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status(), 200);
    let status: String = sqlx::query_scalar("SELECT status FROM subscribers")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        status, "confirmed",
        "GET must not unsubscribe (mail scanners follow links)"
    );
    let done = client
        .post(format!("{base}/unsubscribe/{token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("ada@example.org"));
    let status: String = sqlx::query_scalar("SELECT status FROM subscribers")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "unsubscribed");
    assert_eq!(
        client
            .post(format!("{base}/unsubscribe/{}", "0".repeat(32)))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    stop.cancel();
    handle.await.unwrap().unwrap();
}

#[test]
fn serve_answers_health_checks_and_stops_cleanly_on_sigterm() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let t = TestApp::new(25, &format!("\n[web]\nbind = \"127.0.0.1:{port}\"\n"));
    let mut child = crate::helpers::chronicle_command()
        .arg("--config")
        .arg(&t.config)
        .arg("serve")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let out = t.run(&["check", "--health"]);
        if out.status.success() {
            assert!(String::from_utf8_lossy(&out.stdout).contains("healthy"));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "serve never became healthy"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // libc::kill rather than the `kill` command: procps may be missing on a minimal machine.
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    // SAFETY: kill(2) on our own child's pid, which has not been waited for yet.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "SIGTERM sent");
    let status = child.wait().unwrap();
    assert!(status.success(), "serve exits 0 on SIGTERM: {status:?}");
    let err = t.fails(&["check", "--health"]);
    assert!(err.contains("does not answer"), "{err}");
}
