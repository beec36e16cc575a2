//! The `digests` aggregate: a rendered week, frozen once sending starts.

use chrono::{DateTime, Utc};
use sqlx::{Row, sqlite::SqliteRow};

use super::{Pool, StoreError, from_ts, ts};
use crate::domain::DigestWeek;

/// A stored digest.
#[derive(Debug, Clone)]
pub struct DigestRecord {
    /// Database id.
    pub id: i64,
    /// The week it covers.
    pub week: DigestWeek,
    /// E-mail subject.
    pub subject: String,
    /// Rendered HTML e-mail (with the unsubscribe placeholder).
    pub html: String,
    /// Rendered plain-text e-mail (with the unsubscribe placeholder).
    pub text: String,
    /// Rendered Markdown.
    pub markdown: String,
    /// What the templates saw (JSON of the digest view), for the web archive; empty for
    /// digests built before it was kept.
    pub view: String,
    /// Number of stories.
    pub story_count: i64,
    /// When it was rendered.
    pub created_at: DateTime<Utc>,
    /// When sending started; a frozen digest is never rendered again.
    pub frozen_at: Option<DateTime<Utc>>,
    /// When every delivery was settled.
    pub sent_at: Option<DateTime<Utc>>,
}

fn record(row: &SqliteRow) -> Result<DigestRecord, StoreError> {
    let week: String = row.try_get("week")?;
    Ok(DigestRecord {
        id: row.try_get("id")?,
        week: week
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("digest week: {e}")))?,
        subject: row.try_get("subject")?,
        html: row.try_get("html")?,
        text: row.try_get("text")?,
        markdown: row.try_get("markdown")?,
        view: row.try_get("view")?,
        story_count: row.try_get("story_count")?,
        created_at: from_ts(row.try_get("created_at")?),
        frozen_at: row.try_get::<Option<i64>, _>("frozen_at")?.map(from_ts),
        sent_at: row.try_get::<Option<i64>, _>("sent_at")?.map(from_ts),
    })
}

const SELECT: &str =
    "SELECT id, week, subject, html, text, markdown, view, story_count, created_at, frozen_at,
    sent_at FROM digests";

/// The digest of `week`, if one was built.
pub async fn get(pool: &Pool, week: DigestWeek) -> Result<Option<DigestRecord>, StoreError> {
    let row = sqlx::query(&format!("{SELECT} WHERE week = $1"))
        .bind(week.to_string())
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(record).transpose()
}

/// Frozen digests (those that went out), newest first.
pub async fn list_frozen(pool: &Pool) -> Result<Vec<DigestRecord>, StoreError> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE frozen_at IS NOT NULL ORDER BY week DESC"
    ))
    .fetch_all(pool)
    .await?;
    rows.iter().map(record).collect()
}

/// What to store for a digest.
#[derive(Debug, Clone)]
pub struct NewDigest<'a> {
    /// The week.
    pub week: DigestWeek,
    /// E-mail subject.
    pub subject: &'a str,
    /// Rendered HTML.
    pub html: &'a str,
    /// Rendered text.
    pub text: &'a str,
    /// Rendered Markdown.
    pub markdown: &'a str,
    /// The digest view as JSON (what the web archive renders).
    pub view: &'a str,
    /// The stories, in order.
    pub entry_ids: &'a [i64],
    /// Stories considered but not carried, and why.
    pub skipped: &'a [(i64, SkipReason)],
}

/// Why a digest did not carry a story it considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Cut by `digest.max_stories` or `digest.max_per_blog`.
    Cap,
    /// Excluded by the organiser.
    Excluded,
}

impl SkipReason {
    fn as_str(self) -> &'static str {
        match self {
            SkipReason::Cap => "cap",
            SkipReason::Excluded => "excluded",
        }
    }
}

/// Stores (or replaces) the digest of a week. Refuses with [`StoreError::Duplicate`] when that
/// week's digest is frozen: what was sent must stay exactly what was sent.
pub async fn save(pool: &Pool, d: &NewDigest<'_>, now: DateTime<Utc>) -> Result<i64, StoreError> {
    let mut tx = super::begin_write(pool).await?;
    let week = d.week.to_string();
    // One statement inserts a new digest or rewrites an unfrozen one; a frozen digest matches
    // no row of the `WHERE`, so nothing comes back and it stays exactly as sent.
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO digests (week, subject, html, text, story_count, created_at, markdown, view)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (week) DO UPDATE SET subject = excluded.subject, html = excluded.html,
            text = excluded.text, story_count = excluded.story_count,
            created_at = excluded.created_at, markdown = excluded.markdown, view = excluded.view
         WHERE digests.frozen_at IS NULL
         RETURNING id",
    )
    .bind(&week)
    .bind(d.subject)
    .bind(d.html)
    .bind(d.text)
    .bind(d.entry_ids.len() as i64)
    .bind(ts(now))
    .bind(d.markdown)
    .bind(d.view)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        return Err(StoreError::Duplicate(format!(
            "the digest of {week} was already sent, so it"
        )));
    };
    for table in ["digest_entries", "digest_skipped"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE digest_id = $1"))
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    for (entry_id, reason) in d.skipped {
        sqlx::query("INSERT INTO digest_skipped (digest_id, entry_id, reason) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(entry_id)
            .bind(reason.as_str())
            .execute(&mut *tx)
            .await?;
    }
    for (pos, entry_id) in d.entry_ids.iter().enumerate() {
        sqlx::query(
            "INSERT INTO digest_entries (digest_id, entry_id, position) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(entry_id)
        .bind(pos as i64)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// How a sent digest settled a story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    /// The sent digest's week.
    pub week: DigestWeek,
    /// Whether it carried the story (else it cut or excluded it).
    pub carried: bool,
}

/// Of `stories` (ids of original entries), those a frozen digest already settled — carried, cut
/// by a cap or excluded — through the entry itself or any copy of it: deduplication may regroup
/// entries after a digest went out (the entry that was sent becoming a copy of an older one),
/// and the story must still not go out twice. Settled stories never go into another digest.
pub async fn settled(
    pool: &Pool,
    stories: &[i64],
) -> Result<std::collections::HashMap<i64, Settled>, StoreError> {
    let mut out = std::collections::HashMap::new();
    for chunk in stories.chunks(300) {
        let mut qb = sqlx::QueryBuilder::<super::Db>::new("SELECT CASE WHEN e.duplicate_of IN (");
        push_list(&mut qb, chunk);
        qb.push(
            ") THEN e.duplicate_of ELSE e.id END AS story, d.week, x.carried FROM (
                SELECT digest_id, entry_id, 1 AS carried FROM digest_entries
                UNION ALL SELECT digest_id, entry_id, 0 AS carried FROM digest_skipped) x
             JOIN digests d ON d.id = x.digest_id
             JOIN entries e ON e.id = x.entry_id
             WHERE d.frozen_at IS NOT NULL AND (e.id IN (",
        );
        push_list(&mut qb, chunk);
        qb.push(") OR e.duplicate_of IN (");
        push_list(&mut qb, chunk);
        qb.push(")) ORDER BY x.carried, d.week");
        let rows: Vec<(i64, String, i64)> = qb.build_query_as().fetch_all(pool).await?;
        // Carried rows come last, so they win over a skip in another digest.
        for (story, week, carried) in rows {
            let week = week
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("digest week: {e}")))?;
            out.insert(
                story,
                Settled {
                    week,
                    carried: carried == 1,
                },
            );
        }
    }
    Ok(out)
}

fn push_list(qb: &mut sqlx::QueryBuilder<'_, super::Db>, ids: &[i64]) {
    let mut list = qb.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
}

/// Freezes a digest and snapshots its recipients (the subscribers confirmed now, bouncing ones
/// left out) into the delivery ledger, in one transaction. Idempotent: a frozen digest keeps its first snapshot.
/// Returns the number of deliveries created by this call.
pub async fn freeze(pool: &Pool, digest_id: i64, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let mut tx = super::begin_write(pool).await?;
    let updated =
        sqlx::query("UPDATE digests SET frozen_at = $2 WHERE id = $1 AND frozen_at IS NULL")
            .bind(digest_id)
            .bind(ts(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
    let created = if updated == 1 {
        sqlx::query(
            "INSERT INTO deliveries (digest_id, subscriber_id, status)
             SELECT $1, id, 'pending' FROM subscribers
             WHERE status = 'confirmed' AND bouncing_at IS NULL
             ON CONFLICT (digest_id, subscriber_id) DO NOTHING",
        )
        .bind(digest_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
    } else {
        0
    };
    tx.commit().await?;
    Ok(created)
}

/// Marks a digest as fully sent.
pub async fn mark_sent(pool: &Pool, digest_id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query("UPDATE digests SET sent_at = $2 WHERE id = $1 AND sent_at IS NULL")
        .bind(digest_id)
        .bind(ts(now))
        .execute(pool)
        .await?;
    Ok(())
}
