//! Hostile visitors against every route of the site: wrong methods, oversized and malformed
//! bodies, forged CSRF tokens, huge query strings, bad `Host` and `X-Forwarded-For` headers,
//! path traversal, slow headers and slow bodies over raw TCP. Each gets a clear 4xx with the
//! security headers, and the database is exactly as it was before. The route table below is
//! checked against the router's source, so a route added later must be added here too.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::helpers::site::Site;
use crate::helpers::{FeedServer, SmtpServer, TestApp};

/// Every route of the site: (route as written in the router, methods it answers).
pub const ROUTES: &[(&str, &[&str])] = &[
    ("/", &["GET"]),
    ("/health", &["GET"]),
    ("/digests", &["GET"]),
    ("/digests/{week}", &["GET"]),
    ("/blogs", &["GET"]),
    ("/blogs.opml", &["GET"]),
    ("/feeds/stories.atom", &["GET"]),
    ("/feeds/digests.atom", &["GET"]),
    ("/subscribe", &["GET", "POST"]),
    ("/confirm/{token}", &["GET", "POST"]),
    ("/confirm/{token}/renew", &["POST"]),
    ("/unsubscribe/{token}", &["GET", "POST"]),
    ("/static/style.css", &["GET"]),
    ("/static/favicon.svg", &["GET"]),
    ("/favicon.ico", &["GET"]),
    ("/healthz", &["GET"]),
    ("/readyz", &["GET"]),
    ("/metrics", &["GET"]),
    ("/static/admin.css", &["GET"]),
];

/// The routes written in `src/web/` (every `.route("...")`).
fn routes_in_source() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
    let mut found = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            // The dashboard's routes (`src/web/admin/`) are refused without a session, and
            // tested that way in tests/api/dashboard*.rs.
            if p.is_dir() && !p.ends_with("admin") {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                let squashed: String = text.split_whitespace().collect();
                for part in squashed.split(".route(\"").skip(1) {
                    found.push(part.split('"').next().unwrap().to_string());
                }
            }
        }
    }
    found.sort();
    found
}

#[test]
fn the_hostile_route_table_lists_every_route_of_the_router() {
    let mut listed: Vec<String> = ROUTES.iter().map(|(r, _)| r.to_string()).collect();
    listed.sort();
    assert_eq!(
        routes_in_source(),
        listed,
        "add new routes to tests/api/hostile.rs ROUTES"
    );
}

pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
];

/// Asserts the security headers of one response.
pub fn assert_security_headers(what: &str, h: &reqwest::header::HeaderMap) {
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(
            h.get(*name).and_then(|v| v.to_str().ok()),
            Some(*value),
            "{what}: {name}"
        );
    }
    let csp = h["content-security-policy"].to_str().unwrap();
    for part in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(part), "{what}: CSP {csp} lacks {part}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}: {csp}"
    );
}

/// Row counts of every table, and each subscriber's status: what "unharmed" means.
pub async fn snapshot(t: &TestApp) -> BTreeMap<String, String> {
    let pool = t.pool().await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut out = BTreeMap::new();
    for table in tables {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM \"{table}\""))
            .fetch_one(&pool)
            .await
            .unwrap();
        out.insert(table, n.to_string());
    }
    let subs: Vec<(String, String)> =
        sqlx::query_as("SELECT email, status FROM subscribers ORDER BY email")
            .fetch_all(&pool)
            .await
            .unwrap();
    for (email, status) in subs {
        out.insert(format!("subscriber {email}"), status);
    }
    pool.close().await;
    out
}

/// Sends `request` as it is over a raw TCP connection and returns what came back before the
/// server closed the connection (or 5 s passed).
pub fn raw(base: &str, request: &[u8]) -> String {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The status code of a raw HTTP answer.
pub fn status_of(response: &str) -> u16 {
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {response:?}"))
}

/// A site with a blog's posts, a confirmed reader, a pending one, and short timeouts.
pub struct Fixture {
    pub t: TestApp,
    pub site: Site,
    pub smtp: SmtpServer,
    pub _feeds: FeedServer,
    pub _tmp: tempfile::TempDir,
    /// The confirmed reader's unsubscribe token.
    pub reader_token: String,
    /// The pending reader's confirmation token.
    pub confirm_token: String,
}

pub async fn fixture(extra: &str) -> Fixture {
    let feeds = FeedServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let t = TestApp::new(
        smtp.port,
        &format!(
            "\n[web]\nbind = \"127.0.0.1:0\"\nheader_timeout_secs = 1\nrequest_timeout_secs = 2\n\
             \n[subscribe]\nrequests_per_minute = 1000\n{extra}"
        ),
    );
    t.ok(&["feeds", "add", &feeds.feed_url("seeds-atom.xml")]);
    t.ok(&["fetch"]);
    t.ok(&["subscribers", "add", "reader@example.org"]);
    let site = Site::start(&t).await;
    let (v, _) = site.visit("/").await;
    assert_eq!(site.subscribe(&v, "pending@example.org").await.status, 200);
    let mail = smtp.wait_for(1);
    let confirm_token = crate::readers::confirm_token(&mail[0].raw);
    let reader_token: String =
        sqlx::query_scalar("SELECT token FROM subscribers WHERE email = 'reader@example.org'")
            .fetch_one(&t.pool().await)
            .await
            .unwrap();
    Fixture {
        t,
        site,
        smtp,
        _feeds: feeds,
        _tmp: tmp,
        reader_token,
        confirm_token,
    }
}

impl Fixture {
    /// A concrete path for `route`.
    pub fn path(&self, route: &str) -> String {
        route.replace("{week}", "2026-W47").replace(
            "{token}",
            if route.starts_with("/unsubscribe") {
                &self.reader_token
            } else {
                &self.confirm_token
            },
        )
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_refuses_wrong_methods_big_bodies_and_forged_forms_and_the_database_is_unharmed()
 {
    let f = fixture("").await;
    let before = snapshot(&f.t).await;
    let c = &f.site.client;
    let (v, _) = f.site.visit("/").await;
    let other = f.site.visit("/").await.0;
    for (route, methods) in ROUTES {
        let url = format!("{}{}", f.site.base, f.path(route));
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            if methods.contains(&method) {
                continue;
            }
            let r = c
                .request(method.parse().unwrap(), &url)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 405, "{method} {route}");
            assert_security_headers(&format!("{method} {route}"), r.headers());
        }
        for method in methods.iter().filter(|m| **m == "GET") {
            let r = c.get(&url).send().await.unwrap();
            assert!(
                r.status().as_u16() < 500,
                "{method} {route}: {}",
                r.status()
            );
            assert_security_headers(&format!("GET {route}"), r.headers());
        }
        if !methods.contains(&"POST") {
            continue;
        }
        let post = |body: Vec<u8>, cookie: &str, ctype: &str| {
            c.post(&url)
                .header("content-type", ctype)
                .header("cookie", cookie)
                .body(body)
        };
        let form = "application/x-www-form-urlencoded";
        // Oversized, with a Content-Length and streamed without one.
        let big = format!("csrf={}&email={}", v.csrf, "x".repeat(100_000));
        let r = post(big.clone().into_bytes(), &v.cookie, form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413, "big POST {route}");
        assert_security_headers(&format!("big POST {route}"), r.headers());
        assert!(r.text().await.unwrap().contains("That was too much"));
        let mut chunked = format!(
            "POST {} HTTP/1.1\r\nHost: x\r\nCookie: {}\r\nContent-Type: {form}\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            f.path(route),
            v.cookie
        );
        for _ in 0..20 {
            chunked.push_str(&format!("1000\r\n{}\r\n", "x".repeat(0x1000)));
        }
        chunked.push_str("0\r\n\r\n");
        let answer = raw(&f.site.base, chunked.as_bytes());
        assert_eq!(status_of(&answer), 413, "chunked big POST {route}");
        // Forged, missing and someone else's token; a body that is not a form at all.
        let forged = [
            (
                format!("csrf={}&email=a%40example.org", other.csrf),
                &v.cookie,
            ),
            (
                format!("csrf={}&email=a%40example.org", v.csrf),
                &other.cookie,
            ),
            ("email=a%40example.org".to_string(), &v.cookie),
            (format!("csrf={}", "0".repeat(32)), &v.cookie),
            (
                format!("csrf={}", v.csrf),
                &"chronicle_csrf=forged".to_string(),
            ),
        ];
        for (body, cookie) in forged {
            let r = post(body.clone().into_bytes(), cookie, form)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 403, "POST {route} {body} with {cookie}");
            assert_security_headers(&format!("forged POST {route}"), r.headers());
        }
        for (body, ctype) in [
            (b"%zz%%&&==\xff\xfe\x00".to_vec(), form),
            (b"{\"csrf\": \"x\"}".to_vec(), "application/json"),
            (vec![0u8; 2000], "multipart/form-data; boundary=zzz"),
        ] {
            let r = post(body, &v.cookie, ctype).send().await.unwrap();
            let s = r.status().as_u16();
            assert!((400..500).contains(&s), "malformed POST {route}: {s}");
        }
    }
    assert_eq!(snapshot(&f.t).await, before, "the database is unharmed");
    assert_eq!(
        f.smtp.messages().len(),
        1,
        "no mail but the first sign-up's"
    );
    f.site.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn huge_query_strings_bad_hosts_and_forwarded_for_junk_change_nothing() {
    let f = fixture("").await;
    let before = snapshot(&f.t).await;
    let base = &f.site.base;
    for (route, methods) in ROUTES {
        if !methods.contains(&"GET") {
            continue;
        }
        let path = f.path(route);
        // A long query is ignored; one longer than the request head's limit is refused.
        let long = format!(
            "GET {path}?q={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "a".repeat(6_000)
        );
        let s = status_of(&raw(base, long.as_bytes()));
        assert!(s < 500, "long query on {route}: {s}");
        let huge = format!(
            "GET {path}?q={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "a".repeat(40_000)
        );
        let s = status_of(&raw(base, huge.as_bytes()));
        assert!(s == 414 || s == 431, "huge query on {route}: {s}");
        // A forged Host never reaches the page's links; junk forwarded-for is harmless.
        let evil = format!(
            "GET {path} HTTP/1.1\r\nHost: evil.example\r\nX-Forwarded-Host: evil.example\r\n\
             X-Forwarded-For: {}\r\nConnection: close\r\n\r\n",
            "300.1.1.1, ::zz, ".repeat(200)
        );
        let answer = raw(base, evil.as_bytes());
        assert!(status_of(&answer) < 500, "{route}: {answer}");
        assert!(!answer.contains("evil.example"), "{route}: {answer}");
    }
    let many_headers: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    let req = format!("GET / HTTP/1.1\r\nHost: x\r\n{many_headers}Connection: close\r\n\r\n");
    assert_eq!(
        status_of(&raw(base, req.as_bytes())),
        431,
        "too many headers"
    );
    let big_header = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nCookie: {}\r\nConnection: close\r\n\r\n",
        "c".repeat(30_000)
    );
    assert_eq!(status_of(&raw(base, big_header.as_bytes())), 431);
    for garbage in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET / HTTP/2.7\r\nHost: x\r\n\r\n",
        b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 9\r\n\r\nhello",
        b"POST /subscribe HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ] {
        let answer = raw(base, garbage);
        let s = status_of(&answer);
        assert!((400..500).contains(&s), "{garbage:?}: {answer}");
    }
    assert_eq!(snapshot(&f.t).await, before, "the database is unharmed");
    f.site.stop().await;
}
