//! A reader's whole journey in real headless Chromium, driven over WebDriver (chromedriver and
//! fantoccini): the home page's form, the confirmation mail on the real SMTP server, its link
//! and button, a digest sent by the CLI, and leaving through that digest's link. Screenshots of
//! each page are kept in `tests/artifacts/` for people to look at. Chromium resolves no name
//! and reaches nothing but 127.0.0.1.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

use crate::helpers::site::Site;
use crate::helpers::{FeedServer, SmtpServer, TestApp};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// chromedriver on a free loopback port, killed on drop.
pub(crate) struct Driver {
    child: Child,
    /// Its port on 127.0.0.1.
    pub(crate) port: u16,
}

impl Driver {
    /// Starts chromedriver and waits until it answers.
    pub(crate) fn start() -> Self {
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is needed: apt-get install chromium-driver (scripts/test does)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port }
    }

    pub(crate) async fn browser(&self, profile: &std::path::Path) -> Client {
        let mut args: Vec<String> = crate::helpers::CHROMIUM_FLAGS
            .iter()
            .chain(&[
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--window-size=1280,1700",
            ])
            .map(|a| a.to_string())
            .collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": "/usr/bin/chromium", "args": args }),
        );
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a WebDriver session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn shot(browser: &Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    let png = browser.screenshot().await.unwrap();
    assert!(png.len() > 20_000, "{name}: a real page, not a blank one");
    std::fs::write(dir.join(name), png).unwrap();
}

/// The home page in dark mode (a separate Chromium run: the colour scheme is a launch flag).
fn dark_shot(base: &str, profile: &std::path::Path) {
    let png =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/artifacts/site-home-dark.png");
    let out = Command::new("chromium")
        .args(crate::helpers::CHROMIUM_FLAGS)
        .args([
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--force-dark-mode",
            "--blink-settings=preferredColorScheme=0",
            "--window-size=1280,1400",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.join("dark").display()
        ))
        .arg(format!("--screenshot={}", png.display()))
        .arg(base)
        .output()
        .expect("chromium");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::metadata(&png).unwrap().len() > 20_000);
}

/// Waits until the page's `<h1>` reads `expected` (a click navigates asynchronously), and
/// fails with what it reads otherwise.
async fn expect_heading(browser: &Client, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = String::new();
    while Instant::now() < deadline {
        if let Ok(h) = browser.find(Locator::Css("main h1")).await {
            seen = h.text().await.unwrap_or_default();
            if seen == expected {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("expected the heading {expected:?}, saw {seen:?}");
}

fn link_in(raw: &[u8], prefix: &str) -> String {
    let msg = mail_parser::MessageParser::default().parse(raw).unwrap();
    let text = msg.body_text(0).unwrap().into_owned();
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} in {text}"));
    text[at..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches(['>', ')'])
        .to_string()
}

async fn status(t: &TestApp) -> String {
    sqlx::query_scalar("SELECT status FROM subscribers WHERE email = 'reader@example.org'")
        .fetch_one(&t.pool().await)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_subscribes_confirms_reads_a_digest_and_leaves_in_headless_chromium() {
    let feeds = FeedServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}/");
    let t = TestApp::new(
        smtp.port,
        &format!("\n[web]\nbind = \"127.0.0.1:{port}\"\n"),
    );
    let text = std::fs::read_to_string(&t.config).unwrap();
    std::fs::write(&t.config, text.replace("http://chronicle.test/", &base)).unwrap();
    t.ok(&["feeds", "add", &feeds.feed_url("seeds-atom.xml")]);
    t.ok(&["feeds", "add", &feeds.feed_url("seeds-rss.xml")]);
    t.ok(&["fetch"]);
    let site = Site::start(&t).await;
    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.browser(profile.path()).await;

    browser.goto(&base).await.unwrap();
    expect_heading(&browser, "Tech Daily Chronicle").await;
    shot(&browser, "site-home.png").await;
    let email = browser.find(Locator::Css("#email")).await.unwrap();
    email.send_keys("reader@example.org").await.unwrap();
    browser
        .find(Locator::Css("#subscribe button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    expect_heading(&browser, "Check your inbox").await;
    shot(&browser, "site-subscribe-result.png").await;
    assert_eq!(status(&t).await, "pending");

    let mail = smtp.wait_for(1);
    assert_eq!(mail.len(), 1);
    let confirm = link_in(&mail[0].raw, &format!("{base}confirm/"));
    browser.goto(&confirm).await.unwrap();
    expect_heading(&browser, "One more step").await;
    shot(&browser, "site-confirm.png").await;
    assert_eq!(
        status(&t).await,
        "pending",
        "opening the link changes nothing"
    );
    browser
        .find(Locator::Css("main form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    expect_heading(&browser, "You are subscribed").await;
    shot(&browser, "site-confirmed.png").await;
    assert_eq!(status(&t).await, "confirmed");

    browser.goto(&format!("{base}blogs")).await.unwrap();
    expect_heading(&browser, "The blogs we follow").await;
    shot(&browser, "site-blogs.png").await;

    // Thumbnails from the local server (the fixtures' own images live on example.org, which
    // tests never reach).
    sqlx::query("UPDATE entries SET image_url = $1 WHERE image_url IS NOT NULL")
        .bind(feeds.image_url("thumbnail.png"))
        .execute(&t.pool().await)
        .await
        .unwrap();
    t.ok(&["send", "--week", "2026-W46"]);
    let mail = smtp.wait_for(2);
    assert_eq!(mail.len(), 2, "the digest reached the new reader");
    let digest = mail
        .iter()
        .find(|m| String::from_utf8_lossy(&m.raw).contains("X-Chronicle-Week: 2026-W46"))
        .expect("the digest");
    browser
        .goto(&format!("{base}digests/2026-W46"))
        .await
        .unwrap();
    browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("article h3"))
        .await
        .unwrap();
    shot(&browser, "site-digest.png").await;

    let leave = link_in(&digest.raw, &format!("{base}unsubscribe/"));
    browser.goto(&leave).await.unwrap();
    expect_heading(&browser, "Leave the newsletter?").await;
    shot(&browser, "site-unsubscribe.png").await;
    browser
        .find(Locator::Css("main form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    expect_heading(&browser, "You are unsubscribed").await;
    shot(&browser, "site-unsubscribed.png").await;
    assert_eq!(status(&t).await, "unsubscribed");

    // The home page on a phone.
    browser.set_window_size(390, 1500).await.unwrap();
    browser.goto(&base).await.unwrap();
    expect_heading(&browser, "Tech Daily Chronicle").await;
    shot(&browser, "site-home-phone.png").await;

    browser.close().await.unwrap();
    dark_shot(&base, profile.path());
    drop(driver);
    site.stop().await;
}
