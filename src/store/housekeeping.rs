//! Keeping the database tidy and safe: pruning old entries, online backups, and the readiness
//! probe (is the database there, and is its schema this binary's).
//!
//! `VACUUM INTO` and the probe's connection options are SQLite's; a PostgreSQL backend puts its
//! own here (pg_dump is the organiser's tool there).

use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use sqlx::Connection as _;
use sqlx::sqlite::SqliteConnectOptions;

use super::{Pool, StoreError, ts};

/// Deletes the entries first seen and published before `cutoff` that no digest carried (so
/// every digest in the archive stays whole). Returns how many were deleted and how many such
/// old entries were kept because a digest carried them.
pub async fn prune_entries(pool: &Pool, cutoff: DateTime<Utc>) -> Result<(u64, u64), StoreError> {
    let mut tx = super::begin_write(pool).await?;
    let deleted = sqlx::query(
        "DELETE FROM entries WHERE first_seen_at < $1 AND published_at < $1
         AND NOT EXISTS (SELECT 1 FROM digest_entries de WHERE de.entry_id = entries.id)",
    )
    .bind(ts(cutoff))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let kept: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM entries WHERE first_seen_at < $1 AND published_at < $1",
    )
    .bind(ts(cutoff))
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((deleted, u64::try_from(kept).unwrap_or(0)))
}

/// Writes a consistent copy of the live database to `path` (which must not exist), while other
/// connections go on reading and writing.
pub async fn backup(pool: &Pool, path: &Path) -> Result<(), StoreError> {
    let target = path
        .to_str()
        .ok_or_else(|| StoreError::Corrupt(format!("{} is not UTF-8", path.display())))?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(pool)
        .await?;
    Ok(())
}

/// Why the database is not ready.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    /// The database cannot be opened or read.
    #[error("database unreachable: {0}")]
    Unreachable(String),
    /// Migrations this binary knows are not applied (or failed).
    #[error("migrations not applied: {0}")]
    Migrations(String),
}

/// Opens a fresh connection to `url` (never creating the file: a vanished volume must show)
/// and checks that every migration this binary knows is applied.
pub async fn ready(url: &str) -> Result<(), NotReady> {
    let unreachable = |e: sqlx::Error| NotReady::Unreachable(e.to_string());
    let options = SqliteConnectOptions::from_str(url)
        .map_err(unreachable)?
        .create_if_missing(false)
        .read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .map_err(unreachable)?;
    let applied: Vec<(i64, bool)> = sqlx::query_as("SELECT version, success FROM _sqlx_migrations")
        .fetch_all(&mut conn)
        .await
        .map_err(unreachable)?;
    let _ = conn.close().await;
    let missing: Vec<String> = super::pool::migrations()
        .filter(|v| !applied.iter().any(|(a, ok)| a == v && *ok))
        .map(|v| v.to_string())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(NotReady::Migrations(missing.join(", ")))
    }
}
