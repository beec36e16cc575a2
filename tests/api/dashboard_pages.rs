//! Every dashboard page with real data (real fetches from the dashboard's "fetch now", a real
//! send resumed from it with one 550), the editor's controls (pin, exclude, split, intro, and
//! no change without a CSRF token or a session), `/metrics` checked by `promtool` with exact
//! values, and `chronicle status` telling the same facts.

use chronicle::domain::DigestWeek;

use crate::helpers::admin::{admin_config, eventually, promtool, sample, sign_in, week_feed};
use crate::helpers::site::Site;
use crate::helpers::{FeedServer, Relay, TestApp};

/// The first feed id whose URL ends with `suffix`.
async fn feed_id(t: &TestApp, suffix: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM feeds WHERE url LIKE '%' || ?")
        .bind(suffix)
        .fetch_one(&t.pool().await)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_pages_show_real_fetches_and_sends_and_metrics_pass_promtool() {
    let feeds = FeedServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(tmp.path());
    let t = TestApp::new(relay.port, &admin_config(""));
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
        "Bob's blog",
        &[("b1", "Why we moved to SQLite", "http://bob.test/sqlite", 4)],
    );
    t.ok(&["feeds", "add", "--no-check", &ada]);
    t.ok(&["feeds", "add", "--no-check", &bob]);
    t.ok(&["feeds", "add", "--no-check", &feeds.feed_url("gone.xml")]);
    feeds.set_missing("gone.xml", true);
    t.ok(&[
        "subscribers",
        "add",
        "reader@example.org",
        "bounce@example.org",
    ]);
    let site = Site::start(&t).await;
    let org = sign_in(&site).await;

    // "Fetch now" for each feed, from the dashboard (the server's own process and metrics).
    for suffix in ["ada.xml", "bob.xml", "gone.xml"] {
        let id = feed_id(&t, suffix).await.to_string();
        let a = org
            .post(&site, &format!("/admin/feeds/{id}/fetch"), &[])
            .await;
        assert_eq!(
            (a.status, a.headers["location"].to_str().unwrap()),
            (303, "/admin/feeds?notice=fetched")
        );
    }
    let feeds_page = org.page(&site, "/admin/feeds?notice=fetched").await;
    assert!(
        feeds_page.contains("<p class=\"notice\" role=\"status\">Fetched:"),
        "{feeds_page}"
    );
    let gone_at = feeds_page.find("gone.xml").unwrap();
    assert!(
        gone_at < feeds_page.find("ada.xml").unwrap(),
        "the failing feed comes first"
    );
    assert!(
        feeds_page.contains("<span class=\"pill erroring\">erroring</span>"),
        "{feeds_page}"
    );
    assert!(
        feeds_page.contains("404"),
        "the error in plain words: {feeds_page}"
    );
    assert_eq!(feeds_page.matches("Fetch now").count(), 3);

    // The send, resumed from the dashboard in the background: one accepted, one 550.
    let week = DigestWeek::last_complete(chrono::Utc::now(), chrono_tz::UTC, chrono::Weekday::Mon)
        .to_string();
    let a = org
        .post(&site, &format!("/admin/sends/{week}/resume"), &[])
        .await;
    assert_eq!(
        a.headers["location"].to_str().unwrap(),
        "/admin/sends?notice=resuming"
    );
    let pool = t.pool().await;
    eventually("the send to settle", || {
        let pool = pool.clone();
        async move {
            let open: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'sending')",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            let all: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries")
                .fetch_one(&pool)
                .await
                .unwrap();
            all == 2 && open == 0
        }
    })
    .await;
    eventually("the send job to finish", || async {
        !org.page(&site, "/admin/sends")
            .await
            .contains("A send is running")
    })
    .await;
    let sends = org.page(&site, "/admin/sends").await;
    assert!(sends.contains(&format!("<h2>{week}</h2>")), "{sends}");
    assert!(
        sends.contains("<span class=\"pill ok\">1 sent</span>"),
        "{sends}"
    );
    assert!(
        sends.contains("<span class=\"pill failing\">1 failed</span>"),
        "{sends}"
    );
    assert!(
        sends.contains("bounce@example.org") && sends.contains("550 5.1.1"),
        "the SMTP reply: {sends}"
    );

    let overview = org.page(&site, "/admin").await;
    for chart in [
        "Stories per week",
        "Fetch success per day",
        "Confirmed subscribers",
    ] {
        assert!(
            overview.contains(&format!("<svg role=\"img\" aria-label=\"{chart}\"")),
            "{chart}: {overview}"
        );
    }
    assert!(
        overview.contains("<span class=\"big\">3</span> feeds"),
        "{overview}"
    );
    assert!(
        overview.contains("<span class=\"big\">2</span> confirmed subscribers"),
        "{overview}"
    );
    assert!(
        overview.contains("<span class=\"big\">3</span> stories"),
        "{overview}"
    );
    assert!(overview.contains("1 feed in trouble"), "{overview}");
    let subs = org.page(&site, "/admin/subscribers").await;
    assert!(
        subs.contains("reader@example.org")
            && subs.contains("<span class=\"pill ok\">2 confirmed</span>"),
        "{subs}"
    );

    // /metrics, from loopback: promtool's lint passes and the values are exact.
    let m = site.get("/metrics", None).await;
    assert_eq!(m.status, 200);
    assert_eq!(
        m.headers["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let lint = promtool(&m.body);
    assert!(
        lint.status.success(),
        "promtool check metrics: {}{}\n{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr),
        m.body
    );
    let v = |name: &str, labels: &[(&str, &str)]| {
        sample(&m.body, name, labels).unwrap_or_else(|| panic!("{name} {labels:?} in\n{}", m.body))
    };
    assert_eq!(v("chronicle_fetches_total", &[("result", "updated")]), 2.0);
    assert_eq!(v("chronicle_fetches_total", &[("result", "failed")]), 1.0);
    assert_eq!(v("chronicle_fetch_duration_seconds_count", &[]), 3.0);
    assert_eq!(
        v("chronicle_fetch_duration_seconds_bucket", &[("le", "+Inf")]),
        3.0
    );
    assert!(v("chronicle_fetch_duration_seconds_bucket", &[("le", "0.05")]) <= 3.0);
    assert_eq!(v("chronicle_entries_stored_total", &[]), 3.0);
    assert_eq!(v("chronicle_digests_built_total", &[]), 1.0);
    assert_eq!(v("chronicle_messages_total", &[("result", "sent")]), 1.0);
    assert_eq!(v("chronicle_messages_total", &[("result", "failed")]), 1.0);
    assert_eq!(v("chronicle_send_duration_seconds_count", &[]), 1.0);
    assert!(v("chronicle_send_rate_messages_per_second", &[]) > 0.0);
    assert_eq!(v("chronicle_feeds", &[("status", "ok")]), 2.0);
    assert_eq!(v("chronicle_feeds", &[("status", "erroring")]), 1.0);
    assert_eq!(v("chronicle_feeds", &[("status", "failing")]), 0.0);
    assert_eq!(v("chronicle_subscribers", &[("status", "confirmed")]), 2.0);
    assert_eq!(v("chronicle_deliveries", &[("status", "sent")]), 1.0);
    assert_eq!(v("chronicle_deliveries", &[("status", "failed")]), 1.0);
    let now = chrono::Utc::now().timestamp() as f64;
    for job in ["fetch", "digest", "send"] {
        let at = v(
            "chronicle_job_last_success_timestamp_seconds",
            &[("job", job)],
        );
        assert!((now - at).abs() < 120.0, "{job}: {at} vs {now}");
    }
    // Every histogram has the configured buckets.
    for le in ["0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30"] {
        v("chronicle_fetch_duration_seconds_bucket", &[("le", le)]);
    }

    // The same facts on the command line.
    let status = t.ok(&["status"]);
    assert!(
        status.contains("feeds:        3 (1 erroring, 2 ok)"),
        "{status}"
    );
    assert!(status.contains("subscribers:  2 confirmed"), "{status}");
    assert!(
        status.contains(&format!("last send:    {week} started")),
        "{status}"
    );
    assert!(
        status.contains("finished: 1 sent, 1 failed, 0 skipped, 0 pending"),
        "{status}"
    );
    let json: serde_json::Value = serde_json::from_str(&t.ok(&["status", "--json"])).unwrap();
    assert_eq!(json["feeds"], serde_json::json!({"erroring": 1, "ok": 2}));
    assert_eq!(json["subscribers"], serde_json::json!({"confirmed": 2}));
    assert_eq!(
        json["deliveries"],
        serde_json::json!({"failed": 1, "sent": 1})
    );
    assert_eq!(json["last_send"]["week"], week.as_str());
    assert!(
        json["last_success"]["send"]
            .as_str()
            .unwrap()
            .starts_with("20")
    );
    assert_eq!(
        json["totals"],
        serde_json::json!({"entries": 3, "stories": 3, "digests": 1})
    );
    assert_eq!(json["last_send"]["tally"]["failed"], 1);
    assert_eq!(json["troubled_feeds"][0]["errors"], 1);
    assert!(
        json["troubled_feeds"][0]["url"]
            .as_str()
            .unwrap()
            .ends_with("gone.xml")
    );
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_editors_controls_pin_exclude_split_and_write_the_intro() {
    let feeds = FeedServer::start();
    let t = TestApp::new(25, &admin_config(""));
    // Bob re-posted Ada's parser post (same link): one story of two entries.
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
        "Bob's blog",
        &[
            ("b1", "Ada ships a parser", "http://ada.test/parser", 2),
            ("b2", "Why we moved to SQLite", "http://bob.test/sqlite", 4),
        ],
    );
    t.ok(&["feeds", "add", "--no-check", &ada]);
    t.ok(&["feeds", "add", "--no-check", &bob]);
    t.ok(&["fetch"]);
    let site = Site::start(&t).await;
    let org = sign_in(&site).await;
    let pool = t.pool().await;
    let id = |title: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT id FROM entries WHERE title = ?")
                .bind(title)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let (parser, copy, sqlite) = (
        id("Shipping the new parser").await,
        id("Ada ships a parser").await,
        id("Why we moved to SQLite").await,
    );
    let page = org.page(&site, "/admin/digest").await;
    assert!(page.contains("3 stories"), "{page}");
    assert!(
        page.contains("Also: <strong>Ada ships a parser</strong> on Bob"),
        "{page}"
    );
    let first = |page: &str| {
        let at = page.find("<article").unwrap();
        page[at..].split("</article>").next().unwrap().to_string()
    };
    assert!(!first(&page).contains(&format!("id=\"story-{sqlite}\"")));

    // Without the CSRF token, nothing changes.
    let forged = site
        .post(
            "/admin/digest/pick",
            &[("entry", &sqlite.to_string()), ("action", "pin")],
            Some(&org.cookie),
            &[],
        )
        .await;
    assert_eq!(forged.status, 403);
    let no_session = site
        .post(
            "/admin/digest/pick",
            &[
                ("entry", &sqlite.to_string()),
                ("action", "pin"),
                ("csrf", &org.csrf),
            ],
            None,
            &[],
        )
        .await;
    assert_eq!(no_session.status, 401);
    assert!(!first(&org.page(&site, "/admin/digest").await).contains("Pinned"));

    // Pin: the story leads, marked.
    let a = org
        .post(
            &site,
            "/admin/digest/pick",
            &[("entry", &sqlite.to_string()), ("action", "pin")],
        )
        .await;
    assert_eq!(
        a.headers["location"].to_str().unwrap(),
        "/admin/digest?notice=pinned"
    );
    let page = org.page(&site, "/admin/digest?notice=pinned").await;
    let lead = first(&page);
    assert!(
        lead.contains(&format!("id=\"story-{sqlite}\""))
            && lead.contains("<span class=\"pill pin\">Pinned</span>"),
        "{lead}"
    );
    assert!(page.contains("Pinned: the story leads the digest."));

    // Exclude, then include again.
    org.post(
        &site,
        "/admin/digest/pick",
        &[("entry", &parser.to_string()), ("action", "exclude")],
    )
    .await;
    let page = org.page(&site, "/admin/digest").await;
    assert!(
        page.contains("2 stories") && page.contains("<h2>Excluded</h2>"),
        "{page}"
    );
    org.post(
        &site,
        "/admin/digest/pick",
        &[("entry", &parser.to_string()), ("action", "include")],
    )
    .await;
    assert!(org.page(&site, "/admin/digest").await.contains("3 stories"));

    // Split the wrong merge: the copy becomes a story of its own, for good.
    let a = org
        .post(
            &site,
            "/admin/digest/split",
            &[("entry", &copy.to_string())],
        )
        .await;
    assert_eq!(
        a.headers["location"].to_str().unwrap(),
        "/admin/digest?notice=split"
    );
    let page = org.page(&site, "/admin/digest").await;
    assert!(
        page.contains("4 stories") && page.contains(&format!("id=\"story-{copy}\"")),
        "{page}"
    );
    let apart: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM story_overrides WHERE entry_id = ? AND together = 0",
    )
    .bind(copy)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(apart, 1);

    // The intro: saved, shown, and what `digest` renders.
    let a = org
        .post(
            &site,
            "/admin/digest/intro",
            &[("intro", "A **big** week.")],
        )
        .await;
    assert_eq!(
        a.headers["location"].to_str().unwrap(),
        "/admin/digest?notice=intro"
    );
    assert!(
        org.page(&site, "/admin/digest")
            .await
            .contains(">A **big** week.</textarea>")
    );
    let text = t.ok(&["digest", "--format", "markdown"]);
    assert!(text.contains("A **big** week."), "{text}");
    site.stop().await;
}
