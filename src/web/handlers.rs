//! Request handlers.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use serde::Serialize;

use super::{AppState, WebError};
use crate::domain::{DigestWeek, Token};
use crate::store;

#[derive(Serialize)]
struct Page<T: Serialize> {
    site_title: String,
    site_description: String,
    site_url: String,
    contact: String,
    #[serde(flatten)]
    body: T,
}

fn page<T: Serialize>(state: &AppState, body: T) -> Page<T> {
    let site = &state.settings.site;
    Page {
        site_title: site.title.clone(),
        site_description: site.description.clone(),
        site_url: site.link(""),
        contact: site.contact.clone(),
        body,
    }
}

#[derive(Serialize)]
struct DigestItem {
    week: String,
    label: String,
    subject: String,
    story_count: i64,
    sent: String,
}

fn item(state: &AppState, d: &store::digests::DigestRecord) -> DigestItem {
    DigestItem {
        week: d.week.to_string(),
        label: d.week.label(state.settings.digest.week_starts.0),
        subject: d.subject.clone(),
        story_count: d.story_count,
        sent: d
            .frozen_at
            .map(|t| t.format("%-d %B %Y").to_string())
            .unwrap_or_default(),
    }
}

/// `GET /`
pub async fn home(State(state): State<AppState>) -> Result<Html<String>, WebError> {
    #[derive(Serialize)]
    struct Home {
        latest: Option<DigestItem>,
        feed_count: usize,
    }
    let digests = store::digests::list_frozen(&state.pool).await?;
    let feeds = store::feeds::list(&state.pool).await?;
    let body = Home {
        latest: digests.first().map(|d| item(&state, d)),
        feed_count: feeds.iter().filter(|f| f.enabled).count(),
    };
    Ok(Html(
        state
            .renderer
            .render_page("web/index.html", &page(&state, body))?,
    ))
}

/// `GET /health`: 200 when the database answers.
pub async fn health(State(state): State<AppState>) -> Response {
    match sqlx::query_scalar::<_, i64>("SELECT 1")
        .fetch_one(&state.pool)
        .await
    {
        Ok(_) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!("health check failed: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// `GET /digests`
pub async fn digests(State(state): State<AppState>) -> Result<Html<String>, WebError> {
    #[derive(Serialize)]
    struct List {
        digests: Vec<DigestItem>,
    }
    let digests = store::digests::list_frozen(&state.pool).await?;
    let body = List {
        digests: digests.iter().map(|d| item(&state, d)).collect(),
    };
    Ok(Html(
        state
            .renderer
            .render_page("web/digests.html", &page(&state, body))?,
    ))
}

/// `GET /digests/{week}`: the digest as it was sent, in the site's look. The page is rendered
/// from the view frozen with the digest (`web/digest.html`), so later changes to entries never
/// show; a digest frozen before views were kept shows its e-mail HTML. An unknown or unsent week
/// is a 404 page.
pub async fn digest(State(state): State<AppState>, Path(week): Path<String>) -> Response {
    match digest_page(&state, &week).await {
        Ok(Some(html)) => Html(html).into_response(),
        Ok(None) => not_found_page(&state),
        Err(e) => e.into_response(),
    }
}

async fn digest_page(state: &AppState, week: &str) -> Result<Option<String>, WebError> {
    let Ok(week) = week.parse::<DigestWeek>() else {
        return Ok(None);
    };
    let Some(d) = store::digests::get(&state.pool, week)
        .await?
        .filter(|d| d.frozen_at.is_some())
    else {
        return Ok(None);
    };
    let home = state.settings.site.link("");
    if d.view.is_empty() {
        return Ok(Some(
            d.html
                .replace(crate::digest::UNSUBSCRIBE_PLACEHOLDER, &home),
        ));
    }
    #[derive(Serialize)]
    struct DigestPage {
        digest: serde_json::Value,
        sent: String,
    }
    let view: serde_json::Value = serde_json::from_str(&d.view)
        .map_err(|e| WebError::Store(store::StoreError::Corrupt(format!("digest view: {e}"))))?;
    let body = DigestPage {
        digest: view,
        sent: d
            .frozen_at
            .map(|t| t.format("%-d %B %Y").to_string())
            .unwrap_or_default(),
    };
    // A template that expects what an older frozen view lacks must not hide the digest: show
    // the e-mail as it was sent instead.
    match state
        .renderer
        .render_page("web/digest.html", &page(state, body))
    {
        Ok(html) => Ok(Some(html)),
        Err(e) => {
            tracing::warn!("{e}; showing the digest's e-mail instead");
            Ok(Some(
                d.html
                    .replace(crate::digest::UNSUBSCRIBE_PLACEHOLDER, &home),
            ))
        }
    }
}

/// A 404 in the site's look (a plain one if the template fails).
fn not_found_page(state: &AppState) -> Response {
    #[derive(Serialize)]
    struct Empty {}
    match state
        .renderer
        .render_page("web/not_found.html", &page(state, Empty {}))
    {
        Ok(html) => (StatusCode::NOT_FOUND, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("404 page: {e}");
            WebError::NotFound.into_response()
        }
    }
}

#[derive(Serialize)]
struct Message {
    heading: String,
    message: String,
    form_action: Option<String>,
    button: String,
}

/// `GET /unsubscribe/{token}`: asks for confirmation (mail scanners follow GET links, so GET
/// must not unsubscribe).
pub async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Html<String>, WebError> {
    let token = Token::parse(&token).ok_or(WebError::NotFound)?;
    let body = Message {
        heading: "Unsubscribe".into(),
        message: format!(
            "Stop receiving {} by e-mail? One click and you are out.",
            state.settings.site.title
        ),
        form_action: Some(state.settings.site.link(&format!("unsubscribe/{token}"))),
        button: "Unsubscribe".into(),
    };
    Ok(Html(
        state
            .renderer
            .render_page("web/message.html", &page(&state, body))?,
    ))
}

/// `POST /unsubscribe/{token}`: the form's button and RFC 8058 one-click unsubscribe.
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Html<String>, WebError> {
    let token = Token::parse(&token).ok_or(WebError::NotFound)?;
    let email = store::subscribers::unsubscribe(&state.pool, &token, Utc::now())
        .await?
        .ok_or(WebError::NotFound)?;
    tracing::info!("a reader unsubscribed");
    let body = Message {
        heading: "You are unsubscribed".into(),
        message: format!(
            "{email} will not receive {} any more. Sorry to see you go.",
            state.settings.site.title
        ),
        form_action: None,
        button: String::new(),
    };
    Ok(Html(
        state
            .renderer
            .render_page("web/message.html", &page(&state, body))?,
    ))
}

/// Anything else.
pub async fn not_found(State(state): State<AppState>) -> Response {
    not_found_page(&state)
}
