//! [`DigestWeek`]: one ISO 8601 week, the unit a digest covers.
//!
//! A digest's week may start on any weekday (`digest.week_starts`). Its seven days are named
//! after the ISO week that holds most of them (at least four), the rule ISO 8601 itself uses
//! for years: starting on Sunday, `2026-W47` runs from Sunday 15 to Saturday 21 November (the
//! day before the ISO week, and its first six days); starting on Friday, from Friday 13 to
//! Thursday 19 November. Starting on Monday (the default) it is exactly the ISO week.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// Why a string is not a week.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not an ISO week: expected YYYY-Www, e.g. 2026-W47")]
pub struct WeekError(String);

/// An ISO week (Monday to Sunday), e.g. `2026-W47`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DigestWeek {
    year: i32,
    week: u32,
}

impl DigestWeek {
    /// The week with this ISO year and number, if it exists (week 53 exists only in some years).
    pub fn new(year: i32, week: u32) -> Option<Self> {
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).map(|_| Self { year, week })
    }

    /// The week that contains `date`.
    pub fn containing(date: NaiveDate) -> Self {
        let iso = date.iso_week();
        Self {
            year: iso.year(),
            week: iso.week(),
        }
    }

    /// The week, starting on `start`, whose seven days include `date`.
    pub fn containing_from(date: NaiveDate, start: Weekday) -> Self {
        Self::containing(date - Duration::days(start_offset(start)))
    }

    /// The last week (starting on `start`) that has fully ended at `now`, in time zone `tz`.
    pub fn last_complete(now: DateTime<Utc>, tz: Tz, start: Weekday) -> Self {
        Self::containing_from(now.with_timezone(&tz).date_naive(), start).previous()
    }

    /// First day of the week when weeks start on `start`.
    pub fn first_day(&self, start: Weekday) -> NaiveDate {
        self.monday() + Duration::days(start_offset(start))
    }

    /// Last day of the week when weeks start on `start`.
    pub fn last_day(&self, start: Weekday) -> NaiveDate {
        self.first_day(start) + Duration::days(6)
    }

    /// ISO year.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// ISO week number.
    pub fn week(&self) -> u32 {
        self.week
    }

    /// Monday of the week.
    pub fn monday(&self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon)
            .expect("checked when the week was made")
    }

    /// Sunday of the week.
    pub fn sunday(&self) -> NaiveDate {
        self.monday() + Duration::days(6)
    }

    /// The week before.
    pub fn previous(&self) -> Self {
        Self::containing(self.monday() - Duration::days(7))
    }

    /// The week after.
    pub fn next(&self) -> Self {
        Self::containing(self.monday() + Duration::days(7))
    }

    /// `[start, end)` of the week in `tz`, as UTC instants: from local midnight of its first day
    /// (see [`DigestWeek::first_day`]) to local midnight seven days later (so a week is 167 or
    /// 169 hours around DST changes).
    pub fn bounds(&self, tz: Tz, start: Weekday) -> (DateTime<Utc>, DateTime<Utc>) {
        let first = self.first_day(start);
        (
            local_midnight(first, tz),
            local_midnight(first + Duration::days(7), tz),
        )
    }

    /// A human label such as `16–22 November 2026`, for weeks starting on `start`.
    pub fn label(&self, start: Weekday) -> String {
        let (mon, sun) = (self.first_day(start), self.last_day(start));
        if mon.year() != sun.year() {
            format!("{} – {}", mon.format("%-d %B %Y"), sun.format("%-d %B %Y"))
        } else if mon.month() != sun.month() {
            format!("{} – {}", mon.format("%-d %B"), sun.format("%-d %B %Y"))
        } else {
            format!("{}–{}", mon.format("%-d"), sun.format("%-d %B %Y"))
        }
    }
}

/// Days from the ISO Monday to the first day of a week starting on `start`, in `-3..=3`: the
/// week keeps at least four days of its ISO week.
fn start_offset(start: Weekday) -> i64 {
    let d = i64::from(start.num_days_from_monday());
    if d <= 3 { d } else { d - 7 }
}

/// Local midnight of `date` in `tz`; if midnight does not exist (a DST jump at 00:00), the first
/// instant of that day.
fn local_midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut t = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    for _ in 0..4 {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return dt.with_timezone(&Utc);
        }
        t += Duration::minutes(30);
    }
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

impl fmt::Display for DigestWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

impl FromStr for DigestWeek {
    type Err = WeekError;
    fn from_str(s: &str) -> Result<Self, WeekError> {
        let err = || WeekError(s.to_string());
        let t = s.trim();
        let (y, w) = t.split_once(['-']).ok_or_else(err)?;
        let w = w.strip_prefix(['W', 'w']).ok_or_else(err)?;
        if y.len() != 4 || w.is_empty() || w.len() > 2 {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let week: u32 = w.parse().map_err(|_| err())?;
        Self::new(year, week).ok_or_else(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let w: DigestWeek = "2026-W47".parse().unwrap();
        assert_eq!(w.to_string(), "2026-W47");
        assert_eq!(w.monday(), NaiveDate::from_ymd_opt(2026, 11, 16).unwrap());
        assert_eq!(w.label(Weekday::Mon), "16–22 November 2026");
        assert!("2026-W54".parse::<DigestWeek>().is_err());
        assert!("2026-47".parse::<DigestWeek>().is_err());
        assert!(
            "2021-W53".parse::<DigestWeek>().is_err(),
            "2021 has 52 weeks"
        );
        assert!("2020-W53".parse::<DigestWeek>().is_ok());
    }

    #[test]
    fn last_complete_week_depends_on_zone() {
        // Monday 2026-11-23 02:00 in Auckland is still Sunday 22 Nov in UTC.
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 14, 0, 0).unwrap();
        assert_eq!(
            DigestWeek::last_complete(now, chrono_tz::UTC, Weekday::Mon).to_string(),
            "2026-W46"
        );
        assert_eq!(
            DigestWeek::last_complete(now, chrono_tz::Pacific::Auckland, Weekday::Mon).to_string(),
            "2026-W47"
        );
    }

    #[test]
    fn bounds_follow_dst() {
        // Europe/Brussels leaves DST on Sunday 2026-10-25: that week has 169 hours.
        let w: DigestWeek = "2026-W43".parse().unwrap();
        let (s, e) = w.bounds(chrono_tz::Europe::Brussels, Weekday::Mon);
        assert_eq!((e - s).num_hours(), 169);
        assert_eq!(s, Utc.with_ymd_and_hms(2026, 10, 18, 22, 0, 0).unwrap());
        assert_eq!(w.previous().next(), w);
        assert_eq!(
            "2027-W01"
                .parse::<DigestWeek>()
                .unwrap()
                .previous()
                .to_string(),
            "2026-W53"
        );
    }

    #[test]
    fn weeks_can_start_on_any_day_and_keep_most_of_their_iso_week() {
        let w: DigestWeek = "2026-W47".parse().unwrap();
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        assert_eq!(w.first_day(Weekday::Sun), d(15));
        assert_eq!(w.last_day(Weekday::Sun), d(21));
        assert_eq!(w.label(Weekday::Sun), "15–21 November 2026");
        assert_eq!(w.first_day(Weekday::Thu), d(19));
        assert_eq!(w.first_day(Weekday::Fri), d(13));
        let (s, e) = w.bounds(chrono_tz::UTC, Weekday::Sun);
        assert_eq!(s, Utc.with_ymd_and_hms(2026, 11, 15, 0, 0, 0).unwrap());
        assert_eq!((e - s).num_days(), 7);
        // Every day of every start belongs to exactly the week whose span holds it.
        for start in [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ] {
            for day in 10..=30 {
                let week = DigestWeek::containing_from(d(day), start);
                assert!(week.first_day(start) <= d(day) && d(day) <= week.last_day(start));
                assert_eq!(week.first_day(start).weekday(), start);
            }
        }
        // Saturday 21 Nov 2026 23:00 UTC: with Sunday weeks, W47 has just ended.
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 1, 0, 0).unwrap();
        assert_eq!(
            DigestWeek::last_complete(now, chrono_tz::UTC, Weekday::Sun).to_string(),
            "2026-W47"
        );
        assert_eq!(
            DigestWeek::last_complete(now, chrono_tz::UTC, Weekday::Mon).to_string(),
            "2026-W46"
        );
    }
}
