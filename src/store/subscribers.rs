//! The `subscribers` aggregate: readers and their status. Status is read as text where it is
//! listed, so that statuses added later (e.g. `bouncing`) show as they are.

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

/// Deletes an address and its delivery history (kept for callers of the older API; see
/// [`erase`], which also says what it removed).
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

/// A subscriber as the organiser's tools list and export them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SubscriberRow {
    /// Address.
    pub email: String,
    /// `pending`, `confirmed`, `unsubscribed` (or any status added later).
    pub status: String,
    /// Name from an import, if any.
    pub name: Option<String>,
    /// When they signed up or were imported.
    pub created_at: DateTime<Utc>,
    /// When they confirmed.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// When they left.
    pub unsubscribed_at: Option<DateTime<Utc>>,
}

/// Every subscriber (of one status, if given), in the order they joined. A confirmed reader
/// whose address bounced `delivery.bounce_limit` times ([`super::bounces`]) shows as `bouncing`.
pub async fn rows(pool: &Pool, status: Option<&str>) -> Result<Vec<SubscriberRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT email, status, name, created_at, confirmed_at, unsubscribed_at FROM (
             SELECT s.id, s.email, n.name, s.created_at, s.confirmed_at, s.unsubscribed_at,
                    CASE WHEN s.bouncing_at IS NOT NULL AND s.status = 'confirmed'
                         THEN 'bouncing' ELSE s.status END AS status
             FROM subscribers s LEFT JOIN subscriber_names n ON n.subscriber_id = s.id) x
         WHERE ($1 IS NULL OR status = $1) ORDER BY id",
    )
    .bind(status)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SubscriberRow {
                email: r.try_get("email")?,
                status: r.try_get("status")?,
                name: r.try_get("name")?,
                created_at: from_ts(r.try_get("created_at")?),
                confirmed_at: r.try_get::<Option<i64>, _>("confirmed_at")?.map(from_ts),
                unsubscribed_at: r.try_get::<Option<i64>, _>("unsubscribed_at")?.map(from_ts),
            })
        })
        .collect()
}

/// One row of an import file, already checked.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// Address.
    pub email: SubscriberEmail,
    /// Name, if the file gave one.
    pub name: Option<String>,
    /// Status to import with.
    pub status: SubscriberStatus,
}

/// What importing one row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// A new subscriber.
    Added,
    /// A known subscriber, now with the file's status.
    Updated,
    /// Already so.
    Unchanged,
    /// They unsubscribed earlier; an import does not sign them up again.
    KeptUnsubscribed,
}

/// Imports `rows` in one transaction (all or nothing).
pub async fn import(
    pool: &Pool,
    rows: &[ImportRow],
    now: DateTime<Utc>,
) -> Result<Vec<Imported>, StoreError> {
    let mut tx = super::begin_write(pool).await?;
    let mut done = Vec::with_capacity(rows.len());
    for row in rows {
        let found: Option<(i64, String)> =
            sqlx::query_as("SELECT id, status FROM subscribers WHERE email = $1")
                .bind(row.email.as_ref())
                .fetch_optional(&mut *tx)
                .await?;
        let status = row.status.as_str();
        let confirmed_at = (row.status == SubscriberStatus::Confirmed).then(|| ts(now));
        let unsubscribed_at = (row.status == SubscriberStatus::Unsubscribed).then(|| ts(now));
        let (id, what) = match found {
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO subscribers (email, status, token, created_at, confirmed_at,
                        unsubscribed_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(row.email.as_ref())
                .bind(status)
                .bind(Token::generate().as_str())
                .bind(ts(now))
                .bind(confirmed_at)
                .bind(unsubscribed_at)
                .fetch_one(&mut *tx)
                .await?;
                (id, Imported::Added)
            }
            Some((id, old)) if old == status => (id, Imported::Unchanged),
            Some((id, old)) if old == "unsubscribed" => (id, Imported::KeptUnsubscribed),
            Some((id, _)) => {
                sqlx::query(
                    "UPDATE subscribers SET status = $2,
                        confirmed_at = COALESCE($3, confirmed_at),
                        unsubscribed_at = COALESCE($4, unsubscribed_at) WHERE id = $1",
                )
                .bind(id)
                .bind(status)
                .bind(confirmed_at)
                .bind(unsubscribed_at)
                .execute(&mut *tx)
                .await?;
                (id, Imported::Updated)
            }
        };
        if let Some(name) = &row.name {
            sqlx::query(
                "INSERT INTO subscriber_names (subscriber_id, name) VALUES ($1, $2)
                 ON CONFLICT (subscriber_id) DO UPDATE SET name = excluded.name",
            )
            .bind(id)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        }
        done.push(what);
    }
    tx.commit().await?;
    Ok(done)
}

/// What erasing a person removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Erased {
    /// Confirmation links.
    pub confirmations: i64,
    /// Delivery ledger rows.
    pub deliveries: i64,
}

/// Erases a person: their subscriber row, confirmation links, name and delivery rows, in one
/// transaction. `NotFound` for an unknown address.
pub async fn erase(pool: &Pool, email: &SubscriberEmail) -> Result<Erased, StoreError> {
    let mut tx = super::begin_write(pool).await?;
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM subscribers WHERE email = $1")
        .bind(email.as_ref())
        .fetch_optional(&mut *tx)
        .await?;
    let Some(id) = id else {
        return Err(StoreError::NotFound(format!("subscriber {email}")));
    };
    let mut counts = [0i64; 2];
    for (i, table) in ["confirmations", "deliveries"].into_iter().enumerate() {
        counts[i] = sqlx::query(&format!("DELETE FROM {table} WHERE subscriber_id = $1"))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            .try_into()
            .unwrap_or(i64::MAX);
    }
    for sql in [
        "DELETE FROM subscriber_names WHERE subscriber_id = $1",
        "DELETE FROM subscribers WHERE id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(Erased {
        confirmations: counts[0],
        deliveries: counts[1],
    })
}

/// The address holding the unsubscribe `token`, if any.
pub async fn by_token(pool: &Pool, token: &Token) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT email FROM subscribers WHERE token = $1")
            .bind(token.as_str())
            .fetch_optional(pool)
            .await?,
    )
}
