//! [`DigestWeek`]: one ISO 8601 week, the unit a digest covers.

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

    /// The last week that has fully ended at `now`, in time zone `tz`.
    pub fn last_complete(now: DateTime<Utc>, tz: Tz) -> Self {
        Self::containing(now.with_timezone(&tz).date_naive()).previous()
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

    /// `[start, end)` of the week in `tz`, as UTC instants: from Monday 00:00 local time to the
    /// next Monday 00:00 local time (so a week is 167 or 169 hours around DST changes).
    pub fn bounds(&self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = local_midnight(self.monday(), tz);
        let end = local_midnight(self.next().monday(), tz);
        (start, end)
    }

    /// A human label such as `16–22 November 2026`.
    pub fn label(&self) -> String {
        let (mon, sun) = (self.monday(), self.sunday());
        if mon.year() != sun.year() {
            format!("{} – {}", mon.format("%-d %B %Y"), sun.format("%-d %B %Y"))
        } else if mon.month() != sun.month() {
            format!("{} – {}", mon.format("%-d %B"), sun.format("%-d %B %Y"))
        } else {
            format!("{}–{}", mon.format("%-d"), sun.format("%-d %B %Y"))
        }
    }
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
        assert_eq!(w.label(), "16–22 November 2026");
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
            DigestWeek::last_complete(now, chrono_tz::UTC).to_string(),
            "2026-W46"
        );
        assert_eq!(
            DigestWeek::last_complete(now, chrono_tz::Pacific::Auckland).to_string(),
            "2026-W47"
        );
    }

    #[test]
    fn bounds_follow_dst() {
        // Europe/Brussels leaves DST on Sunday 2026-10-25: that week has 169 hours.
        let w: DigestWeek = "2026-W43".parse().unwrap();
        let (s, e) = w.bounds(chrono_tz::Europe::Brussels);
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
}
