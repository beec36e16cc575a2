//! Opening the database deliberately: folder created, WAL, `synchronous=NORMAL`, foreign keys,
//! busy timeout, migrations applied.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::StoreError;

/// The database backend.
pub type Db = sqlx::Sqlite;
/// A connection pool.
pub type Pool = sqlx::SqlitePool;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The versions of the migrations this binary carries.
pub(crate) fn migrations() -> impl Iterator<Item = i64> {
    MIGRATOR.iter().map(|m| m.version)
}

/// Opens (creating if needed) the database at `url` and applies pending migrations.
// No `err` here: the caller reports a failure to open, once.
#[tracing::instrument(skip_all)]
pub async fn connect(url: &str, max_connections: u32) -> Result<Pool, StoreError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::Corrupt(format!("database.url `{url}`: {e}")))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let path = options.get_filename();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Corrupt(format!("cannot create folder {}: {e}", dir.display()))
        })?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(max_connections.max(1))
        // A COMMIT that failed (disk full) can leave a connection believing it is still in a
        // transaction, so that every later `BEGIN` on it fails: such a connection is closed
        // instead of going back to the pool.
        .after_release(|conn, _| {
            let clean = !sqlx::Connection::is_in_transaction(conn);
            Box::pin(async move { Ok(clean) })
        })
        .connect_with(options)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// One writer at a time, queued in process. SQLite allows a single writer; when several
/// connections race for the lock, the losers sleep in SQLite's busy handler (1, 2, 5, 10... ms)
/// and the lock sits idle while they sleep. Queuing on an async mutex instead hands the lock
/// straight to the next writer.
static WRITER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A write transaction, holding the process's writer slot until it ends.
pub struct WriteTx {
    tx: sqlx::Transaction<'static, Db>,
    _slot: tokio::sync::MutexGuard<'static, ()>,
}

impl WriteTx {
    /// Commits the transaction and frees the writer slot.
    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// Waits for the writer slot, for a single autocommit statement (one round trip instead of
/// three for a transaction).
pub async fn write_slot() -> tokio::sync::MutexGuard<'static, ()> {
    WRITER.lock().await
}

/// Starts a transaction that will write, after the process's previous writer finished. SQLite's
/// default (deferred) transaction takes its write lock only at the first write, and a reader
/// that must upgrade while another connection has written fails at once with "database is
/// locked", bypassing the busy timeout; `BEGIN IMMEDIATE` takes the write lock up front.
pub async fn begin_write(pool: &Pool) -> Result<WriteTx, StoreError> {
    let slot = WRITER.lock().await;
    let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    Ok(WriteTx { tx, _slot: slot })
}
