//! `fetch.proxy`: the one way feeds are fetched through a proxy. The environment's
//! `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` are never used (see `ingest::fetch`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::env::redact_url;

/// An HTTP(S) proxy for every feed request. Through a proxy the SSRF guard cannot see which
/// address a host name leads to (the proxy resolves it), so setting one bypasses the guard for
/// names; literal addresses in feed URLs are still refused.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl(url::Url);

impl ProxyUrl {
    /// The proxy's URL, credentials included.
    pub fn url(&self) -> &url::Url {
        &self.0
    }
}

impl FromStr for ProxyUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let url = url::Url::parse(s.trim())
            .map_err(|e| format!("fetch.proxy `{}` is not a URL: {e}", redact_url(s)))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(format!(
                "fetch.proxy must be an http:// or https:// URL with a host, got `{}`",
                redact_url(s)
            ));
        }
        Ok(Self(url))
    }
}

/// Shows the URL with its password hidden, so settings can be logged.
impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyUrl({})", redact_url(self.0.as_str()))
    }
}

impl Serialize for ProxyUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for ProxyUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
