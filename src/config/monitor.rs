//! `[metrics]` and `[admin]`: who may read `/metrics`, and how the organiser signs in to the
//! dashboard. Both hold secrets, so their `Debug` prints `[redacted]` instead.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{ConfigError, TrustedProxy};

/// `[metrics]`: the Prometheus endpoint's access rules.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSettings {
    /// Networks (or addresses) allowed to read `/metrics` without a token; the client's address
    /// is found as for the rate limits (`web.trusted_proxies`).
    pub allow: Vec<TrustedProxy>,
    /// A bearer token that opens `/metrics` from anywhere (`Authorization: Bearer <token>`).
    pub token: Option<String>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            allow: vec![
                "127.0.0.0/8".parse().expect("static network"),
                "::1".parse().expect("static address"),
            ],
            token: None,
        }
    }
}

impl fmt::Debug for MetricsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsSettings")
            .field("allow", &self.allow)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// `[admin]`: the organiser's dashboard at `/admin`. Off unless a password is set.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSettings {
    /// The password's argon2 hash as a PHC string (`chronicle admin hash-password` makes one).
    pub password_hash: Option<String>,
    /// The password in clear (or `CHRONICLE_ADMIN__PASSWORD`); hashed at start and then
    /// forgotten. `password_hash` wins when both are set.
    pub password: Option<String>,
    /// Hours a sign-in lasts.
    pub session_hours: u64,
    /// Sign-in attempts allowed per client address per minute.
    pub login_attempts_per_minute: u32,
}

impl Default for AdminSettings {
    fn default() -> Self {
        Self {
            password_hash: None,
            password: None,
            session_hours: 12,
            login_attempts_per_minute: 5,
        }
    }
}

impl fmt::Debug for AdminSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| "[redacted]");
        f.debug_struct("AdminSettings")
            .field("password_hash", &hidden(&self.password_hash))
            .field("password", &hidden(&self.password))
            .field("session_hours", &self.session_hours)
            .field("login_attempts_per_minute", &self.login_attempts_per_minute)
            .finish()
    }
}

impl AdminSettings {
    /// Checks the values: a hash must be a PHC string, the limits at least 1.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(hash) = &self.password_hash
            && argon2::PasswordHash::new(hash.trim()).is_err()
        {
            return Err(ConfigError::Invalid(
                "admin.password_hash is not a PHC string like $argon2id$v=19$...: make one \
                     with `chronicle admin hash-password`"
                    .into(),
            ));
        }
        if self.password.as_deref().is_some_and(|p| p.is_empty()) {
            return Err(ConfigError::Invalid(
                "admin.password is empty: set a password or remove the key".into(),
            ));
        }
        if self.session_hours == 0 || self.login_attempts_per_minute == 0 {
            return Err(ConfigError::Invalid(
                "admin.session_hours and admin.login_attempts_per_minute must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn load(text: &str, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_parts(
            std::path::Path::new("config.toml"),
            text,
            env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    #[test]
    fn secrets_come_from_the_environment_and_bad_networks_are_named() {
        let s = load(
            "",
            &[
                ("CHRONICLE_ADMIN__PASSWORD", "from env"),
                ("CHRONICLE_METRICS__TOKEN", "t0ken"),
                ("CHRONICLE_METRICS__ALLOW", "10.0.0.0/8, fd00::/8"),
            ],
        )
        .unwrap();
        assert_eq!(s.admin.password.as_deref(), Some("from env"));
        assert_eq!(s.metrics.token.as_deref(), Some("t0ken"));
        let ip = |a: &str| a.parse::<std::net::IpAddr>().unwrap();
        assert!(s.metrics.allow.iter().any(|n| n.contains(ip("10.9.8.7"))));
        assert!(s.metrics.allow.iter().any(|n| n.contains(ip("fd00::1"))));
        assert!(!s.metrics.allow.iter().any(|n| n.contains(ip("127.0.0.1"))));
        let defaults = load("", &[]).unwrap();
        assert!(
            defaults
                .metrics
                .allow
                .iter()
                .any(|n| n.contains(ip("127.0.0.1")))
        );
        assert!(defaults.metrics.allow.iter().any(|n| n.contains(ip("::1"))));
        assert!(
            !defaults
                .metrics
                .allow
                .iter()
                .any(|n| n.contains(ip("192.168.1.1")))
        );
        assert!(defaults.admin.password.is_none() && defaults.admin.password_hash.is_none());
        let err = load("[metrics]\nallow = [\"10.0.0.0/33\"]\n", &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2") && err.contains("10.0.0.0/33"),
            "{err}"
        );
        let err = load("[admin]\nsession_hours = 0\n", &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("admin.session_hours"), "{err}");
    }

    #[test]
    fn secrets_are_redacted_and_bad_hashes_refused() {
        let a = AdminSettings {
            password: Some("hunter2".into()),
            password_hash: Some(
                "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
            ),
            ..AdminSettings::default()
        };
        assert!(!format!("{a:?}").contains("hunter2"));
        assert!(a.validate().is_ok());
        let bad = AdminSettings {
            password_hash: Some("hunter2".into()),
            ..AdminSettings::default()
        };
        assert!(bad.validate().unwrap_err().to_string().contains("PHC"));
        let m = MetricsSettings {
            token: Some("s3cret".into()),
            ..MetricsSettings::default()
        };
        assert!(!format!("{m:?}").contains("s3cret"));
    }
}
