//! The `entries` aggregate: posts, deduplicated per feed by guid.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection, sqlite::SqliteRow};

use super::{Pool, StoreError, from_ts, ts};
use crate::domain::{Entry, NewEntry, SanitizedHtml};

/// Rewrites a known entry whose content changed. `first_seen` and the publication date never
/// move, so a post that is edited does not jump to a later digest.
/// `stored_guid` is the guid the entry is stored under: the entry's own, or the one it had before
/// its feed changed it (the entry then takes the new one).
async fn update(
    conn: &mut SqliteConnection,
    feed_id: i64,
    stored_guid: &str,
    entry: &NewEntry,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE entries SET url = $3, title = $4, author = $5, updated_at = $6,
            summary = $7, content = $8, content_hash = $9, word_count = $10, image_url = $11,
            tags = $12, norm_url = $13, canonical_url = $14, sketch = $15, guid = $16
         WHERE feed_id = $1 AND guid = $2",
    )
    .bind(feed_id)
    .bind(stored_guid)
    .bind(&entry.url)
    .bind(&entry.title)
    .bind(&entry.author)
    .bind(entry.updated.map(|u| ts(u.min(now))))
    .bind(&entry.summary)
    .bind(entry.content.as_str())
    .bind(&entry.content_hash)
    .bind(entry.word_count as i64)
    .bind(&entry.image_url)
    .bind(tags_json(&entry.tags))
    .bind(&entry.norm_url)
    .bind(&entry.canonical_url)
    .bind(entry.sketch.to_bytes())
    .bind(&entry.guid)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stores a feed's entries in one go: one query reads the known hashes, one multi-row `INSERT`
/// adds the new entries, and only entries whose content changed are updated, in place. A guid
/// repeated within the document counts once (the first wins). An unknown guid whose normalised
/// link is that of a stored entry of this feed whose guid left the document is the same post
/// with a changed guid: that entry is updated in place and takes the new guid (see
/// [`crate::ingest::parse`] for the identity rules). Entries that left the feed are kept. A missing publication date takes
/// the first-seen time; a date in the future is clamped to it, so a wrong clock cannot pin a post
/// to the top of a digest. Returns (inserted, updated).
///
/// `first_time` says the feed has no stored entry yet (its first fetch), which saves reading
/// the known hashes: every entry is new.
pub async fn upsert_all(
    conn: &mut SqliteConnection,
    feed_id: i64,
    entries: &[NewEntry],
    first_time: bool,
    now: DateTime<Utc>,
) -> Result<(usize, usize), StoreError> {
    use std::collections::{HashMap, HashSet};
    if entries.is_empty() {
        return Ok((0, 0));
    }
    let stored: Vec<(String, String, Option<String>)> = if first_time {
        Vec::new()
    } else {
        sqlx::query_as("SELECT guid, content_hash, norm_url FROM entries WHERE feed_id = $1")
            .bind(feed_id)
            .fetch_all(&mut *conn)
            .await?
    };
    let known: HashMap<&str, &str> = stored.iter().map(|(g, h, _)| (&**g, &**h)).collect();
    let in_document: HashSet<&str> = entries.iter().map(|e| e.guid.as_str()).collect();
    // Stored entries whose guid left the document, by link: candidates for a changed guid.
    let mut departed: HashMap<&str, &str> = stored
        .iter()
        .filter(|(g, _, _)| !in_document.contains(g.as_str()))
        .filter_map(|(g, _, u)| Some((u.as_deref()?, g.as_str())))
        .collect();
    let mut seen = HashSet::with_capacity(entries.len());
    let mut fresh = Vec::new();
    let mut updated = 0;
    for e in entries {
        if !seen.insert(e.guid.as_str()) {
            continue;
        }
        match known.get(e.guid.as_str()) {
            None => match e.norm_url.as_deref().and_then(|u| departed.remove(u)) {
                Some(old_guid) => {
                    update(conn, feed_id, old_guid, e, now).await?;
                    updated += 1;
                }
                None => fresh.push(e),
            },
            Some(hash) if *hash == e.content_hash => {}
            Some(_) => {
                update(conn, feed_id, &e.guid, e, now).await?;
                updated += 1;
            }
        }
    }
    // 17 parameters a row; SQLite allows 32,766 per statement.
    for chunk in fresh.chunks(500) {
        let mut qb = sqlx::QueryBuilder::<super::Db>::new(
            "INSERT INTO entries (feed_id, guid, url, title, author, published_at, updated_at,
                summary, content, content_hash, first_seen_at, word_count, image_url, tags,
                norm_url, canonical_url, sketch) ",
        );
        qb.push_values(chunk, |mut row, e| {
            let published = e.published.map_or(now, |p| p.min(now));
            row.push_bind(feed_id)
                .push_bind(&e.guid)
                .push_bind(&e.url)
                .push_bind(&e.title)
                .push_bind(&e.author)
                .push_bind(ts(published))
                .push_bind(e.updated.map(|u| ts(u.min(now))))
                .push_bind(&e.summary)
                .push_bind(e.content.as_str())
                .push_bind(&e.content_hash)
                .push_bind(ts(now))
                .push_bind(e.word_count as i64)
                .push_bind(&e.image_url)
                .push_bind(tags_json(&e.tags))
                .push_bind(&e.norm_url)
                .push_bind(&e.canonical_url)
                .push_bind(e.sketch.to_bytes());
        });
        qb.push(" ON CONFLICT (feed_id, guid) DO NOTHING");
        qb.build().execute(&mut *conn).await?;
    }
    Ok((fresh.len(), updated))
}

fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".to_string())
}

const SELECT: &str = "SELECT e.id, e.feed_id, f.url AS feed_url,
        COALESCE(f.title, f.feed_title, f.url) AS feed_title, e.guid, e.url, e.title,
        COALESCE(e.author, f.author) AS author, e.published_at, e.updated_at, e.first_seen_at,
        e.summary, e.content, e.word_count, e.image_url, e.tags,
        COALESCE(e.duplicate_of, e.id) AS story
    FROM entries e JOIN feeds f ON f.id = e.feed_id";

fn entry(row: &SqliteRow) -> Result<Entry, sqlx::Error> {
    Ok(Entry {
        id: row.try_get("id")?,
        feed_id: row.try_get("feed_id")?,
        feed_url: row.try_get("feed_url")?,
        feed_title: row.try_get("feed_title")?,
        guid: row.try_get("guid")?,
        url: row.try_get("url")?,
        title: row.try_get("title")?,
        author: row.try_get("author")?,
        published: from_ts(row.try_get("published_at")?),
        updated: row.try_get::<Option<i64>, _>("updated_at")?.map(from_ts),
        first_seen: from_ts(row.try_get("first_seen_at")?),
        summary: row.try_get("summary")?,
        content: SanitizedHtml::from_trusted_store(row.try_get("content")?),
        word_count: row.try_get("word_count")?,
        image_url: row.try_get("image_url")?,
        tags: serde_json::from_str(row.try_get("tags")?).unwrap_or_default(),
        story: row.try_get("story")?,
    })
}

/// The `limit` most recently published entries, newest first (the "planet" feed).
pub async fn latest(pool: &Pool, limit: i64) -> Result<Vec<Entry>, StoreError> {
    let rows = sqlx::query(&format!(
        "{SELECT} ORDER BY e.published_at DESC, e.id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(entry).collect::<Result<_, _>>()?)
}

/// Entries, newest first, optionally of one feed and published at or after `since`.
pub async fn list(
    pool: &Pool,
    feed_id: Option<i64>,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<Entry>, StoreError> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE ($1 IS NULL OR e.feed_id = $1) AND ($2 IS NULL OR e.published_at >= $2)
         ORDER BY e.published_at DESC, e.id DESC"
    ))
    .bind(feed_id)
    .bind(since.map(ts))
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(entry).collect::<Result<_, _>>()?)
}

/// Candidates for a digest covering `[start, end)`: the stories (through their originals) of
/// which any member — the original or a copy — was published in the week, or published in
/// `[oldest, start)` and first seen before `end` (discovered too late for its own week). So a
/// copy found this week brings in its story even when the original is older than the grace
/// period or was never in a digest (its blog was added later). Originals that a frozen digest
/// already holds are never candidates; the caller drops stories settled through a copy.
/// Oldest first.
pub async fn digest_candidates(
    pool: &Pool,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    oldest: DateTime<Utc>,
) -> Result<Vec<Entry>, StoreError> {
    let rows = sqlx::query(&format!(
        "{SELECT}
         WHERE e.duplicate_of IS NULL
           AND e.id IN (SELECT COALESCE(m.duplicate_of, m.id) FROM entries m
                        WHERE (m.published_at >= $1 AND m.published_at < $2)
                           OR (m.published_at >= $3 AND m.published_at < $1
                               AND m.first_seen_at < $2))
           AND NOT EXISTS (SELECT 1 FROM digest_entries de JOIN digests d ON d.id = de.digest_id
                           WHERE de.entry_id = e.id AND d.frozen_at IS NOT NULL)
         ORDER BY e.published_at, e.id"
    ))
    .bind(ts(start))
    .bind(ts(end))
    .bind(ts(oldest))
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(entry).collect::<Result<_, _>>()?)
}

/// The entries with these ids (unknown ids are left out), by id.
pub async fn by_ids(pool: &Pool, ids: &[i64]) -> Result<Vec<Entry>, StoreError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut qb = sqlx::QueryBuilder::<super::Db>::new(format!("{SELECT} WHERE e.id IN ("));
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        qb.push(") ORDER BY e.id");
        let rows = qb.build().fetch_all(pool).await?;
        for row in &rows {
            out.push(entry(row)?);
        }
    }
    Ok(out)
}

/// Another place where a story was published ("also on ...").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlsoOn {
    /// The other blog's name.
    pub feed_title: String,
    /// The copy's link, if it has one.
    pub url: Option<String>,
}

/// For each of `stories` (ids of original entries), the other feeds that carry it, by blog name.
pub async fn also_on(
    pool: &Pool,
    stories: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<AlsoOn>>, StoreError> {
    let mut out: std::collections::HashMap<i64, Vec<AlsoOn>> = std::collections::HashMap::new();
    for chunk in stories.chunks(500) {
        let mut qb = sqlx::QueryBuilder::<super::Db>::new(
            "SELECT e.duplicate_of, COALESCE(f.title, f.feed_title, f.url) AS feed_title, e.url
             FROM entries e JOIN feeds f ON f.id = e.feed_id WHERE e.duplicate_of IN (",
        );
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        qb.push(") ORDER BY feed_title, e.id");
        let rows: Vec<(i64, String, Option<String>)> = qb.build_query_as().fetch_all(pool).await?;
        for (story, feed_title, url) in rows {
            let list = out.entry(story).or_default();
            if !list.iter().any(|a| a.feed_title == feed_title) {
                list.push(AlsoOn { feed_title, url });
            }
        }
    }
    Ok(out)
}
