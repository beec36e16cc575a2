//! The connection to the SMTP relay: up to `smtp.concurrency` reused connections for the
//! process (a new connection per message costs the relay a TCP and TLS handshake and an EHLO:
//! smtp-sink takes half as many messages a second that way; see [`super::relay`]), and the rate
//! limits of `smtp.rate_per_second` and `smtp.rate_per_hour` (governor).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use lettre::Message;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};

use super::relay::{Connections, Refused, Relay};

use crate::config::{SmtpSettings, SmtpTls};

/// A send that did not go through.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The relay refused for good (5xx): retrying will not help.
    #[error("rejected by the SMTP server: {0}")]
    Permanent(String),
    /// A passing problem (4xx, a timeout, a connection lost mid-message): retry later.
    #[error("SMTP delivery failed, will retry: {0}")]
    Transient(String),
    /// The relay could not be reached (connection refused, TLS failed): the message never
    /// left, and the relay may be down.
    #[error("cannot reach the SMTP server: {0}")]
    Unreachable(String),
    /// The transport could not be set up.
    #[error("SMTP configuration: {0}")]
    Config(String),
}

/// Sends messages through the configured relay.
#[derive(Clone)]
pub struct Mailer {
    connections: Arc<Connections>,
    timeout: Duration,
    per_second: Option<Arc<DefaultDirectRateLimiter>>,
    per_hour: Option<Arc<DefaultDirectRateLimiter>>,
    /// `host:port`, for messages.
    pub relay: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mailer({})", self.relay)
    }
}

fn limiter(quota: Option<Quota>) -> Option<Arc<DefaultDirectRateLimiter>> {
    quota.map(|q| Arc::new(RateLimiter::direct(q)))
}

impl Mailer {
    /// Builds the transport from `[smtp]`. Does not connect yet.
    pub fn new(s: &SmtpSettings) -> Result<Self, SendError> {
        let config = |e: String| SendError::Config(e);
        let tls = || -> Result<TlsParameters, SendError> {
            let mut b = TlsParameters::builder(s.host.clone());
            if let Some(path) = &s.ca_file {
                let pem = std::fs::read(path)
                    .map_err(|e| config(format!("smtp.ca_file {}: {e}", path.display())))?;
                let cert = Certificate::from_pem(&pem)
                    .map_err(|e| config(format!("smtp.ca_file {}: {e}", path.display())))?;
                b = b.add_root_certificate(cert);
            }
            b.build_rustls().map_err(|e| config(e.to_string()))
        };
        let relay = Relay {
            host: s.host.clone(),
            port: s.port,
            timeout: s.timeout(),
            tls: match s.tls {
                SmtpTls::None => Tls::None,
                SmtpTls::Starttls => Tls::Required(tls()?),
                SmtpTls::Tls => Tls::Wrapper(tls()?),
            },
            credentials: match (&s.username, &s.password) {
                (Some(user), Some(pass)) => Some(Credentials::new(user.clone(), pass.clone())),
                _ => None,
            },
        };
        let per_second = NonZeroU32::new(s.rate_per_second).map(Quota::per_second);
        let per_hour = NonZeroU32::new(s.rate_per_hour).map(Quota::per_hour);
        Ok(Self {
            connections: Arc::new(Connections::new(relay, s.concurrency)),
            timeout: s.timeout(),
            per_second: limiter(per_second),
            per_hour: limiter(per_hour),
            relay: format!("{}:{}", s.host, s.port),
        })
    }

    /// Waits until the rate limits let one more message go.
    pub async fn ready(&self) {
        if let Some(l) = &self.per_hour {
            l.until_ready().await;
        }
        if let Some(l) = &self.per_second {
            l.until_ready().await;
        }
    }

    /// Sends one message (after the rate limits). Returns the relay's reply on acceptance.
    pub async fn send(&self, message: &Message) -> Result<String, SendError> {
        self.ready().await;
        self.send_now(message).await
    }

    /// Sends one message now: the caller has waited for [`Mailer::ready`].
    /// Every exchange with the relay is bounded by `smtp.timeout_secs`; a relay that stalls
    /// defers the message (it may have arrived: the retry carries the same Message-ID).
    pub async fn send_now(&self, message: &Message) -> Result<String, SendError> {
        let raw = message.formatted();
        let sending = self.connections.send(message.envelope(), &raw);
        match tokio::time::timeout(self.timeout, sending).await {
            Ok(Ok(resp)) => Ok(format!(
                "{} {}",
                resp.code(),
                resp.message().collect::<Vec<_>>().join(" ")
            )),
            Ok(Err(Refused::Smtp(e))) => Err(classify(&e)),
            Ok(Err(Refused::Unsupported(m))) => Err(SendError::Config(m)),
            Err(_) => Err(SendError::Transient(self.timed_out())),
        }
    }

    fn timed_out(&self) -> String {
        format!(
            "no reply from the SMTP server {} within smtp.timeout_secs = {} s",
            self.relay,
            self.timeout.as_secs()
        )
    }

    /// Checks that the relay answers (and accepts our login).
    pub async fn test_connection(&self) -> Result<(), SendError> {
        match tokio::time::timeout(self.timeout, self.connections.check()).await {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err(SendError::Unreachable(
                "the SMTP server did not answer NOOP".into(),
            )),
            Ok(Err(e)) => Err(match classify(&e) {
                SendError::Transient(m) => SendError::Unreachable(m),
                other => other,
            }),
            Err(_) => Err(SendError::Unreachable(self.timed_out())),
        }
    }
}

/// Sorts lettre's errors into what the ledger does with them.
fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    let text = one_line_error(e);
    if e.is_permanent() {
        SendError::Permanent(text)
    } else if e.is_transient() || e.is_timeout() {
        SendError::Transient(text)
    } else if e.is_client() {
        // Ours to fix (no common login mechanism, a bad address): no retry helps.
        SendError::Config(text)
    } else if e.is_tls() || text.starts_with("Connection error") {
        // lettre has no `is_connection()`; its Display names the kind first.
        SendError::Unreachable(text)
    } else {
        SendError::Transient(text)
    }
}

/// The relay's own words when it answered (`550 5.1.1 <...>: User unknown`), else lettre's.
fn one_line_error(e: &lettre::transport::smtp::Error) -> String {
    let text = match (e.status(), std::error::Error::source(e)) {
        (Some(code), Some(reply)) => format!("{code} {reply}"),
        _ => e.to_string(),
    };
    text.replace(['\r', '\n'], " ")
}
