//! Cron expressions → instants, and the period each run stands for, in `digest.timezone`.
//!
//! Cron walks local wall time; each tick is then placed in the zone, so `0 8 * * Mon` is 08:00
//! local on both sides of a DST change. A local time that happens twice (autumn) runs at its
//! first instant only; one that does not exist (spring) runs at the first instant after the
//! gap (the cron crate alone would skip it, and that week's send with it).

use chrono::{DateTime, NaiveDateTime, TimeZone as _, Timelike as _, Utc, Weekday};
use chrono_tz::Tz;

use super::Job;
use crate::config::{CronExpr, Settings};
use crate::domain::DigestWeek;

/// Ticks looked at before giving up (a schedule that only yields times that resolve before
/// the asked instant would otherwise loop).
const WALK: usize = 1000;

/// A local wall time carried as UTC: cron walks wall-clock time without gaps or repeats, and
/// [`Plan::resolve`] turns each wall time into an instant of the zone.
fn wall(naive: NaiveDateTime) -> DateTime<Utc> {
    Utc.from_utc_datetime(&naive)
}

/// The schedule of every job.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `schedule.fetch`
    pub fetch: CronExpr,
    /// `schedule.digest`
    pub digest: CronExpr,
    /// `schedule.send`
    pub send: CronExpr,
    /// `schedule.prune`
    pub prune: CronExpr,
    /// `digest.timezone`
    pub tz: Tz,
    /// `digest.week_starts`
    pub week_starts: Weekday,
    /// `schedule.catch_up_hours`
    pub catch_up: chrono::Duration,
    /// `schedule.lease_secs`
    pub lease: chrono::Duration,
}

impl Plan {
    /// The plan of `settings`.
    pub fn from_settings(s: &Settings) -> Self {
        let hours = i64::try_from(s.schedule.catch_up_hours).unwrap_or(i64::MAX / 7200);
        Self {
            fetch: s.schedule.fetch.clone(),
            digest: s.schedule.digest.clone(),
            send: s.schedule.send.clone(),
            prune: s.schedule.prune.clone(),
            tz: s.digest.timezone.0,
            week_starts: s.digest.week_starts.0,
            catch_up: chrono::Duration::hours(hours.min(24 * 365)),
            lease: chrono::Duration::seconds(i64::try_from(s.schedule.lease_secs).unwrap_or(60)),
        }
    }

    fn expr(&self, job: Job) -> Option<&CronExpr> {
        match job {
            Job::Fetch => Some(&self.fetch),
            Job::Digest => Some(&self.digest),
            Job::Send => Some(&self.send),
            Job::Prune => Some(&self.prune),
            Job::Resume => None,
        }
    }

    /// The first tick of `job` strictly after `after`.
    pub fn next_after(&self, job: Job, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let schedule = self.expr(job)?.schedule();
        let mut cursor = wall(after.with_timezone(&self.tz).naive_local());
        for _ in 0..WALK {
            let naive = schedule.after(&cursor).next()?.naive_utc();
            let real = self.resolve(naive);
            if real > after {
                return Some(real);
            }
            cursor = wall(naive);
        }
        None
    }

    /// The last tick of `job` at or before `at`.
    pub fn last_at_or_before(&self, job: Job, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let schedule = self.expr(job)?.schedule();
        let local = at.with_timezone(&self.tz).naive_local();
        let mut cursor = wall(local + chrono::Duration::seconds(1));
        for _ in 0..WALK {
            let naive = schedule.after(&cursor).next_back()?.naive_utc();
            let real = self.resolve(naive);
            if real <= at {
                return Some(real);
            }
            cursor = wall(naive);
        }
        None
    }

    /// The instant of a local wall time: the first of two (autumn), or the first instant
    /// after the gap for a time that does not exist (spring), so a weekly job never skips a
    /// week.
    fn resolve(&self, naive: NaiveDateTime) -> DateTime<Utc> {
        let mut t = naive;
        for _ in 0..16 {
            if let Some(real) = self.tz.from_local_datetime(&t).earliest() {
                return real.with_timezone(&Utc);
            }
            let minute = chrono::Duration::minutes(15);
            t = (t + minute)
                .with_second(0)
                .and_then(|t| t.with_minute(t.minute() / 15 * 15))
                .unwrap_or(t + minute);
        }
        wall(naive)
    }

    /// What a run of `job` for the tick `tick` stands for: the week that ended for digest and
    /// send, the local day for housekeeping, the instant for fetch and resume.
    pub fn period(&self, job: Job, tick: DateTime<Utc>) -> String {
        match job {
            Job::Digest | Job::Send => self.week(tick).to_string(),
            Job::Prune => tick.with_timezone(&self.tz).format("%Y-%m-%d").to_string(),
            Job::Fetch | Job::Resume => tick.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        }
    }

    /// The last complete week at `tick`.
    pub fn week(&self, tick: DateTime<Utc>) -> DigestWeek {
        DigestWeek::last_complete(tick, self.tz, self.week_starts)
    }
}
