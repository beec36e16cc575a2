//! The sign-up form against bots and mischief, over HTTP: floods from one client and for one
//! address, `X-Forwarded-For` believed only from trusted proxies, the honeypot, CSRF, huge
//! bodies, bad addresses, and answers that never tell a known address from an unknown one.

use crate::helpers::site::Site;
use crate::helpers::{SmtpServer, TestApp};

fn config(extra: &str) -> String {
    format!("\n[web]\nbind = \"127.0.0.1:0\"\n{extra}")
}

async fn count(t: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&t.pool().await)
        .await
        .unwrap()
}

/// Waits long enough for a mail that should not come to have arrived.
fn settle() {
    std::thread::sleep(std::time::Duration::from_millis(800));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_from_one_client_gets_429_and_forwarded_for_is_ignored_from_strangers() {
    let t = TestApp::new(25, &config("\n[subscribe]\nrequests_per_minute = 3\n"));
    let site = Site::start(&t).await;
    let (v, _) = site.visit("/").await;
    for i in 0..3 {
        // Made-up X-Forwarded-For headers from an untrusted peer change nothing.
        let fake = format!("198.51.100.{i}");
        let a = site
            .post(
                "/subscribe",
                &[("email", "bot@example.org"), ("csrf", &v.csrf)],
                Some(&v.cookie),
                &[("x-forwarded-for", &fake)],
            )
            .await;
        assert_eq!(a.status, 200, "request {i}");
    }
    let limited = site
        .post(
            "/subscribe",
            &[("email", "bot@example.org"), ("csrf", &v.csrf)],
            Some(&v.cookie),
            &[("x-forwarded-for", "198.51.100.99")],
        )
        .await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.headers["retry-after"], "60");
    assert!(
        limited.body.contains("Slow down a little"),
        "{}",
        limited.body
    );
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let t = TestApp::new(
        25,
        &config("trusted_proxies = [\"127.0.0.0/8\"]\n\n[subscribe]\nrequests_per_minute = 2\n"),
    );
    let site = Site::start(&t).await;
    let (v, _) = site.visit("/").await;
    let post = |xff: &'static str| {
        let v = v.clone();
        let site = &site;
        async move {
            site.post(
                "/subscribe",
                &[("email", "reader@example.org"), ("csrf", &v.csrf)],
                Some(&v.cookie),
                &[("x-forwarded-for", xff)],
            )
            .await
            .status
        }
    };
    assert_eq!(post("203.0.113.1").await, 200);
    assert_eq!(post("203.0.113.1").await, 200);
    assert_eq!(post("203.0.113.1").await, 429);
    assert_eq!(
        post("203.0.113.2").await,
        200,
        "another client behind the proxy"
    );
    // A client cannot escape by prepending made-up hops: the nearest untrusted hop counts.
    assert_eq!(post("10.9.9.9, 203.0.113.1").await, 429);
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_for_one_address_sends_one_mail_per_interval_and_five_a_day() {
    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let t = TestApp::new(
        smtp.port,
        &config("\n[subscribe]\nrequests_per_minute = 100\n"),
    );
    let site = Site::start(&t).await;
    let (v, _) = site.visit("/").await;
    for email in [
        "victim@example.org",
        "VICTIM@example.org",
        "victim@EXAMPLE.org",
    ] {
        assert_eq!(site.subscribe(&v, email).await.status, 200);
    }
    smtp.wait_for(1);
    settle();
    assert_eq!(
        smtp.messages().len(),
        1,
        "one mail per 10 minutes, whatever the case"
    );
    assert_eq!(count(&t, "SELECT COUNT(*) FROM subscribers").await, 1);
    site.stop().await;

    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let t = TestApp::new(
        smtp.port,
        &config("\n[subscribe]\nrequests_per_minute = 100\nmail_interval_minutes = 0\n"),
    );
    let site = Site::start(&t).await;
    let (v, _) = site.visit("/").await;
    for _ in 0..8 {
        assert_eq!(site.subscribe(&v, "victim@example.org").await.status, 200);
    }
    smtp.wait_for(5);
    settle();
    assert_eq!(smtp.messages().len(), 5, "at most five a day");
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn honeypot_csrf_and_body_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let t = TestApp::new(smtp.port, &config(""));
    let site = Site::start(&t).await;
    let (v, home) = site.visit("/").await;
    assert!(
        home.body.contains("name=\"website\""),
        "the honeypot is in the form"
    );

    let bot = site
        .post(
            "/subscribe",
            &[
                ("email", "bot@example.org"),
                ("csrf", &v.csrf),
                ("website", "http://spam.example"),
            ],
            Some(&v.cookie),
            &[],
        )
        .await;
    assert_eq!(bot.status, 200, "a bot is not told it was caught");
    assert!(bot.body.contains("Check your inbox"));

    let no_token = site
        .post(
            "/subscribe",
            &[("email", "a@example.org")],
            Some(&v.cookie),
            &[],
        )
        .await;
    assert_eq!(no_token.status, 403);
    assert!(no_token.body.contains("This form has expired"));
    let no_cookie = site
        .post(
            "/subscribe",
            &[("email", "a@example.org"), ("csrf", &v.csrf)],
            None,
            &[],
        )
        .await;
    assert_eq!(no_cookie.status, 403, "a cross-site POST carries no cookie");
    let forged = site
        .post(
            "/subscribe",
            &[
                ("email", "a@example.org"),
                ("csrf", "0123456789abcdef0123456789abcdef"),
            ],
            Some(&v.cookie),
            &[],
        )
        .await;
    assert_eq!(forged.status, 403);

    let huge = "x".repeat(100_000);
    let big = site
        .post(
            "/subscribe",
            &[("email", &huge), ("csrf", &v.csrf)],
            Some(&v.cookie),
            &[],
        )
        .await;
    assert_eq!(big.status, 413);
    assert!(big.body.contains("That was too much"));

    settle();
    assert_eq!(count(&t, "SELECT COUNT(*) FROM subscribers").await, 0);
    assert!(smtp.messages().is_empty(), "no mail for any of them");
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn known_and_unknown_addresses_get_the_same_answer() {
    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let t = TestApp::new(smtp.port, &config(""));
    t.ok(&["subscribers", "add", "known@example.org"]);
    let site = Site::start(&t).await;
    let (v, _) = site.visit("/").await;
    let known = site.subscribe(&v, "known@example.org").await;
    let unknown = site.subscribe(&v, "fresh@example.org").await;
    let pending = site.subscribe(&v, "fresh@example.org").await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.status, pending.status);
    let norm = |body: &str, email: &str| body.replace(email, "ADDRESS");
    assert_eq!(
        norm(&known.body, "known@example.org"),
        norm(&unknown.body, "fresh@example.org")
    );
    assert_eq!(
        norm(&pending.body, "fresh@example.org"),
        norm(&unknown.body, "fresh@example.org")
    );
    let names = |a: &crate::helpers::site::Answer| {
        let mut h: Vec<String> = a.headers.keys().map(|k| k.to_string()).collect();
        h.sort();
        h
    };
    assert_eq!(names(&known), names(&unknown), "same headers");
    smtp.wait_for(1);
    settle();
    let mail = smtp.messages();
    assert_eq!(mail.len(), 1, "only the new address got a mail");
    assert!(String::from_utf8_lossy(&mail[0].raw).contains("To: fresh@example.org"));
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_address_is_refused_on_the_page_with_the_form_refilled_and_idna_is_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let t = TestApp::new(smtp.port, &config(""));
    let site = Site::start(&t).await;
    let (v, _) = site.visit("/").await;
    let bad = site.subscribe(&v, "ada.example.org").await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("role=\"alert\">That address has no @"),
        "{}",
        bad.body
    );
    assert!(
        bad.body.contains("value=\"ada.example.org\""),
        "the form is refilled"
    );
    assert!(bad.body.contains("aria-invalid=\"true\""));
    let script = site.subscribe(&v, "\"><script>@example.org").await;
    assert_eq!(script.status, 422);
    assert!(
        !script.body.contains("<script>"),
        "the refilled value is escaped"
    );

    let idn = site.subscribe(&v, " Ada@Bücher.Example ").await;
    assert_eq!(idn.status, 200);
    let stored: String = sqlx::query_scalar("SELECT email FROM subscribers")
        .fetch_one(&t.pool().await)
        .await
        .unwrap();
    assert_eq!(stored, "Ada@xn--bcher-kva.example");
    let mail = smtp.wait_for(1);
    assert!(String::from_utf8_lossy(&mail[0].raw).contains("To: Ada@xn--bcher-kva.example"));
    site.stop().await;
}
