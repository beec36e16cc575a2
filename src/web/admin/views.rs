//! What every dashboard page shares: the shell its templates see (site, links, CSRF token,
//! navigation, a notice), the sign-in gate, the response, and times in words.

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Admin, auth};
use crate::web::AppState;
use crate::web::csrf::Csrf;

/// A form that carries only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    /// The token.
    pub csrf: Option<String>,
}

/// The path the site lives under (`/`, or `/news/` behind a proxy), from `site.base_url`.
pub fn prefix(state: &AppState) -> String {
    let path = state.settings.site.base_url.path();
    if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    }
}

/// The context of every dashboard page, then the page's own fields.
#[derive(Serialize)]
pub struct Shell<'a, T: Serialize> {
    site_title: &'a str,
    /// Links start with this (root-relative, so the dashboard works on any host name).
    prefix: String,
    css_url: String,
    admin_css_url: String,
    csrf: &'a str,
    nav: &'a str,
    heading: &'a str,
    notice: Option<&'a str>,
    #[serde(flatten)]
    body: T,
}

impl<'a, T: Serialize> Shell<'a, T> {
    /// The shell of a page.
    pub fn new(
        state: &'a AppState,
        nav: &'a str,
        heading: &'a str,
        csrf: &'a str,
        notice: Option<&'a str>,
        body: T,
    ) -> Self {
        let prefix = prefix(state);
        let t = &state.site.templates;
        Self {
            site_title: &state.settings.site.title,
            css_url: format!("{prefix}static/style.css?v={}", t.css.version),
            admin_css_url: format!(
                "{prefix}static/admin.css?v={}",
                super::super::assets::admin_version()
            ),
            prefix,
            csrf,
            nav,
            heading,
            notice,
            body,
        }
    }
}

/// Renders `name` as the response (never cached: it shows private data).
pub fn respond<T: Serialize>(
    state: &AppState,
    admin: &Admin,
    name: &str,
    shell: &Shell<'_, T>,
    status: StatusCode,
    csrf: &Csrf,
) -> Response {
    match admin.render(name, shell) {
        Ok(body) => {
            let mut resp = crate::web::page::html(state, status, body, csrf);
            resp.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store, private"),
            );
            resp
        }
        Err(e) => crate::web::WebError::from(e).into_response(),
    }
}

/// A signed-in visitor: the dashboard and their CSRF token.
pub struct Visitor {
    /// The dashboard.
    pub admin: Arc<Admin>,
    /// Their CSRF token.
    pub csrf: Csrf,
}

/// Lets a signed-in visitor through to a page; sends anyone else to the sign-in form (and
/// answers 404 when the dashboard is off).
pub async fn gate(state: &AppState, headers: &HeaderMap) -> Result<Visitor, Response> {
    let Some(admin) = auth::admin(state) else {
        return Err(crate::web::error::not_found_response());
    };
    match auth::signed_in(state, headers).await {
        Ok(true) => Ok(Visitor {
            admin,
            csrf: Csrf::from_headers(headers),
        }),
        Ok(false) => Err(Redirect::to(&format!("{}admin/login", prefix(state))).into_response()),
        Err(e) => Err(crate::web::WebError::from(e).into_response()),
    }
}

/// Lets a signed-in visitor's form through: 401 without a session, 403 without the CSRF token
/// of their cookie.
pub async fn gate_form(
    state: &AppState,
    headers: &HeaderMap,
    csrf: Option<&str>,
) -> Result<Arc<Admin>, Response> {
    let Some(admin) = auth::admin(state) else {
        return Err(crate::web::error::not_found_response());
    };
    match auth::signed_in(state, headers).await {
        Ok(true) => {}
        Ok(false) => return Err((StatusCode::UNAUTHORIZED, "sign in first").into_response()),
        Err(e) => return Err(crate::web::WebError::from(e).into_response()),
    }
    if !Csrf::from_headers(headers).accepts(csrf) {
        return Err((
            StatusCode::FORBIDDEN,
            "this form has expired: reload the page",
        )
            .into_response());
    }
    Ok(admin)
}

/// Back to a dashboard page after a form, with a notice code.
pub fn back(state: &AppState, page: &str, notice: &str) -> Response {
    Redirect::to(&format!("{}admin/{page}?notice={notice}", prefix(state))).into_response()
}

/// The notice shown for a code from [`back`] (unknown codes show nothing: the query string
/// is never echoed).
pub fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "fetched" => "Fetched: the feed's row below shows how it went.",
        "fetch-failed" => "The fetch could not run: see the log.",
        "intro" => "The intro note is saved.",
        "pinned" => "Pinned: the story leads the digest.",
        "unpinned" => "No longer pinned.",
        "excluded" => "Excluded: the story stays out of this digest.",
        "included" => "Included again.",
        "split" => "Split: the entry is a story of its own now.",
        "not-split" => "That entry is already a story of its own.",
        "frozen" => "That digest is being sent: it can no longer be edited.",
        "unknown-entry" => "No such entry.",
        "resuming" => "Sending resumed in the background: reload to follow it.",
        "busy" => "A send is already running.",
        _ => return None,
    })
}

/// `2026-11-30 14:05 UTC`, or `never`.
pub fn when(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "never".into(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// `3 h ago`, `in 25 min`, `just now`.
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (t - now).num_seconds();
    let (n, ahead) = (secs.unsigned_abs(), secs > 0);
    let amount = match n {
        0..60 => return "just now".into(),
        60..3600 => format!("{} min", n / 60),
        3600..172_800 => format!("{} h", n / 3600),
        _ => format!("{} days", n / 86_400),
    };
    if ahead {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_words() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(relative(now, now), "just now");
        assert_eq!(
            relative(now - chrono::Duration::minutes(25), now),
            "25 min ago"
        );
        assert_eq!(relative(now + chrono::Duration::hours(3), now), "in 3 h");
        assert_eq!(relative(now - chrono::Duration::days(4), now), "4 days ago");
        assert_eq!(when(None), "never");
        assert_eq!(when(Some(now)), "2026-11-30 12:00 UTC");
        assert_eq!(notice(Some("<script>")), None);
    }
}
