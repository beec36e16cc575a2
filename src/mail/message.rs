//! One digest e-mail per recipient: `multipart/alternative` (text, then HTML), `Message-ID`,
//! `Date`, `From` with display name, `Reply-To`, `List-Id` (RFC 2919), `List-Unsubscribe`
//! (RFC 2369: https and mailto) and one-click `List-Unsubscribe-Post` (RFC 8058), DKIM-signed
//! when `[dkim]` is set.
//!
//! [`Composer`] does the per-digest work once (the rendered bodies cut at the unsubscribe
//! placeholder and encoded once, the sender, the list id, the DKIM key); [`Composer::compose`]
//! only fills in a recipient's address and link. Every header value built from a title, a name
//! or the configuration goes through [`one_line`], so no CR or LF can start a header of its own.

use lettre::Message;
use lettre::message::dkim::DkimConfig;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use sha2::{Digest, Sha256};

use super::dkim;
use super::prebody::{self, Prepared};
use crate::config::{Mailbox as ConfigMailbox, Settings};
use crate::digest::UNSUBSCRIBE_PLACEHOLDER;
use crate::domain::{Subscriber, SubscriberEmail};
use crate::store::digests::DigestRecord;

/// A message could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the e-mail to {to}: {reason}")]
pub struct MessageError {
    to: String,
    reason: String,
}

/// A header value on one line: control characters (CR, LF, TAB...) become spaces.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

fn mailbox(name: Option<&str>, email: &SubscriberEmail) -> Result<Mailbox, String> {
    let address = email.as_ref().parse().map_err(|e| format!("{e}"))?;
    let name = name.map(one_line).filter(|n| !n.is_empty());
    Ok(Mailbox::new(name, address))
}

fn config_mailbox(m: &ConfigMailbox) -> Result<Mailbox, String> {
    mailbox(m.name.as_deref(), &m.email)
}

/// The unsubscribe link of a subscriber: `{base_url}/unsubscribe/{token}`.
pub fn unsubscribe_url(settings: &Settings, subscriber: &Subscriber) -> String {
    settings
        .site
        .link(&format!("unsubscribe/{}", subscriber.token))
}

/// `List-Id`: `"Title" <label.host>` (RFC 2919). The label keeps the title's ASCII letters and
/// digits; a title without any (say, in Cyrillic) gives `digest`, so the id stays valid.
pub fn list_id(settings: &Settings) -> String {
    let mut label: String = settings
        .site
        .title
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    label = label.trim_matches('-').to_string();
    if label.is_empty() {
        label = "digest".into();
    }
    let host = settings.site.base_url.host_str().unwrap_or("localhost");
    let title = one_line(&settings.site.title);
    // The phrase is optional; only plain printable ASCII goes in unencoded.
    if !title.is_empty() && title.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        let quoted = title.replace(['"', '\\'], "");
        format!("\"{quoted}\" <{label}.{host}>")
    } else {
        format!("<{label}.{host}>")
    }
}

/// Builds every recipient's message of one digest.
pub struct Composer {
    from: Mailbox,
    reply_to: Option<Mailbox>,
    subject: String,
    list_id: String,
    week: String,
    id_domain: String,
    mailto: String,
    html: Vec<String>,
    text: Vec<String>,
    /// The bodies encoded once (see `prebody`), when the link can be filled in place.
    prepared: Option<(Prepared, Prepared)>,
    link_prefix: String,
    dkim: Option<DkimConfig>,
    settings: std::sync::Arc<Settings>,
}

impl std::fmt::Debug for Composer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Composer")
            .field("week", &self.week)
            .finish()
    }
}

impl Composer {
    /// Prepares the messages of `digest`: reads the DKIM key once.
    pub fn new(
        settings: std::sync::Arc<Settings>,
        digest: &DigestRecord,
    ) -> Result<Self, MessageError> {
        let fail = |reason: String| MessageError {
            to: "anyone".into(),
            reason,
        };
        let nl = &settings.newsletter;
        let from = config_mailbox(&nl.from).map_err(fail)?;
        let reply_to = nl
            .reply_to
            .as_ref()
            .map(config_mailbox)
            .transpose()
            .map_err(fail)?;
        let dkim = dkim::config(&settings.dkim, reply_to.is_some()).map_err(fail)?;
        let id_domain = match &settings.dkim.domain {
            Some(d) => one_line(d),
            None => from.email.domain().to_string(),
        };
        let html: Vec<String> = digest
            .html
            .split(UNSUBSCRIBE_PLACEHOLDER)
            .map(str::to_string)
            .collect();
        let text: Vec<String> = digest
            .text
            .split(UNSUBSCRIBE_PLACEHOLDER)
            .map(str::to_string)
            .collect();
        let link_prefix = settings.site.link("unsubscribe/");
        let prepared = Prepared::new(&text, &link_prefix).zip(Prepared::new(&html, &link_prefix));
        Ok(Self {
            prepared,
            link_prefix,
            html,
            text,
            mailto: settings
                .newsletter
                .unsubscribe_address
                .as_ref()
                .map_or_else(|| from.email.to_string(), |m| m.email.to_string()),
            from,
            reply_to,
            subject: one_line(&digest.subject),
            list_id: list_id(&settings),
            week: digest.week.to_string(),
            id_domain,
            dkim,
            settings,
        })
    }

    /// The Message-ID of a delivery: the same on every attempt (a receiver that gets two
    /// copies after a crash sees one message twice), unguessable from outside (the hash covers
    /// the subscriber's secret token).
    pub fn message_id(&self, delivery_id: i64, to: &Subscriber) -> String {
        let mut h = Sha256::new();
        h.update(self.week.as_bytes());
        h.update(delivery_id.to_be_bytes());
        h.update(to.token.as_bytes());
        let tag: String = h.finalize()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!(
            "<{}.{delivery_id}.{tag}@{}>",
            self.week.to_ascii_lowercase(),
            self.id_domain
        )
    }

    /// The message for `to`, with their own unsubscribe link and `message_id`.
    pub fn compose(&self, to: &Subscriber, message_id: &str) -> Result<Message, MessageError> {
        let fail = |reason: String| MessageError {
            to: to.email.to_string(),
            reason,
        };
        let link = unsubscribe_url(&self.settings, to);
        let (text, html) = match &self.prepared {
            Some((text, html)) if prebody::fillable(&to.token) => {
                (text.fill(&to.token), html.fill(&to.token))
            }
            _ => (
                prebody::encode(&self.text, &self.link_prefix, &to.token),
                prebody::encode(&self.html, &self.link_prefix, &to.token),
            ),
        };
        let raw = |name: &'static str, value: String| {
            HeaderValue::new(HeaderName::new_from_ascii_str(name), one_line(&value))
        };
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(mailbox(None, &to.email).map_err(fail)?)
            .subject(self.subject.clone())
            .date_now()
            .message_id(Some(message_id.to_string()))
            .raw_header(raw("List-Id", self.list_id.clone()))
            .raw_header(raw(
                "List-Unsubscribe",
                format!(
                    "<{link}>, <mailto:{}?subject=unsubscribe%20{}>",
                    self.mailto, to.token
                ),
            ))
            .raw_header(raw(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".into(),
            ))
            .raw_header(raw("X-Chronicle-Week", self.week.clone()));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        let mut message = builder
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| fail(e.to_string()))?;
        if let Some(dkim) = &self.dkim {
            message.sign(dkim);
        }
        Ok(message)
    }
}
