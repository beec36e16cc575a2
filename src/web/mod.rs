//! The web site: home, archive, one-click unsubscribe, health. Reads and writes through the store
//! and renders through the digest renderer; never fetches feeds.

mod error;
mod feeds;
mod handlers;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::config::Settings;
use crate::digest::Renderer;
use crate::store::Pool;

pub use error::WebError;

/// What handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub pool: Pool,
    /// Templates.
    pub renderer: Arc<Renderer>,
    /// Settings.
    pub settings: Arc<Settings>,
}

/// The site's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(handlers::home))
        .route("/health", get(handlers::health))
        .route("/digests", get(handlers::digests))
        .route("/digests/{week}", get(handlers::digest))
        .route("/feeds/stories.atom", get(feeds::stories))
        .route("/feeds/digests.atom", get(feeds::digests))
        .route(
            "/unsubscribe/{token}",
            get(handlers::unsubscribe_page).post(handlers::unsubscribe),
        )
        .fallback(handlers::not_found)
        .with_state(state)
}
