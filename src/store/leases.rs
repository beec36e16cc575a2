//! The `leases` aggregate: a named lease held by one process at a time, until it expires.
//!
//! Taking a lease is one conditional UPSERT (`ON CONFLICT ... DO UPDATE ... WHERE` the lease is
//! free or already ours), renewing it one conditional UPDATE: both carry over to PostgreSQL as
//! they are, and both are atomic, so two processes racing for a lease cannot both win.

use chrono::{DateTime, Duration, Utc};

use super::{Pool, StoreError, ts};

/// Takes the lease `name` for `holder` until `now + ttl`, if it is free (expired) or already
/// held by `holder`. Returns whether `holder` holds it now.
pub async fn acquire(
    pool: &Pool,
    name: &str,
    holder: &str,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let _slot = super::write_slot().await;
    let done = sqlx::query(
        "INSERT INTO leases (name, holder, expires_at, heartbeat_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
             expires_at = excluded.expires_at, heartbeat_at = excluded.heartbeat_at
         WHERE leases.expires_at <= excluded.heartbeat_at OR leases.holder = excluded.holder",
    )
    .bind(name)
    .bind(holder)
    .bind(ts(now + ttl))
    .bind(ts(now))
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Extends `holder`'s lease to `now + ttl`. Returns false when the lease is no longer ours
/// (it expired and someone else took it).
pub async fn renew(
    pool: &Pool,
    name: &str,
    holder: &str,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let _slot = super::write_slot().await;
    let done = sqlx::query(
        "UPDATE leases SET expires_at = $3, heartbeat_at = $4 WHERE name = $1 AND holder = $2",
    )
    .bind(name)
    .bind(holder)
    .bind(ts(now + ttl))
    .bind(ts(now))
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the lease up at once (if `holder` still holds it).
pub async fn release(pool: &Pool, name: &str, holder: &str) -> Result<(), StoreError> {
    let _slot = super::write_slot().await;
    sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
        .bind(name)
        .bind(holder)
        .execute(pool)
        .await?;
    Ok(())
}

/// Who holds `name` and until when, if anyone has it (expired or not).
pub async fn holder(
    pool: &Pool,
    name: &str,
) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT holder, expires_at FROM leases WHERE name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(h, e)| (h, super::from_ts(e))))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    #[tokio::test]
    async fn a_lease_has_one_holder_until_it_expires() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("c.db").display());
        let pool = crate::store::connect(&url, 2).await.expect("db");
        let (p, t) = (&pool, Utc.with_ymd_and_hms(2026, 11, 2, 7, 0, 0).unwrap());
        let ttl = chrono::Duration::seconds(60);
        let ago = |s| t + chrono::Duration::seconds(s);
        assert!(super::acquire(p, "job:send", "a", ttl, t).await.unwrap());
        assert!(
            !super::acquire(p, "job:send", "b", ttl, ago(30))
                .await
                .unwrap()
        );
        assert!(
            super::acquire(p, "job:send", "a", ttl, ago(30))
                .await
                .unwrap()
        );
        assert!(
            super::renew(p, "job:send", "a", ttl, ago(40))
                .await
                .unwrap()
        );
        // a's lease runs until 100 s; b takes it once it expired, and a's renewal then fails.
        assert!(
            !super::acquire(p, "job:send", "b", ttl, ago(99))
                .await
                .unwrap()
        );
        assert!(
            super::acquire(p, "job:send", "b", ttl, ago(100))
                .await
                .unwrap()
        );
        assert!(
            !super::renew(p, "job:send", "a", ttl, ago(101))
                .await
                .unwrap()
        );
        assert_eq!(
            super::holder(p, "job:send").await.unwrap().map(|h| h.0),
            Some("b".to_string())
        );
        super::release(p, "job:send", "a").await.unwrap();
        assert!(
            !super::acquire(p, "job:send", "c", ttl, ago(101))
                .await
                .unwrap()
        );
        super::release(p, "job:send", "b").await.unwrap();
        assert!(
            super::acquire(p, "job:send", "c", ttl, ago(101))
                .await
                .unwrap()
        );
    }
}
