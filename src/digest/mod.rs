//! The weekly digest: which stories (`select`), how they look (`render`), and building one for a
//! week (`build`). Reads the store, never the network.

pub mod render;
pub mod select;

use chrono::{DateTime, Utc};

pub use render::{DigestView, Renderer, UNSUBSCRIBE_PLACEHOLDER};

use crate::config::Settings;
use crate::domain::DigestWeek;
use crate::store::{self, Pool, StoreError, digests::DigestRecord};

/// Why a digest could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A template failed to render.
    #[error(transparent)]
    Render(#[from] render::RenderError),
}

/// Builds (or rebuilds) the digest of `week` and stores it. A frozen digest — one that started
/// going out — is returned as stored, never rebuilt: the archive must show what was sent.
#[tracing::instrument(skip_all, fields(week = %week), err)]
pub async fn build(
    pool: &Pool,
    renderer: &Renderer,
    settings: &Settings,
    week: DigestWeek,
    now: DateTime<Utc>,
) -> Result<DigestRecord, DigestError> {
    if let Some(existing) = store::digests::get(pool, week).await? {
        if existing.frozen_at.is_some() {
            return Ok(existing);
        }
    }
    let stories = select::select(pool, settings, week).await?;
    let view = DigestView::new(settings, week, &stories);
    let rendered = renderer.render_email(&view)?;
    let ids: Vec<i64> = stories.iter().map(|s| s.id).collect();
    store::digests::save(
        pool,
        &store::digests::NewDigest {
            week,
            subject: &view.subject,
            html: &rendered.html,
            text: &rendered.text,
            markdown: &rendered.markdown,
            entry_ids: &ids,
        },
        now,
    )
    .await?;
    store::digests::get(pool, week)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("digest {week}")).into())
}
