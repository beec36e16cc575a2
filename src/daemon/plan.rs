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

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("valid time")
    }

    fn plan(extra: &str) -> Plan {
        let text = format!("[digest]\ntimezone = \"Europe/Berlin\"\n{extra}");
        let s = Settings::from_parts(std::path::Path::new("t.toml"), &text, Vec::new());
        Plan::from_settings(&s.expect("settings"))
    }

    #[test]
    fn monday_eight_is_local_time_on_both_sides_of_each_dst_change() {
        let p = plan("");
        // Berlin: CET (+1) until 29 March 2026, CEST (+2) until 25 October 2026.
        let spring = p.next_after(Job::Send, utc(2026, 3, 20, 0, 0)).unwrap();
        assert_eq!(spring, utc(2026, 3, 23, 7, 0));
        assert_eq!(
            p.next_after(Job::Send, spring),
            Some(utc(2026, 3, 30, 6, 0))
        );
        let autumn = p.next_after(Job::Send, utc(2026, 10, 17, 0, 0)).unwrap();
        assert_eq!(autumn, utc(2026, 10, 19, 6, 0));
        assert_eq!(
            p.next_after(Job::Send, autumn),
            Some(utc(2026, 10, 26, 7, 0))
        );
        // The digest is built an hour before.
        assert_eq!(
            p.next_after(Job::Digest, utc(2026, 10, 17, 0, 0)),
            Some(utc(2026, 10, 19, 5, 0))
        );
        assert_eq!(p.period(Job::Send, utc(2026, 10, 26, 7, 0)), "2026-W43");
    }

    #[test]
    fn a_local_time_that_does_not_exist_or_happens_twice_still_gives_one_tick_a_week() {
        let p = plan("[schedule]\nsend = \"30 2 * * Sun\"\n");
        let mut t = utc(2026, 3, 21, 0, 0);
        let mut spring = Vec::new();
        for _ in 0..3 {
            t = p.next_after(Job::Send, t).expect("a next tick");
            spring.push(t);
        }
        // 02:30 does not exist on 29 March: that week runs at 03:00 CEST, the end of the gap.
        assert_eq!(
            spring,
            vec![
                utc(2026, 3, 22, 1, 30),
                utc(2026, 3, 29, 1, 0),
                utc(2026, 4, 5, 0, 30)
            ]
        );
        // 02:30 happens twice on 25 October: the first one (CEST) only.
        let first = p.next_after(Job::Send, utc(2026, 10, 24, 0, 0)).unwrap();
        assert_eq!(first, utc(2026, 10, 25, 0, 30));
        assert_eq!(
            p.next_after(Job::Send, first),
            Some(utc(2026, 11, 1, 1, 30))
        );
        assert_eq!(
            p.last_at_or_before(Job::Send, utc(2026, 10, 25, 1, 45)),
            Some(first)
        );
    }

    #[test]
    fn the_last_tick_at_or_before_an_instant() {
        let p = plan("");
        let tick = utc(2026, 11, 23, 7, 0); // Monday 08:00 CET
        assert_eq!(p.last_at_or_before(Job::Send, tick), Some(tick));
        assert_eq!(
            p.last_at_or_before(Job::Send, tick - chrono::Duration::seconds(1)),
            Some(utc(2026, 11, 16, 7, 0))
        );
    }
}
