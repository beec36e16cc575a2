//! [`WebError`]: maps failures to status codes; logs internals, shows a friendly page. The 404
//! and 500 pages are rendered once, when the site starts, so that an error page never depends
//! on the database or a template working at the moment of the error.

use std::sync::OnceLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use crate::store::StoreError;

static NOT_FOUND: OnceLock<String> = OnceLock::new();
static INTERNAL: OnceLock<String> = OnceLock::new();

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Nothing here.
    #[error("not found")]
    NotFound,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A template failed.
    #[error(transparent)]
    Render(#[from] crate::digest::render::RenderError),
}

/// Renders the site's 404 and 500 pages (first site built in the process wins; they differ
/// only by the site's name, which one process keeps).
pub(super) fn install_pages(state: &AppState) {
    #[derive(Serialize)]
    struct Empty {}
    let render = |name: &str| {
        state
            .site
            .templates
            .render(name, &super::page::page(state, "", "", Empty {}))
            .map_err(|e| tracing::error!("{e}"))
            .ok()
    };
    if let Some(p) = render("web/not_found.html") {
        let _ = NOT_FOUND.set(p);
    }
    if let Some(p) = render("web/error.html") {
        let _ = INTERNAL.set(p);
    }
}

fn plain(title: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         </head><body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\">\
         <h1>{title}</h1><p><a href=\"/\">Home</a></p></body></html>"
    )
}

/// The friendly 404 page.
pub fn not_found_response() -> Response {
    let body = NOT_FOUND
        .get()
        .cloned()
        .unwrap_or_else(|| plain("Nothing here"));
    let mut resp = (StatusCode::NOT_FOUND, Html(body)).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match &self {
            WebError::NotFound | WebError::Store(StoreError::NotFound(_)) => not_found_response(),
            _ => {
                tracing::error!("request failed: {self}");
                let body = INTERNAL
                    .get()
                    .cloned()
                    .unwrap_or_else(|| plain("Something went wrong on our side"));
                (StatusCode::INTERNAL_SERVER_ERROR, Html(body)).into_response()
            }
        }
    }
}
