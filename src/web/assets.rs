//! Static files: the stylesheet and the favicon, served from memory with long-lived cache
//! headers (their links carry `?v=<content hash>`, so a changed file gets a new URL) and an
//! `ETag` for clients that revalidate.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::templates::Asset;

pub(super) fn serve(asset: &Asset, headers: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", asset.version);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        asset.body.clone().into_response()
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

/// `GET /static/style.css`
pub async fn css(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve(&state.site.templates.css, &headers)
}

/// `GET /static/favicon.svg` and `/favicon.ico`
pub async fn favicon(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve(&state.site.templates.favicon, &headers)
}

/// The dashboard's stylesheet, built once.
static ADMIN_CSS: std::sync::LazyLock<Asset> = std::sync::LazyLock::new(|| Asset {
    body: bytes::Bytes::from_static(super::admin::CSS.as_bytes()),
    content_type: "text/css; charset=utf-8",
    version: format!(
        "{:016x}",
        xxhash_rust::xxh3::xxh3_64(super::admin::CSS.as_bytes())
    ),
});

/// The `?v=` of the dashboard's stylesheet.
pub fn admin_version() -> &'static str {
    &ADMIN_CSS.version
}

/// `GET /static/admin.css`
pub async fn admin_css(headers: HeaderMap) -> Response {
    serve(&ADMIN_CSS, &headers)
}
