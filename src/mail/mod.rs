//! Delivering digests: `message` builds one MIME message per recipient (signed by `dkim`),
//! `smtp` owns the pooled, rate-limited connection to the relay, `deliver` walks the ledger
//! with `run`'s heartbeat. Reads digests and subscribers from the store; never renders or
//! fetches.

mod attempt;
pub mod confirm;
pub mod deliver;
pub mod dkim;
pub mod inbound;
pub mod message;
mod prebody;
mod relay;
pub mod run;
pub mod smtp;

pub use deliver::{Progress, SendReport, send_digest};
pub use smtp::Mailer;
