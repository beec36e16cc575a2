//! The connection to the SMTP relay: one pooled lettre transport for the whole process.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{SmtpSettings, SmtpTls};

/// A send that did not go through.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The relay refused for good (5xx): retrying will not help.
    #[error("rejected by the SMTP server: {0}")]
    Permanent(String),
    /// A passing problem (4xx, network): retry later.
    #[error("SMTP delivery failed, will retry: {0}")]
    Transient(String),
    /// The transport could not be set up.
    #[error("SMTP configuration: {0}")]
    Config(String),
}

/// Sends messages through the configured relay.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Mailer")
    }
}

impl Mailer {
    /// Builds the transport from `[smtp]`. Does not connect yet.
    pub fn new(s: &SmtpSettings) -> Result<Self, SendError> {
        let tls = |host: &str| {
            TlsParameters::new(host.to_string()).map_err(|e| SendError::Config(e.to_string()))
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.clone())
            .port(s.port)
            .timeout(Some(Duration::from_secs(s.timeout_secs.max(1))));
        builder = match s.tls {
            SmtpTls::None => builder.tls(Tls::None),
            SmtpTls::Starttls => builder.tls(Tls::Required(tls(&s.host)?)),
            SmtpTls::Tls => builder.tls(Tls::Wrapper(tls(&s.host)?)),
        };
        if let (Some(user), Some(pass)) = (&s.username, &s.password) {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        Ok(Self {
            transport: builder.build(),
        })
    }

    /// Sends one message. Returns the relay's reply (code and first line) on acceptance.
    pub async fn send(&self, message: Message) -> Result<String, SendError> {
        match self.transport.send(message).await {
            Ok(resp) => Ok(format!(
                "{} {}",
                resp.code(),
                resp.message().collect::<Vec<_>>().join(" ")
            )),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }

    /// Checks that the relay answers (and accepts our login).
    pub async fn test_connection(&self) -> Result<(), SendError> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(SendError::Transient(
                "the SMTP server did not answer NOOP".into(),
            )),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }
}
