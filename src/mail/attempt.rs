//! One delivery attempt: wait for the rate limits, compose, send, and say what came of it
//! (recorded by the dispatcher's next turn, [`super::deliver`]); and the backoff before the next.

use std::time::{Duration, Instant};

use chrono::Utc;

use super::deliver::{Ctx, Kind};
use super::smtp::SendError;
use crate::config::DeliverySettings;
use crate::domain::{Claimed, Outcome};

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

/// One delivery: wait for the rate limits, compose and send; what came of it, to be recorded
/// in the next turn. At shutdown, a delivery still waiting for the rate limits goes back.
pub(super) async fn attempt(ctx: &Ctx, row: Claimed) -> (Outcome, Kind) {
    tokio::select! {
        biased;
        () = ctx.stop.cancelled() => {
            let o = Outcome::Deferred {
                id: row.id,
                error: "handed back at shutdown".into(),
                next_attempt_at: Utc::now(),
                attempted: false,
            };
            return (o, Kind::Returned);
        }
        () = ctx.mailer.ready() => {}
    }
    let message_id = ctx.composer.message_id(row.id, &row.subscriber);
    let result = match ctx.composer.compose(&row.subscriber, &message_id) {
        Ok(m) => ctx.mailer.send_now(&m).await.map_err(Some),
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
    (outcome, kind)
}
