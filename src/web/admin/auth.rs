//! Signing in to the dashboard: the password checked against its argon2 hash (constant time,
//! on a blocking thread), a per-address rate limit, and a server-side session whose random
//! token travels in an `HttpOnly`, `SameSite=Strict` cookie (`Secure` on an https site). The
//! database keeps only the token's hash.

use std::net::SocketAddr;
use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Admin;
use super::views::{self, Shell};
use crate::domain::Token;
use crate::store;
use crate::web::AppState;
use crate::web::csrf::Csrf;

/// The session cookie's name.
pub const COOKIE: &str = "chronicle_admin";

/// Why the dashboard could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The password could not be hashed.
    #[error("cannot hash the admin password: {0}")]
    Hash(String),
    /// The dashboard's templates do not compile.
    #[error("the dashboard's templates do not compile: {0}")]
    Templates(String),
}

/// The argon2id PHC string of `password`, with a random salt.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let salt: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt).map_err(|e| AuthError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC `hash` (argon2 compares its output in constant time).
fn verify(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .and_then(|(_, v)| Token::parse(v.trim()))
        .map(|t| t.to_string())
}

/// The dashboard, if it is on.
pub fn admin(state: &AppState) -> Option<Arc<Admin>> {
    state.admin.clone()
}

/// Whether the request carries a live session.
pub async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<bool, store::StoreError> {
    match session_token(headers) {
        Some(t) => store::admin::session_valid(&state.pool, &token_hash(&t), Utc::now()).await,
        None => Ok(false),
    }
}

fn cookie(state: &AppState, value: &str, max_age: i64) -> Option<HeaderValue> {
    let secure = if state.settings.site.base_url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    let path = views::prefix(state);
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path={path}admin; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .ok()
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    password: Option<String>,
    csrf: Option<String>,
}

#[derive(Serialize)]
struct Login {
    error: &'static str,
}

fn login_response(
    state: &AppState,
    admin: &Admin,
    status: StatusCode,
    error: &'static str,
    csrf: &Csrf,
) -> Response {
    let shell = Shell::new(
        state,
        "login",
        "Sign in",
        &csrf.token,
        None,
        Login { error },
    );
    let mut resp = views::respond(state, admin, "admin/login.html", &shell, status, csrf);
    if status == StatusCode::TOO_MANY_REQUESTS {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    }
    resp
}

/// `GET /admin/login`
pub async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(admin) = admin(&state) else {
        return super::super::error::not_found_response();
    };
    if signed_in(&state, &headers).await.unwrap_or(false) {
        return Redirect::to(&format!("{}admin", views::prefix(&state))).into_response();
    }
    let csrf = Csrf::from_headers(&headers);
    login_response(&state, &admin, StatusCode::OK, "", &csrf)
}

/// `POST /admin/login`: rate limit per client address, CSRF, password; then a session.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some(admin) = admin(&state) else {
        return super::super::error::not_found_response();
    };
    let csrf = Csrf::from_headers(&headers);
    let ip =
        crate::web::client_ip::client_ip(peer.ip(), &headers, &state.settings.web.trusted_proxies);
    if admin.limiter.check_key(&ip).is_err() {
        tracing::warn!(client = %ip, "dashboard sign-in rate-limited");
        return login_response(
            &state,
            &admin,
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts from your address. Wait a minute and try again.",
            &csrf,
        );
    }
    if admin.limiter.len() > 10_000 {
        admin.limiter.retain_recent();
    }
    let Ok(Form(form)) = form else {
        return login_response(
            &state,
            &admin,
            StatusCode::BAD_REQUEST,
            "We could not read that form.",
            &csrf,
        );
    };
    if !csrf.accepts(form.csrf.as_deref()) {
        return login_response(
            &state,
            &admin,
            StatusCode::FORBIDDEN,
            "This form has expired. Reload the page and sign in again.",
            &csrf,
        );
    }
    let password = form.password.unwrap_or_default();
    let hash = admin.hash.clone();
    let ok = tokio::task::spawn_blocking(move || verify(&hash, &password))
        .await
        .unwrap_or(false);
    if !ok {
        tracing::warn!(client = %ip, "dashboard sign-in with a wrong password");
        return login_response(
            &state,
            &admin,
            StatusCode::UNAUTHORIZED,
            "That password is not right.",
            &csrf,
        );
    }
    let token = Token::generate().to_string();
    let now = Utc::now();
    let hours = i64::try_from(admin.session_hours).unwrap_or(24);
    let expires = now + Duration::hours(hours);
    if let Err(e) =
        store::admin::create_session(&state.pool, &token_hash(&token), now, expires).await
    {
        return crate::web::WebError::from(e).into_response();
    }
    tracing::info!(client = %ip, "signed in to the dashboard");
    let mut resp = Redirect::to(&format!("{}admin", views::prefix(&state))).into_response();
    if let Some(c) = cookie(&state, &token, hours * 3600) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

/// `POST /admin/logout`
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<views::CsrfForm>,
) -> Response {
    if admin(&state).is_none() {
        return super::super::error::not_found_response();
    }
    if !Csrf::from_headers(&headers).accepts(form.csrf.as_deref()) {
        return StatusCode::FORBIDDEN.into_response();
    }
    if let Some(t) = session_token(&headers)
        && let Err(e) = store::admin::end_session(&state.pool, &token_hash(&t)).await
    {
        return crate::web::WebError::from(e).into_response();
    }
    let mut resp = Redirect::to(&format!("{}admin/login", views::prefix(&state))).into_response();
    if let Some(c) = cookie(&state, "", 0) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$"));
        assert!(verify(&h, "correct horse"));
        assert!(!verify(&h, "correct horse "));
        assert!(!verify(&h, ""));
        assert!(!verify("not a hash", "correct horse"));
        assert_ne!(
            h,
            hash_password("correct horse").unwrap(),
            "a fresh salt each time"
        );
    }
}
