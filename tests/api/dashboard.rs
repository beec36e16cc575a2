//! The organiser's dashboard, `/metrics` and `chronicle status`, through the real server on a
//! real SQLite file: sign-in (argon2, rate limit, cookie flags, CSRF), every page with real
//! data from real fetches and a real send, the editor's controls, `promtool check metrics` on
//! the exposition with exact values, and who may read it.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chronicle::domain::DigestWeek;

use crate::helpers::site::{Answer, Site, csrf_field};
use crate::helpers::{FeedServer, Relay, TestApp};

/// The dashboard's password in these tests.
pub const PASSWORD: &str = "correct horse battery";

/// Settings for a served site with the dashboard on.
pub fn admin_config(extra: &str) -> String {
    format!("\n[web]\nbind = \"127.0.0.1:0\"\n\n[admin]\npassword = \"{PASSWORD}\"\n{extra}")
}

/// An Atom feed of `items` (guid, title, link, day) published in the last complete week (the
/// week the next digest covers), on its `day`th day (0 = Monday) at 09:00 UTC; served by
/// `feeds` at `name`.
pub fn week_feed(
    feeds: &FeedServer,
    name: &str,
    blog: &str,
    items: &[(&str, &str, &str, i64)],
) -> String {
    let now = chrono::Utc::now();
    let week = DigestWeek::last_complete(now, chrono_tz::UTC, chrono::Weekday::Mon);
    let (start, _) = week.bounds(chrono_tz::UTC, chrono::Weekday::Mon);
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <title>{blog}</title><id>urn:{name}</id><updated>{}</updated>\
         <link rel=\"alternate\" href=\"http://{name}.test/\"/>",
        now.to_rfc3339()
    );
    for (guid, title, link, day) in items {
        let published = start + chrono::Duration::days(*day) + chrono::Duration::hours(9);
        xml.push_str(&format!(
            "<entry><id>urn:{guid}</id><title>{title}</title><link href=\"{link}\"/>\
             <published>{p}</published><updated>{p}</updated><author><name>{blog} author</name></author>\
             <content type=\"html\">&lt;p&gt;{title}: a post of several words about what the \
             community did this week, so that it reads like a real one.&lt;/p&gt;</content></entry>",
            p = published.to_rfc3339()
        ));
    }
    xml.push_str("</feed>");
    feeds.set_body(name, &xml)
}

/// A signed-in organiser: the cookies to send and the page's CSRF token.
pub struct Organiser {
    /// `chronicle_csrf=...; chronicle_admin=...`.
    pub cookie: String,
    /// The forms' token.
    pub csrf: String,
}

/// The `Set-Cookie` header of `a` that sets `name`.
pub fn set_cookie(a: &Answer, name: &str) -> Option<String> {
    a.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// Signs in with `password`; panics unless it works.
pub async fn sign_in(site: &Site) -> Organiser {
    let (v, _) = site.visit("/admin/login").await;
    let a = site
        .post(
            "/admin/login",
            &[("password", PASSWORD), ("csrf", &v.csrf)],
            Some(&v.cookie),
            &[],
        )
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    let session = set_cookie(&a, "chronicle_admin").expect("a session cookie");
    let session = session.split(';').next().unwrap();
    Organiser {
        cookie: format!("{}; {session}", v.cookie),
        csrf: v.csrf,
    }
}

impl Organiser {
    /// GETs a dashboard page, asserting 200.
    pub async fn page(&self, site: &Site, path: &str) -> String {
        let a = site.get(path, Some(&self.cookie)).await;
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        assert_eq!(
            csrf_field(&a.body).as_deref(),
            Some(self.csrf.as_str()),
            "{path}: forms carry the token"
        );
        a.body
    }

    /// POSTs a dashboard form with the token; returns the answer.
    pub async fn post(&self, site: &Site, path: &str, form: &[(&str, &str)]) -> Answer {
        let mut all = form.to_vec();
        all.push(("csrf", &self.csrf));
        site.post(path, &all, Some(&self.cookie), &[]).await
    }
}

/// The first feed id whose URL ends with `suffix`.
async fn feed_id(t: &TestApp, suffix: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM feeds WHERE url LIKE '%' || ?")
        .bind(suffix)
        .fetch_one(&t.pool().await)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_checks_the_hash_limits_attempts_and_sets_a_strict_cookie() {
    let t = TestApp::new(25, &admin_config("login_attempts_per_minute = 3\n"));
    let site = Site::start(&t).await;
    let a = site.get("/admin", None).await;
    assert_eq!(
        (a.status, a.headers["location"].to_str().unwrap()),
        (303, "/admin/login")
    );
    let (v, page) = site.visit("/admin/login").await;
    assert!(page.body.contains("type=\"password\""), "{}", page.body);
    // Not linked from the public pages.
    assert!(!site.get("/", None).await.body.contains("/admin"));

    let wrong = site
        .post(
            "/admin/login",
            &[("password", "correct horse"), ("csrf", &v.csrf)],
            Some(&v.cookie),
            &[],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.body.contains("That password is not right."),
        "{}",
        wrong.body
    );
    assert!(set_cookie(&wrong, "chronicle_admin").is_none());
    let no_csrf = site
        .post(
            "/admin/login",
            &[("password", PASSWORD)],
            Some(&v.cookie),
            &[],
        )
        .await;
    assert_eq!(no_csrf.status, 403, "no CSRF token, no sign-in");
    assert!(set_cookie(&no_csrf, "chronicle_admin").is_none());

    let ok = site
        .post(
            "/admin/login",
            &[("password", PASSWORD), ("csrf", &v.csrf)],
            Some(&v.cookie),
            &[],
        )
        .await;
    assert_eq!(
        (ok.status, ok.headers["location"].to_str().unwrap()),
        (303, "/admin")
    );
    let cookie = set_cookie(&ok, "chronicle_admin").unwrap();
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("chronicle_admin=")
        .to_string();
    assert_eq!(token.len(), 32);
    assert_eq!(
        cookie,
        format!("chronicle_admin={token}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=43200"),
        "no Secure on an http site"
    );
    // The database keeps the token's hash, never the token.
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM admin_sessions")
        .fetch_all(&t.pool().await)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
    let session = format!("{}; chronicle_admin={token}", v.cookie);
    assert_eq!(site.get("/admin", Some(&session)).await.status, 200);
    let forged = format!("{}; chronicle_admin={}", v.cookie, "0".repeat(32));
    assert_eq!(site.get("/admin/feeds", Some(&forged)).await.status, 303);

    // Three attempts a minute from one address: the fourth is refused, even with the password.
    let limited = site
        .post(
            "/admin/login",
            &[("password", PASSWORD), ("csrf", &v.csrf)],
            Some(&v.cookie),
            &[],
        )
        .await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert_eq!(limited.headers["retry-after"], "60");
    assert!(set_cookie(&limited, "chronicle_admin").is_none());

    // Signing out ends the session on the server.
    let out = site
        .post("/admin/logout", &[("csrf", &v.csrf)], Some(&session), &[])
        .await;
    assert_eq!(out.status, 303);
    assert_eq!(
        set_cookie(&out, "chronicle_admin").unwrap(),
        "chronicle_admin=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0"
    );
    assert_eq!(site.get("/admin", Some(&session)).await.status, 303);
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hashed_password_works_https_cookies_are_secure_and_no_password_means_no_dashboard() {
    // `admin hash-password` reads the password on stdin and prints the PHC string.
    let off = TestApp::new(25, "\n[web]\nbind = \"127.0.0.1:0\"\n");
    let mut child = Command::new(env!("CARGO_BIN_EXE_chronicle"))
        .args([
            "--config",
            off.config.to_str().unwrap(),
            "admin",
            "hash-password",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let hash = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(PASSWORD));

    let site = Site::start(&off).await;
    assert_eq!(
        site.get("/admin", None).await.status,
        404,
        "no password: no dashboard"
    );
    assert_eq!(site.get("/admin/login", None).await.status, 404);
    site.stop().await;

    let t = TestApp::new(
        25,
        &format!(
            "\n[web]\nbind = \"127.0.0.1:0\"\n\n[admin]\npassword_hash = \"{hash}\"\nsession_hours = 2\n"
        ),
    );
    let text = std::fs::read_to_string(&t.config).unwrap();
    std::fs::write(
        &t.config,
        text.replace("http://chronicle.test/", "https://chronicle.test/"),
    )
    .unwrap();
    let site = Site::start(&t).await;
    let (v, _) = site.visit("/admin/login").await;
    let ok = site
        .post(
            "/admin/login",
            &[("password", PASSWORD), ("csrf", &v.csrf)],
            Some(&v.cookie),
            &[],
        )
        .await;
    assert_eq!(ok.status, 303);
    let cookie = set_cookie(&ok, "chronicle_admin").unwrap();
    assert!(
        cookie.ends_with("; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=7200; Secure"),
        "{cookie}"
    );
    // A bad hash in the file is one clear line, not a start with an open door.
    std::fs::write(
        &t.config,
        std::fs::read_to_string(&t.config)
            .unwrap()
            .replace(&hash, "hunter2"),
    )
    .unwrap();
    let err = t.fails(&["status"]);
    assert!(
        err.contains("admin.password_hash is not a PHC string"),
        "{err}"
    );
    site.stop().await;
}

/// Polls `f` until it returns true (a background send), for at most 20 s.
async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The value of the sample `line_start` (metric name and labels, as rendered) in `text`.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (series, value) = l.rsplit_once(' ')?;
        let (n, rest) = series.split_once('{').unwrap_or((series, "}"));
        if n != name {
            return None;
        }
        let got: Vec<&str> = rest
            .trim_end_matches('}')
            .split(',')
            .filter(|s| !s.is_empty())
            .collect();
        let want: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        (got.len() == want.len() && want.iter().all(|w| got.contains(&w.as_str())))
            .then(|| value.parse().ok())
            .flatten()
    })
}

fn promtool(text: &str) -> std::process::Output {
    let bin = ["/usr/bin/promtool", "promtool"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("promtool is needed: apt-get install prometheus (scripts/test does)");
    let mut child = Command::new(bin)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
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
    assert_eq!(
        json["feeds"],
        serde_json::json!([["erroring", 1], ["ok", 2]])
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

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_served_to_allowed_networks_or_with_the_token_only() {
    let t = TestApp::new(
        25,
        "\n[web]\nbind = \"127.0.0.1:0\"\ntrusted_proxies = [\"127.0.0.1\"]\n\n[metrics]\nallow = [\"10.1.0.0/16\"]\ntoken = \"s3cret-token\"\n",
    );
    let site = Site::start(&t).await;
    let denied = site.get("/metrics", None).await;
    assert_eq!(denied.status, 403, "loopback is not in metrics.allow here");
    assert!(!denied.body.contains("chronicle_"));
    let bearer = |v: &'static str| [("authorization", v)];
    let get = |h: [(&'static str, &'static str); 1]| {
        let mut req = site.client.get(format!("{}/metrics", site.base));
        for (k, v) in h {
            req = req.header(k, v);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get(bearer("Bearer s3cret-token")).await, 200);
    assert_eq!(get(bearer("Bearer s3cret-tokem")).await, 403);
    assert_eq!(get(bearer("s3cret-token")).await, 403);
    // Through the trusted proxy: the forwarded client's network decides.
    assert_eq!(get([("x-forwarded-for", "10.1.2.3")]).await, 200);
    assert_eq!(get([("x-forwarded-for", "192.0.2.7")]).await, 403);
    site.stop().await;

    // Default: loopback only.
    let t = TestApp::new(25, "\n[web]\nbind = \"127.0.0.1:0\"\n");
    let site = Site::start(&t).await;
    let m = site.get("/metrics", None).await;
    assert_eq!(m.status, 200);
    assert_eq!(
        sample(&m.body, "chronicle_feeds", &[("status", "ok")]),
        Some(0.0),
        "{}",
        m.body
    );
    assert_eq!(
        sample(&m.body, "chronicle_fetches_total", &[("result", "failed")]),
        Some(0.0)
    );
    assert_eq!(
        sample(&m.body, "chronicle_messages_total", &[("result", "sent")]),
        Some(0.0)
    );
    assert!(
        promtool(&m.body).status.success(),
        "an idle server's exposition lints too"
    );
    site.stop().await;
}
