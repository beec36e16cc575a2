//! The weekly digest: which stories (`select`), what templates see (`view`), how they look
//! (`render`, `text`), the organiser's edits (`edit`), and building one for a week (`build`).
//! Reads and writes the store, never the network.

pub mod edit;
pub mod inline;
pub mod render;
pub mod select;
pub mod text;
pub mod view;

use chrono::{DateTime, Utc};

pub use render::{RenderedEmail, Renderer};
pub use view::{DigestView, UNSUBSCRIBE_PLACEHOLDER};

use crate::config::Settings;
use crate::domain::DigestWeek;
use crate::store::{self, Pool, StoreError, digests::DigestRecord};

/// Why a digest could not be built or edited.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A template failed to render.
    #[error(transparent)]
    Render(#[from] render::RenderError),
    /// The view could not be kept as JSON.
    #[error("cannot keep the digest view: {0}")]
    View(#[from] serde_json::Error),
    /// The digest went out: it stays exactly as sent.
    #[error(
        "the digest of {week} was sent on {sent}: it can no longer be edited (edit the next week's instead)"
    )]
    Frozen {
        /// The week.
        week: DigestWeek,
        /// When sending started, e.g. `23 November 2026`.
        sent: String,
    },
    /// No entry has this id.
    #[error("no entry has id {0}: `chronicle entries list` shows the ids")]
    UnknownEntry(i64),
    /// The story already went out in a digest.
    #[error(
        "entry {entry} was already in the digest of {week}, which was sent: it cannot be pinned again"
    )]
    AlreadySent {
        /// The entry.
        entry: i64,
        /// The week whose digest settled it.
        week: DigestWeek,
    },
}

/// Builds (or rebuilds) the digest of `week` and stores it. A frozen digest — one that started
/// going out — is returned as stored, never rebuilt: the archive must show what was sent.
/// `now` only stamps the record: nothing rendered depends on the clock.
#[tracing::instrument(skip_all, fields(week = %week), err)]
pub async fn build(
    pool: &Pool,
    renderer: &Renderer,
    settings: &Settings,
    week: DigestWeek,
    now: DateTime<Utc>,
) -> Result<DigestRecord, DigestError> {
    if let Some(existing) = store::digests::get(pool, week).await?
        && existing.frozen_at.is_some()
    {
        return Ok(existing);
    }
    let selection = select::select(pool, settings, week).await?;
    let cut = selection
        .skipped
        .iter()
        .filter(|(_, r)| *r == store::digests::SkipReason::Cap)
        .count();
    if cut > 0 {
        tracing::warn!(
            cut,
            max_stories = settings.digest.max_stories,
            max_per_blog = settings.digest.max_per_blog,
            "the organiser's caps leave stories out of this digest: they will never go out"
        );
    }
    let intro = store::digest_edits::note(pool, week).await?;
    let ids: Vec<i64> = selection.stories().map(|s| s.entry.id).collect();
    let also_on = store::entries::also_on(pool, &ids).await?;
    let view = DigestView::new(settings, week, &selection, intro.as_deref(), &also_on);
    let rendered = renderer.render_email(&view)?;
    let view_json = serde_json::to_string(&view)?;
    store::digests::save(
        pool,
        &store::digests::NewDigest {
            week,
            subject: &view.subject,
            html: &rendered.html,
            text: &rendered.text,
            markdown: &rendered.markdown,
            view: &view_json,
            entry_ids: &ids,
            skipped: &selection.skipped,
        },
        now,
    )
    .await?;
    store::digests::get(pool, week)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("digest {week}")).into())
}
