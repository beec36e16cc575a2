//! Reused connections to the SMTP relay, and one SMTP transaction on them.
//!
//! lettre makes each connection (TCP, TLS, EHLO, AUTH) and speaks each command; this module
//! keeps the idle connections and runs MAIL, RCPT, DATA and the message itself. Why not
//! lettre's own pool: `bench/send.sh` (10,000 readers, 55 KB messages, smtp-sink) measured two
//! costs there that a newsletter pays 10,000 times — a NOOP round trip before every message
//! (its pool checks every connection it hands out), and the message's dot-stuffing done a byte
//! at a time (a sixth of the sender's CPU). Here a connection idle for less than
//! [`CHECK_AFTER`] is used without a NOOP (if the relay closed it meanwhile, the message is
//! tried once more on a new connection, before any of it was sent), and the stuffing scans for
//! line ends with `memchr`. Every exchange is bounded by `smtp.timeout_secs`: a relay that
//! stalls costs one timeout, not a hung send.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::Error;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Tls};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;

/// An idle connection older than this is checked with a NOOP before it carries a message.
pub const CHECK_AFTER: Duration = Duration::from_secs(5);
/// An idle connection older than this is closed rather than reused (relays drop them).
pub const DROP_AFTER: Duration = Duration::from_secs(30);

/// Where and how to connect.
pub struct Relay {
    /// Host name (also the TLS server name).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Bound on connecting and on each reply.
    pub timeout: Duration,
    /// Plain, STARTTLS or implicit TLS.
    pub tls: Tls,
    /// Login, if the relay wants one.
    pub credentials: Option<Credentials>,
}

/// The relay and its idle connections.
pub struct Connections {
    relay: Relay,
    hello: ClientId,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    max_idle: usize,
}

/// Why a message did not go.
#[derive(Debug)]
pub enum Refused {
    /// What lettre reported: the relay's reply, or a connection, TLS or login error.
    Smtp(Error),
    /// The message needs an extension the relay does not offer (SMTPUTF8, 8BITMIME).
    Unsupported(String),
}

impl From<Error> for Refused {
    fn from(e: Error) -> Self {
        Self::Smtp(e)
    }
}

/// Why a transaction failed, and whether any of the message had gone.
enum Failure {
    /// Before the relay took the envelope's first command: safe to try on a new connection.
    Untouched(Error),
    /// After: the message may or may not have been delivered.
    Started(Error),
    /// Not attempted.
    Unsupported(String),
}

impl Connections {
    /// Keeps at most `max_idle` connections open between messages.
    pub fn new(relay: Relay, max_idle: usize) -> Self {
        Self {
            relay,
            hello: ClientId::default(),
            idle: Mutex::new(Vec::new()),
            max_idle: max_idle.max(1),
        }
    }

    /// Opens a connection: TCP (or TLS), EHLO, STARTTLS when asked, AUTH when configured.
    async fn connect(&self) -> Result<AsyncSmtpConnection, Error> {
        let r = &self.relay;
        let wrapper = match &r.tls {
            Tls::Wrapper(p) => Some(p.clone()),
            _ => None,
        };
        let server = (r.host.as_str(), r.port);
        let mut conn = AsyncSmtpConnection::connect_tokio1(
            server,
            Some(r.timeout),
            &self.hello,
            wrapper,
            None,
        )
        .await?;
        match &r.tls {
            Tls::Required(p) => conn.starttls(p.clone(), &self.hello).await?,
            Tls::Opportunistic(p) if conn.can_starttls() => {
                conn.starttls(p.clone(), &self.hello).await?;
            }
            _ => {}
        }
        if let Some(c) = &r.credentials {
            conn.auth(DEFAULT_MECHANISMS, c).await?;
        }
        Ok(conn)
    }

    /// The most recently used idle connection that is still fit to use, if any.
    async fn checkout(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut conn, since) = self.idle.lock().ok()?.pop()?;
            let idle = since.elapsed();
            if idle >= DROP_AFTER {
                conn.abort().await;
                continue;
            }
            if idle < CHECK_AFTER || conn.test_connected().await {
                return Some(conn);
            }
        }
    }

    fn checkin(&self, conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.max_idle
        {
            idle.push((conn, Instant::now()));
        }
    }

    /// Checks that the relay answers (and takes our login); keeps the connection.
    pub async fn check(&self) -> Result<bool, Error> {
        let mut conn = self.connect().await?;
        let ok = conn.test_connected().await;
        if ok {
            self.checkin(conn);
        }
        Ok(ok)
    }

    /// Sends `data` (the formatted message) to the envelope's recipients. Returns the relay's
    /// reply to the message.
    pub async fn send(&self, envelope: &Envelope, data: &[u8]) -> Result<Response, Refused> {
        let payload = stuff(data);
        if let Some(mut conn) = self.checkout().await {
            match transaction(&mut conn, envelope, &payload).await {
                // The relay closed the idle connection: nothing went; try a new one.
                Err(Failure::Untouched(e)) if e.status().is_none() => {}
                done => return self.settle(conn, done).await,
            }
        }
        let mut conn = self.connect().await?;
        let done = transaction(&mut conn, envelope, &payload).await;
        self.settle(conn, done).await
    }

    /// Keeps the connection after a success; after a refusal, if RSET clears it; after
    /// anything else, closes it.
    async fn settle(
        &self,
        mut conn: AsyncSmtpConnection,
        done: Result<Response, Failure>,
    ) -> Result<Response, Refused> {
        let e = match done {
            Ok(r) => {
                self.checkin(conn);
                return Ok(r);
            }
            Err(Failure::Unsupported(m)) => {
                self.checkin(conn);
                return Err(Refused::Unsupported(m));
            }
            Err(Failure::Untouched(e) | Failure::Started(e)) => e,
        };
        if e.status().is_some() && conn.command(Rset).await.is_ok() {
            self.checkin(conn);
        } else {
            conn.abort().await;
        }
        Err(Refused::Smtp(e))
    }
}

/// MAIL, RCPT for each recipient, DATA, and the (already stuffed) message.
async fn transaction(
    conn: &mut AsyncSmtpConnection,
    envelope: &Envelope,
    payload: &Payload,
) -> Result<Response, Failure> {
    let ascii = |a: &lettre::Address| AsRef::<str>::as_ref(a).is_ascii();
    let mut options = Vec::new();
    if !(envelope.from().is_none_or(ascii) && envelope.to().iter().all(ascii)) {
        if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
            return Err(unsupported("SMTPUTF8"));
        }
        options.push(MailParameter::SmtpUtfEight);
    }
    if !payload.ascii {
        if !conn.server_info().supports_feature(Extension::EightBitMime) {
            return Err(unsupported("8BITMIME"));
        }
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    conn.command(Mail::new(envelope.from().cloned(), options))
        .await
        .map_err(Failure::Untouched)?;
    for to in envelope.to() {
        conn.command(Rcpt::new(to.clone(), vec![]))
            .await
            .map_err(Failure::Started)?;
    }
    conn.command(Data).await.map_err(Failure::Started)?;
    conn.command(payload).await.map_err(Failure::Started)
}

fn unsupported(name: &str) -> Failure {
    Failure::Unsupported(format!(
        "the message needs {name}, which the SMTP server does not offer"
    ))
}

/// The message with SMTP's transparency applied (RFC 5321 §4.5.2: a line that starts with a
/// dot gets another) and the end-of-data marker, ready to write as one command.
pub struct Payload {
    text: String,
    ascii: bool,
}

impl fmt::Display for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Stuffs `data` as lettre's byte-at-a-time codec does (a line starts at the beginning and
/// after each CRLF), and ends it with `CRLF . CRLF` as lettre does.
pub fn stuff(data: &[u8]) -> Payload {
    let mut out = Vec::with_capacity(data.len() + data.len() / 256 + 8);
    let mut from = 0;
    if data.first() == Some(&b'.') {
        out.push(b'.');
    }
    for nl in memchr::memchr_iter(b'\n', data) {
        if nl > 0 && data[nl - 1] == b'\r' && data.get(nl + 1) == Some(&b'.') {
            out.extend_from_slice(&data[from..=nl]);
            out.push(b'.');
            from = nl + 1;
        }
    }
    out.extend_from_slice(&data[from..]);
    out.extend_from_slice(b"\r\n.\r\n");
    let ascii = out.is_ascii();
    let text = String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Payload { text, ascii }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// lettre's codec, as it is in lettre 0.11 (`ClientCodec::encode`), for comparison.
    fn lettre_codec(frame: &[u8]) -> Vec<u8> {
        #[derive(Clone, Copy)]
        enum S {
            Middle,
            Cr,
            Start,
        }
        let (mut s, mut buf) = (S::Start, Vec::new());
        for &b in frame {
            buf.push(b);
            s = match (b, s) {
                (b'\r', _) => S::Cr,
                (b'\n', S::Cr) => S::Start,
                (b'.', S::Start) => {
                    buf.push(b'.');
                    S::Middle
                }
                (_, S::Cr | S::Start) => S::Middle,
                (_, S::Middle) => S::Middle,
            };
        }
        buf.extend_from_slice(b"\r\n.\r\n");
        buf
    }

    #[test]
    fn stuffing_is_byte_for_byte_lettres() {
        let cases: &[&[u8]] = &[
            b"",
            b".",
            b".\r\n.\r\n..\r\n",
            b"a\r\n.b\r\n\r\n.\r\nc",
            b"a\n.b\r.c\r\n",
            b"\r\n.",
            "ü\r\n.ü".as_bytes(),
            b"no dots here\r\nat all\r\n",
            b"\r\r\n.x",
        ];
        for c in cases {
            assert_eq!(
                stuff(c).text.as_bytes(),
                lettre_codec(c).as_slice(),
                "{:?}",
                String::from_utf8_lossy(c)
            );
        }
    }

    #[test]
    fn non_ascii_payloads_are_marked() {
        assert!(stuff(b"plain\r\n").ascii);
        assert!(!stuff("grüße\r\n".as_bytes()).ascii);
    }
}
