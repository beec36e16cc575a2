//! Sending a frozen digest to every recipient in its ledger, one message each.

use chrono::{Duration, Utc};

use super::message::digest_message;
use super::smtp::{Mailer, SendError};
use crate::config::Settings;
use crate::store::{self, Pool, StoreError, deliveries::Tally, digests::DigestRecord};

/// Attempts after which a delivery is given up.
pub const MAX_ATTEMPTS: i64 = 5;
/// How long a claimed delivery may stay in `sending` before another run retries it.
pub const LEASE_MINUTES: i64 = 10;
const BATCH: i64 = 50;

/// What a send run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendReport {
    /// Messages accepted by the relay in this run.
    pub sent: usize,
    /// Attempts that failed in this run (retried later unless given up).
    pub failed: usize,
    /// The ledger after the run.
    pub tally: Tally,
}

/// Why sending stopped.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The relay is unreachable: stop and keep the rest pending.
    #[error("stopped sending: {0}")]
    Relay(String),
}

/// Freezes `digest` (snapshotting its recipients on first call) and sends every pending
/// delivery. Safe to run again: sent deliveries are never sent twice, and failed ones are
/// retried up to [`MAX_ATTEMPTS`].
#[tracing::instrument(skip_all, fields(week = %digest.week), err)]
pub async fn send_digest(
    pool: &Pool,
    mailer: &Mailer,
    settings: &Settings,
    digest: &DigestRecord,
) -> Result<SendReport, DeliverError> {
    let created = store::digests::freeze(pool, digest.id, Utc::now()).await?;
    if created > 0 {
        tracing::info!(recipients = created, "digest frozen; recipients recorded");
    }
    let mut report = SendReport::default();
    let mut consecutive_transient = 0;
    loop {
        let batch = store::deliveries::claim(
            pool,
            digest.id,
            BATCH,
            Duration::minutes(LEASE_MINUTES),
            Utc::now(),
        )
        .await?;
        if batch.is_empty() {
            break;
        }
        for d in batch {
            let result = match digest_message(settings, digest, &d.subscriber) {
                Ok(msg) => mailer.send(msg).await,
                Err(e) => Err(SendError::Permanent(e.to_string())),
            };
            match result {
                Ok(reply) => {
                    store::deliveries::mark_sent(pool, d.id, &reply, Utc::now()).await?;
                    report.sent += 1;
                    consecutive_transient = 0;
                }
                Err(e) => {
                    report.failed += 1;
                    let give_up =
                        matches!(e, SendError::Permanent(_)) || d.attempts + 1 >= MAX_ATTEMPTS;
                    store::deliveries::mark_failed(pool, d.id, &e.to_string(), give_up).await?;
                    tracing::warn!(to = %d.subscriber.email, "{e}");
                    if matches!(e, SendError::Transient(_)) {
                        consecutive_transient += 1;
                        if consecutive_transient >= 3 {
                            return Err(DeliverError::Relay(e.to_string()));
                        }
                    }
                }
            }
        }
    }
    report.tally = store::deliveries::tally(pool, digest.id).await?;
    if report.tally.pending == 0 && report.tally.sending == 0 {
        store::digests::mark_sent(pool, digest.id, Utc::now()).await?;
    }
    Ok(report)
}
