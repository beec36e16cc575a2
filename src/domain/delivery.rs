//! What the sender and the ledger pass each other: a delivery claimed for an attempt, and what
//! the attempt came to.

use chrono::{DateTime, Utc};

use super::Subscriber;

/// A delivery to attempt now.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Ledger row id.
    pub id: i64,
    /// The recipient.
    pub subscriber: Subscriber,
    /// Attempts made, this one included.
    pub attempts: i64,
}

/// What one attempt came to, to be recorded.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The relay accepted the message (2xx).
    Sent {
        /// Ledger row id.
        id: i64,
        /// The recipient (their hard-bounce count starts again).
        subscriber_id: i64,
        /// The relay's reply.
        reply: String,
        /// The Message-ID sent.
        message_id: String,
    },
    /// A passing failure: try again at `next_attempt_at`.
    Deferred {
        /// Ledger row id.
        id: i64,
        /// What went wrong.
        error: String,
        /// Not before.
        next_attempt_at: DateTime<Utc>,
        /// Whether the relay was reached at all; if not, the attempt does not count.
        attempted: bool,
    },
    /// Given up: a 5xx (a hard bounce) or too many attempts.
    Failed {
        /// Ledger row id.
        id: i64,
        /// The recipient.
        subscriber_id: i64,
        /// The relay's reply or the last error.
        error: String,
        /// A 5xx reply: counts towards `delivery.bounce_limit`.
        hard_bounce: bool,
    },
}
