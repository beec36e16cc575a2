//! `[subscribe]` and `web.trusted_proxies`: how readers sign up, and whom to believe about a
//! client's address.

use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[subscribe]`: double opt-in and its limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SubscribeSettings {
    /// Hours a confirmation link stays valid.
    pub confirm_hours: u64,
    /// Shortest wait, in minutes, between two confirmation mails to one address.
    pub mail_interval_minutes: u64,
    /// Most confirmation mails to one address in 24 hours.
    pub mails_per_day: u32,
    /// Most `POST /subscribe` requests from one client address per minute.
    pub requests_per_minute: u32,
}

impl Default for SubscribeSettings {
    fn default() -> Self {
        Self {
            confirm_hours: 48,
            mail_interval_minutes: 10,
            mails_per_day: 5,
            requests_per_minute: 10,
        }
    }
}

impl SubscribeSettings {
    /// Checks the values.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.confirm_hours == 0 {
            return Err(ConfigError::Invalid(
                "subscribe.confirm_hours must be at least 1".into(),
            ));
        }
        if self.mails_per_day == 0 || self.requests_per_minute == 0 {
            return Err(ConfigError::Invalid(
                "subscribe.mails_per_day and subscribe.requests_per_minute must be at least 1"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// A proxy whose `X-Forwarded-For` is believed: an address (`10.0.0.1`) or a network
/// (`10.0.0.0/8`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy(ipnet::IpNet);

impl TrustedProxy {
    /// Whether `ip` is this proxy (or in its network).
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip)
    }
}

impl FromStr for TrustedProxy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Ok(net) = s.parse::<ipnet::IpNet>() {
            return Ok(Self(net.trunc()));
        }
        s.parse::<IpAddr>()
            .map(|ip| Self(ipnet::IpNet::from(ip)))
            .map_err(|_| format!("`{s}` is not an IP address or a network like 10.0.0.0/8"))
    }
}

impl Serialize for TrustedProxy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TrustedProxy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_are_addresses_or_networks() {
        let one: TrustedProxy = "127.0.0.1".parse().unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        let net: TrustedProxy = "10.1.2.3/8".parse().unwrap();
        assert!(net.contains("10.200.0.1".parse().unwrap()));
        assert!(!net.contains("11.0.0.1".parse().unwrap()));
        assert!("proxy.local".parse::<TrustedProxy>().is_err());
    }
}
