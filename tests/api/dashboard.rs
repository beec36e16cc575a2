//! The organiser's dashboard's door and `/metrics`' door, through the real server on a real
//! SQLite file: sign-in (argon2, rate limit, exact cookie flags, CSRF, sign-out), a hashed
//! password from `admin hash-password`, https cookies, no password no dashboard, and who may
//! read `/metrics` (networks, trusted proxies, bearer token).

use std::process::Stdio;

use crate::helpers::TestApp;
use crate::helpers::admin::{PASSWORD, admin_config, promtool, sample, set_cookie};
use crate::helpers::site::Site;

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
    // A session ends when it expires (the clock moved on: its expiry put in the past).
    let pool = t.pool().await;
    let expire = |at: i64| {
        sqlx::query("UPDATE admin_sessions SET expires_at = ?")
            .bind(at)
            .execute(&pool)
    };
    expire(chrono::Utc::now().timestamp() - 1).await.unwrap();
    assert_eq!(site.get("/admin", Some(&session)).await.status, 303);
    expire(chrono::Utc::now().timestamp() + 3600).await.unwrap();
    assert_eq!(site.get("/admin", Some(&session)).await.status, 200);

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
    let mut child = crate::helpers::chronicle_command()
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
