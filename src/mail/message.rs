//! One digest e-mail for one recipient: `multipart/alternative` (text, then HTML), with
//! `List-Unsubscribe` (RFC 2369) and one-click `List-Unsubscribe-Post` (RFC 8058) headers.

use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

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

fn mailbox(name: Option<&str>, email: &SubscriberEmail) -> Result<Mailbox, String> {
    let address = email.as_ref().parse().map_err(|e| format!("{e}"))?;
    Ok(Mailbox::new(name.map(str::to_string), address))
}

fn config_mailbox(m: &ConfigMailbox) -> Result<Mailbox, String> {
    mailbox(m.name.as_deref(), &m.email)
}

/// The unsubscribe link of a subscriber.
pub fn unsubscribe_url(settings: &Settings, subscriber: &Subscriber) -> String {
    settings
        .site
        .link(&format!("unsubscribe/{}", subscriber.token))
}

/// Builds the digest e-mail for `to`, with their own unsubscribe link.
pub fn digest_message(
    settings: &Settings,
    digest: &DigestRecord,
    to: &Subscriber,
) -> Result<Message, MessageError> {
    let fail = |reason: String| MessageError {
        to: to.email.to_string(),
        reason,
    };
    let unsubscribe = unsubscribe_url(settings, to);
    let html = digest.html.replace(UNSUBSCRIBE_PLACEHOLDER, &unsubscribe);
    let text = digest.text.replace(UNSUBSCRIBE_PLACEHOLDER, &unsubscribe);
    let nl = &settings.newsletter;
    let list_id = format!(
        "<{}.{}>",
        settings
            .site
            .title
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase(),
        settings.site.base_url.host_str().unwrap_or("localhost")
    );
    let mut builder = Message::builder()
        .from(config_mailbox(&nl.from).map_err(fail)?)
        .to(mailbox(None, &to.email).map_err(fail)?)
        .subject(digest.subject.clone())
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{unsubscribe}>"),
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".into(),
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Id"),
            list_id,
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Chronicle-Week"),
            digest.week.to_string(),
        ));
    if let Some(reply_to) = &nl.reply_to {
        builder = builder.reply_to(config_mailbox(reply_to).map_err(fail)?);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| fail(e.to_string()))
}
