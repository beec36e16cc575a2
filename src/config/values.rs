//! Configuration values checked when the file is read: time zones, cron expressions, mailboxes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::SubscriberEmail;

/// An IANA time zone, checked when the configuration is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub chrono_tz::Tz);

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<chrono_tz::Tz>().map(TimeZone).map_err(|_| {
            serde::de::Error::custom(format!(
                "unknown time zone `{s}`: use an IANA name such as `Europe/Brussels` or `UTC`"
            ))
        })
    }
}

/// The weekday a digest's week starts on, read from `monday` … `sunday` (or `mon` … `sun`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekStart(pub chrono::Weekday);

impl Serialize for WeekStart {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let name = match self.0 {
            chrono::Weekday::Mon => "monday",
            chrono::Weekday::Tue => "tuesday",
            chrono::Weekday::Wed => "wednesday",
            chrono::Weekday::Thu => "thursday",
            chrono::Weekday::Fri => "friday",
            chrono::Weekday::Sat => "saturday",
            chrono::Weekday::Sun => "sunday",
        };
        s.serialize_str(name)
    }
}

impl<'de> Deserialize<'de> for WeekStart {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        // chrono accepts full English names and three-letter abbreviations, any case.
        s.trim()
            .parse::<chrono::Weekday>()
            .map(WeekStart)
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "unknown weekday `{s}`: use monday, tuesday, wednesday, thursday, friday, \
                 saturday or sunday"
                ))
            })
    }
}

/// A cron expression, checked when the configuration is read.
///
/// Accepts the classic five fields (`min hour day month weekday`) and the `cron` crate's six or
/// seven (with seconds first, and an optional year).
#[derive(Debug, Clone)]
pub struct CronExpr {
    source: String,
    schedule: cron::Schedule,
}

impl CronExpr {
    /// The parsed schedule.
    pub fn schedule(&self) -> &cron::Schedule {
        &self.schedule
    }
    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl FromStr for CronExpr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let fields = s.split_whitespace().count();
        let full = match fields {
            5 => format!("0 {s}"),
            6 | 7 => s.to_string(),
            n => {
                return Err(format!(
                    "invalid cron expression `{s}`: expected 5 fields (min hour day month weekday), got {n}"
                ));
            }
        };
        let schedule = cron::Schedule::from_str(&full)
            .map_err(|e| format!("invalid cron expression `{s}`: {e}"))?;
        Ok(Self {
            source: s.to_string(),
            schedule,
        })
    }
}

impl Serialize for CronExpr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for CronExpr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A mailbox such as `Name <address@example.org>` or a bare address, checked when read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Display name, if any.
    pub name: Option<String>,
    /// The address.
    pub email: SubscriberEmail,
}

impl FromStr for Mailbox {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (name, addr) = match (s.rfind('<'), s.ends_with('>')) {
            (Some(open), true) => {
                let name = s[..open].trim().trim_matches('"').trim();
                let name = (!name.is_empty()).then(|| name.to_string());
                (name, &s[open + 1..s.len() - 1])
            }
            _ => (None, s),
        };
        let email = SubscriberEmail::parse(addr).map_err(|e| e.to_string())?;
        Ok(Self { name, email })
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name} <{}>", self.email),
            None => write!(f, "{}", self.email),
        }
    }
}

impl Serialize for Mailbox {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Mailbox {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
