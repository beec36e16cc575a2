//! `chronicle healthcheck`, the image's HEALTHCHECK: the real binary against a real `serve`, and
//! against a stand-in server on 127.0.0.1 whose answers per path we choose (so the `/healthz`
//! → `/health` fallback and the failures are pinned exactly). Exit 0 only on a 2xx answer.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::helpers::TestApp;

/// Serves HTTP/1.1 on a free loopback port, answering each request with the status `answer`
/// gives for its path; returns the port.
fn stand_in(answer: fn(&str) -> u16) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Drain the headers.
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok() && header != "\r\n" && !header.is_empty() {
                header.clear();
            }
            let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
            let status = answer(&path);
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    port
}

fn app_bound_to(port: u16) -> TestApp {
    TestApp::new(25, &format!("\n[web]\nbind = \"0.0.0.0:{port}\"\n"))
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn healthcheck_passes_on_healthz_and_falls_back_to_health_only_on_a_404() {
    // /healthz answers: healthy, and web.bind's 0.0.0.0 is probed on loopback.
    let port = stand_in(|p| if p == "/healthz" { 200 } else { 500 });
    let out = app_bound_to(port).run(&["healthcheck"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "healthy\n");

    // A server without /healthz (404) but with /health: healthy through the fallback.
    let port = stand_in(|p| if p == "/health" { 200 } else { 404 });
    let out = app_bound_to(port).run(&["healthcheck"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // /healthz says 503: unhealthy, no fallback to /health.
    let port = stand_in(|p| if p == "/healthz" { 503 } else { 200 });
    let out = app_bound_to(port).run(&["healthcheck"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("error: http://127.0.0.1:{port}/healthz answered 503\n")
    );

    // Neither path: the error names the fallback's answer.
    let port = stand_in(|_| 404);
    let out = app_bound_to(port).run(&["healthcheck"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("error: http://127.0.0.1:{port}/health answered 404\n")
    );
}

#[test]
fn healthcheck_url_is_probed_as_given() {
    let port = stand_in(|p| if p == "/ready" { 204 } else { 404 });
    let t = TestApp::new(25, "");
    let ok = t.run(&[
        "healthcheck",
        "--url",
        &format!("http://127.0.0.1:{port}/ready"),
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    // No fallback for an explicit URL.
    let url = format!("http://127.0.0.1:{port}/healthz");
    let bad = t.run(&["healthcheck", "--url", &url]);
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(stderr(&bad), format!("error: {url} answered 404\n"));
}

#[test]
fn healthcheck_follows_a_real_serve_up_and_down() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let t = app_bound_to(port);
    let down = t.run(&["healthcheck"]);
    assert_eq!(down.status.code(), Some(1));
    assert!(
        stderr(&down).contains("does not answer"),
        "{}",
        stderr(&down)
    );

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chronicle"))
        .arg("--config")
        .arg(&t.config)
        .arg("serve")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = t.run(&["healthcheck", "--timeout", "2"]);
        if out.status.success() {
            assert_eq!(String::from_utf8_lossy(&out.stdout), "healthy\n");
            break;
        }
        assert!(Instant::now() < deadline, "serve never became healthy");
        std::thread::sleep(Duration::from_millis(100));
    }
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(child.wait().unwrap().success());
    let after = t.run(&["healthcheck"]);
    assert_eq!(after.status.code(), Some(1));
}
