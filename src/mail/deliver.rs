//! Working through a frozen digest's ledger: up to `smtp.concurrency` messages in flight, each
//! claimed just before it is sent and recorded just after the relay's reply.
//!
//! The dispatcher claims as many rows as there are free slots (never more: a crash costs at
//! most what was in flight); each attempt composes, sends and hands its outcome to one writer,
//! which commits the outcomes that arrived meanwhile in one transaction, then frees the
//! attempt's slot. Passing failures come back later (`next_attempt_at`, exponential backoff
//! with jitter); a relay that stays unreachable stops the run after `delivery.relay_down_secs`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::message::{Composer, MessageError};
use super::smtp::{Mailer, SendError};
use crate::config::{DeliverySettings, Settings};
use crate::store::deliveries::{Claimed, Outcome, Tally};
use crate::store::{self, Pool, StoreError, digests::DigestRecord};

/// `SendReport::stopped` when a shutdown stopped the run (it is finished `stopped: shutdown`).
pub const SHUTDOWN: &str = "shutdown";

/// What a send run did.
#[derive(Debug, Clone, Default)]
pub struct SendReport {
    /// Messages accepted by the relay in this run.
    pub sent: usize,
    /// Attempts deferred for a retry in this run.
    pub deferred: usize,
    /// Deliveries given up in this run.
    pub failed: usize,
    /// The failures of this run: recipient and the relay's reply (the first 50).
    pub failures: Vec<(String, String)>,
    /// Why the run stopped before every delivery was settled, if it did.
    pub stopped: Option<String>,
    /// The ledger after the run.
    pub tally: Tally,
}

/// Progress of a run, after each recorded batch.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    /// Deliveries this run started with (pending or held by dead runs).
    pub total: u64,
    /// Sent in this run.
    pub sent: u64,
    /// Deferred in this run.
    pub deferred: u64,
    /// Given up in this run.
    pub failed: u64,
}

/// Why sending stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The relay refused us before any message (login, TLS).
    #[error("stopped sending: {0}")]
    Relay(String),
    /// The message cannot be built at all (configuration).
    #[error(transparent)]
    Message(#[from] MessageError),
}

/// The wait before attempt `attempts + 1`: `base · 2^(attempts-1)`, capped, with jitter
/// (between half and all of it) so that retries of many readers spread out.
pub fn backoff(d: &DeliverySettings, attempts: i64) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let full = d
        .retry_base_secs
        .saturating_mul(1u64 << exp)
        .min(d.retry_max_secs.max(1));
    let jitter: f64 = 0.5 + rand::random::<f64>() * 0.5;
    Duration::from_secs_f64(full as f64 * jitter)
}

enum Kind {
    Sent,
    Deferred,
    Failed(String, String),
}

type Ack = oneshot::Sender<Result<(), String>>;

struct Ctx {
    pool: Pool,
    mailer: Mailer,
    composer: Composer,
    delivery: DeliverySettings,
    writer: mpsc::Sender<(Outcome, Ack)>,
    /// Since when the relay has been unreachable, and its last error.
    unreachable: Mutex<Option<(Instant, String)>>,
}

/// Freezes `digest` (snapshotting its recipients on first call) and sends every due delivery.
/// Safe to run again, and beside another run: sent deliveries are never claimed again. Once
/// `cancel` is cancelled nothing more is claimed; the messages in flight finish and the rows
/// claimed but not sent go back to `pending`.
#[tracing::instrument(skip_all, fields(week = %digest.week), err)]
pub async fn send_digest(
    pool: &Pool,
    mailer: &Mailer,
    settings: &Arc<Settings>,
    digest: &DigestRecord,
    progress: &(dyn Fn(&Progress) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<SendReport, DeliverError> {
    let created = store::digests::freeze(pool, digest.id, Utc::now()).await?;
    if created > 0 {
        tracing::info!(recipients = created, "digest frozen; recipients recorded");
    }
    let composer = Composer::new(settings.clone(), digest)?;
    let d = settings.delivery.clone();
    let pid = i64::from(std::process::id());
    let run_id =
        store::runs::start(pool, digest.id, &super::run::host_name(), pid, Utc::now()).await?;
    super::run::take_over_dead(pool, digest.id, run_id, &d).await?;
    let stop = CancellationToken::new();
    let heart =
        super::run::spawn_heartbeat(pool.clone(), digest.id, run_id, d.clone(), stop.clone());
    let (wtx, wrx) = mpsc::channel(settings.smtp.concurrency * 2);
    let writer = tokio::spawn(writer(pool.clone(), run_id, d.bounce_limit, wrx));
    let ctx = Arc::new(Ctx {
        pool: pool.clone(),
        mailer: mailer.clone(),
        composer,
        delivery: d,
        writer: wtx,
        unreachable: Mutex::new(None),
    });
    let result = dispatch(
        &ctx,
        digest.id,
        run_id,
        settings.smtp.concurrency,
        progress,
        cancel,
    )
    .await;
    stop.cancel();
    let _ = heart.await;
    drop(ctx);
    let _ = writer.await;
    let outcome = match &result {
        Ok(r) => r
            .stopped
            .clone()
            .map_or("done".into(), |s| format!("stopped: {s}")),
        Err(e) => format!("failed: {e}"),
    };
    store::runs::finish(pool, run_id, &outcome, Utc::now()).await?;
    let mut report = result?;
    report.tally = store::deliveries::tally(pool, digest.id).await?;
    if report.tally.settled() {
        store::digests::mark_sent(pool, digest.id, Utc::now()).await?;
    }
    Ok(report)
}

/// The dispatcher: claims as many rows as there are free slots, starts their attempts, and
/// decides when the run is over.
async fn dispatch(
    ctx: &Arc<Ctx>,
    digest_id: i64,
    run_id: i64,
    concurrency: usize,
    progress: &(dyn Fn(&Progress) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<SendReport, DeliverError> {
    let start = store::deliveries::tally(&ctx.pool, digest_id).await?;
    if start.settled() {
        return Ok(SendReport::default());
    }
    // A relay that does not answer must not hold a shutdown up: nothing is claimed yet.
    let relay = tokio::select! {
        _ = cancel.cancelled() => return Ok(SendReport {
            stopped: Some(SHUTDOWN.into()),
            ..SendReport::default()
        }),
        r = wait_for_relay(ctx) => r,
    };
    if let Err(e) = relay {
        return match e {
            SendError::Unreachable(m) => Ok(SendReport {
                stopped: Some(relay_down(ctx, &m)),
                ..SendReport::default()
            }),
            other => Err(DeliverError::Relay(other.to_string())),
        };
    }
    let mut p = Progress {
        total: u64::try_from(start.pending + start.sending).unwrap_or(0),
        ..Progress::default()
    };
    let mut report = SendReport::default();
    let slots = Arc::new(Semaphore::new(concurrency));
    let mut tasks: JoinSet<Result<Kind, DeliverError>> = JoinSet::new();
    let on_done = |kind: Kind, report: &mut SendReport, p: &mut Progress| {
        match kind {
            Kind::Sent => (report.sent += 1, p.sent += 1),
            Kind::Deferred => (report.deferred += 1, p.deferred += 1),
            Kind::Failed(to, why) => {
                if report.failures.len() < 50 {
                    report.failures.push((to, why));
                }
                (report.failed += 1, p.failed += 1)
            }
        };
        progress(p);
    };
    loop {
        while let Some(done) = tasks.try_join_next() {
            on_done(joined(done)?, &mut report, &mut p);
        }
        if cancel.is_cancelled() {
            report.stopped = Some(SHUTDOWN.into());
            break;
        }
        let down = ctx.unreachable.lock().map(|u| u.clone()).unwrap_or(None);
        if let Some((since, err)) = &down {
            if since.elapsed() >= Duration::from_secs(ctx.delivery.relay_down_secs) {
                report.stopped = Some(relay_down(ctx, err));
                break;
            }
        }
        let first = tokio::select! {
            _ = cancel.cancelled() => continue,
            p = slots.clone().acquire_owned() => p,
        };
        let mut permits =
            vec![first.map_err(|_| DeliverError::Relay("the send slots were closed".into()))?];
        // While the relay is unreachable, probe with one message at a time, calmly.
        if down.is_some() {
            tokio::time::sleep(Duration::from_millis(500)).await;
        } else {
            while let Ok(more) = slots.clone().try_acquire_owned() {
                permits.push(more);
            }
        }
        let claimed =
            store::deliveries::claim(&ctx.pool, digest_id, run_id, permits.len(), Utc::now())
                .await?;
        if claimed.is_empty() {
            drop(permits);
            if let Some(done) = tasks.join_next().await {
                on_done(joined(done)?, &mut report, &mut p);
                continue;
            }
            let idle = tokio::select! {
                _ = cancel.cancelled() => continue,
                i = idle(ctx, digest_id) => i?,
            };
            match idle {
                Some(reason) => {
                    report.stopped = reason;
                    break;
                }
                None => continue,
            }
        }
        for (row, permit) in claimed.into_iter().zip(permits) {
            let ctx = ctx.clone();
            tasks.spawn(async move {
                let kind = attempt(&ctx, row).await;
                drop(permit);
                kind
            });
        }
    }
    while let Some(done) = tasks.join_next().await {
        on_done(joined(done)?, &mut report, &mut p);
    }
    Ok(report)
}

fn joined(
    done: Result<Result<Kind, DeliverError>, tokio::task::JoinError>,
) -> Result<Kind, DeliverError> {
    done.map_err(|e| DeliverError::Relay(format!("a send task failed: {e}")))?
}

fn relay_down(ctx: &Ctx, err: &str) -> String {
    format!(
        "the SMTP server {} has been unreachable for {} s ({err}); the rest stays pending",
        ctx.mailer.relay, ctx.delivery.relay_down_secs
    )
}

/// Nothing is due and nothing is in flight: waits for the next deferred delivery if it comes
/// due within `delivery.wait_secs`. `Some(None)`: all done; `Some(Some(why))`: stop with
/// deliveries left; `None`: go on.
async fn idle(ctx: &Ctx, digest_id: i64) -> Result<Option<Option<String>>, DeliverError> {
    let Some(due) = store::deliveries::next_due(&ctx.pool, digest_id).await? else {
        return Ok(Some(None));
    };
    let wait = (due - Utc::now()).to_std().unwrap_or_default();
    if wait > Duration::from_secs(ctx.delivery.wait_secs) {
        return Ok(Some(Some(format!(
            "deliveries deferred until {} (more than delivery.wait_secs = {} s away)",
            due.to_rfc3339(),
            ctx.delivery.wait_secs
        ))));
    }
    // Second-granular times: wake just after the due second.
    tokio::time::sleep(wait + Duration::from_millis(50)).await;
    Ok(None)
}

/// Checks once that the relay answers before anything is claimed; retries while it is
/// unreachable, for at most `delivery.relay_down_secs`.
async fn wait_for_relay(ctx: &Ctx) -> Result<(), SendError> {
    let deadline = Instant::now() + Duration::from_secs(ctx.delivery.relay_down_secs);
    loop {
        match ctx.mailer.test_connection().await {
            Ok(()) => return Ok(()),
            Err(SendError::Unreachable(m)) if Instant::now() < deadline => {
                tracing::warn!("SMTP server unreachable, retrying: {m}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// One delivery: compose, send, and wait until the outcome is committed.
async fn attempt(ctx: &Ctx, row: Claimed) -> Result<Kind, DeliverError> {
    let message_id = ctx.composer.message_id(row.id, &row.subscriber);
    let result = match ctx.composer.compose(&row.subscriber, &message_id) {
        Ok(m) => ctx.mailer.send(&m).await.map_err(Some),
        Err(e) => Err(None).inspect_err(|_: &Option<SendError>| {
            tracing::error!("{e}");
        }),
    };
    let now = Utc::now();
    let to = row.subscriber.email.to_string();
    let (outcome, kind) = match result {
        Ok(reply) => {
            if let Ok(mut u) = ctx.unreachable.lock() {
                *u = None;
            }
            let o = Outcome::Sent {
                id: row.id,
                subscriber_id: row.subscriber.id,
                reply,
                message_id,
            };
            (o, Kind::Sent)
        }
        Err(Some(SendError::Unreachable(e))) => {
            if let Ok(mut u) = ctx.unreachable.lock() {
                u.get_or_insert_with(|| (Instant::now(), e.clone()));
            }
            let o = Outcome::Deferred {
                id: row.id,
                error: e,
                next_attempt_at: now + chrono::Duration::seconds(1),
                attempted: false,
            };
            (o, Kind::Deferred)
        }
        Err(Some(SendError::Transient(e)))
            if row.attempts < i64::from(ctx.delivery.max_attempts) =>
        {
            if let Ok(mut u) = ctx.unreachable.lock() {
                *u = None;
            }
            let wait = backoff(&ctx.delivery, row.attempts);
            let o = Outcome::Deferred {
                id: row.id,
                error: e,
                next_attempt_at: now + chrono::Duration::from_std(wait).unwrap_or_default(),
                attempted: true,
            };
            (o, Kind::Deferred)
        }
        Err(failure) => {
            let (error, hard_bounce) = match failure {
                Some(SendError::Permanent(e)) => (e, true),
                Some(SendError::Transient(e)) => (
                    format!("gave up after {} attempts: {e}", row.attempts),
                    false,
                ),
                Some(SendError::Config(e)) => (e, false),
                _ => ("the message could not be built".to_string(), false),
            };
            let kind = Kind::Failed(to, error.clone());
            let o = Outcome::Failed {
                id: row.id,
                subscriber_id: row.subscriber.id,
                error,
                hard_bounce,
            };
            (o, kind)
        }
    };
    let (ack, done) = oneshot::channel();
    ctx.writer
        .send((outcome, ack))
        .await
        .map_err(|_| DeliverError::Relay("the ledger writer stopped".into()))?;
    match done.await {
        Ok(Ok(())) => Ok(kind),
        Ok(Err(e)) => Err(DeliverError::Store(StoreError::Corrupt(e))),
        Err(_) => Err(DeliverError::Relay("the ledger writer stopped".into())),
    }
}

/// Commits outcomes in batches: whatever arrived while the previous commit ran.
async fn writer(
    pool: Pool,
    run_id: i64,
    bounce_limit: u32,
    mut rx: mpsc::Receiver<(Outcome, Ack)>,
) {
    while let Some(first) = rx.recv().await {
        let (mut outcomes, mut acks) = (vec![first.0], vec![first.1]);
        while outcomes.len() < 512 {
            match rx.try_recv() {
                Ok((o, a)) => {
                    outcomes.push(o);
                    acks.push(a);
                }
                Err(_) => break,
            }
        }
        let r = store::deliveries::record(&pool, run_id, &outcomes, bounce_limit, Utc::now())
            .await
            .map_err(|e| e.to_string());
        for ack in acks {
            let _ = ack.send(r.clone());
        }
    }
}
