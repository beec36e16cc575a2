//! The unattended service: cron schedules drive the same jobs the CLI runs.

pub mod scheduler;
