//! The editor's hand: an intro note, and stories pinned into or excluded from a week's digest.
//! Every edit is refused once that week's digest is frozen (sending started), and every entry id
//! is checked before anything is written, so a typo changes nothing.

use chrono::{DateTime, Utc};

use super::DigestError;
use crate::domain::DigestWeek;
use crate::store::{self, Pool, digest_edits::Pick};

/// What an edit did to one entry the organiser named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The id the organiser gave.
    pub given: i64,
    /// The story's original entry, which the edit applies to (differs for a copy).
    pub story: i64,
    /// The story's title.
    pub title: String,
}

/// Fails with [`DigestError::Frozen`] when `week`'s digest is frozen.
pub async fn ensure_editable(pool: &Pool, week: DigestWeek) -> Result<(), DigestError> {
    if let Some(d) = store::digests::get(pool, week).await?
        && let Some(frozen) = d.frozen_at
    {
        return Err(DigestError::Frozen {
            week,
            sent: frozen.format("%-d %B %Y").to_string(),
        });
    }
    Ok(())
}

/// Sets (`Some`) or removes (`None`) the intro note of `week` (Markdown).
pub async fn set_intro(
    pool: &Pool,
    week: DigestWeek,
    intro: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DigestError> {
    ensure_editable(pool, week).await?;
    let intro = intro.map(str::trim).filter(|s| !s.is_empty());
    store::digest_edits::set_note(pool, week, intro, now).await?;
    Ok(())
}

/// Finds every entry of `ids` and the story it belongs to; the first unknown id fails.
async fn resolve(pool: &Pool, ids: &[i64]) -> Result<Vec<Resolved>, DigestError> {
    let found = store::entries::by_ids(pool, ids).await?;
    let originals: Vec<i64> = found.iter().map(|e| e.story).collect();
    let stories = store::entries::by_ids(pool, &originals).await?;
    ids.iter()
        .map(|id| {
            let e = found
                .iter()
                .find(|e| e.id == *id)
                .ok_or(DigestError::UnknownEntry(*id))?;
            let title = stories
                .iter()
                .find(|s| s.id == e.story)
                .map_or_else(|| e.title.clone(), |s| s.title.clone());
            Ok(Resolved {
                given: *id,
                story: e.story,
                title,
            })
        })
        .collect()
}

/// Pins (`Pick::Pin`) or excludes (`Pick::Exclude`) the stories of `ids` in `week`. A copy of a
/// story stands for its original. Pinning a story that a sent digest carried fails (one that a
/// sent digest cut or excluded may be pinned: it was never sent).
pub async fn pick(
    pool: &Pool,
    week: DigestWeek,
    ids: &[i64],
    pick: Pick,
    now: DateTime<Utc>,
) -> Result<Vec<Resolved>, DigestError> {
    ensure_editable(pool, week).await?;
    let resolved = resolve(pool, ids).await?;
    let stories: Vec<i64> = resolved.iter().map(|r| r.story).collect();
    if pick == Pick::Pin {
        let settled = store::digests::settled(pool, &stories).await?;
        for r in &resolved {
            if let Some(s) = settled.get(&r.story).filter(|s| s.carried) {
                return Err(DigestError::AlreadySent {
                    entry: r.given,
                    week: s.week,
                });
            }
        }
    }
    store::digest_edits::set_picks(pool, week, &stories, pick, now).await?;
    Ok(resolved)
}

/// Undoes a pin (`Pick::Pin`) or an exclusion (`Pick::Exclude`) of the stories of `ids` in
/// `week`. Returns each story and whether it had that pick.
pub async fn unpick(
    pool: &Pool,
    week: DigestWeek,
    ids: &[i64],
    pick: Pick,
) -> Result<Vec<(Resolved, bool)>, DigestError> {
    ensure_editable(pool, week).await?;
    let resolved = resolve(pool, ids).await?;
    let current = store::digest_edits::picks(pool, week).await?;
    let stories: Vec<i64> = resolved.iter().map(|r| r.story).collect();
    store::digest_edits::clear_picks(pool, week, &stories, pick).await?;
    Ok(resolved
        .into_iter()
        .map(|r| {
            let had = current.contains(&(r.story, pick));
            (r, had)
        })
        .collect())
}
