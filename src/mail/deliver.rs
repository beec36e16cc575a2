//! Working through a frozen digest's ledger: up to `smtp.concurrency` messages in flight, each
//! claimed just before it is sent and recorded just after the relay's reply.
//!
//! The dispatcher works in turns: each turn is one transaction that records the attempts that
//! came back since the last turn and claims as many rows as there are free slots (never more:
//! a crash costs at most what was in flight), then it starts those attempts and waits for the
//! next to come back. One writer, one transaction for many replies, no lock contention. Passing failures come back later (`next_attempt_at`, exponential backoff
//! with jitter); a relay that stays unreachable stops the run after `delivery.relay_down_secs`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::attempt::attempt;
pub use super::attempt::backoff;
use super::message::{Composer, MessageError};
use super::smtp::{Mailer, SendError};
use crate::config::{DeliverySettings, Settings};
use crate::domain::Outcome;
use crate::store::deliveries::Tally;
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

pub(super) enum Kind {
    Sent,
    Deferred,
    Failed(String, String),
    /// Handed back unsent at shutdown: not an attempt.
    Returned,
}

pub(super) struct Ctx {
    pub(super) mailer: Mailer,
    pub(super) composer: Composer,
    pub(super) delivery: DeliverySettings,
    /// Since when the relay has been unreachable, and its last error.
    pub(super) unreachable: Mutex<Option<(Instant, String)>>,
    /// Cancelled at shutdown: claim nothing more, hand back what has not started.
    pub(super) stop: CancellationToken,
}

/// Freezes `digest` (snapshotting its recipients on first call) and sends every due delivery.
/// Safe to run again, and beside another run: sent deliveries are never claimed again. Once
/// `cancel` is cancelled nothing more is claimed; the messages in flight finish and are
/// recorded, and claimed messages not yet started go back to `pending`.
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
    let beating = CancellationToken::new();
    let heart =
        super::run::spawn_heartbeat(pool.clone(), digest.id, run_id, d.clone(), beating.clone());
    let ctx = Arc::new(Ctx {
        mailer: mailer.clone(),
        composer,
        delivery: d,
        unreachable: Mutex::new(None),
        stop: cancel.clone(),
    });
    let run = Run {
        pool,
        digest_id: digest.id,
        run_id,
        concurrency: settings.smtp.concurrency.max(1),
    };
    let result = dispatch(&ctx, &run, progress).await;
    beating.cancel();
    let _ = heart.await;
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

/// Which run works on which digest, and how many messages it keeps in flight.
struct Run<'a> {
    pool: &'a Pool,
    digest_id: i64,
    run_id: i64,
    concurrency: usize,
}

type Attempts = JoinSet<(Outcome, Kind)>;

/// The dispatcher: turn after turn, records what came back and claims as many rows as there
/// are free slots, starts their attempts, and decides when the run is over.
async fn dispatch(
    ctx: &Arc<Ctx>,
    run: &Run<'_>,
    progress: &(dyn Fn(&Progress) + Send + Sync),
) -> Result<SendReport, DeliverError> {
    let start = store::deliveries::tally(run.pool, run.digest_id).await?;
    if start.settled() {
        return Ok(SendReport::default());
    }
    // A relay that does not answer must not hold a shutdown up: nothing is claimed yet.
    let relay = tokio::select! {
        () = ctx.stop.cancelled() => return Ok(SendReport {
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
    let mut tasks = Attempts::new();
    let mut back: Vec<(Outcome, Kind)> = Vec::new();
    let mut turns = 0u64;
    loop {
        turns += 1;
        let down = ctx.unreachable.lock().map(|u| u.clone()).unwrap_or(None);
        if report.stopped.is_none() {
            report.stopped = stop_reason(ctx, down.as_ref());
        }
        let want = match (&report.stopped, &down) {
            (Some(_), _) => 0,
            // While the relay is unreachable, probe with one message at a time, calmly.
            (None, Some(_)) => usize::from(tasks.is_empty()),
            (None, None) => run.concurrency.saturating_sub(tasks.len()),
        };
        if want > 0 && down.is_some() {
            pause(ctx, Duration::from_millis(500)).await;
        }
        let claimed =
            settle_and_claim(ctx, run, &mut back, &mut tasks, want, &mut report, &mut p).await?;
        if !back.is_empty() || claimed > 0 {
            progress(&p);
        }
        back.clear();
        if tasks.is_empty() && claimed == 0 {
            if report.stopped.is_some() {
                break;
            }
            match idle(ctx, run).await? {
                Some(reason) => {
                    report.stopped = reason;
                    break;
                }
                None => continue,
            }
        }
        // Wait for one attempt to come back, then take every other that came back meanwhile.
        let first = tokio::select! {
            done = tasks.join_next() => done,
            () = ctx.stop.cancelled(), if report.stopped.is_none() => continue,
        };
        if let Some(done) = first {
            back.push(joined(done)?);
        }
        while let Some(done) = tasks.try_join_next() {
            back.push(joined(done)?);
        }
        if report.stopped.is_none() {
            gather(&mut tasks, &mut back, run.concurrency).await?;
        }
    }
    tracing::debug!(turns, sent = report.sent, "run over");
    Ok(report)
}

/// Why the run must claim nothing more, if it must not: shutdown, or a relay that has been
/// unreachable for `delivery.relay_down_secs`.
fn stop_reason(ctx: &Ctx, down: Option<&(Instant, String)>) -> Option<String> {
    if ctx.stop.is_cancelled() {
        return Some(SHUTDOWN.into());
    }
    let (since, err) = down?;
    (since.elapsed() >= Duration::from_secs(ctx.delivery.relay_down_secs))
        .then(|| relay_down(ctx, err))
}

/// One turn's transaction: records `back`, claims up to `want` rows and starts their attempts
/// on `tasks`. Returns how many were claimed.
async fn settle_and_claim(
    ctx: &Arc<Ctx>,
    run: &Run<'_>,
    back: &mut Vec<(Outcome, Kind)>,
    tasks: &mut Attempts,
    want: usize,
    report: &mut SendReport,
    p: &mut Progress,
) -> Result<usize, DeliverError> {
    let outcomes: Vec<Outcome> = back.iter().map(|(o, _)| o.clone()).collect();
    let claimed = store::ledger::settle_and_claim(
        run.pool,
        run.digest_id,
        run.run_id,
        &outcomes,
        want,
        ctx.delivery.bounce_limit,
        Utc::now(),
    )
    .await?;
    for (_, kind) in back.drain(..) {
        count(kind, report, p);
    }
    let n = claimed.len();
    for row in claimed {
        let ctx = ctx.clone();
        tasks.spawn(async move { attempt(&ctx, row).await });
    }
    Ok(n)
}

/// Group commit: a turn costs the same for one reply as for many (`bench/send.sh`: one turn per
/// reply left a third of the CPU in SQLite round trips), so while most slots are still busy,
/// waits up to [`GATHER`] for a quarter of them to come back before the next turn. A slot
/// freed meanwhile stays free for at most that long.
async fn gather(
    tasks: &mut Attempts,
    back: &mut Vec<(Outcome, Kind)>,
    concurrency: usize,
) -> Result<(), DeliverError> {
    let enough = (concurrency / 4).max(1);
    let deadline = tokio::time::Instant::now() + GATHER;
    while back.len() < enough && !tasks.is_empty() {
        match tokio::time::timeout_at(deadline, tasks.join_next()).await {
            Ok(Some(done)) => back.push(joined(done)?),
            Ok(None) | Err(_) => break,
        }
    }
    Ok(())
}

/// The longest a turn waits for more replies (see [`gather`]).
const GATHER: Duration = Duration::from_millis(2);

/// Counts one recorded attempt in the run's report and progress.
fn count(kind: Kind, report: &mut SendReport, p: &mut Progress) {
    match kind {
        Kind::Sent => (report.sent += 1, p.sent += 1),
        Kind::Deferred => (report.deferred += 1, p.deferred += 1),
        Kind::Failed(to, why) => {
            if report.failures.len() < 50 {
                report.failures.push((to, why));
            }
            (report.failed += 1, p.failed += 1)
        }
        Kind::Returned => ((), ()),
    };
}

/// Sleeps for `d`, or until shutdown.
async fn pause(ctx: &Ctx, d: Duration) {
    tokio::select! {
        () = tokio::time::sleep(d) => {}
        () = ctx.stop.cancelled() => {}
    }
}

fn joined(
    done: Result<(Outcome, Kind), tokio::task::JoinError>,
) -> Result<(Outcome, Kind), DeliverError> {
    done.map_err(|e| DeliverError::Relay(format!("a send task failed: {e}")))
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
async fn idle(ctx: &Ctx, run: &Run<'_>) -> Result<Option<Option<String>>, DeliverError> {
    let Some(due) = store::deliveries::next_due(run.pool, run.digest_id).await? else {
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
    pause(ctx, wait + Duration::from_millis(50)).await;
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
