//! The double opt-in message: one link to confirm, in text and HTML. It carries no user text
//! but the recipient's own address, so the form cannot be used to mail arbitrary words to
//! strangers.

use lettre::Message;
use lettre::message::{Mailbox, MultiPart};

use crate::config::Settings;
use crate::domain::SubscriberEmail;

/// The confirmation could not be built (a bad `From` or recipient).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the confirmation e-mail: {0}")]
pub struct ConfirmMessageError(String);

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Builds the message asking `to` to confirm through `link` (valid for `hours`).
pub fn confirmation_message(
    settings: &Settings,
    to: &SubscriberEmail,
    link: &str,
    hours: u64,
) -> Result<Message, ConfirmMessageError> {
    let fail = |e: String| ConfirmMessageError(e);
    let site = &settings.site.title;
    let from = &settings.newsletter.from;
    let from = Mailbox::new(
        from.name.clone(),
        from.email
            .as_ref()
            .parse()
            .map_err(|e| fail(format!("{e}")))?,
    );
    let to_box = Mailbox::new(None, to.as_ref().parse().map_err(|e| fail(format!("{e}")))?);
    let text = format!(
        "Hello,\n\nsomeone, probably you, asked to receive {site} at {to}.\n\n\
         To confirm, open this link and press the button:\n\n{link}\n\n\
         The link works for {hours} hours. If you did not ask, ignore this message: \
         you will get nothing else from us.\n\n-- \n{site}\n{home}\n",
        home = settings.site.link("")
    );
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><body style=\"font-family:sans-serif;max-width:36em\">\
         <p>Hello,</p><p>someone, probably you, asked to receive <strong>{site}</strong> at \
         {to}.</p><p><a href=\"{link}\" style=\"display:inline-block;padding:10px 18px;\
         background:#1d4ed8;color:#fff;border-radius:6px;text-decoration:none\">\
         Confirm my subscription</a></p><p>The link works for {hours} hours. If you did not \
         ask, ignore this message: you will get nothing else from us.</p></body></html>",
        site = escape(site),
        to = escape(to.as_ref()),
        link = escape(link),
    );
    let mut builder = Message::builder()
        .from(from)
        .to(to_box)
        .subject(format!("Confirm your subscription to {site}"));
    if let Some(reply_to) = &settings.newsletter.reply_to {
        let addr = reply_to
            .email
            .as_ref()
            .parse()
            .map_err(|e| fail(format!("{e}")))?;
        builder = builder.reply_to(Mailbox::new(reply_to.name.clone(), addr));
    }
    builder
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| fail(e.to_string()))
}
