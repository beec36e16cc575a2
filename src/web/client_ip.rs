//! The client's address: the TCP peer, or — only when the peer is a proxy listed in
//! `web.trusted_proxies` — the nearest untrusted hop of `X-Forwarded-For`. Anyone else's header
//! is ignored, so a client cannot dodge the rate limit by inventing addresses.

use std::net::IpAddr;

use axum::http::HeaderMap;

use crate::config::TrustedProxy;

/// The address to rate-limit: `peer`, or the client a trusted proxy forwarded for.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[TrustedProxy]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|t| t.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    // Right to left: each hop was added by the proxy after it; stop at the first one that is
    // not a trusted proxy (everything left of it could be made up).
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else { break };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxies = vec!["127.0.0.1".parse().unwrap(), "10.0.0.0/8".parse().unwrap()];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            client_ip(ip("203.0.113.9"), &xff("198.51.100.1"), &proxies),
            ip("203.0.113.9"),
            "an untrusted peer's header is ignored"
        );
        assert_eq!(
            client_ip(
                ip("127.0.0.1"),
                &xff("1.1.1.1, 198.51.100.1, 10.0.0.2"),
                &proxies
            ),
            ip("198.51.100.1"),
            "the nearest untrusted hop, not the made-up first one"
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), &HeaderMap::new(), &proxies),
            ip("127.0.0.1")
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), &xff("garbage"), &proxies),
            ip("127.0.0.1")
        );
    }
}
