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
        if let Some(hash) = &self.password_hash {
            if argon2::PasswordHash::new(hash.trim()).is_err() {
                return Err(ConfigError::Invalid(
                    "admin.password_hash is not a PHC string like $argon2id$v=19$...: make one \
                     with `chronicle admin hash-password`"
                        .into(),
                ));
            }
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
