//! The organiser's dashboard in real headless Chromium (chromedriver and fantoccini): sign in,
//! look at every page, pin a story on the next digest and see the preview change. Screenshots
//! of every page, light and dark, go to `target/screenshots/` for people to look at.

use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

use crate::browser_journey::Driver;
use crate::helpers::admin::{PASSWORD, admin_config, week_feed};
use crate::helpers::site::Site;
use crate::helpers::{FeedServer, Relay, TestApp};

async fn session(driver: &Driver, profile: &std::path::Path, dark: bool) -> Client {
    let mut args: Vec<String> = crate::helpers::CHROMIUM_FLAGS
        .iter()
        .chain(&[
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--window-size=1280,1500",
        ])
        .map(|a| a.to_string())
        .collect();
    if dark {
        args.push("--force-dark-mode".into());
        args.push("--blink-settings=preferredColorScheme=0".into());
    }
    args.push(format!("--user-data-dir={}", profile.display()));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "binary": "/usr/bin/chromium", "args": args }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session")
}

async fn shot(browser: &Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = browser.screenshot().await.unwrap();
    assert!(png.len() > 20_000, "{name}: a real page, not a blank one");
    std::fs::write(dir.join(name), png).unwrap();
}

async fn heading(browser: &Client, expected: &str) {
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

async fn sign_in(browser: &Client, base: &str) {
    browser.goto(&format!("{base}admin")).await.unwrap();
    heading(browser, "Sign in").await;
    browser
        .find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    browser
        .find(Locator::Css("#login button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    heading(browser, "Overview").await;
}

/// The title of the first story of the preview (empty while the page is being replaced: the
/// element found may go stale before its text is read).
async fn lead_story(browser: &Client) -> String {
    match browser.find(Locator::Css("#stories article h3")).await {
        Ok(h) => h.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Back-dates what the CLI cannot: subscribers who joined over the past weeks and fetch
/// history of past days, so the charts have a shape to look at (these rows only feed the
/// pictures; nothing this test asserts depends on them).
async fn history(t: &TestApp) {
    let pool = t.pool().await;
    let now = chrono::Utc::now().timestamp();
    for (i, email) in [
        "a@example.org",
        "b@example.org",
        "c@example.org",
        "d@example.org",
        "e@example.org",
    ]
    .iter()
    .enumerate()
    {
        sqlx::query("UPDATE subscribers SET created_at = ?, confirmed_at = ? WHERE email = ?")
            .bind(now - (9 - 2 * i as i64) * 7 * 86_400)
            .bind(now - (9 - 2 * i as i64) * 7 * 86_400)
            .bind(email)
            .execute(&pool)
            .await
            .unwrap();
    }
    for day in 1..20_i64 {
        let at = (now - day * 86_400) / 86_400 * 86_400;
        for (result, n) in [
            ("updated", 20 + day % 5),
            ("unchanged", 60),
            ("failed", day % 4 * 3),
        ] {
            sqlx::query("INSERT INTO fetch_days (day, result, fetches) VALUES (?, ?, ?)")
                .bind(at)
                .bind(result)
                .bind(n)
                .execute(&pool)
                .await
                .unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_organiser_signs_in_pins_a_story_and_sees_the_preview_change_in_headless_chromium() {
    let feeds = FeedServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(tmp.path());
    let port = crate::helpers::free_port();
    let base = format!("http://127.0.0.1:{port}/");
    let t = TestApp::new(
        relay.port,
        &admin_config("").replace("127.0.0.1:0", &format!("127.0.0.1:{port}")),
    );
    // One error makes a feed "failing" here, so the feeds page shows that state too.
    let text = std::fs::read_to_string(&t.config).unwrap();
    let text = text
        .replace("http://chronicle.test/", &base)
        .replace("[fetch]\n", "[fetch]\nfailing_after = 1\n");
    std::fs::write(&t.config, text).unwrap();
    let ada = week_feed(
        &feeds,
        "ada.xml",
        "Ada writes",
        &[
            ("a1", "Shipping the new parser", "http://ada.test/parser", 1),
            ("a2", "Notes from the meetup", "http://ada.test/meetup", 3),
        ],
    );
    let bob = week_feed(
        &feeds,
        "bob.xml",
        "Bob builds",
        &[
            ("b1", "Ada ships a parser", "http://ada.test/parser", 2),
            ("b2", "Why we moved to SQLite", "http://bob.test/sqlite", 5),
        ],
    );
    t.ok(&["feeds", "add", "--no-check", &ada]);
    t.ok(&["feeds", "add", "--no-check", &bob]);
    t.ok(&["feeds", "add", &feeds.feed_url("seeds-atom.xml")]);
    t.ok(&["feeds", "add", &feeds.feed_url("seeds-rss.xml")]);
    t.ok(&["feeds", "add", "--no-check", &feeds.feed_url("gone.xml")]);
    feeds.set_missing("gone.xml", true);
    t.ok(&[
        "subscribers",
        "add",
        "a@example.org",
        "b@example.org",
        "c@example.org",
        "d@example.org",
        "e@example.org",
        "bounce@example.org",
    ]);
    t.ok(&["fetch"]);
    // A real send of an earlier week: one reader's address bounces (550).
    t.run(&["send", "--week", "2026-W46"]);
    history(&t).await;

    let site = Site::start(&t).await;
    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = session(&driver, &profile.path().join("light"), false).await;
    browser.goto(&format!("{base}admin/login")).await.unwrap();
    heading(&browser, "Sign in").await;
    shot(&browser, "admin-login.png").await;
    sign_in(&browser, &base).await;
    shot(&browser, "admin-overview.png").await;
    let svgs = browser.find_all(Locator::Css("svg.chart")).await.unwrap();
    assert_eq!(svgs.len(), 3, "three charts");

    browser.goto(&format!("{base}admin/feeds")).await.unwrap();
    heading(&browser, "Feeds").await;
    let first = browser
        .find(Locator::Css("table.feeds tbody tr"))
        .await
        .unwrap();
    assert!(
        first.text().await.unwrap().contains("gone.xml"),
        "the failing feed leads"
    );
    shot(&browser, "admin-feeds.png").await;

    browser.goto(&format!("{base}admin/digest")).await.unwrap();
    heading(&browser, "Next digest").await;
    assert_eq!(lead_story(&browser).await, "Shipping the new parser");
    shot(&browser, "admin-digest.png").await;
    browser
        .find(Locator::Css("article h3 a[href='http://bob.test/sqlite']"))
        .await
        .unwrap();
    let sqlite_card = browser
        .find(Locator::XPath(
            "//article[.//a[@href='http://bob.test/sqlite']]",
        ))
        .await
        .unwrap();
    sqlite_card
        .find(Locator::Css("button[value=pin]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while lead_story(&browser).await != "Pinned Why we moved to SQLite" {
        assert!(
            Instant::now() < deadline,
            "the pinned story leads: {}",
            lead_story(&browser).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let notice = browser
        .find(Locator::Css(".notice"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(notice, "Pinned: the story leads the digest.");
    shot(&browser, "admin-digest-pinned.png").await;

    browser.goto(&format!("{base}admin/sends")).await.unwrap();
    heading(&browser, "Sends").await;
    assert!(
        browser
            .find(Locator::Css("td.reply"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("550")
    );
    shot(&browser, "admin-sends.png").await;
    browser
        .goto(&format!("{base}admin/subscribers"))
        .await
        .unwrap();
    heading(&browser, "Subscribers").await;
    shot(&browser, "admin-subscribers.png").await;
    browser.close().await.unwrap();

    // The same pages in dark mode (the colour scheme is a launch flag: a second session).
    let dark = session(&driver, &profile.path().join("dark"), true).await;
    dark.goto(&format!("{base}admin/login")).await.unwrap();
    heading(&dark, "Sign in").await;
    shot(&dark, "admin-login-dark.png").await;
    sign_in(&dark, &base).await;
    shot(&dark, "admin-overview-dark.png").await;
    for (path, title, name) in [
        ("admin/feeds", "Feeds", "admin-feeds-dark.png"),
        ("admin/digest", "Next digest", "admin-digest-dark.png"),
        ("admin/sends", "Sends", "admin-sends-dark.png"),
        (
            "admin/subscribers",
            "Subscribers",
            "admin-subscribers-dark.png",
        ),
    ] {
        dark.goto(&format!("{base}{path}")).await.unwrap();
        heading(&dark, title).await;
        shot(&dark, name).await;
    }
    dark.close().await.unwrap();
    drop(driver);
    site.stop().await;
}
