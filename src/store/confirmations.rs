//! The `confirmations` aggregate: double opt-in links. Only the SHA-256 of a link's token is
//! stored; a row is used once and expires. The per-address mail limits are counted here, in the
//! same transaction that records a new confirmation, so two requests racing for one address
//! cannot both pass them.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::{Pool, StoreError, from_ts, ts};
use crate::domain::{SubscriberEmail, Token};

/// The SHA-256 (hex) of a confirmation token, as stored.
pub fn hash_token(token: &Token) -> String {
    Sha256::digest(token.as_str().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How often one address may be sent a confirmation, and how long a link lives.
#[derive(Debug, Clone, Copy)]
pub struct MailLimits {
    /// Shortest wait between two mails to one address.
    pub interval: Duration,
    /// Most mails to one address in 24 hours.
    pub per_day: u32,
    /// How long a link stays valid.
    pub valid_for: Duration,
}

/// What a sign-up request led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    /// A confirmation was recorded: mail its link to this address.
    Mail(SubscriberEmail),
    /// The address is already confirmed: nothing to send.
    AlreadyConfirmed,
    /// The address had its share of mails: nothing to send now.
    Limited,
}

/// The state of a confirmation link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Unused and in time: confirming will work.
    Valid,
    /// Already used, or its reader is confirmed anyway.
    Confirmed,
    /// Unused and too old.
    Expired,
}

async fn limited(
    tx: &mut sqlx::SqliteConnection,
    subscriber_id: i64,
    limits: &MailLimits,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let (last, day): (Option<i64>, i64) = sqlx::query_as(
        "SELECT MAX(created_at), COUNT(*) FROM confirmations
         WHERE subscriber_id = $1 AND created_at > $2",
    )
    .bind(subscriber_id)
    .bind(ts(now - Duration::hours(24)))
    .fetch_one(&mut *tx)
    .await?;
    let too_soon = last.is_some_and(|t| from_ts(t) > now - limits.interval);
    Ok(too_soon || day >= i64::from(limits.per_day))
}

async fn record(
    tx: &mut sqlx::SqliteConnection,
    subscriber_id: i64,
    token_hash: &str,
    limits: &MailLimits,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO confirmations (subscriber_id, token_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(subscriber_id)
    .bind(token_hash)
    .bind(ts(now))
    .bind(ts(now + limits.valid_for))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A reader asks to subscribe `email`: records them as pending if new (an unsubscribed reader
/// stays unsubscribed until they confirm again) and, within the limits, a confirmation whose
/// token hashes to `token_hash`.
pub async fn request(
    pool: &Pool,
    email: &SubscriberEmail,
    token_hash: &str,
    limits: &MailLimits,
    now: DateTime<Utc>,
) -> Result<Requested, StoreError> {
    let mut tx = super::begin_write(pool).await?;
    let found: Option<(i64, String, String)> =
        // Local parts are compared without case: `Ada@` and `ADA@` reach one mailbox
        // everywhere in practice, and must share one address's mail limits.
        sqlx::query_as(
            "SELECT id, status, email FROM subscribers WHERE LOWER(email) = LOWER($1)
             ORDER BY id LIMIT 1",
        )
            .bind(email.as_ref())
            .fetch_optional(&mut *tx)
            .await?;
    let (id, to) = match found {
        Some((_, status, _)) if status == "confirmed" => return Ok(Requested::AlreadyConfirmed),
        Some((id, _, stored)) => (
            id,
            SubscriberEmail::parse(&stored).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        ),
        None => {
            let id = sqlx::query_scalar(
                "INSERT INTO subscribers (email, status, token, created_at)
                 VALUES ($1, 'pending', $2, $3) RETURNING id",
            )
            .bind(email.as_ref())
            .bind(Token::generate().as_str())
            .bind(ts(now))
            .fetch_one(&mut *tx)
            .await?;
            (id, email.clone())
        }
    };
    if limited(&mut tx, id, limits, now).await? {
        tx.commit().await?;
        return Ok(Requested::Limited);
    }
    record(&mut tx, id, token_hash, limits, now).await?;
    tx.commit().await?;
    Ok(Requested::Mail(to))
}

/// The state of the link whose token hashes to `token_hash`, or `None` for an unknown link.
pub async fn state(
    pool: &Pool,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<LinkState>, StoreError> {
    let row = sqlx::query(
        "SELECT c.expires_at, c.used_at, s.status FROM confirmations c
         JOIN subscribers s ON s.id = c.subscriber_id WHERE c.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let used: Option<i64> = row.try_get("used_at")?;
    let status: String = row.try_get("status")?;
    let expires: i64 = row.try_get("expires_at")?;
    Ok(Some(if used.is_some() || status == "confirmed" {
        LinkState::Confirmed
    } else if expires <= ts(now) {
        LinkState::Expired
    } else {
        LinkState::Valid
    }))
}

/// Confirms the reader of the link whose token hashes to `token_hash`, if the link is valid.
/// Returns the link's state before the call (`Valid` means "confirmed now").
pub async fn confirm(
    pool: &Pool,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<LinkState>, StoreError> {
    let mut tx = super::begin_write(pool).await?;
    let row: Option<(i64, i64, Option<i64>, String)> = sqlx::query_as(
        "SELECT c.id, c.subscriber_id, c.used_at, s.status FROM confirmations c
         JOIN subscribers s ON s.id = c.subscriber_id
         WHERE c.token_hash = $1 AND (c.used_at IS NOT NULL OR c.expires_at > $2
                                      OR s.status = 'confirmed')",
    )
    .bind(token_hash)
    .bind(ts(now))
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, subscriber_id, used, status)) = row else {
        drop(tx);
        return state(pool, token_hash, now).await;
    };
    if used.is_some() || status == "confirmed" {
        return Ok(Some(LinkState::Confirmed));
    }
    sqlx::query("UPDATE confirmations SET used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE subscribers SET status = 'confirmed', confirmed_at = $2, unsubscribed_at = NULL
         WHERE id = $1",
    )
    .bind(subscriber_id)
    .bind(ts(now))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(LinkState::Valid))
}

/// For an expired link: records a fresh confirmation (hashing to `new_hash`) for the same
/// reader, within the limits.
pub async fn renew(
    pool: &Pool,
    old_hash: &str,
    new_hash: &str,
    limits: &MailLimits,
    now: DateTime<Utc>,
) -> Result<Option<Requested>, StoreError> {
    let mut tx = super::begin_write(pool).await?;
    let row: Option<(i64, String, String)> = sqlx::query_as(
        "SELECT s.id, s.email, s.status FROM confirmations c
         JOIN subscribers s ON s.id = c.subscriber_id WHERE c.token_hash = $1",
    )
    .bind(old_hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, email, status)) = row else {
        return Ok(None);
    };
    if status == "confirmed" {
        return Ok(Some(Requested::AlreadyConfirmed));
    }
    if limited(&mut tx, id, limits, now).await? {
        return Ok(Some(Requested::Limited));
    }
    record(&mut tx, id, new_hash, limits, now).await?;
    tx.commit().await?;
    let email = SubscriberEmail::parse(&email).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Some(Requested::Mail(email)))
}
