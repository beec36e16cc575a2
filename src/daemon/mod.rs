//! The unattended service: cron schedules drive the same jobs the CLI runs, each under a lease
//! in the database so that it runs once per period across restarts and processes.
//!
//! `clock` (the injected time source), `plan` (cron → instants and period keys, in
//! `digest.timezone`), `jobs` (what each job does, through an [`crate::app::App`] handed in),
//! `scheduler` (the loop: catch-up, leases, resume). Never imports `serve`.

pub mod clock;
pub mod jobs;
pub mod plan;
pub mod scheduler;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use clock::{Clock, ManualClock, SystemClock};
pub use jobs::{AppJobs, Job, JobResult, Jobs};
pub use plan::Plan;
pub use scheduler::{Scheduler, holder_id};

/// Whether the scheduler loop is running (for `/readyz`).
#[derive(Debug, Clone, Default)]
pub struct Status(Arc<AtomicBool>);

impl Status {
    /// The flag itself, for readers that must not know this module.
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.0.clone()
    }
    pub(crate) fn set(&self, running: bool) {
        self.0.store(running, Ordering::SeqCst);
    }
    /// True while the loop runs.
    pub fn running(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
