//! What the hosts we poll see: compression, identity, limits, status codes, schedules, encodings.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::helpers::{FeedServer, TestApp};

fn feeds_json(app: &TestApp) -> Vec<Value> {
    app.json_lines(&["feeds", "list"])
}

fn minutes_until_next_check(feed: &Value) -> i64 {
    let next: DateTime<Utc> = feed["next_check_at"].as_str().unwrap().parse().unwrap();
    (next - Utc::now()).num_minutes()
}

#[test]
fn compressed_feeds_are_decoded_and_requested() {
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    for enc in ["gzip", "br", "deflate"] {
        app.add_unchecked(&format!("{}/encoded/{enc}/seeds-rss.xml", server.base));
    }
    let out = app.ok(&["fetch", "--all"]);
    assert!(
        out.contains("12 new entries") && out.contains("0 failed"),
        "{out}"
    );
    let accept = &server.requests()[0].accept_encoding;
    for enc in ["gzip", "br", "deflate"] {
        assert!(
            accept.contains(enc),
            "Accept-Encoding lacks {enc}: {accept}"
        );
    }
}

#[test]
fn user_agent_names_chronicle_and_the_site_unless_configured() {
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    app.ok(&["feeds", "add", &server.feed_url("seeds-rss.xml")]);
    let ua = &server.requests()[0].user_agent;
    assert_eq!(
        ua,
        &format!(
            "Chronicle/{} (+http://chronicle.test/)",
            env!("CARGO_PKG_VERSION")
        )
    );
    app.run_env(
        &["fetch", "--all"],
        &[(
            "CHRONICLE_FETCH__USER_AGENT",
            "OurPlanet/2.0 (+https://planet.example)",
        )],
    );
    assert_eq!(
        server.requests().last().unwrap().user_agent,
        "OurPlanet/2.0 (+https://planet.example)"
    );
}

#[test]
fn a_trickling_host_is_cut_off_and_a_huge_body_refused() {
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    app.add_unchecked(&format!("{}/trickle", server.base));
    app.add_unchecked(&format!("{}/huge", server.base));
    let env = [
        ("CHRONICLE_FETCH__TIMEOUT_SECS", "1"),
        ("CHRONICLE_FETCH__MAX_BODY_BYTES", "100000"),
    ];
    let out = app.run_env(&["fetch", "--all"], &env);
    assert!(out.status.success());
    let list = feeds_json(&app);
    assert_eq!(
        list[0]["last_error"], "timed out after 1 s",
        "{:?}",
        list[0]
    );
    assert_eq!(
        list[1]["last_error"], "feed larger than 100000 bytes",
        "{:?}",
        list[1]
    );
}

#[test]
fn retry_after_and_cache_control_set_the_next_check_within_bounds() {
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    for path in [
        "/retry/429/7200",
        "/retry/503/date",
        "/cache/10800/seeds-rss.xml",
        "/cache/999999/seeds-atom.xml",
    ] {
        app.add_unchecked(&format!("{}{path}", server.base));
    }
    app.ok(&["fetch", "--all"]);
    let list = feeds_json(&app);
    assert_eq!(list[0]["last_error"], "HTTP 429 Too Many Requests");
    let m = minutes_until_next_check(&list[0]);
    assert!(
        (118..=120).contains(&m),
        "Retry-After 7200 s: next check in {m} min"
    );
    assert_eq!(list[1]["last_error"], "HTTP 503 Service Unavailable");
    let m = minutes_until_next_check(&list[1]);
    assert!(
        (117..=120).contains(&m),
        "Retry-After as a date: next check in {m} min"
    );
    let m = minutes_until_next_check(&list[2]);
    assert!(
        (178..=180).contains(&m),
        "max-age 3 h: next check in {m} min"
    );
    let m = minutes_until_next_check(&list[3]);
    assert!(
        (1438..=1440).contains(&m),
        "max-age capped by fetch.max_interval_minutes: {m} min"
    );
}

#[test]
fn gone_disables_and_errors_back_off_until_failing() {
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    app.add_unchecked(&format!("{}/status/410", server.base));
    app.add_unchecked(&format!("{}/status/500", server.base));
    let env = [("CHRONICLE_FETCH__FAILING_AFTER", "3")];
    let mut waits = Vec::new();
    for _ in 0..3 {
        app.run_env(&["fetch", "--all"], &env);
        waits.push(minutes_until_next_check(&feeds_json(&app)[1]));
    }
    let list = feeds_json(&app);
    assert_eq!(list[0]["enabled"], false, "410 Gone disables the feed");
    assert_eq!(list[0]["last_error"], "HTTP 410 Gone: the feed was removed");
    assert_eq!(
        server.hits("/status/410"),
        1,
        "a gone feed is not polled again"
    );
    assert_eq!(list[1]["error_count"], 3);
    assert!(
        (59..=60).contains(&waits[0]) && (119..=120).contains(&waits[1]),
        "back-off doubles: {waits:?}"
    );
    assert!(
        (1438..=1440).contains(&waits[2]),
        "failing: once a day: {waits:?}"
    );
    let table = app.run_env(&["feeds", "list"], &env);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table
            .lines()
            .any(|l| l.contains("/status/500") && l.contains("failing")),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.contains("/status/410") && l.contains("disabled")),
        "{table}"
    );
}

#[test]
fn an_error_is_logged_when_it_starts_and_when_it_clears_not_at_every_poll() {
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    app.ok(&["feeds", "add", &server.feed_url("seeds-rss.xml")]);
    server.set_missing("seeds-rss.xml", true);
    let env = [("RUST_LOG", "info")];
    let logs = |app: &TestApp| {
        String::from_utf8_lossy(&app.run_env(&["fetch", "--all"], &env).stderr).into_owned()
    };
    let first = logs(&app);
    assert_eq!(first.matches("feed error: HTTP 404").count(), 1, "{first}");
    let second = logs(&app);
    assert!(
        !second.contains("feed error"),
        "same error, no new log line: {second}"
    );
    server.set_missing("seeds-rss.xml", false);
    let third = logs(&app);
    assert!(third.contains("feed recovered"), "{third}");
    let fourth = logs(&app);
    assert!(
        !fourth.contains("recovered") && !fourth.contains("feed error"),
        "{fourth}"
    );
}

#[test]
fn one_slow_host_delays_no_other_and_each_host_gets_at_most_per_host_requests() {
    let slow = FeedServer::start_on("127.0.0.1");
    let fast = FeedServer::start_on("127.0.0.2");
    let app = TestApp::new(25, "");
    for i in 0..3 {
        app.add_unchecked(&format!("{}/slow/700/seeds-rss.xml?copy={i}", slow.base));
    }
    app.add_unchecked(&fast.feed_url("seeds-atom.xml"));
    let out = app.run_env(&["fetch", "--all"], &[("CHRONICLE_FETCH__PER_HOST", "1")]);
    assert!(out.status.success());
    let slow_log = slow.requests();
    assert_eq!(slow_log.len(), 3);
    for pair in slow_log.windows(2) {
        assert!(
            pair[1].arrived >= pair[0].answered.unwrap(),
            "per_host = 1: requests to one host never overlap"
        );
    }
    let fast_arrival = fast.requests()[0].arrived;
    assert!(
        fast_arrival < slow_log[0].answered.unwrap(),
        "the other host was not kept waiting by the slow one"
    );
}

#[test]
fn redirects_are_followed_up_to_five_hops() {
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    app.add_unchecked(&format!("{}/hops/5", server.base));
    app.add_unchecked(&format!("{}/hops/6", server.base));
    app.ok(&["fetch", "--all"]);
    let list = feeds_json(&app);
    assert_eq!(list[0]["last_status"], "ok");
    assert_eq!(list[1]["last_error"], "more than 5 redirects");
}

#[test]
fn legacy_and_mislabelled_encodings_decode_correctly() {
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    for path in [
        "/charset/ISO-8859-1/latin1-no-declaration.xml".to_string(),
        server
            .feed_url("cp1252-declared-utf8.xml")
            .replace(&server.base, ""),
        server
            .feed_url("006-stadtfeuerwehr-weiz-rss091-latin1.xml")
            .replace(&server.base, ""),
        server
            .feed_url("001-folha-rss091-latin1.xml")
            .replace(&server.base, ""),
        server
            .feed_url("014-qq-news-gb2312-chinese.xml")
            .replace(&server.base, ""),
    ] {
        app.ok(&["feeds", "add", &format!("{}{path}", server.base)]);
    }
    let out = app.ok(&["fetch", "--all"]);
    assert!(out.contains("0 failed"), "{out}");
    let list = feeds_json(&app);
    let titles: Vec<&str> = list
        .iter()
        .map(|f| f["feed_title"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(titles[0], "Café crème");
    assert_eq!(titles[1], "Café crème");
    assert_eq!(titles[2], "Stadtfeuerwehr Weiz - Einsätze");
    assert_eq!(titles[3], "Folha.com - Colunas - Futebol na Rede");
    assert_eq!(titles[4], "新闻国内");
    let entries = app.ok(&["entries", "list", "--json"]);
    assert!(
        entries.contains("Naïve résumé - it's \\\"quoted\\\""),
        "latin1 entry title"
    );
    assert!(
        entries.contains("Naïve résumé — it’s “quoted”"),
        "windows-1252 entry title"
    );
    assert!(
        entries.contains("situação"),
        "Portuguese text from the ISO-8859-1 feed"
    );
    assert!(
        !entries.contains('\u{fffd}'),
        "no replacement characters anywhere"
    );
}

#[test]
fn an_identical_body_without_validators_is_not_parsed_again() {
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    // This route sends no ETag or Last-Modified: every poll gets the whole body.
    app.ok(&[
        "feeds",
        "add",
        &format!("{}/cache/60/seeds-rss.xml", server.base),
    ]);
    let first = app.ok(&["fetch", "--all"]);
    assert!(first.contains("4 new entries"), "{first}");
    let second = app.ok(&["fetch", "--all"]);
    assert!(
        second.contains("0 new entries, 0 updated, 1 unchanged"),
        "{second}"
    );
}

/// A TLS server whose certificate nobody trusts (self-signed), on 127.0.0.1.
fn untrusted_tls_server() -> u16 {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".into()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                // The client gives up during the handshake.
                let _ = acceptor.accept(stream).await;
            }
        });
    });
    port
}

#[test]
fn an_untrusted_certificate_is_reported_in_plain_words() {
    let port = untrusted_tls_server();
    let app = TestApp::new(25, "");
    let url = format!("https://127.0.0.1:{port}/feed.xml");
    let err = app.fails(&["feeds", "add", &url]);
    assert!(err.contains("TLS certificate not trusted"), "{err}");
    app.add_unchecked(&url);
    app.run(&["fetch", "--all"]);
    assert_eq!(
        feeds_json(&app)[0]["last_error"],
        "TLS certificate not trusted"
    );
}
