//! `GET /metrics`: the Prometheus text exposition of the app's registry, with the database's
//! gauges (feeds, subscribers, deliveries by status, each job's last success) refreshed from
//! SQL at scrape time. Served only to `metrics.allow` networks (the client's address as the
//! rate limits see it, `web.trusted_proxies` included) or with `Authorization: Bearer
//! <metrics.token>`; anyone else gets 403.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::AppState;

/// Whether the request's bearer token is `expected`. Both sides are hashed first, so the
/// constant-time comparison does not even leak the token's length.
fn bearer_ok(headers: &HeaderMap, expected: Option<&str>) -> bool {
    let Some(expected) = expected.filter(|t| !t.is_empty()) else {
        return false;
    };
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let (a, b) = (
        Sha256::digest(given.trim().as_bytes()),
        Sha256::digest(expected.as_bytes()),
    );
    a.ct_eq(&b).into()
}

/// `GET /metrics`
pub async fn metrics(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let settings = &state.settings;
    let ip = super::client_ip::client_ip(peer.ip(), &headers, &settings.web.trusted_proxies);
    let allowed = settings.metrics.allow.iter().any(|n| n.contains(ip))
        || bearer_ok(&headers, settings.metrics.token.as_deref());
    if !allowed {
        return (
            StatusCode::FORBIDDEN,
            "forbidden: see metrics.allow and metrics.token\n",
        )
            .into_response();
    }
    match crate::monitor::status::gather(&state.pool, settings).await {
        Ok(facts) => state.metrics.set_facts(&facts),
        Err(e) => {
            tracing::error!("cannot read the metrics' facts: {e}");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response();
        }
    }
    let mut resp = state.metrics.render().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_opens() {
        let h = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
            h
        };
        assert!(bearer_ok(&h("Bearer s3cret"), Some("s3cret")));
        assert!(!bearer_ok(&h("Bearer s3cre"), Some("s3cret")));
        assert!(!bearer_ok(&h("Basic s3cret"), Some("s3cret")));
        assert!(!bearer_ok(&HeaderMap::new(), Some("s3cret")));
        assert!(
            !bearer_ok(&h("Bearer "), Some("")),
            "an empty token opens nothing"
        );
        assert!(!bearer_ok(&h("Bearer x"), None));
    }
}
