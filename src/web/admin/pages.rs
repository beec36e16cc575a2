//! The dashboard's pages: overview (counts and charts), feeds, the next digest, sends and
//! subscribers. Each reads the store and renders `templates/admin/`.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::views::{self, Shell, gate, relative, when};
use super::{charts, data};
use crate::monitor::status;
use crate::store;
use crate::web::{AppState, WebError};

/// `?notice=` after a form.
#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

macro_rules! try_page {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return WebError::from(e).into_response(),
        }
    };
}

#[derive(Serialize)]
struct Overview {
    facts: status::Facts,
    feed_total: i64,
    stories_chart: String,
    fetch_chart: String,
    subscribers_chart: String,
    last_success: Vec<(String, String)>,
    last_send_started: String,
}

/// `GET /admin`
pub async fn overview(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let v = match gate(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let now = Utc::now();
    let facts = try_page!(status::gather(&state.pool, &state.settings).await);
    let stories = try_page!(data::stories_per_week(&state, now, 12).await);
    let fetches = try_page!(data::fetch_success(&state, now, 30).await);
    let subscribers = try_page!(data::subscribers_per_week(&state, now, 12).await);
    let draw = |title: &str, s: &charts::Series, kind, scale| {
        if s.values.is_empty() {
            String::new()
        } else {
            charts::draw(title, s, kind, scale)
        }
    };
    let body = Overview {
        feed_total: facts.feeds.iter().map(|(_, n)| n).sum(),
        stories_chart: draw(
            "Stories per week",
            &stories,
            charts::Kind::Bars,
            charts::Scale::Count,
        ),
        fetch_chart: draw(
            "Fetch success per day",
            &fetches,
            charts::Kind::Area,
            charts::Scale::Percent,
        ),
        subscribers_chart: draw(
            "Confirmed subscribers",
            &subscribers,
            charts::Kind::Area,
            charts::Scale::Count,
        ),
        last_success: ["fetch", "digest", "send"]
            .iter()
            .map(|job| {
                let at = facts
                    .last_success
                    .iter()
                    .find(|(j, _)| j == job)
                    .map(|(_, t)| *t);
                (
                    job.to_string(),
                    at.map_or_else(|| "never".into(), |t| relative(t, now)),
                )
            })
            .collect(),
        last_send_started: facts
            .last_send
            .as_ref()
            .map_or_else(String::new, |s| when(s.started)),
        facts,
    };
    let shell = Shell::new(
        &state,
        "overview",
        "Overview",
        &v.csrf.token,
        views::notice(q.notice.as_deref()),
        body,
    );
    views::respond(
        &state,
        &v.admin,
        "admin/overview.html",
        &shell,
        StatusCode::OK,
        &v.csrf,
    )
}

#[derive(Serialize)]
struct FeedRow {
    id: i64,
    title: String,
    url: String,
    health: &'static str,
    errors: i64,
    error: String,
    last_success: String,
    last_success_ago: String,
    next_check: String,
    entries: i64,
}

#[derive(Serialize)]
struct Feeds {
    feeds: Vec<FeedRow>,
    troubled: usize,
}

/// `GET /admin/feeds`: failing feeds first, then erroring, then the rest by title.
pub async fn feeds(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let v = match gate(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let now = Utc::now();
    let failing_after = i64::from(state.settings.fetch.failing_after);
    let mut rows: Vec<FeedRow> = try_page!(store::feeds::list(&state.pool).await)
        .into_iter()
        .map(|f| {
            let health = if !f.enabled {
                "disabled"
            } else if f.error_count >= failing_after {
                "failing"
            } else if f.error_count > 0 {
                "erroring"
            } else if f.last_fetched_at.is_none() {
                "new"
            } else {
                "ok"
            };
            FeedRow {
                id: f.id,
                title: f
                    .title
                    .clone()
                    .or(f.feed_title.clone())
                    .unwrap_or_else(|| f.url.clone()),
                url: f.url.clone(),
                health,
                errors: f.error_count,
                error: f.last_error.clone().unwrap_or_default(),
                last_success: when(f.last_success_at),
                last_success_ago: f
                    .last_success_at
                    .map_or_else(String::new, |t| relative(t, now)),
                next_check: if f.enabled {
                    relative(f.next_check_at, now)
                } else {
                    "never".into()
                },
                entries: f.entry_count,
            }
        })
        .collect();
    let rank = |h: &str| match h {
        "failing" => 0,
        "erroring" => 1,
        "new" => 2,
        "ok" => 3,
        _ => 4,
    };
    rows.sort_by(|a, b| {
        (rank(a.health), -a.errors, a.title.to_lowercase()).cmp(&(
            rank(b.health),
            -b.errors,
            b.title.to_lowercase(),
        ))
    });
    let body = Feeds {
        troubled: rows.iter().filter(|r| r.errors > 0).count(),
        feeds: rows,
    };
    let shell = Shell::new(
        &state,
        "feeds",
        "Feeds",
        &v.csrf.token,
        views::notice(q.notice.as_deref()),
        body,
    );
    views::respond(
        &state,
        &v.admin,
        "admin/feeds.html",
        &shell,
        StatusCode::OK,
        &v.csrf,
    )
}

/// `GET /admin/digest`: the next digest's stories and the editor's controls.
pub async fn digest(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let v = match gate(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let body = try_page!(data::preview(&state, Utc::now()).await);
    let shell = Shell::new(
        &state,
        "digest",
        "Next digest",
        &v.csrf.token,
        views::notice(q.notice.as_deref()),
        body,
    );
    views::respond(
        &state,
        &v.admin,
        "admin/digest.html",
        &shell,
        StatusCode::OK,
        &v.csrf,
    )
}

/// `GET /admin/sends`
pub async fn sends(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let v = match gate(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let running = v.admin.sending.load(std::sync::atomic::Ordering::SeqCst);
    let body = try_page!(data::sends(&state, running, 8).await);
    let shell = Shell::new(
        &state,
        "sends",
        "Sends",
        &v.csrf.token,
        views::notice(q.notice.as_deref()),
        body,
    );
    views::respond(
        &state,
        &v.admin,
        "admin/sends.html",
        &shell,
        StatusCode::OK,
        &v.csrf,
    )
}

#[derive(Serialize)]
struct Subscribers {
    by_status: Vec<(String, i64)>,
    total: i64,
    chart: String,
    recent: Vec<SubscriberRow>,
}

#[derive(Serialize)]
struct SubscriberRow {
    email: String,
    status: String,
    joined: String,
    confirmed: String,
}

/// `GET /admin/subscribers`: counts by status, the curve, the latest 50.
pub async fn subscribers(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let v = match gate(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let now = Utc::now();
    let by_status = try_page!(store::stats::subscribers_by_status(&state.pool).await);
    let series = try_page!(data::subscribers_per_week(&state, now, 12).await);
    let mut rows = try_page!(store::subscribers::rows(&state.pool, None).await);
    rows.reverse();
    rows.truncate(50);
    let body = Subscribers {
        total: by_status.iter().map(|(_, n)| n).sum(),
        by_status,
        chart: charts::draw(
            "Confirmed subscribers",
            &series,
            charts::Kind::Area,
            charts::Scale::Count,
        ),
        recent: rows
            .into_iter()
            .map(|r| SubscriberRow {
                email: r.email,
                status: r.status,
                joined: when(Some(r.created_at)),
                confirmed: when(r.confirmed_at),
            })
            .collect(),
    };
    let shell = Shell::new(
        &state,
        "subscribers",
        "Subscribers",
        &v.csrf.token,
        views::notice(q.notice.as_deref()),
        body,
    );
    views::respond(
        &state,
        &v.admin,
        "admin/subscribers.html",
        &shell,
        StatusCode::OK,
        &v.csrf,
    )
}
