//! [`StoreError`]: what can go wrong in the store, in words a caller can act on.

/// A failed store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A unique value already exists.
    #[error("{0} already exists")]
    Duplicate(String),
    /// A stored value could not be read back.
    #[error("the database holds an invalid value: {0}")]
    Corrupt(String),
    /// Migrations failed.
    #[error("cannot migrate the database: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// The disk holding the database is full (SQLite rolled the transaction back).
    #[error(
        "the disk holding the database is full: nothing more was written; free some space and run again"
    )]
    DiskFull,
    /// The database file (or its folder) cannot be written.
    #[error(
        "the database is read-only: nothing was written; check the permissions of the database file and its folder"
    )]
    ReadOnly,
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

/// Set once a write failed because the disk is full or the database is read-only: every later
/// write would fail the same way, so long runs (a fetch of many feeds) stop and report it once.
static UNWRITABLE: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// Why the database cannot be written, once a write failed for that reason in this process.
pub fn unwritable() -> Option<&'static str> {
    UNWRITABLE.get().copied()
}

/// SQLite's primary result codes for a full disk and a read-only database.
const SQLITE_READONLY: i64 = 8;
const SQLITE_FULL: i64 = 13;
/// SQLITE_IOERR_SHMSIZE: the shared-memory file of the WAL cannot grow (no space left).
const SQLITE_IOERR_SHMSIZE: i64 = 4874;

fn classify(db: &dyn sqlx::error::DatabaseError) -> Option<StoreError> {
    // Extended result codes keep the primary code in their low byte.
    let code: i64 = db.code()?.parse().ok()?;
    let e = match code & 0xff {
        _ if code == SQLITE_IOERR_SHMSIZE => StoreError::DiskFull,
        SQLITE_FULL => StoreError::DiskFull,
        SQLITE_READONLY => StoreError::ReadOnly,
        _ => return None,
    };
    let _ = UNWRITABLE.set(match e {
        StoreError::DiskFull => "the disk holding the database is full",
        _ => "the database is read-only",
    });
    Some(e)
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        use sqlx::migrate::MigrateError as M;
        match &e {
            M::Execute(sqlx::Error::Database(db))
            | M::ExecuteMigration(sqlx::Error::Database(db), _) => {
                classify(db.as_ref()).unwrap_or(StoreError::Migrate(e))
            }
            _ => StoreError::Migrate(e),
        }
    }
}

impl StoreError {
    /// Whether this is a full disk or a read-only database (retrying cannot help).
    pub fn is_unwritable(&self) -> bool {
        matches!(self, StoreError::DiskFull | StoreError::ReadOnly)
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound("row".into()),
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Duplicate(db.message().to_string())
            }
            sqlx::Error::Database(db) => classify(db.as_ref()).unwrap_or(StoreError::Database(e)),
            _ => StoreError::Database(e),
        }
    }
}
