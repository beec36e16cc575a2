//! HTTP only: conditional GET, redirects, limits and plain-words errors. Knows nothing of feeds'
//! formats or of the store.

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{StatusCode, redirect};
use url::Url;

use super::guard::{PublicOnlyResolver, refusal, why_forbidden};
use crate::config::Settings;
use crate::domain::FeedUrl;

/// Most redirects followed for one fetch.
pub const MAX_REDIRECTS: usize = 5;

/// A failed fetch, in words an organiser understands.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    /// Non-success HTTP status.
    #[error("HTTP {status}{}", reason.map(|r| format!(" {r}")).unwrap_or_default())]
    Status {
        /// The status code.
        status: u16,
        /// Its reason phrase.
        reason: Option<&'static str>,
        /// `Retry-After`, when the server sent one.
        retry_after: Option<DateTime<Utc>>,
    },
    /// 410 Gone: the feed is gone for good.
    #[error("HTTP 410 Gone: the feed was removed")]
    Gone,
    /// Too many redirects, or a loop.
    #[error("{0}")]
    Redirect(String),
    /// The address is not allowed (SSRF guard, scheme).
    #[error("{0}")]
    Refused(String),
    /// Network trouble: DNS, connect, TLS, timeout, reset.
    #[error("{0}")]
    Network(String),
    /// The body is larger than the limit.
    #[error("feed larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
}

impl FetchError {
    /// The HTTP status, if the server answered.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            Self::Gone => Some(410),
            _ => None,
        }
    }
}

/// What came back.
#[derive(Debug)]
pub enum Fetched {
    /// 304: the stored copy is current.
    NotModified {
        /// How long the server says the copy stays fresh (`Cache-Control: max-age`, `Expires`).
        fresh_for: Option<Duration>,
    },
    /// A body to parse.
    Body(Box<Response>),
}

/// A successful response.
#[derive(Debug)]
pub struct Response {
    /// The body, decompressed.
    pub body: Vec<u8>,
    /// Final status (200..299).
    pub status: u16,
    /// `ETag` to send next time.
    pub etag: Option<String>,
    /// `Last-Modified` to send next time.
    pub last_modified: Option<String>,
    /// `Content-Type`, for charset and HTML detection.
    pub content_type: Option<String>,
    /// The URL the body came from after redirects.
    pub final_url: Url,
    /// What relative URLs in the body resolve against: `Content-Location` (resolved against
    /// the final URL) when the server sends one, else the final URL.
    pub base_url: Url,
    /// Where the feed moved permanently (every hop was 301 or 308).
    pub moved_to: Option<FeedUrl>,
    /// How long the server says the body stays fresh (`Cache-Control: max-age`, `Expires`).
    pub fresh_for: Option<Duration>,
}

/// An HTTP client configured once for the whole process.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    max_body: u64,
    allow_private: bool,
    timeout_secs: u64,
}

impl Fetcher {
    /// Builds the client from `[fetch]` settings.
    pub fn new(settings: &Settings) -> Result<Self, reqwest::Error> {
        let f = &settings.fetch;
        let mut builder = reqwest::Client::builder()
            .user_agent(settings.user_agent())
            .redirect(redirect::Policy::none())
            .timeout(f.timeout())
            .connect_timeout(f.connect_timeout())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(f.per_host);
        builder = match &f.proxy {
            // The proxy resolves names and connects, so the resolver below would judge only the
            // proxy's own address: an explicit proxy is documented as bypassing the guard for
            // names (literal addresses are still checked in `check_target`).
            Some(proxy) => builder.proxy(reqwest::Proxy::all(proxy.url().clone())?),
            // Never a proxy from HTTP(S)_PROXY / ALL_PROXY: through one, the guard would never
            // see the address the request goes to.
            None => builder.no_proxy(),
        };
        if !f.allow_private_networks && f.proxy.is_none() {
            builder = builder.dns_resolver(Arc::new(PublicOnlyResolver));
        }
        Ok(Self {
            client: builder.build()?,
            max_body: f.max_body_bytes,
            allow_private: f.allow_private_networks,
            timeout_secs: f.timeout_secs,
        })
    }

    /// GETs `url`, conditionally when `etag`/`last_modified` are known, following up to
    /// [`MAX_REDIRECTS`] redirects (each hop checked by the SSRF guard).
    #[tracing::instrument(skip_all, fields(feed_url = %url), err(level = "debug"))]
    pub async fn get(
        &self,
        url: &FeedUrl,
        etag: Option<&str>,
        last_modified: Option<&str>,
    ) -> Result<Fetched, FetchError> {
        let mut current = url.url().clone();
        let mut seen = vec![current.clone()];
        let mut permanent = true;
        for _hop in 0..=MAX_REDIRECTS {
            self.check_target(&current)?;
            let mut headers = HeaderMap::new();
            headers.insert(
                header::ACCEPT,
                HeaderValue::from_static(
                    "application/atom+xml, application/rss+xml, application/feed+json, \
                     application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
                ),
            );
            if let Some(v) = etag.and_then(|e| HeaderValue::from_str(e).ok()) {
                headers.insert(header::IF_NONE_MATCH, v);
            }
            if let Some(v) = last_modified.and_then(|e| HeaderValue::from_str(e).ok()) {
                headers.insert(header::IF_MODIFIED_SINCE, v);
            }
            let resp = self
                .client
                .get(current.clone())
                .headers(headers)
                .send()
                .await
                .map_err(|e| describe(&e, self.timeout_secs))?;
            let status = resp.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let location = resp
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .ok_or_else(|| {
                        FetchError::Redirect(format!(
                            "HTTP {} without a Location header",
                            status.as_u16()
                        ))
                    })?;
                let next = current.join(location).map_err(|e| {
                    FetchError::Redirect(format!("redirect to an invalid URL `{location}`: {e}"))
                })?;
                if seen.contains(&next) {
                    return Err(FetchError::Redirect(format!("redirect loop at {next}")));
                }
                permanent &= matches!(
                    status,
                    StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                );
                seen.push(next.clone());
                current = next;
                continue;
            }
            if status == StatusCode::NOT_MODIFIED {
                return Ok(Fetched::NotModified {
                    fresh_for: freshness(resp.headers(), Utc::now()),
                });
            }
            if status == StatusCode::GONE {
                return Err(FetchError::Gone);
            }
            if !status.is_success() {
                return Err(FetchError::Status {
                    status: status.as_u16(),
                    reason: status.canonical_reason(),
                    retry_after: retry_after(resp.headers(), Utc::now()),
                });
            }
            let header_str = |name| {
                resp.headers()
                    .get(name)
                    .and_then(|v: &HeaderValue| v.to_str().ok())
                    .map(str::to_string)
            };
            let etag = header_str(header::ETAG);
            let last_modified = header_str(header::LAST_MODIFIED);
            let content_type = header_str(header::CONTENT_TYPE);
            let fresh_for = freshness(resp.headers(), Utc::now());
            let moved_to = (permanent && seen.len() > 1)
                .then(|| FeedUrl::from_url(current.clone()).ok())
                .flatten();
            let base_url = header_str(header::CONTENT_LOCATION)
                .and_then(|l| current.join(l.trim()).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .unwrap_or_else(|| current.clone());
            let body = self.read_body(resp).await?;
            return Ok(Fetched::Body(Box::new(Response {
                base_url,
                body,
                status: status.as_u16(),
                etag,
                last_modified,
                content_type,
                final_url: current,
                moved_to,
                fresh_for,
            })));
        }
        Err(FetchError::Redirect(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }

    fn check_target(&self, url: &Url) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Refused(format!(
                "refused: {url} is not an http or https URL"
            )));
        }
        if self.allow_private {
            return Ok(());
        }
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        };
        match literal.and_then(|ip| Some((ip, why_forbidden(ip)?))) {
            Some((ip, why)) => Err(FetchError::Refused(refusal(&ip.to_string(), ip, &why))),
            None => Ok(()),
        }
    }

    async fn read_body(&self, mut resp: reqwest::Response) -> Result<Vec<u8>, FetchError> {
        let limit = self.max_body;
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(FetchError::TooLarge { limit });
        }
        let mut body =
            Vec::with_capacity(resp.content_length().unwrap_or(64 * 1024).min(limit) as usize);
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| describe(&e, self.timeout_secs))?
        {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(FetchError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// Reads `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let v = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u32>() {
        return Some(now + chrono::Duration::seconds(i64::from(secs)));
    }
    DateTime::parse_from_rfc2822(v)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// How long a response stays fresh: `Cache-Control: max-age` (or `s-maxage`), else `Expires`.
pub fn freshness(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let cc = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|d| {
            let (k, v) = d.trim().split_once('=')?;
            matches!(
                k.trim().to_ascii_lowercase().as_str(),
                "max-age" | "s-maxage"
            )
            .then(|| v.trim().trim_matches('"').parse::<u64>().ok())
            .flatten()
        })
        .max();
    if let Some(secs) = cc {
        return Some(Duration::from_secs(secs));
    }
    let expires = headers.get(header::EXPIRES)?.to_str().ok()?;
    let at = DateTime::parse_from_rfc2822(expires.trim()).ok()?;
    (at.with_timezone(&Utc) - now).to_std().ok()
}

/// Turns a reqwest error into plain words by looking at its causes.
fn describe(e: &reqwest::Error, timeout_secs: u64) -> FetchError {
    let mut causes = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    // Our own resolver's refusal: show it as it is.
    if let Some(refused) = causes
        .iter()
        .find_map(|c| c.find("refused:").map(|i| &c[i..]))
    {
        return FetchError::Refused(refused.to_string());
    }
    let chain = causes
        .iter()
        .map(|c| c.to_lowercase() + " | ")
        .collect::<String>();
    let words = if e.is_timeout() || chain.contains("timed out") {
        format!("timed out after {timeout_secs} s")
    } else if chain.contains("expired") && chain.contains("certificate") {
        "TLS certificate expired".into()
    } else if chain.contains("certificate") || chain.contains("unknownissuer") {
        "TLS certificate not trusted".into()
    } else if chain.contains("failed to lookup")
        || chain.contains("name or service not known")
        || chain.contains("no address")
        || chain.contains("dns error")
    {
        "host name not found".into()
    } else if chain.contains("connection refused") {
        "connection refused".into()
    } else if chain.contains("connection reset") {
        "connection reset by the server".into()
    } else if e.is_decode() || e.is_body() {
        format!("broken response body ({})", chain.trim_end_matches(" | "))
    } else if e.is_connect() {
        format!("cannot connect ({})", chain.trim_end_matches(" | "))
    } else {
        format!("network error ({})", chain.trim_end_matches(" | "))
    };
    FetchError::Network(words)
}

#[cfg(test)]
mod tests;
