//! Delivering digests: `message` builds one MIME message per recipient, `smtp` owns the
//! connection to the relay, `deliver` walks the ledger. Reads digests and subscribers from the
//! store; never renders or fetches.

pub mod confirm;
pub mod deliver;
pub mod message;
pub mod smtp;

pub use deliver::{SendReport, send_digest};
pub use smtp::Mailer;
