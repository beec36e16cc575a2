//! [`WebError`]: maps failures to status codes; logs internals, shows a friendly page. The 404
//! and 500 pages are rendered once, when the site starts ([`ErrorPages`], kept in the site's
//! state), so that an error page never depends on the database or a template working at the
//! moment of the error. A handler answers with a marked plain page; [`friendly`], a layer with
//! the state, puts the site's own page in its place.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use crate::store::StoreError;

/// Which friendly page a response stands for (a response extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorPage {
    NotFound,
    Internal,
}

/// The site's 404 and 500 pages, rendered when it starts.
#[derive(Debug, Clone, Default)]
pub struct ErrorPages {
    not_found: Option<String>,
    internal: Option<String>,
}

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

/// Renders the site's 404 and 500 pages (with its own name, links and styles).
pub(super) fn render_pages(state: &AppState) -> ErrorPages {
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
    ErrorPages {
        not_found: render("web/not_found.html"),
        internal: render("web/error.html"),
    }
}

/// Puts the site's friendly page into a response marked by [`not_found_response`] or a
/// [`WebError`] (the plain page stays when the site's could not be rendered).
pub(super) async fn friendly(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut resp: Response,
) -> Response {
    let page = match resp.extensions().get::<ErrorPage>() {
        Some(ErrorPage::NotFound) => state.pages.not_found.as_ref(),
        Some(ErrorPage::Internal) => state.pages.internal.as_ref(),
        None => None,
    };
    if let Some(page) = page {
        *resp.body_mut() = axum::body::Body::from(page.clone());
        resp.headers_mut().remove(header::CONTENT_LENGTH);
    }
    resp
}

fn plain(title: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         </head><body><h1>{title}</h1><p><a href=\"/\">Home</a></p></body></html>"
    )
}

/// The friendly 404 page.
pub fn not_found_response() -> Response {
    let body = plain("Nothing here");
    let mut resp = (StatusCode::NOT_FOUND, Html(body)).into_response();
    resp.extensions_mut().insert(ErrorPage::NotFound);
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
                let body = plain("Something went wrong on our side");
                let mut resp = (StatusCode::INTERNAL_SERVER_ERROR, Html(body)).into_response();
                resp.extensions_mut().insert(ErrorPage::Internal);
                resp
            }
        }
    }
}
