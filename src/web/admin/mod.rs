//! The organiser's dashboard at `/admin`, not linked from any public page: feeds and their
//! health, the next digest's preview with the editor's controls, the last sends, subscribers,
//! and charts. Off (every route answers 404) unless `admin.password_hash` or `admin.password`
//! is set.
//!
//! The web layer never runs feeds or sends itself: "fetch now" and "resume" go through the
//! [`Jobs`] the wiring point (`app`) hands in, so this module knows neither ingest nor `App`.

mod actions;
mod auth;
pub mod charts;
mod data;
mod pages;
mod views;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Router;
use axum::routing::{get, post};
use futures_util::future::BoxFuture;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Serialize;
use tera::{Context, Tera};

use super::AppState;
use crate::config::AdminSettings;
use crate::digest::render::RenderError;
use crate::domain::DigestWeek;

pub use auth::{AuthError, hash_password};

/// Work the dashboard's buttons start, done by the wiring point.
pub trait Jobs: Send + Sync + 'static {
    /// Fetches one feed now; the outcome in plain words.
    fn fetch_feed(&self, feed_id: i64) -> BoxFuture<'static, anyhow::Result<String>>;
    /// Sends (resumes) the digest of `week` to everyone who has not had it; the outcome in
    /// plain words.
    fn resume_send(&self, week: DigestWeek) -> BoxFuture<'static, anyhow::Result<String>>;
}

/// The dashboard's own state.
pub struct Admin {
    /// The password's PHC hash.
    hash: String,
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    tera: Tera,
    jobs: Arc<dyn Jobs>,
    /// A resumed send runs in the background: only one at a time from this process.
    sending: Arc<AtomicBool>,
    session_hours: u64,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Admin")
    }
}

const TEMPLATES: &[(&str, &str)] = &[
    (
        "admin/base.html",
        include_str!("../../../templates/admin/base.html"),
    ),
    (
        "admin/login.html",
        include_str!("../../../templates/admin/login.html"),
    ),
    (
        "admin/overview.html",
        include_str!("../../../templates/admin/overview.html"),
    ),
    (
        "admin/feeds.html",
        include_str!("../../../templates/admin/feeds.html"),
    ),
    (
        "admin/digest.html",
        include_str!("../../../templates/admin/digest.html"),
    ),
    (
        "admin/sends.html",
        include_str!("../../../templates/admin/sends.html"),
    ),
    (
        "admin/subscribers.html",
        include_str!("../../../templates/admin/subscribers.html"),
    ),
];

/// The dashboard's stylesheet (served at `/static/admin.css`).
pub const CSS: &str = include_str!("../../../templates/admin/static/admin.css");

impl Admin {
    /// The dashboard, or `None` when no password is configured. A clear-text password is
    /// hashed here, once.
    pub fn new(settings: &AdminSettings, jobs: Arc<dyn Jobs>) -> Result<Option<Self>, AuthError> {
        let hash = match (&settings.password_hash, &settings.password) {
            (Some(h), _) => h.trim().to_string(),
            (None, Some(p)) => hash_password(p)?,
            (None, None) => return Ok(None),
        };
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html"]);
        tera.set_escape_fn(crate::digest::render::escape_markup);
        tera.add_raw_templates(TEMPLATES.iter().copied())
            .map_err(|e| AuthError::Templates(crate::digest::render::error_chain(&e)))?;
        let per_minute =
            NonZeroU32::new(settings.login_attempts_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Ok(Some(Self {
            hash,
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            tera,
            jobs,
            sending: Arc::new(AtomicBool::new(false)),
            session_hours: settings.session_hours,
        }))
    }

    fn render(&self, name: &str, view: &impl Serialize) -> Result<String, RenderError> {
        let fail = |e: tera::Error| RenderError::Render {
            name: name.to_string(),
            message: crate::digest::render::error_chain(&e),
        };
        let ctx = Context::from_serialize(view).map_err(fail)?;
        self.tera.render(name, &ctx).map_err(fail)
    }
}

/// The dashboard's routes (merged into the site's router).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(pages::overview))
        .route("/admin/", get(pages::overview))
        .route("/admin/login", get(auth::login_page).post(auth::login))
        .route("/admin/logout", post(auth::logout))
        .route("/admin/feeds", get(pages::feeds))
        .route("/admin/feeds/{id}/fetch", post(actions::fetch_now))
        .route("/admin/digest", get(pages::digest))
        .route("/admin/digest/intro", post(actions::intro))
        .route("/admin/digest/pick", post(actions::pick))
        .route("/admin/digest/split", post(actions::split))
        .route("/admin/sends", get(pages::sends))
        .route("/admin/sends/{week}/resume", post(actions::resume))
        .route("/admin/subscribers", get(pages::subscribers))
}
