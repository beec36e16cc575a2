//! Leaving: `GET /unsubscribe/{token}` shows one button (mail scanners follow GET links, so GET
//! changes nothing); `POST` unsubscribes at once, from that button (with its CSRF token) or from
//! a mail client's RFC 8058 one-click POST (body `List-Unsubscribe=One-Click`, which carries no
//! cookie: the link's secret token is its authority).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::AppState;
use super::csrf::{Csrf, FIELD};
use super::forms::refuse;
use super::page::{Message, message};
use crate::domain::Token;
use crate::store;

async fn known(state: &AppState, token: &str) -> Result<Option<Token>, Response> {
    let Some(token) = Token::parse(token) else {
        return Ok(None);
    };
    match store::subscribers::by_token(&state.pool, &token).await {
        Ok(Some(_)) => Ok(Some(token)),
        Ok(None) => Ok(None),
        Err(e) => Err(super::WebError::from(e).into_response()),
    }
}

/// `GET /unsubscribe/{token}`
pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let csrf = Csrf::from_headers(&headers);
    let token = match known(&state, &token).await {
        Ok(Some(t)) => t,
        Ok(None) => return super::error::not_found_response(),
        Err(resp) => return resp,
    };
    let site = &state.settings.site;
    let m = Message {
        heading: "Leave the newsletter?".into(),
        message: format!(
            "Press the button and you will not receive {} by e-mail any more.",
            site.title
        ),
        note: "The site and its feeds stay open to you.".into(),
        form_action: Some(site.link(&format!("unsubscribe/{token}"))),
        button: "Unsubscribe".into(),
        tone: "bye",
    };
    message(&state, StatusCode::OK, m, &csrf)
}

/// Whether a form body holds `name=value` (either URL-encoded as browsers send it).
fn has_pair(body: &[u8], name: &str, value: &str) -> bool {
    url::form_urlencoded::parse(body).any(|(k, v)| k == name && v == value)
}

fn field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `POST /unsubscribe/{token}`
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let csrf = Csrf::from_headers(&headers);
    let body = match body {
        Ok(b) => b,
        Err(e) => return refuse(&state, e.status(), &csrf),
    };
    let token = match known(&state, &token).await {
        Ok(Some(t)) => t,
        Ok(None) => return super::error::not_found_response(),
        Err(resp) => return resp,
    };
    let one_click = has_pair(&body, "List-Unsubscribe", "One-Click");
    if !one_click && !csrf.accepts(field(&body, FIELD).as_deref()) {
        return refuse(&state, StatusCode::FORBIDDEN, &csrf);
    }
    let email = match store::subscribers::unsubscribe(&state.pool, &token, Utc::now()).await {
        Ok(Some(e)) => e,
        Ok(None) => return super::error::not_found_response(),
        Err(e) => return super::WebError::from(e).into_response(),
    };
    tracing::info!(one_click, "a reader unsubscribed");
    let m = Message {
        heading: "You are unsubscribed".into(),
        message: format!(
            "{email} will not receive {} any more. Sorry to see you go.",
            state.settings.site.title
        ),
        note: "Changed your mind? Sign up again on the home page; we will ask you to confirm."
            .into(),
        tone: "bye",
        ..Message::default()
    };
    message(&state, StatusCode::OK, m, &csrf)
}
