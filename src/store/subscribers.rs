//! The `subscribers` aggregate: readers and their status.

use chrono::{DateTime, Utc};
use sqlx::{Row, sqlite::SqliteRow};

use super::{Pool, StoreError, from_ts, ts};
use crate::domain::{Subscriber, SubscriberEmail, SubscriberStatus, Token};

/// What adding an address did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// A new confirmed subscriber.
    Added,
    /// A pending subscriber, now confirmed.
    Confirmed,
    /// Already confirmed: nothing to do.
    AlreadyConfirmed,
    /// They unsubscribed earlier; an import does not sign them up again.
    PreviouslyUnsubscribed,
}

pub(crate) fn subscriber(row: &SqliteRow) -> Result<Subscriber, StoreError> {
    let email: String = row.try_get("email")?;
    let status: String = row.try_get("status")?;
    Ok(Subscriber {
        id: row.try_get("id")?,
        email: SubscriberEmail::parse(&email).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        status: SubscriberStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("subscriber status `{status}`")))?,
        token: row.try_get("token")?,
        created_at: from_ts(row.try_get("created_at")?),
    })
}

/// Adds an address as confirmed (the organiser's import).
pub async fn add_confirmed(
    pool: &Pool,
    email: &SubscriberEmail,
    now: DateTime<Utc>,
) -> Result<Added, StoreError> {
    let mut tx = super::begin_write(pool).await?;
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM subscribers WHERE email = $1")
            .bind(email.as_ref())
            .fetch_optional(&mut *tx)
            .await?;
    let added = match status.as_deref().and_then(SubscriberStatus::parse) {
        None => {
            sqlx::query(
                "INSERT INTO subscribers (email, status, token, created_at, confirmed_at)
                 VALUES ($1, 'confirmed', $2, $3, $3)",
            )
            .bind(email.as_ref())
            .bind(Token::generate().as_str())
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
            Added::Added
        }
        Some(SubscriberStatus::Pending) => {
            sqlx::query(
                "UPDATE subscribers SET status = 'confirmed', confirmed_at = $2 WHERE email = $1",
            )
            .bind(email.as_ref())
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
            Added::Confirmed
        }
        Some(SubscriberStatus::Confirmed) => Added::AlreadyConfirmed,
        Some(SubscriberStatus::Unsubscribed) => Added::PreviouslyUnsubscribed,
    };
    tx.commit().await?;
    Ok(added)
}

/// Every subscriber, in the order they joined.
pub async fn list(pool: &Pool) -> Result<Vec<Subscriber>, StoreError> {
    let rows =
        sqlx::query("SELECT id, email, status, token, created_at FROM subscribers ORDER BY id")
            .fetch_all(pool)
            .await?;
    rows.iter().map(subscriber).collect()
}

/// Deletes an address and its delivery history (the organiser's "forget me").
pub async fn remove(pool: &Pool, email: &SubscriberEmail) -> Result<(), StoreError> {
    let done = sqlx::query("DELETE FROM subscribers WHERE email = $1")
        .bind(email.as_ref())
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("subscriber {email}")));
    }
    Ok(())
}

/// Unsubscribes the holder of `token`. Returns their address, or `None` for an unknown token.
/// Idempotent: a second click is not an error.
pub async fn unsubscribe(
    pool: &Pool,
    token: &Token,
    now: DateTime<Utc>,
) -> Result<Option<SubscriberEmail>, StoreError> {
    let email: Option<String> = sqlx::query_scalar(
        "UPDATE subscribers SET status = 'unsubscribed',
            unsubscribed_at = COALESCE(unsubscribed_at, $2)
         WHERE token = $1 RETURNING email",
    )
    .bind(token.as_str())
    .bind(ts(now))
    .fetch_optional(pool)
    .await?;
    email
        .map(|e| SubscriberEmail::parse(&e).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}
