//! [`FeedUrl`]: an absolute http(s) URL of a feed.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

/// Why a string is not a feed URL.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FeedUrlError {
    /// Not a URL at all.
    #[error("`{input}` is not a valid URL: {reason}")]
    Invalid {
        /// What was given.
        input: String,
        /// The URL parser's reason.
        reason: String,
    },
    /// A URL with a scheme other than http or https.
    #[error("`{0}` is not an http or https URL")]
    Scheme(String),
    /// A URL without a host.
    #[error("`{0}` has no host")]
    NoHost(String),
}

/// An absolute `http`/`https` URL with a host. The fragment is dropped: it never reaches the
/// server and would make one feed look like two.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeedUrl(Url);

impl FeedUrl {
    /// Parses and checks a feed URL.
    pub fn parse(input: &str) -> Result<Self, FeedUrlError> {
        let trimmed = input.trim();
        let mut url = Url::parse(trimmed).map_err(|e| FeedUrlError::Invalid {
            input: trimmed.to_string(),
            reason: e.to_string(),
        })?;
        Self::check(&mut url, trimmed)?;
        Ok(Self(url))
    }

    /// Wraps an already parsed URL, with the same checks as [`FeedUrl::parse`].
    pub fn from_url(mut url: Url) -> Result<Self, FeedUrlError> {
        let shown = url.to_string();
        Self::check(&mut url, &shown)?;
        Ok(Self(url))
    }

    fn check(url: &mut Url, shown: &str) -> Result<(), FeedUrlError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FeedUrlError::Scheme(shown.to_string()));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(FeedUrlError::NoHost(shown.to_string()));
        }
        url.set_fragment(None);
        Ok(())
    }

    /// The URL.
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The host name (lower case), used for per-host politeness.
    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }
}

impl fmt::Display for FeedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl Serialize for FeedUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FeedUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        FeedUrl::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_http_and_https_only() {
        assert!(FeedUrl::parse("https://example.org/feed.xml").is_ok());
        assert!(FeedUrl::parse(" http://example.org/rss ").is_ok());
        assert!(matches!(
            FeedUrl::parse("ftp://example.org/f"),
            Err(FeedUrlError::Scheme(_))
        ));
        assert!(matches!(
            FeedUrl::parse("javascript:alert(1)"),
            Err(FeedUrlError::Scheme(_))
        ));
        assert!(matches!(
            FeedUrl::parse("example.org/feed"),
            Err(FeedUrlError::Invalid { .. })
        ));
    }

    #[test]
    fn drops_fragment_and_lowercases_host() {
        let u = FeedUrl::parse("https://Example.ORG/Feed#top").unwrap();
        assert_eq!(u.as_str(), "https://example.org/Feed");
        assert_eq!(u.host(), "example.org");
    }
}
