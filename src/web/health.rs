//! Probes for supervisors: `/healthz` (the process answers) and `/readyz` (the database is
//! reachable, its migrations are applied, the scheduler runs; 503 and the reasons otherwise).
//! `/health` (the older probe: the pool answers `SELECT 1`) stays as it was.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::store::housekeeping;

/// What `/readyz` looks at.
#[derive(Debug, Clone)]
pub struct Health {
    /// `database.url`: each probe opens its own connection, so a vanished file shows.
    pub database_url: String,
    /// The scheduler's running flag, when this process runs one.
    pub scheduler: Option<Arc<AtomicBool>>,
}

/// `/healthz` and `/readyz`.
pub fn routes(health: Health) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(health)
}

async fn healthz() -> impl IntoResponse {
    plain(StatusCode::OK, "ok\n".into())
}

async fn readyz(State(h): State<Health>) -> impl IntoResponse {
    let mut problems = Vec::new();
    if let Err(e) = housekeeping::ready(&h.database_url).await {
        problems.push(e.to_string());
    }
    if let Some(flag) = &h.scheduler {
        if !flag.load(Ordering::SeqCst) {
            problems.push("scheduler not running".to_string());
        }
    }
    if problems.is_empty() {
        plain(StatusCode::OK, "ready\n".into())
    } else {
        let body = problems.iter().map(|p| format!("{p}\n")).collect();
        plain(StatusCode::SERVICE_UNAVAILABLE, body)
    }
}

fn plain(status: StatusCode, body: String) -> impl IntoResponse {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
}
