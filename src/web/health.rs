//! Probes for supervisors: `/healthz` (the process answers) and `/readyz` (the database is
//! reachable, its migrations are applied, the scheduler runs; 503 and the reasons otherwise).
//! `/health` (the older probe: the pool answers `SELECT 1`) stays as it was.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

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
/// `GET /healthz`.
pub async fn healthz() -> impl IntoResponse {
    plain(StatusCode::OK, "ok\n".into())
}

/// `GET /readyz`.
pub async fn readyz(State(s): State<super::AppState>) -> impl IntoResponse {
    let h = Health {
        database_url: s.settings.database.url.clone(),
        scheduler: s.scheduler.clone(),
    };
    probe_ready(&h).await
}

async fn probe_ready(h: &Health) -> axum::response::Response {
    let mut problems = Vec::new();
    if let Err(e) = housekeeping::ready(&h.database_url).await {
        problems.push(e.to_string());
    }
    if let Some(flag) = &h.scheduler
        && !flag.load(Ordering::SeqCst)
    {
        problems.push("scheduler not running".to_string());
    }
    if problems.is_empty() {
        plain(StatusCode::OK, "ready\n".into()).into_response()
    } else {
        let body = problems.iter().map(|p| format!("{p}\n")).collect();
        plain(StatusCode::SERVICE_UNAVAILABLE, body).into_response()
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    async fn probe(h: Health) -> (StatusCode, String) {
        let resp = probe_ready(&h).await;
        let status = resp.status();
        let body = to_bytes(resp.into_body(), 1 << 16).await.expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn ready_only_while_the_scheduler_runs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("c.db").display());
        crate::store::connect(&url, 1)
            .await
            .expect("db")
            .close()
            .await;
        let flag = Arc::new(AtomicBool::new(true));
        let h = Health {
            database_url: url.clone(),
            scheduler: Some(flag.clone()),
        };
        assert_eq!(probe(h.clone()).await, (StatusCode::OK, "ready\n".into()));
        flag.store(false, Ordering::SeqCst);
        assert_eq!(
            probe(h).await,
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "scheduler not running\n".into()
            )
        );
        // A web-only process (no scheduler) is ready on its database alone.
        let web_only = Health {
            database_url: url,
            scheduler: None,
        };
        assert_eq!(probe(web_only).await.0, StatusCode::OK);
    }
}
