//! Hostile clients over raw TCP: path traversal that an HTTP client library would tidy away,
//! a client trickling its headers (slowloris) and one trickling its body.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::hostile::{fixture, raw, snapshot, status_of};

#[tokio::test(flavor = "multi_thread")]
async fn static_files_cannot_be_reached_by_path_traversal() {
    let f = fixture("").await;
    let secret = std::fs::read_to_string(&f.t.config).unwrap();
    assert!(secret.contains("[database]"));
    let base = &f.site.base;
    let config = f.t.config.display().to_string();
    for path in [
        "/static/../config.toml",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2fconfig.toml",
        "/static/%2e%2e%2fconfig.toml",
        "/static/..%5c..%5cconfig.toml",
        "/static/style.css/../../config.toml",
        "/static/style.css%00.toml",
        "/static//etc/passwd",
        "//etc/passwd",
        "/static/%252e%252e/config.toml",
        &format!("/static/{config}"),
        &format!("/static/..{config}"),
        "http://127.0.0.1/etc/passwd",
        "/static/",
        "/static",
    ] {
        let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let answer = raw(base, req.as_bytes());
        let s = status_of(&answer);
        assert!(s == 404 || s == 400, "{path}: {s}");
        assert!(
            !answer.contains("[database]") && !answer.contains("root:x:0"),
            "{path} leaked a file: {answer}"
        );
    }
    f.site.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_trickling_its_headers_is_cut_off_and_others_are_served() {
    let f = fixture("").await;
    let addr = f.site.base.trim_start_matches("http://").to_string();
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    let start = Instant::now();
    let mut cut = None;
    while start.elapsed() < Duration::from_secs(8) {
        std::thread::sleep(Duration::from_millis(200));
        if slow.write_all(b"X-Slow: a\r\n").is_err() {
            cut = Some(start.elapsed());
            break;
        }
        // Meanwhile everyone else is served.
        if start.elapsed() < Duration::from_millis(500) {
            let other = raw(
                &f.site.base,
                b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            );
            assert_eq!(status_of(&other), 200);
        }
    }
    // The server may answer 408 before closing; either way the connection ends.
    slow.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut rest = Vec::new();
    let read = slow.read_to_end(&mut rest);
    let cut = cut.unwrap_or_else(|| start.elapsed());
    assert!(
        read.is_ok() && cut < Duration::from_secs(8),
        "the slow client still holds its connection after {cut:?}: {read:?}"
    );
    assert!(
        cut >= Duration::from_millis(900),
        "cut at {cut:?}, before the timeout"
    );
    f.site.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_trickling_its_body_gets_408_and_nothing_is_written() {
    let f = fixture("").await;
    let before = snapshot(&f.t).await;
    let (v, _) = f.site.visit("/").await;
    let addr = f.site.base.trim_start_matches("http://").to_string();
    let body = format!("csrf={}&email=slow%40example.org&website=", v.csrf);
    let mut s = TcpStream::connect(&addr).unwrap();
    let head = format!(
        "POST /subscribe HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        v.cookie,
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    let start = Instant::now();
    // One byte every 100 ms, reading in between: the answer is read as soon as it comes,
    // before the server drops the connection with the rest of the body unread.
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    for b in body.as_bytes().iter().take(body.len() - 1) {
        if s.write_all(&[*b]).is_err() || start.elapsed() > Duration::from_secs(6) {
            break;
        }
        if let Ok(n @ 1..) = s.read(&mut buf) {
            out.extend_from_slice(&buf[..n]);
            break;
        }
    }
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    while let Ok(n @ 1..) = s.read(&mut buf) {
        out.extend_from_slice(&buf[..n]);
    }
    let answer = String::from_utf8_lossy(&out);
    assert!(
        start.elapsed() >= Duration::from_millis(1900),
        "answered after {:?}, before the timeout",
        start.elapsed()
    );
    assert_eq!(status_of(&answer), 408, "{answer}");
    assert!(answer.contains("That took too long"), "{answer}");
    assert_eq!(snapshot(&f.t).await, before);
    f.site.stop().await;
}
