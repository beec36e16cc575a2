//! Routes that serve test content rather than misbehave: feedparser's corpus as its HTTP mode
//! serves it, any fixture file, thumbnails, and feeds a test rewrites between fetches.

use std::collections::HashMap;

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{FeedState, hit};
use crate::helpers::fixtures;

/// The `Header:` lines of each feedparser test file, from its expectations.
fn feedparser_headers() -> &'static HashMap<String, Vec<(String, String)>> {
    static HEADERS: std::sync::OnceLock<HashMap<String, Vec<(String, String)>>> =
        std::sync::OnceLock::new();
    HEADERS.get_or_init(|| {
        let text = std::fs::read_to_string(fixtures().join("feedparser/expectations.jsonl"))
            .expect("feedparser expectations");
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|v| {
                let headers = v["headers"]
                    .as_array()
                    .map(|hs| {
                        hs.iter()
                            .filter_map(|h| {
                                Some((h[0].as_str()?.to_string(), h[1].as_str()?.to_string()))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                (v["file"].as_str().unwrap_or("").to_string(), headers)
            })
            .collect()
    })
}

/// A feedparser test file, served as upstream's HTTP mode serves it: its `Header:` lines as
/// response headers, `Content-Type: text/xml` unless one of them sets it.
pub(super) async fn feedparser_case(
    State(state): State<FeedState>,
    UrlPath(path): UrlPath<String>,
) -> Response {
    hit(&state, format!("/tests/{path}"));
    if path.contains("..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Ok(body) = std::fs::read(fixtures().join("feedparser").join(&path)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut resp = body.into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    for (name, value) in feedparser_headers().get(&path).into_iter().flatten() {
        if let (Ok(n), Ok(v)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(n, v);
        }
    }
    resp
}

/// Any file under `tests/fixtures`, as `application/xml` without a charset (so that the
/// document's own declaration decides).
pub(super) async fn any_fixture(
    State(state): State<FeedState>,
    UrlPath(path): UrlPath<String>,
) -> Response {
    hit(&state, format!("/fixtures/{path}"));
    if path.contains("..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    match std::fs::read(fixtures().join(&path)) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/xml")], body).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `tests/fixtures/images/<name>` as a PNG (thumbnails in rendered digests).
pub(super) async fn image(
    State(state): State<FeedState>,
    UrlPath(name): UrlPath<String>,
) -> Response {
    hit(&state, format!("/images/{name}"));
    if name.contains('/') || name.contains("..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    match std::fs::read(fixtures().join("images").join(&name)) {
        Ok(body) => ([(header::CONTENT_TYPE, "image/png")], body).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

pub(super) async fn dynamic(
    State(state): State<FeedState>,
    UrlPath(name): UrlPath<String>,
) -> Response {
    hit(&state, format!("/dynamic/{name}"));
    match state.dynamic.lock().unwrap().get(&name) {
        Some(body) => (
            [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
            body.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
