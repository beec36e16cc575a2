//! All SQL lives here: one file per aggregate, functions generic over the executor so that a caller
//! chooses between the pool and a transaction.
//!
//! Must not know about HTTP, feeds' XML, templates or SMTP. Times are stored as Unix seconds
//! (`BIGINT`) and booleans as `0/1`, which keeps the SQL portable to PostgreSQL.

pub mod admin;
pub mod bounces;
pub mod confirmations;
pub mod deliveries;
pub mod digest_edits;
pub mod digests;
pub mod entries;
mod error;
pub mod feeds;
pub mod housekeeping;
pub mod jobs;
pub mod leases;
pub mod ledger;
mod pool;
pub mod runs;
pub mod site;
pub mod stats;
pub mod stories;
pub mod subscribers;

use chrono::{DateTime, TimeZone, Utc};

pub use error::{StoreError, unwritable};
pub use pool::{Db, Pool, WriteTx, begin_write, connect, write_slot};

/// Unix seconds of an instant.
pub(crate) fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// The instant of stored Unix seconds (clamped to the representable range).
pub(crate) fn from_ts(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}
