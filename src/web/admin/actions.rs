//! The dashboard's buttons: fetch a feed now, edit the next digest (intro, pin, exclude, split
//! a wrong merge) and resume a send in the background. Every form needs a session and its CSRF
//! token; each answers with a redirect back to its page and a notice.

use std::sync::atomic::Ordering;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;

use super::data::next_week;
use super::views::{CsrfForm, back, gate_form};
use crate::digest::{DigestError, edit};
use crate::domain::DigestWeek;
use crate::store::digest_edits::Pick;
use crate::web::{AppState, WebError};

/// `POST /admin/feeds/{id}/fetch`: fetches that feed now (one feed: the answer waits for it,
/// bounded by `fetch.timeout_secs`).
pub async fn fetch_now(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let admin = match gate_form(&state, &headers, form.csrf.as_deref()).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match admin.jobs.fetch_feed(id).await {
        Ok(outcome) => {
            tracing::info!(feed_id = id, "fetch now from the dashboard: {outcome}");
            back(&state, "feeds", "fetched")
        }
        Err(e) => {
            tracing::warn!(feed_id = id, "fetch now from the dashboard failed: {e:#}");
            back(&state, "feeds", "fetch-failed")
        }
    }
}

/// The intro form.
#[derive(Debug, Deserialize)]
pub struct IntroForm {
    csrf: Option<String>,
    intro: Option<String>,
}

/// `POST /admin/digest/intro`: sets (or with an empty text, removes) the next digest's intro.
pub async fn intro(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<IntroForm>,
) -> Response {
    if let Err(r) = gate_form(&state, &headers, form.csrf.as_deref()).await {
        return r;
    }
    let now = Utc::now();
    let week = match next_week(&state, now).await {
        Ok(w) => w,
        Err(e) => return WebError::from(e).into_response(),
    };
    let text = form.intro.unwrap_or_default();
    let text = text.trim();
    let result = edit::set_intro(&state.pool, week, (!text.is_empty()).then_some(text), now).await;
    answer(&state, result.map(|_| "intro"))
}

/// The story buttons' form.
#[derive(Debug, Deserialize)]
pub struct PickForm {
    csrf: Option<String>,
    entry: Option<i64>,
    /// `pin`, `unpin`, `exclude` or `include`.
    action: Option<String>,
}

/// `POST /admin/digest/pick`: pins, unpins, excludes or includes a story of the next digest.
pub async fn pick(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<PickForm>,
) -> Response {
    if let Err(r) = gate_form(&state, &headers, form.csrf.as_deref()).await {
        return r;
    }
    let (Some(entry), Some(action)) = (form.entry, form.action.as_deref()) else {
        return back(&state, "digest", "unknown-entry");
    };
    let now = Utc::now();
    let week = match next_week(&state, now).await {
        Ok(w) => w,
        Err(e) => return WebError::from(e).into_response(),
    };
    let pool = &state.pool;
    let result = match action {
        "pin" => edit::pick(pool, week, &[entry], Pick::Pin, now)
            .await
            .map(|_| "pinned"),
        "exclude" => edit::pick(pool, week, &[entry], Pick::Exclude, now)
            .await
            .map(|_| "excluded"),
        "unpin" => edit::unpick(pool, week, &[entry], Pick::Pin)
            .await
            .map(|_| "unpinned"),
        "include" => edit::unpick(pool, week, &[entry], Pick::Exclude)
            .await
            .map(|_| "included"),
        _ => Ok("unknown-entry"),
    };
    answer(&state, result)
}

/// The split button's form.
#[derive(Debug, Deserialize)]
pub struct SplitForm {
    csrf: Option<String>,
    entry: Option<i64>,
}

/// `POST /admin/digest/split`: makes an entry a story of its own for good (`entries split`).
pub async fn split(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SplitForm>,
) -> Response {
    if let Err(r) = gate_form(&state, &headers, form.csrf.as_deref()).await {
        return r;
    }
    let Some(entry) = form.entry else {
        return back(&state, "digest", "unknown-entry");
    };
    let week = match next_week(&state, Utc::now()).await {
        Ok(w) => w,
        Err(e) => return WebError::from(e).into_response(),
    };
    if let Err(e) = edit::ensure_editable(&state.pool, week).await {
        return answer(&state, Err(e));
    }
    match crate::stories::split_apart(&state.pool, entry, Utc::now()).await {
        Ok(others) if others.is_empty() => back(&state, "digest", "not-split"),
        Ok(_) => back(&state, "digest", "split"),
        Err(e) => WebError::from(e).into_response(),
    }
}

fn answer(state: &AppState, result: Result<&'static str, DigestError>) -> Response {
    match result {
        Ok(code) => back(state, "digest", code),
        Err(DigestError::Frozen { .. }) => back(state, "digest", "frozen"),
        Err(DigestError::UnknownEntry(_)) | Err(DigestError::AlreadySent { .. }) => {
            back(state, "digest", "unknown-entry")
        }
        Err(DigestError::Store(e)) => WebError::from(e).into_response(),
        Err(e) => {
            tracing::error!("dashboard edit failed: {e}");
            back(state, "digest", "unknown-entry")
        }
    }
}

/// `POST /admin/sends/{week}/resume`: works through the week's ledger in the background (one
/// send at a time from this process; the ledger's leases keep other processes apart).
pub async fn resume(
    State(state): State<AppState>,
    Path(week): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let admin = match gate_form(&state, &headers, form.csrf.as_deref()).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(week) = week.parse::<DigestWeek>() else {
        return crate::web::error::not_found_response();
    };
    if admin.sending.swap(true, Ordering::SeqCst) {
        return back(&state, "sends", "busy");
    }
    let job = admin.jobs.resume_send(week);
    let flag = admin.sending.clone();
    tokio::spawn(async move {
        match job.await {
            Ok(outcome) => tracing::info!(%week, "send resumed from the dashboard: {outcome}"),
            Err(e) => tracing::warn!(%week, "send resumed from the dashboard failed: {e:#}"),
        }
        flag.store(false, Ordering::SeqCst);
    });
    back(&state, "sends", "resuming")
}
