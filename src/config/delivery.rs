//! `[smtp]` (the relay: address, security, login, connections, rate limits), `[delivery]`
//! (retries, bounces, the run's heartbeat) and `[dkim]` (signing). Every key of the first
//! `[smtp]` section keeps its meaning; the new ones have defaults.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{ConfigError, Settings};

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
    /// Password; never printed. `CHRONICLE_SMTP__PASSWORD` keeps it out of the file.
    pub password: Option<String>,
    /// Seconds to wait for the relay (each command, each reply).
    pub timeout_secs: u64,
    /// Messages in flight at once, each on its own pooled connection.
    pub concurrency: usize,
    /// Most messages handed to the relay per second; 0 = no limit.
    pub rate_per_second: u32,
    /// Most messages handed to the relay per hour; 0 = no limit.
    pub rate_per_hour: u32,
    /// A PEM file of extra certificate authorities to trust (a relay with a private CA).
    pub ca_file: Option<PathBuf>,
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
            concurrency: 8,
            rate_per_second: 0,
            rate_per_hour: 0,
            ca_file: None,
        }
    }
}

impl SmtpSettings {
    /// The time limit of one SMTP command.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs.max(1))
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
            .field("concurrency", &self.concurrency)
            .field("rate_per_second", &self.rate_per_second)
            .field("rate_per_hour", &self.rate_per_hour)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

/// `[delivery]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliverySettings {
    /// Attempts after which a delivery that keeps failing for a passing reason is given up.
    pub max_attempts: u32,
    /// First wait before a retry, in seconds; doubled after each failed attempt, with jitter.
    pub retry_base_secs: u64,
    /// Longest wait between two attempts of one delivery, in seconds.
    pub retry_max_secs: u64,
    /// Consecutive hard bounces (5xx) after which a subscriber is `bouncing` and skipped.
    pub bounce_limit: u32,
    /// Seconds a run waits for deferred deliveries that come due before it stops (the rest
    /// waits for the next `send` or the daemon).
    pub wait_secs: u64,
    /// Seconds the relay may stay unreachable before a run stops.
    pub relay_down_secs: u64,
    /// Seconds between two heartbeats of a run.
    pub heartbeat_secs: u64,
    /// Seconds without a heartbeat after which a run on another machine counts as dead and its
    /// deliveries are taken over (a dead run on this machine is taken over at once).
    pub stale_after_secs: u64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            retry_base_secs: 60,
            retry_max_secs: 3600,
            bounce_limit: 3,
            wait_secs: 120,
            relay_down_secs: 30,
            heartbeat_secs: 2,
            stale_after_secs: 20,
        }
    }
}

/// `[dkim]`: signing is on when `key_file` is set.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DkimSettings {
    /// The selector published in DNS (`<selector>._domainkey.<domain>`).
    pub selector: Option<String>,
    /// The signing domain (`d=`); usually the `From:` address's domain.
    pub domain: Option<String>,
    /// A PEM file holding the RSA private key (PKCS#1 or PKCS#8).
    pub key_file: Option<PathBuf>,
}

/// Checks `[smtp]`, `[delivery]` and `[dkim]` together.
pub(super) fn validate(s: &Settings) -> Result<(), ConfigError> {
    let bad = |m: String| Err(ConfigError::Invalid(m));
    if s.smtp.username.is_some() != s.smtp.password.is_some() {
        return bad("smtp.username and smtp.password go together: set both or neither".into());
    }
    if s.smtp.concurrency == 0 || s.smtp.concurrency > 512 {
        return bad(format!(
            "smtp.concurrency must be between 1 and 512, got {}",
            s.smtp.concurrency
        ));
    }
    for (key, v) in [
        ("delivery.max_attempts", u64::from(s.delivery.max_attempts)),
        ("delivery.bounce_limit", u64::from(s.delivery.bounce_limit)),
        ("delivery.heartbeat_secs", s.delivery.heartbeat_secs),
    ] {
        if v == 0 {
            return bad(format!("{key} must be at least 1"));
        }
    }
    if s.delivery.stale_after_secs < 2 * s.delivery.heartbeat_secs {
        return bad(format!(
            "delivery.stale_after_secs ({}) must be at least twice delivery.heartbeat_secs ({})",
            s.delivery.stale_after_secs, s.delivery.heartbeat_secs
        ));
    }
    let d = &s.dkim;
    let set = [
        d.selector.is_some(),
        d.domain.is_some(),
        d.key_file.is_some(),
    ];
    if set.iter().any(|b| *b) && !set.iter().all(|b| *b) {
        return bad(
            "dkim.selector, dkim.domain and dkim.key_file go together: set all three or none"
                .into(),
        );
    }
    Ok(())
}
