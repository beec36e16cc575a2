//! The scheduler's time source, injected so that tests run days of schedule in milliseconds.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

/// A boxed future, as the clock returns it.
pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Now, and waiting until a moment.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
    /// Completes once `now() >= t`.
    fn sleep_until(&self, t: DateTime<Utc>) -> Sleep<'_>;
}

/// The wall clock. Sleeps in steps of at most a minute and looks at the wall clock again after
/// each: tokio's timers follow the monotonic clock, which stands still while a machine is
/// suspended, and a week-long sleep would wake late by the suspended time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn sleep_until(&self, t: DateTime<Utc>) -> Sleep<'_> {
        Box::pin(async move {
            loop {
                let left = (t - Utc::now()).to_std().unwrap_or_default();
                if left.is_zero() {
                    return;
                }
                // Second-granular times: wake just after the due instant.
                tokio::time::sleep(left.min(Duration::from_secs(60)) + Duration::from_millis(5))
                    .await;
            }
        })
    }
}

/// A clock that jumps: `sleep_until` moves time forward at once. Tests and simulations use it;
/// `advance` stands for a job that takes time. At `stop_at` it cancels `stop` and never wakes,
/// which ends a scheduler loop.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
    stop_at: DateTime<Utc>,
    stop: CancellationToken,
}

impl ManualClock {
    /// Starts at `start`; cancels `stop` when asked to sleep until `stop_at` or later.
    pub fn new(start: DateTime<Utc>, stop_at: DateTime<Utc>, stop: CancellationToken) -> Self {
        Self {
            now: Mutex::new(start),
            stop_at,
            stop,
        }
    }
    /// Moves time forward by `d`.
    pub fn advance(&self, d: chrono::Duration) {
        if let Ok(mut now) = self.now.lock() {
            *now += d;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.now.lock().map(|n| *n).unwrap_or_default()
    }
    fn sleep_until(&self, t: DateTime<Utc>) -> Sleep<'_> {
        if t >= self.stop_at {
            self.stop.cancel();
            return Box::pin(std::future::pending());
        }
        if let Ok(mut now) = self.now.lock() {
            *now = (*now).max(t);
        }
        Box::pin(tokio::task::yield_now())
    }
}
