//! Static files: the stylesheet and the favicon, served from memory with long-lived cache
//! headers (their links carry `?v=<content hash>`, so a changed file gets a new URL) and an
//! `ETag` for clients that revalidate.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::templates::Asset;

fn serve(asset: &Asset, headers: &HeaderMap) -> Response {
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
