//! The public site: home (subscribe form, latest digest, river of stories), the archive, the
//! blogroll, double opt-in and one-click leaving, Atom feeds, static files, health. Reads and
//! writes through the store, renders its own templates (`templates/web/`) and sends the
//! confirmation mail through the shared [`Mailer`]; never fetches feeds. Also the operator's
//! side: `/metrics` (Prometheus) and the organiser's dashboard under `/admin` ([`admin`]),
//! whose buttons start work through the [`admin::Jobs`] handed in by the wiring point.

mod address;
pub mod admin;
mod assets;
mod cache;
mod client_ip;
mod csrf;
mod error;
mod feeds;
mod forms;
pub mod health;
mod metrics;
mod page;
mod pages;
mod security;
mod serve;
mod templates;
mod unsubscribe;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::config::Settings;
use crate::digest::Renderer;
use crate::digest::render::RenderError;
use crate::mail::Mailer;
use crate::monitor::Metrics;
use crate::store::Pool;

pub use address::{AddressError, normalise as normalise_address};
pub use error::WebError;
pub use forms::{SubscribeForm, TokenForm};
pub use serve::serve;

/// Largest request body accepted (a sign-up form is a few hundred bytes).
pub const BODY_LIMIT: usize = 16 * 1024;

/// What handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub pool: Pool,
    /// The digest templates (used for the Atom feeds).
    pub renderer: Arc<Renderer>,
    /// Settings.
    pub settings: Arc<Settings>,
    /// The SMTP relay, for confirmation mails.
    pub mailer: Mailer,
    site: Arc<Site>,
    /// The 404 and 500 pages, rendered at start.
    pages: Arc<error::ErrorPages>,
    /// The dashboard, when a password is configured.
    admin: Option<Arc<admin::Admin>>,
    /// The metrics registry `/metrics` renders.
    metrics: Metrics,
    /// The scheduler's running flag, when this process runs one (`/readyz`).
    scheduler: Option<Arc<std::sync::atomic::AtomicBool>>,
}

/// The site's own parts: templates, page cache, rate limiter.
struct Site {
    templates: templates::Templates,
    cache: cache::PageCache,
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Site")
    }
}

impl AppState {
    /// Builds the site's state: compiles its templates (overridable from `digest.templates`).
    pub fn new(
        pool: Pool,
        renderer: Arc<Renderer>,
        settings: Arc<Settings>,
        mailer: Mailer,
    ) -> Result<Self, RenderError> {
        let templates = templates::Templates::new(settings.digest.templates.as_deref())?;
        let per_minute = NonZeroU32::new(settings.subscribe.requests_per_minute.max(1))
            .unwrap_or(NonZeroU32::MIN);
        let site = Site {
            templates,
            cache: cache::PageCache::default(),
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
        };
        let mut state = Self {
            pool,
            renderer,
            settings,
            mailer,
            site: Arc::new(site),
            pages: Arc::new(error::ErrorPages::default()),
            admin: None,
            metrics: Metrics::default(),
            scheduler: None,
        };
        state.pages = Arc::new(error::render_pages(&state));
        Ok(state)
    }

    /// Adds the operator's parts: the app's metrics registry (for `/metrics`) and the
    /// dashboard, which is on when `admin.password_hash` or `admin.password` is set and
    /// starts its jobs through `jobs`.
    pub fn with_ops(
        mut self,
        metrics: Metrics,
        jobs: Arc<dyn admin::Jobs>,
    ) -> Result<Self, admin::AuthError> {
        self.metrics = metrics;
        self.admin = admin::Admin::new(&self.settings.admin, jobs)?.map(Arc::new);
        Ok(self)
    }

    /// `/readyz` answers 503 while `flag` is false (the scheduler is not running).
    pub fn with_scheduler(mut self, flag: Arc<std::sync::atomic::AtomicBool>) -> Self {
        self.scheduler = Some(flag);
        self
    }
}

/// The site's routes with its global layers. Serve it with [`serve`] (or
/// `into_make_service_with_connect_info::<SocketAddr>()`): the sign-up rate limit needs the
/// client's address.
pub fn router(state: AppState) -> Router {
    let request_timeout = state.settings.web.request_timeout();
    routes()
        .fallback(pages::not_found)
        // Global layers: they apply to every route above, including ones added later. The
        // security headers are outermost so that the limits' own answers carry them too.
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            error::friendly,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::friendly_limits,
        ))
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            security::headers,
        ))
        .with_state(state)
}

/// Every route of the site (new route groups are merged here, before the layers).
fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/health", get(pages::health))
        .route("/digests", get(pages::digests))
        .route("/digests/{week}", get(pages::digest))
        .route("/blogs", get(pages::blogs))
        .route("/blogs.opml", get(pages::opml))
        .route("/feeds/stories.atom", get(feeds::stories))
        .route("/feeds/digests.atom", get(feeds::digests))
        .route(
            "/subscribe",
            post(forms::subscribe).get(forms::subscribe_get),
        )
        .route(
            "/confirm/{token}",
            get(forms::confirm_page).post(forms::confirm),
        )
        .route("/confirm/{token}/renew", post(forms::renew))
        .route(
            "/unsubscribe/{token}",
            get(unsubscribe::page).post(unsubscribe::unsubscribe),
        )
        .route("/static/style.css", get(assets::css))
        .route("/static/favicon.svg", get(assets::favicon))
        .route("/favicon.ico", get(assets::favicon))
        .route("/static/admin.css", get(assets::admin_css))
        .route("/metrics", get(metrics::metrics))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(admin::router())
}
