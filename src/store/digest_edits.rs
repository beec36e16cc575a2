//! The editor's edits of a week's digest: an intro note, and stories pinned or excluded. Kept
//! by week (not by digest) so that the organiser can edit a week before its digest is built.
//! Refusing edits of a sent digest is the digest module's job; this file only stores.

use chrono::{DateTime, Utc};

use super::{Pool, StoreError, ts};
use crate::domain::DigestWeek;

/// What the organiser did with one story of a week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pick {
    /// Always in the digest, first, never cut by a cap.
    Pin,
    /// Never in the digest.
    Exclude,
}

impl Pick {
    fn as_str(self) -> &'static str {
        match self {
            Pick::Pin => "pin",
            Pick::Exclude => "exclude",
        }
    }
}

/// The intro note of `week`, if one was written (Markdown).
pub async fn note(pool: &Pool, week: DigestWeek) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT intro FROM digest_notes WHERE week = $1")
            .bind(week.to_string())
            .fetch_optional(pool)
            .await?,
    )
}

/// Writes (or with `None`, removes) the intro note of `week`.
pub async fn set_note(
    pool: &Pool,
    week: DigestWeek,
    intro: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    match intro {
        Some(intro) => {
            sqlx::query(
                "INSERT INTO digest_notes (week, intro, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (week) DO UPDATE SET intro = excluded.intro,
                    updated_at = excluded.updated_at",
            )
            .bind(week.to_string())
            .bind(intro)
            .bind(ts(now))
            .execute(pool)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM digest_notes WHERE week = $1")
                .bind(week.to_string())
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}

/// The pins and exclusions of `week`, by entry id.
pub async fn picks(pool: &Pool, week: DigestWeek) -> Result<Vec<(i64, Pick)>, StoreError> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT entry_id, pick FROM digest_picks WHERE week = $1 ORDER BY entry_id")
            .bind(week.to_string())
            .fetch_all(pool)
            .await?;
    rows.into_iter()
        .map(|(id, pick)| match pick.as_str() {
            "pin" => Ok((id, Pick::Pin)),
            "exclude" => Ok((id, Pick::Exclude)),
            other => Err(StoreError::Corrupt(format!("digest pick `{other}`"))),
        })
        .collect()
}

/// Pins or excludes `entries` in `week` (a pin replaces an exclusion and the other way round),
/// in one transaction.
pub async fn set_picks(
    pool: &Pool,
    week: DigestWeek,
    entries: &[i64],
    pick: Pick,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = super::begin_write(pool).await?;
    for id in entries {
        sqlx::query(
            "INSERT INTO digest_picks (week, entry_id, pick, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (week, entry_id) DO UPDATE SET pick = excluded.pick,
                created_at = excluded.created_at",
        )
        .bind(week.to_string())
        .bind(id)
        .bind(pick.as_str())
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Removes the `pick` of `entries` in `week` (unpin, include). Returns how many were removed.
pub async fn clear_picks(
    pool: &Pool,
    week: DigestWeek,
    entries: &[i64],
    pick: Pick,
) -> Result<u64, StoreError> {
    let mut tx = super::begin_write(pool).await?;
    let mut removed = 0;
    for id in entries {
        removed +=
            sqlx::query("DELETE FROM digest_picks WHERE week = $1 AND entry_id = $2 AND pick = $3")
                .bind(week.to_string())
                .bind(id)
                .bind(pick.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
    }
    tx.commit().await?;
    Ok(removed)
}
