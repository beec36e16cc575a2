//! [`WebError`]: maps failures to status codes; logs internals, shows a friendly page.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::store::StoreError;

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

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, text) = match &self {
            WebError::NotFound => (StatusCode::NOT_FOUND, "Nothing here."),
            WebError::Store(StoreError::NotFound(_)) => (StatusCode::NOT_FOUND, "Nothing here."),
            _ => {
                tracing::error!("request failed: {self}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. Please try again later.",
                )
            }
        };
        let page = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0}</title></head>\
             <body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\"><h1>{0}</h1>\
             <p><a href=\"/\">Home</a></p></body></html>",
            text
        );
        (status, Html(page)).into_response()
    }
}
