//! Typed settings: defaults in code → `config.toml` → `CHRONICLE_<SECTION>__<KEY>` environment
//! variables.
//!
//! Owns parsing and validating configuration and nothing else: no I/O beyond reading the file and
//! the environment. Every value is checked when the file is read (cron expressions, time zones,
//! URLs, e-mail addresses), so a typo fails at start with a message that names the key (and, for
//! the file, its line) instead of surfacing hours later in the scheduler.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::domain::FeedUrl;

mod delivery;
mod digest;
mod env;
mod fetch_proxy;
mod monitor;
mod readers;
mod service;
mod values;

pub use delivery::{DeliverySettings, DkimSettings, SmtpSettings, SmtpTls};
pub use digest::{DigestSettings, GroupBy, StoryOrder};
pub use env::redact_url;
use env::{apply_env, one_line};
pub use fetch_proxy::ProxyUrl;
pub use monitor::{AdminSettings, MetricsSettings};
pub use readers::{SubscribeSettings, TrustedProxy};
pub use service::{LogFormat, LogSettings, ServeSettings, StoreSettings};
pub use values::{CronExpr, Mailbox, TimeZone, WeekStart};

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
    /// `[subscribe]`: double opt-in and its limits.
    pub subscribe: SubscribeSettings,
    /// `[delivery]`: retries, bounces and leases of a send run.
    pub delivery: DeliverySettings,
    /// `[dkim]`: signing the digest e-mail.
    pub dkim: DkimSettings,
    /// `[serve]`: graceful shutdown.
    pub serve: ServeSettings,
    /// `[log]`: log format.
    pub log: LogSettings,
    /// `[store]`: housekeeping.
    pub store: StoreSettings,
    /// `[metrics]`: who may read `/metrics`.
    pub metrics: MetricsSettings,
    /// `[admin]`: the organiser's dashboard.
    pub admin: AdminSettings,
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
    /// Proxies (addresses or networks) whose `X-Forwarded-For` names the real client; from
    /// anyone else the header is ignored.
    pub trusted_proxies: Vec<TrustedProxy>,
    /// Seconds a client has to send a request's headers (slow clients holding connections
    /// open are cut off).
    pub header_timeout_secs: u64,
    /// Seconds a request may take from its headers to its answer, body included.
    pub request_timeout_secs: u64,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            trusted_proxies: Vec::new(),
            header_timeout_secs: 10,
            request_timeout_secs: 30,
        }
    }
}

impl WebSettings {
    /// [`WebSettings::header_timeout_secs`], at least one second.
    pub fn header_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.header_timeout_secs.max(1))
    }

    /// [`WebSettings::request_timeout_secs`], at least one second.
    pub fn request_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.request_timeout_secs.max(1))
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
    /// Fetch every feed through this HTTP(S) proxy. Unset (the default), no proxy is used, not
    /// even one named by `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY`. A proxy resolves host names
    /// itself, so setting one bypasses the private-address guard for names.
    pub proxy: Option<ProxyUrl>,
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
            proxy: None,
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

/// `[newsletter]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewsletterSettings {
    /// `From:` address, e.g. `Tech Chronicle <digest@example.org>`.
    pub from: Mailbox,
    /// `Reply-To:` address, usually the organiser.
    pub reply_to: Option<Mailbox>,
    /// Where `List-Unsubscribe`'s `mailto:` asks readers' mail programs to write (default: the
    /// From address). Pipe that address's mail into `chronicle unsubscribe-mail`.
    pub unsubscribe_address: Option<Mailbox>,
}

impl Default for NewsletterSettings {
    fn default() -> Self {
        Self {
            from: Mailbox::from_str("Chronicle <newsletter@example.org>").expect("static mailbox"),
            reply_to: None,
            unsubscribe_address: None,
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
    /// Housekeeping: prune old entries (daily).
    pub prune: CronExpr,
    /// A digest or send whose time passed while the daemon was down runs at start if it was
    /// due at most this many hours ago; an older one is reported, not done.
    pub catch_up_hours: u64,
    /// Seconds a job's lease lasts without a heartbeat (another process may take the job over
    /// after that).
    pub lease_secs: u64,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        Self {
            fetch: CronExpr::from_str("*/30 * * * *").expect("static cron"),
            digest: CronExpr::from_str("0 7 * * Mon").expect("static cron"),
            send: CronExpr::from_str("0 8 * * Mon").expect("static cron"),
            prune: CronExpr::from_str("30 3 * * *").expect("static cron"),
            catch_up_hours: 24,
            lease_secs: 60,
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
        if self.schedule.lease_secs < 3 {
            return Err(ConfigError::Invalid(
                "schedule.lease_secs must be at least 3".into(),
            ));
        }
        self.digest.validate()?;
        self.subscribe.validate()?;
        self.admin.validate()?;
        delivery::validate(self)?;
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

#[cfg(test)]
mod tests;
