//! Header helpers and the target check (no connection is opened here).

use super::*;
use chrono::TimeZone;

#[test]
fn freshness_from_cache_control_or_expires() {
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
    let mut h = HeaderMap::new();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=600"),
    );
    assert_eq!(freshness(&h, now), Some(Duration::from_secs(600)));
    let mut h = HeaderMap::new();
    h.insert(
        header::EXPIRES,
        HeaderValue::from_static("Sun, 22 Nov 2026 14:00:00 GMT"),
    );
    assert_eq!(freshness(&h, now), Some(Duration::from_secs(7200)));
    h.insert(
        header::EXPIRES,
        HeaderValue::from_static("Sun, 22 Nov 2026 10:00:00 GMT"),
    );
    assert_eq!(freshness(&h, now), None, "already expired");
    assert_eq!(freshness(&HeaderMap::new(), now), None);
}

#[test]
fn retry_after_seconds_or_date() {
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
    let mut h = HeaderMap::new();
    h.insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
    assert_eq!(
        retry_after(&h, now),
        Some(now + chrono::Duration::seconds(120))
    );
    h.insert(
        header::RETRY_AFTER,
        HeaderValue::from_static("Sun, 22 Nov 2026 13:00:00 GMT"),
    );
    assert_eq!(retry_after(&h, now), Some(now + chrono::Duration::hours(1)));
    h.insert(header::RETRY_AFTER, HeaderValue::from_static("soon"));
    assert_eq!(retry_after(&h, now), None);
}

fn fetcher() -> Fetcher {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Fetcher::new(&Settings::default()).expect("client")
}

fn target(url: &str) -> Result<(), FetchError> {
    fetcher().check_target(&Url::parse(url).expect("a URL"))
}

#[test]
fn literal_addresses_are_refused_however_they_are_written() {
    for (url, ip) in [
        ("http://127.0.0.1/feed", "127.0.0.1"),
        ("http://0x7f.1/feed", "127.0.0.1"),
        ("http://2130706433/feed", "127.0.0.1"),
        ("http://0177.0.0.1/feed", "127.0.0.1"),
        ("http://127.1/feed", "127.0.0.1"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254",
        ),
        ("http://[::1]/feed", "::1"),
        ("http://[::ffff:7f00:1]/feed", "::ffff:127.0.0.1"),
        ("http://[64:ff9b::7f00:1]/feed", "64:ff9b::7f00:1"),
        ("http://[64:ff9b::a9fe:a9fe]/feed", "64:ff9b::a9fe:a9fe"),
        ("http://[::127.0.0.1]/feed", "::7f00:1"),
        ("http://[2002:7f00:1::1]/feed", "2002:7f00:1::1"),
        ("https://[fd00::1]:8443/feed", "fd00::1"),
    ] {
        match target(url) {
            Err(FetchError::Refused(msg)) => assert!(
                msg.starts_with(&format!("refused: {ip} is not a public address (")),
                "{url}: {msg}"
            ),
            other => panic!("{url} should be refused, got {other:?}"),
        }
    }
    assert_eq!(
        target("http://[64:ff9b::7f00:1]/feed"),
        Err(FetchError::Refused(
            "refused: 64:ff9b::7f00:1 is not a public address (NAT64 (64:ff9b::/96) form of \
             127.0.0.1: loopback (127.0.0.0/8)); set fetch.allow_private_networks = true to allow it"
                .into()
        ))
    );
    for ok in [
        "http://93.184.216.34/feed",
        "https://[2606:4700:4700::1111]/feed",
        "https://blog.example/feed",
    ] {
        assert_eq!(target(ok), Ok(()), "{ok}");
    }
}

#[test]
fn only_http_and_https_are_fetched() {
    for url in [
        "file:///etc/passwd",
        "ftp://93.184.216.34/feed.xml",
        "data:text/xml,<rss/>",
        "gopher://93.184.216.34/1",
        "javascript:alert(1)",
    ] {
        assert_eq!(
            target(url),
            Err(FetchError::Refused(format!(
                "refused: {url} is not an http or https URL"
            ))),
            "{url}"
        );
    }
}

#[test]
fn allowing_private_networks_allows_literals_but_not_other_schemes() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut settings = Settings::default();
    settings.fetch.allow_private_networks = true;
    let f = Fetcher::new(&settings).expect("client");
    let check = |u: &str| f.check_target(&Url::parse(u).unwrap());
    assert_eq!(check("http://127.0.0.1:8080/feed"), Ok(()));
    assert_eq!(check("http://[64:ff9b::a9fe:a9fe]/"), Ok(()));
    assert!(matches!(
        check("file:///etc/passwd"),
        Err(FetchError::Refused(_))
    ));
}
