//! What the site shows when things break, and what it tells browsers: a database that fails
//! under it gives the generic 500 page and never an SQL error or a trace; cookies carry
//! `HttpOnly`, `SameSite=Lax` and, on an HTTPS site, `Secure`, which also gets HSTS.

use crate::helpers::site::Site;
use crate::helpers::{FeedServer, SmtpServer, TestApp};
use crate::hostile::assert_security_headers;

const WEB: &str = "\n[web]\nbind = \"127.0.0.1:0\"\n";

/// What a visitor must never see.
const LEAKS: &[&str] = &[
    "no such table",
    "sqlite",
    "SQLite",
    "sqlx",
    "error returned from database",
    "panicked",
    ".rs:",
    "SELECT",
    "_gone",
    "stack backtrace",
];

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_database_gives_the_generic_500_page_and_never_an_sql_error() {
    let feeds = FeedServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let t = TestApp::new(smtp.port, WEB);
    t.ok(&["feeds", "add", &feeds.feed_url("seeds-atom.xml")]);
    t.ok(&["fetch"]);
    let site = Site::start(&t).await;
    let (v, home) = site.visit("/").await;
    assert_eq!(home.status, 200);
    // The database breaks under the running site: two tables it reads and writes vanish.
    let pool = t.pool().await;
    for table in ["digests", "subscribers"] {
        sqlx::query(&format!("ALTER TABLE {table} RENAME TO {table}_gone"))
            .execute(&pool)
            .await
            .unwrap();
    }
    // The page cache notices a change at most once a second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let token = "0123456789abcdef0123456789abcdef";
    let mut answers = Vec::new();
    for path in [
        "/",
        "/digests",
        "/digests/2026-W46",
        "/feeds/digests.atom",
        &format!("/unsubscribe/{token}"),
    ] {
        answers.push((format!("GET {path}"), site.get(path, Some(&v.cookie)).await));
    }
    answers.push((
        "POST /subscribe".into(),
        site.subscribe(&v, "new@example.org").await,
    ));
    answers.push((
        "POST /unsubscribe".into(),
        site.post(
            &format!("/unsubscribe/{token}"),
            &[("List-Unsubscribe", "One-Click")],
            None,
            &[],
        )
        .await,
    ));
    for (what, a) in &answers {
        assert_eq!(a.status, 500, "{what}: {}", a.body);
        assert!(
            a.body.contains("Something went wrong on our side")
                && a.body.contains("Tech Daily Chronicle"),
            "{what}: the site's own 500 page: {}",
            a.body
        );
        for leak in LEAKS {
            assert!(!a.body.contains(leak), "{what} shows {leak:?}: {}", a.body);
        }
        assert_security_headers(what, &a.headers);
    }
    // Pages that do not need the broken tables still work.
    assert_eq!(site.get("/blogs", None).await.status, 200);
    assert!(smtp.messages().is_empty());
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cookies_are_httponly_and_samesite_and_secure_with_hsts_on_an_https_site() {
    for https in [false, true] {
        let t = TestApp::new(25, WEB);
        if https {
            let text = std::fs::read_to_string(&t.config).unwrap();
            let text = text.replace("http://chronicle.test/", "https://chronicle.test/");
            std::fs::write(&t.config, text).unwrap();
        }
        let site = Site::start(&t).await;
        let home = site.get("/", None).await;
        let cookie = home.headers["set-cookie"].to_str().unwrap();
        for flag in ["; Path=/", "; HttpOnly", "; SameSite=Lax"] {
            assert!(cookie.contains(flag), "{cookie} lacks {flag}");
        }
        assert_eq!(cookie.contains("; Secure"), https, "{cookie}");
        let hsts = home
            .headers
            .get("strict-transport-security")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(hsts, https.then(|| "max-age=31536000".to_string()));
        assert_security_headers("home", &home.headers);
        // Static files and error pages carry the same headers.
        for path in ["/static/style.css", "/nothing-here"] {
            let a = site.get(path, None).await;
            assert_security_headers(path, &a.headers);
            assert_eq!(
                a.headers.contains_key("strict-transport-security"),
                https,
                "{path}"
            );
        }
        site.stop().await;
    }
}
