//! Typed settings: defaults in code → `config.toml` → `CHRONICLE_<SECTION>__<KEY>` environment
//! variables.
//!
//! Owns parsing and validating configuration and nothing else: no I/O beyond reading the file and
//! the environment. Every value is checked when the file is read (cron expressions, time zones,
//! URLs, e-mail addresses), so a typo fails at start with a message that names the key (and, for
//! the file, its line) instead of surfacing hours later in the scheduler.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::{FeedUrl, SubscriberEmail};

/// Prefix of environment variables that override configuration keys.
pub const ENV_PREFIX: &str = "CHRONICLE_";

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or holds an unknown key or a bad value.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// toml's message, which names the key and shows the line.
        message: String,
    },
    /// An environment override names an unknown key or holds a bad value.
    #[error("environment variable {var}: {message}")]
    Env {
        /// The variable's name.
        var: String,
        /// What is wrong with it.
        message: String,
    },
    /// A combination of keys is invalid.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// The whole configuration. Every section has defaults, so an empty file is valid.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// `[database]`
    pub database: DatabaseSettings,
    /// `[site]`
    pub site: SiteSettings,
    /// `[web]`
    pub web: WebSettings,
    /// `[fetch]`
    pub fetch: FetchSettings,
    /// `[digest]`
    pub digest: DigestSettings,
    /// `[smtp]`
    pub smtp: SmtpSettings,
    /// `[newsletter]`
    pub newsletter: NewsletterSettings,
    /// `[schedule]`
    pub schedule: ScheduleSettings,
    /// `[[feeds]]`: synced into the database at start.
    pub feeds: Vec<FeedSettings>,
}

/// `[database]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://path/to/file.db`; the folder is created on first use.
    pub url: String,
    /// Largest number of pooled connections.
    pub max_connections: u32,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: "sqlite://data/chronicle.db".into(),
            max_connections: 8,
        }
    }
}

/// `[site]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteSettings {
    /// The community's name, used in subjects, headers and pages.
    pub title: String,
    /// Public address of the web site; links in e-mails point here.
    pub base_url: url::Url,
    /// One line about the community, shown under the title.
    pub description: String,
    /// The organiser's contact line printed in every e-mail footer.
    pub contact: String,
}

impl Default for SiteSettings {
    fn default() -> Self {
        Self {
            title: "Chronicle".into(),
            base_url: url::Url::parse("http://localhost:8080/").expect("static URL"),
            description: "The week's posts from our community's blogs.".into(),
            contact: String::new(),
        }
    }
}

impl SiteSettings {
    /// An absolute link on the site, e.g. `link("digests/2026-W47")`.
    pub fn link(&self, path: &str) -> String {
        let base = self.base_url.as_str().trim_end_matches('/');
        format!("{base}/{}", path.trim_start_matches('/'))
    }
}

/// `[web]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSettings {
    /// Address the web server listens on; port 0 picks a free port.
    pub bind: String,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
        }
    }
}

/// `[fetch]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FetchSettings {
    /// Feeds fetched at once, across all hosts.
    pub concurrency: usize,
    /// Feeds fetched at once from one host.
    pub per_host: usize,
    /// Whole-request time limit in seconds (a host that trickles bytes is cut off).
    pub timeout_secs: u64,
    /// Time limit for opening the connection, in seconds.
    pub connect_timeout_secs: u64,
    /// Largest feed body accepted, in bytes.
    pub max_body_bytes: u64,
    /// `User-Agent` header; empty means `Chronicle/<version> (+<site.base_url>)`.
    pub user_agent: String,
    /// Allow feeds on loopback, private and link-local addresses (intranets, tests).
    pub allow_private_networks: bool,
    /// Minutes between two polls of a healthy feed.
    pub interval_minutes: u64,
    /// Shortest wait between two polls, in minutes, whatever a server asks.
    pub min_interval_minutes: u64,
    /// Longest wait between two polls, in minutes (`<ttl>`, `Cache-Control`, `Retry-After` and
    /// back-off are capped here).
    pub max_interval_minutes: u64,
    /// Consecutive errors after which a feed is marked failing and tried once a day.
    pub failing_after: u32,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            concurrency: 32,
            per_host: 2,
            timeout_secs: 30,
            connect_timeout_secs: 10,
            max_body_bytes: 10 * 1024 * 1024,
            user_agent: String::new(),
            allow_private_networks: false,
            interval_minutes: 60,
            min_interval_minutes: 15,
            max_interval_minutes: 24 * 60,
            failing_after: 10,
        }
    }
}

impl FetchSettings {
    /// Whole-request time limit.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
    /// Connect time limit.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }
    /// The base polling interval.
    pub fn interval(&self) -> Duration {
        Duration::from_secs(self.interval_minutes * 60)
    }
    /// The shortest wait between polls.
    pub fn min_interval(&self) -> Duration {
        Duration::from_secs(self.min_interval_minutes * 60)
    }
    /// The longest wait between polls.
    pub fn max_interval(&self) -> Duration {
        Duration::from_secs(self.max_interval_minutes.max(1) * 60)
    }
}

/// `[digest]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DigestSettings {
    /// IANA time zone in which weeks start and end.
    pub timezone: TimeZone,
    /// A folder with copies of the templates to use instead of the built-in ones.
    pub templates: Option<PathBuf>,
    /// Most stories in one digest.
    pub max_stories: usize,
    /// Words kept in a story's excerpt.
    pub excerpt_words: usize,
}

impl Default for DigestSettings {
    fn default() -> Self {
        Self {
            timezone: TimeZone(chrono_tz::UTC),
            templates: None,
            max_stories: 200,
            excerpt_words: 60,
        }
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text (a local relay or a test server).
    None,
    /// Plain connection upgraded with STARTTLS (usually port 587).
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

/// `[smtp]`
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpSettings {
    /// The relay's host name.
    pub host: String,
    /// The relay's port.
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    pub tls: SmtpTls,
    /// Login, if the relay wants one.
    pub username: Option<String>,
    /// Password; never printed.
    pub password: Option<String>,
    /// Seconds to wait for the relay.
    pub timeout_secs: u64,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            host: "localhost".into(),
            port: 587,
            tls: SmtpTls::Starttls,
            username: None,
            password: None,
            timeout_secs: 30,
        }
    }
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

/// `[newsletter]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewsletterSettings {
    /// `From:` address, e.g. `Tech Chronicle <digest@example.org>`.
    pub from: Mailbox,
    /// `Reply-To:` address, usually the organiser.
    pub reply_to: Option<Mailbox>,
}

impl Default for NewsletterSettings {
    fn default() -> Self {
        Self {
            from: Mailbox::from_str("Chronicle <newsletter@example.org>").expect("static mailbox"),
            reply_to: None,
        }
    }
}

/// `[schedule]`: when the daemon runs each job (cron, 5 or 6 fields, in `digest.timezone`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleSettings {
    /// Poll the feeds that are due.
    pub fetch: CronExpr,
    /// Build the digest of the week that just ended.
    pub digest: CronExpr,
    /// Send the digest of the week that just ended.
    pub send: CronExpr,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        Self {
            fetch: CronExpr::from_str("*/15 * * * *").expect("static cron"),
            digest: CronExpr::from_str("0 6 * * Mon").expect("static cron"),
            send: CronExpr::from_str("0 8 * * Mon").expect("static cron"),
        }
    }
}

/// One `[[feeds]]` table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSettings {
    /// The feed's address.
    pub url: FeedUrl,
    /// Title shown instead of the feed's own.
    pub title: Option<String>,
    /// Author used when an entry names none.
    pub author: Option<String>,
    /// Tags for grouping.
    #[serde(default)]
    pub tags: Vec<String>,
}

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

impl Settings {
    /// Loads `path` (a missing file means "all defaults") and applies `CHRONICLE_*` overrides from
    /// the process environment.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        Self::from_parts(path, &text, std::env::vars())
    }

    /// Builds settings from a file's text and a set of environment variables (testable core of
    /// [`Settings::load`]).
    pub fn from_parts(
        path: &Path,
        text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        // First the file alone, so that its errors carry line numbers.
        let settings: Settings = toml::from_str(text).map_err(|e| ConfigError::File {
            path: path.to_path_buf(),
            message: one_line(&e, text),
        })?;
        let overrides: BTreeMap<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with(ENV_PREFIX) && k.contains("__"))
            .collect();
        let settings = if overrides.is_empty() {
            settings
        } else {
            apply_env(settings, &overrides)?
        };
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.fetch.concurrency == 0 {
            return Err(ConfigError::Invalid(
                "fetch.concurrency must be at least 1".into(),
            ));
        }
        if self.fetch.per_host == 0 {
            return Err(ConfigError::Invalid(
                "fetch.per_host must be at least 1".into(),
            ));
        }
        if self.fetch.min_interval_minutes > self.fetch.max_interval_minutes {
            return Err(ConfigError::Invalid(format!(
                "fetch.min_interval_minutes ({}) is larger than fetch.max_interval_minutes ({})",
                self.fetch.min_interval_minutes, self.fetch.max_interval_minutes
            )));
        }
        if self.fetch.failing_after == 0 {
            return Err(ConfigError::Invalid(
                "fetch.failing_after must be at least 1".into(),
            ));
        }
        if self.fetch.timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "fetch.timeout_secs must be at least 1".into(),
            ));
        }
        if !matches!(self.site.base_url.scheme(), "http" | "https") {
            return Err(ConfigError::Invalid(format!(
                "site.base_url must be an http or https URL, got `{}`",
                self.site.base_url
            )));
        }
        if self.smtp.username.is_some() != self.smtp.password.is_some() {
            return Err(ConfigError::Invalid(
                "smtp.username and smtp.password go together: set both or neither".into(),
            ));
        }
        if !(self.database.url.starts_with("sqlite:")) {
            return Err(ConfigError::Invalid(format!(
                "database.url must start with `sqlite:` (PostgreSQL is not supported yet), got `{}`",
                redact_url(&self.database.url)
            )));
        }
        Ok(())
    }

    /// The `User-Agent` sent to feed hosts.
    pub fn user_agent(&self) -> String {
        if self.fetch.user_agent.trim().is_empty() {
            format!(
                "Chronicle/{} (+{})",
                env!("CARGO_PKG_VERSION"),
                self.site.base_url
            )
        } else {
            self.fetch.user_agent.clone()
        }
    }
}

/// toml's error as one line: `line 3, column 1: unknown field ...`.
fn one_line(e: &toml::de::Error, text: &str) -> String {
    let message = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// Applies `CHRONICLE_SECTION__KEY=value` overrides by editing the serialized settings and reading
/// them back, so the same types and checks apply as for the file.
fn apply_env(
    settings: Settings,
    overrides: &BTreeMap<String, String>,
) -> Result<Settings, ConfigError> {
    let toml::Value::Table(mut table) = toml::Value::try_from(&settings)
        .map_err(|e| ConfigError::Invalid(format!("cannot apply overrides: {e}")))?
    else {
        return Err(ConfigError::Invalid(
            "settings do not serialize to a table".into(),
        ));
    };
    for (var, raw) in overrides {
        let env_err = |message: String| ConfigError::Env {
            var: var.clone(),
            message,
        };
        let path = &var[ENV_PREFIX.len()..];
        let mut parts = path.split("__");
        let (Some(section), Some(key), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(env_err(
                "expected CHRONICLE_<SECTION>__<KEY>, e.g. CHRONICLE_SMTP__PORT".into(),
            ));
        };
        let (section, key) = (section.to_ascii_lowercase(), key.to_ascii_lowercase());
        let Some(toml::Value::Table(sect)) = table.get_mut(&section) else {
            return Err(env_err(format!("unknown section `{section}`")));
        };
        let value = match sect.get(&key) {
            Some(toml::Value::Integer(_)) => raw
                .trim()
                .parse::<i64>()
                .map(toml::Value::Integer)
                .map_err(|_| {
                    env_err(format!(
                        "{section}.{key} expects a whole number, got `{raw}`"
                    ))
                })?,
            Some(toml::Value::Boolean(_)) => match raw.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => toml::Value::Boolean(true),
                "false" | "0" | "no" | "off" => toml::Value::Boolean(false),
                _ => {
                    return Err(env_err(format!(
                        "{section}.{key} expects true or false, got `{raw}`"
                    )));
                }
            },
            Some(toml::Value::Array(_)) => toml::Value::Array(
                raw.split(',')
                    .map(|s| toml::Value::String(s.trim().into()))
                    .collect(),
            ),
            _ => toml::Value::String(raw.clone()),
        };
        sect.insert(key.clone(), value);
        // Read back after each override so an error names this variable.
        toml::Value::Table(table.clone())
            .try_into::<Settings>()
            .map_err(|e| env_err(e.message().trim().replace('\n', " ")))?;
    }
    toml::Value::Table(table)
        .try_into::<Settings>()
        .map_err(|e| ConfigError::Invalid(e.to_string()))
}

/// Hides a password in a connection URL before it is printed.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("redacted"));
            u.to_string()
        }
        _ => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_parts(
            Path::new("config.toml"),
            text,
            env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    #[test]
    fn empty_file_gives_defaults() {
        let s = load("", &[]).unwrap();
        assert_eq!(s.database.url, "sqlite://data/chronicle.db");
        assert_eq!(s.fetch.concurrency, 32);
        assert!(!s.fetch.allow_private_networks);
        assert_eq!(s.digest.timezone.0, chrono_tz::UTC);
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = load("[smtp]\nhost = \"x\"\nprot = 25\n", &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("prot"), "{err}");
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn bad_values_are_named() {
        let err = load("[smtp]\ntls = \"ssl\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("ssl") && err.contains("starttls"), "{err}");
        let err = load("[digest]\ntimezone = \"Mars/Olympus\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("Mars/Olympus"), "{err}");
        let err = load("[schedule]\nsend = \"every monday\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("cron") && err.contains("line 2"), "{err}");
        let err = load("[[feeds]]\nurl = \"ftp://x.org/feed\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("http"), "{err}");
    }

    #[test]
    fn env_overrides_file_and_is_typed() {
        let s = load(
            "[smtp]\nport = 587\n",
            &[
                ("CHRONICLE_SMTP__PORT", "2525"),
                ("CHRONICLE_SMTP__HOST", "mail.example.org"),
                ("CHRONICLE_FETCH__ALLOW_PRIVATE_NETWORKS", "true"),
                ("CHRONICLE_SMTP__PASSWORD", "123456"),
                ("CHRONICLE_SMTP__USERNAME", "bob"),
            ],
        )
        .unwrap();
        assert_eq!(s.smtp.port, 2525);
        assert_eq!(s.smtp.host, "mail.example.org");
        assert!(s.fetch.allow_private_networks);
        assert_eq!(s.smtp.password.as_deref(), Some("123456"));
        assert!(
            !format!("{s:?}").contains("123456"),
            "password must be redacted"
        );
    }

    #[test]
    fn env_errors_name_the_variable() {
        let err = load("", &[("CHRONICLE_SMTP__PORT", "lots")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("CHRONICLE_SMTP__PORT") && err.contains("lots"),
            "{err}"
        );
        let err = load("", &[("CHRONICLE_SMTP__PROT", "25")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("CHRONICLE_SMTP__PROT") && err.contains("prot"),
            "{err}"
        );
        let err = load("", &[("CHRONICLE_NOPE__X", "1")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown section"), "{err}");
    }

    #[test]
    fn the_sample_config_is_valid_and_lists_real_feeds() {
        let s = load(include_str!("../config.toml"), &[]).unwrap();
        assert!(s.feeds.len() >= 5);
        assert!(
            s.feeds
                .iter()
                .all(|f| f.url.as_str().starts_with("https://"))
        );
    }

    #[test]
    fn five_field_cron_is_accepted() {
        let c = CronExpr::from_str("30 7 * * Mon").unwrap();
        assert_eq!(c.as_str(), "30 7 * * Mon");
        assert!(CronExpr::from_str("* *").is_err());
    }

    #[test]
    fn mailbox_parses_name_and_address() {
        let m = Mailbox::from_str("Tech Chronicle <news@example.org>").unwrap();
        assert_eq!(m.name.as_deref(), Some("Tech Chronicle"));
        assert_eq!(m.email.as_ref(), "news@example.org");
        assert!(Mailbox::from_str("not an address").is_err());
    }
}
