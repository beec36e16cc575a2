//! Double opt-in: `POST /subscribe`, the confirmation link's page and button, and a new link
//! for an expired one.
//!
//! The sign-up answer never tells whether an address was known: new, pending, confirmed and
//! rate-limited addresses get the same status and page, and the mail (when one is due) is sent
//! after the response, so its SMTP round trip cannot show in the timing either.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use serde::Deserialize;

use super::AppState;
use super::csrf::Csrf;
use super::page::{Message, html, message};
use super::pages::{Home, render_home};
use crate::domain::{SubscriberEmail, Token};
use crate::mail::confirm::confirmation_message;
use crate::store::confirmations::{self, LinkState, MailLimits, Requested};

/// The sign-up form.
#[derive(Debug, Deserialize)]
pub struct SubscribeForm {
    email: Option<String>,
    csrf: Option<String>,
    /// The honeypot: hidden from people, filled in by bots.
    website: Option<String>,
}

/// The CSRF field of the other forms.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    csrf: Option<String>,
}

// Read access for the fuzz target, which reads bodies with the handlers' own extractor.
impl SubscribeForm {
    /// The address as typed.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// The CSRF field.
    pub fn csrf(&self) -> Option<&str> {
        self.csrf.as_deref()
    }

    /// Whether the honeypot was filled in (the handler then ignores the sign-up).
    pub fn is_bot(&self) -> bool {
        self.website
            .as_deref()
            .is_some_and(|w| !w.trim().is_empty())
    }
}

impl TokenForm {
    /// The CSRF field.
    pub fn csrf(&self) -> Option<&str> {
        self.csrf.as_deref()
    }
}

fn limits(state: &AppState) -> MailLimits {
    let s = &state.settings.subscribe;
    MailLimits {
        interval: Duration::minutes(
            i64::try_from(s.mail_interval_minutes).unwrap_or(i64::MAX / 120),
        ),
        per_day: s.mails_per_day,
        valid_for: Duration::hours(i64::try_from(s.confirm_hours).unwrap_or(24 * 365)),
    }
}

/// Refuses a request that broke a rule, with a friendly page.
pub fn refuse(state: &AppState, status: StatusCode, csrf: &Csrf) -> Response {
    let (heading, text) = match status {
        StatusCode::TOO_MANY_REQUESTS => (
            "Slow down a little",
            "We received many requests from your network in a short time. Please wait a minute and try again.",
        ),
        StatusCode::FORBIDDEN => (
            "This form has expired",
            "For your safety we could not accept it. Go back, reload the page and send it again.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "That was too much",
            "The form sent more data than a sign-up needs. Please try again.",
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "That took too long",
            "Your request did not reach us in time. Please try again.",
        ),
        _ => (
            "We could not read that form",
            "Please go back and try again.",
        ),
    };
    let m = Message {
        heading: heading.into(),
        message: text.into(),
        tone: "warn",
        ..Message::default()
    };
    let mut resp = message(state, status, m, csrf);
    if status == StatusCode::TOO_MANY_REQUESTS {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    }
    resp
}

fn rate_limited(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> bool {
    let ip = super::client_ip::client_ip(peer.ip(), headers, &state.settings.web.trusted_proxies);
    let limited = state.site.limiter.check_key(&ip).is_err();
    if state.site.limiter.len() > 10_000 {
        state.site.limiter.retain_recent();
    }
    limited
}

/// Mails a confirmation link for `token` to `to`, after the response has gone.
fn send_later(state: &AppState, to: SubscriberEmail, token: Token) {
    let state = state.clone();
    tokio::spawn(async move {
        let link = state.settings.site.link(&format!("confirm/{token}"));
        let hours = state.settings.subscribe.confirm_hours;
        let result = match confirmation_message(&state.settings, &to, &link, hours) {
            Ok(msg) => state.mailer.send(&msg).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match result {
            Ok(_) => tracing::info!("confirmation mail sent"),
            Err(e) => tracing::warn!("confirmation mail not sent: {e}"),
        }
    });
}

fn check_inbox(state: &AppState, email: Option<&str>, csrf: &Csrf) -> Response {
    let message_text = match email {
        Some(e) => {
            format!("If {e} can receive mail, a message with a confirmation link is on its way.")
        }
        None => "A message with a new confirmation link is on its way.".into(),
    };
    let m = Message {
        heading: "Check your inbox".into(),
        message: message_text,
        note: format!(
            "Open the link in it and press the button to start receiving {}. Nothing arrived? \
             Look in your spam folder; the link works for {} hours.",
            state.settings.site.title, state.settings.subscribe.confirm_hours
        ),
        tone: "mail",
        ..Message::default()
    };
    message(state, StatusCode::OK, m, csrf)
}

/// `GET /subscribe`: the form lives on the home page.
pub async fn subscribe_get(State(state): State<AppState>) -> Redirect {
    Redirect::to(&state.settings.site.link("#subscribe"))
}

/// `POST /subscribe`: rate limit, CSRF, honeypot, address check; then a pending subscriber
/// and a confirmation mail, within the per-address limits.
pub async fn subscribe(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<SubscribeForm>, FormRejection>,
) -> Response {
    let csrf = Csrf::from_headers(&headers);
    if rate_limited(&state, peer, &headers) {
        return refuse(&state, StatusCode::TOO_MANY_REQUESTS, &csrf);
    }
    let form = match form {
        Ok(Form(f)) => f,
        Err(e) => return refuse(&state, e.status(), &csrf),
    };
    if !csrf.accepts(form.csrf.as_deref()) {
        return refuse(&state, StatusCode::FORBIDDEN, &csrf);
    }
    let bot = form.is_bot();
    let typed = form.email.unwrap_or_default();
    if bot {
        tracing::info!("sign-up with the honeypot filled in: ignored");
        return check_inbox(&state, Some(typed.trim()), &csrf);
    }
    let email = match super::address::normalise(&typed) {
        Ok(e) => e,
        Err(why) => {
            let home = Home::refused(typed.trim().chars().take(254).collect(), why.0);
            return match render_home(&state, home, &csrf.token).await {
                Ok(body) => html(&state, StatusCode::UNPROCESSABLE_ENTITY, body, &csrf),
                Err(e) => e.into_response(),
            };
        }
    };
    let token = Token::generate();
    let hash = confirmations::hash_token(&token);
    match confirmations::request(&state.pool, &email, &hash, &limits(&state), Utc::now()).await {
        Ok(Requested::Mail(to)) => send_later(&state, to, token),
        Ok(Requested::AlreadyConfirmed | Requested::Limited) => {}
        Err(e) => return super::WebError::from(e).into_response(),
    }
    check_inbox(&state, Some(email.as_ref()), &csrf)
}

fn link_page(state: &AppState, token: &Token, link: LinkState, csrf: &Csrf) -> Response {
    let site = &state.settings.site;
    let m = match link {
        LinkState::Valid => Message {
            heading: "One more step".into(),
            message: format!(
                "Press the button to start receiving {} by e-mail.",
                site.title
            ),
            note: "You can leave at any time with the link at the bottom of every issue.".into(),
            form_action: Some(site.link(&format!("confirm/{token}"))),
            button: "Confirm my subscription".into(),
            tone: "mail",
        },
        LinkState::Confirmed => Message {
            heading: "You are subscribed".into(),
            message: format!("Welcome! The next {} will be in your inbox.", site.title),
            note: "Every issue has a link at the bottom to leave in one click.".into(),
            tone: "ok",
            ..Message::default()
        },
        LinkState::Expired => Message {
            heading: "This link has expired".into(),
            message: format!(
                "Confirmation links work for {} hours. We can send you a new one.",
                state.settings.subscribe.confirm_hours
            ),
            form_action: Some(site.link(&format!("confirm/{token}/renew"))),
            button: "Send me a new link".into(),
            tone: "warn",
            ..Message::default()
        },
    };
    message(state, StatusCode::OK, m, csrf)
}

/// `GET /confirm/{token}`: shows the button and changes nothing (mail scanners follow links).
pub async fn confirm_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let csrf = Csrf::from_headers(&headers);
    let Some(token) = Token::parse(&token) else {
        return super::error::not_found_response();
    };
    match confirmations::state(&state.pool, &confirmations::hash_token(&token), Utc::now()).await {
        Ok(Some(link)) => link_page(&state, &token, link, &csrf),
        Ok(None) => super::error::not_found_response(),
        Err(e) => super::WebError::from(e).into_response(),
    }
}

/// `POST /confirm/{token}`: the button. Confirming twice shows the same "subscribed" page.
pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let csrf = Csrf::from_headers(&headers);
    let Some(token) = Token::parse(&token) else {
        return super::error::not_found_response();
    };
    let field = match token_field(form) {
        Ok(field) => field,
        Err(status) => return refuse(&state, status, &csrf),
    };
    if !csrf.accepts(field.as_deref()) {
        return refuse(&state, StatusCode::FORBIDDEN, &csrf);
    }
    match confirmations::confirm(&state.pool, &confirmations::hash_token(&token), Utc::now()).await
    {
        Ok(Some(LinkState::Valid)) => {
            tracing::info!("a reader confirmed their subscription");
            link_page(&state, &token, LinkState::Confirmed, &csrf)
        }
        Ok(Some(link)) => link_page(&state, &token, link, &csrf),
        Ok(None) => super::error::not_found_response(),
        Err(e) => super::WebError::from(e).into_response(),
    }
}

/// The CSRF field of a confirm or renew form; a body too large is refused as such (anything
/// else unreadable simply carries no token).
fn token_field(form: Result<Form<TokenForm>, FormRejection>) -> Result<Option<String>, StatusCode> {
    match form {
        Ok(Form(f)) => Ok(f.csrf),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(e.status()),
        Err(_) => Ok(None),
    }
}

/// `POST /confirm/{token}/renew`: a new link for an expired one (same limits as signing up).
pub async fn renew(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let csrf = Csrf::from_headers(&headers);
    if rate_limited(&state, peer, &headers) {
        return refuse(&state, StatusCode::TOO_MANY_REQUESTS, &csrf);
    }
    let Some(token) = Token::parse(&token) else {
        return super::error::not_found_response();
    };
    let field = match token_field(form) {
        Ok(field) => field,
        Err(status) => return refuse(&state, status, &csrf),
    };
    if !csrf.accepts(field.as_deref()) {
        return refuse(&state, StatusCode::FORBIDDEN, &csrf);
    }
    let fresh = Token::generate();
    let old = confirmations::hash_token(&token);
    let new = confirmations::hash_token(&fresh);
    match confirmations::renew(&state.pool, &old, &new, &limits(&state), Utc::now()).await {
        Ok(Some(Requested::Mail(to))) => send_later(&state, to, fresh),
        Ok(Some(Requested::AlreadyConfirmed)) => {
            return link_page(&state, &token, LinkState::Confirmed, &csrf);
        }
        Ok(Some(Requested::Limited)) => {}
        Ok(None) => return super::error::not_found_response(),
        Err(e) => return super::WebError::from(e).into_response(),
    }
    check_inbox(&state, None, &csrf)
}
