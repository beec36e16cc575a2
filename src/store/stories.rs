//! Stories in the `entries` table (`duplicate_of`, `story_via`, `story_rule`, `story_distance`,
//! `sketch`) and the organiser's `story_overrides`.

use chrono::{DateTime, Utc};

use super::{Pool, StoreError, ts};
use crate::domain::{Sketch, StoryLink, StoryOverride, StoryRecord, StoryRule};

type Row = (
    i64,
    i64,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<Vec<u8>>,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<f64>,
);

const COLUMNS: &str = "id, feed_id, norm_url, canonical_url, title, author, sketch, \
                       published_at, first_seen_at, duplicate_of, story_via, story_rule, \
                       story_distance";

/// Entries first seen since `since` whose sketch was never made (stored before sketches
/// existed), with their sanitised content.
pub async fn unsketched(
    pool: &Pool,
    since: DateTime<Utc>,
) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, content FROM entries WHERE first_seen_at >= $1 AND sketch IS NULL",
    )
    .bind(ts(since))
    .fetch_all(pool)
    .await?)
}

/// What is derived again from the stored content of an entry stored by an older version.
#[derive(Debug, Clone)]
pub struct Rederived {
    /// Entry id.
    pub id: i64,
    /// Its text's sketch.
    pub sketch: Sketch,
    /// Its excerpt and word count, when the content has text (else they stay as stored).
    pub summary: Option<(String, usize)>,
}

/// Stores what was derived again. One transaction.
pub async fn set_rederived(pool: &Pool, rows: &[Rederived]) -> Result<(), StoreError> {
    let mut tx = super::begin_write(pool).await?;
    for r in rows {
        let (summary, words) = match &r.summary {
            Some((s, w)) => (Some(s.as_str()), Some(*w as i64)),
            None => (None, None),
        };
        sqlx::query(
            "UPDATE entries SET sketch = $2, summary = COALESCE($3, summary),
                word_count = COALESCE($4, word_count) WHERE id = $1",
        )
        .bind(r.id)
        .bind(r.sketch.to_bytes())
        .bind(summary)
        .bind(words)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What story grouping reads: entries first seen since `since` (a post's publication date is
/// never later than its first-seen time, so this holds every post published since then too),
/// the originals that any of them currently points at (so a copy is never released for want of
/// its original), and the entries the organiser's overrides name.
pub async fn window(pool: &Pool, since: DateTime<Utc>) -> Result<Vec<StoryRecord>, StoreError> {
    let mut rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM entries WHERE first_seen_at >= $1"
    ))
    .bind(ts(since))
    .fetch_all(pool)
    .await?;
    let inside: std::collections::HashSet<i64> = rows.iter().map(|r| r.0).collect();
    let named: Vec<(i64, i64)> = sqlx::query_as("SELECT entry_id, other_id FROM story_overrides")
        .fetch_all(pool)
        .await?;
    let mut outside: Vec<i64> = rows
        .iter()
        .filter_map(|r| r.9)
        .chain(named.iter().flat_map(|&(a, b)| [a, b]))
        .filter(|id| !inside.contains(id))
        .collect();
    outside.sort_unstable();
    outside.dedup();
    for chunk in outside.chunks(500) {
        let mut qb = sqlx::QueryBuilder::<super::Db>::new(format!(
            "SELECT {COLUMNS} FROM entries WHERE id IN ("
        ));
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        qb.push(")");
        rows.extend(qb.build_query_as::<Row>().fetch_all(pool).await?);
    }
    rows.sort_unstable_by_key(|r| r.0);
    let sent: std::collections::HashMap<i64, i64> = sqlx::query_as(
        "SELECT de.entry_id, MIN(d.frozen_at) FROM digest_entries de
         JOIN digests d ON d.id = de.digest_id
         WHERE d.frozen_at IS NOT NULL GROUP BY de.entry_id",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    Ok(rows.into_iter().map(|r| record(r, &sent)).collect())
}

fn record(r: Row, sent: &std::collections::HashMap<i64, i64>) -> StoryRecord {
    let (id, feed_id, norm_url, canonical_url, title, author, sketch) =
        (r.0, r.1, r.2, r.3, r.4, r.5, r.6);
    StoryRecord {
        id,
        feed_id,
        norm_url,
        canonical_url,
        title,
        author,
        // A sketch that does not decode (never written by this code) counts as none.
        sketch: sketch
            .and_then(|b| Sketch::from_bytes(&b))
            .unwrap_or_default(),
        published: r.7,
        first_seen: r.8,
        sent_at: sent.get(&id).copied(),
        link: StoryLink {
            original: r.9,
            via: r.10,
            rule: r.11.as_deref().and_then(StoryRule::parse),
            distance: r.12,
        },
    }
}

/// Records each entry's story link. One transaction.
pub async fn set_links(pool: &Pool, changes: &[(i64, StoryLink)]) -> Result<(), StoreError> {
    let mut tx = super::begin_write(pool).await?;
    for (id, link) in changes {
        sqlx::query(
            "UPDATE entries SET duplicate_of = $2, story_via = $3, story_rule = $4,
                story_distance = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(link.original)
        .bind(link.via)
        .bind(link.rule.map(StoryRule::as_str))
        .bind(link.distance)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The organiser's merges and splits.
pub async fn overrides(pool: &Pool) -> Result<Vec<StoryOverride>, StoreError> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT entry_id, other_id, together FROM story_overrides ORDER BY entry_id, other_id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(entry_id, other_id, together)| StoryOverride {
            entry_id,
            other_id,
            together: together == 1,
        })
        .collect())
}

/// Records the organiser's word on `entry` and each of `others`: together (merge) or apart
/// (split). A later word on the same pair replaces an earlier one, in either direction.
pub async fn set_overrides(
    pool: &Pool,
    entry: i64,
    others: &[i64],
    together: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = super::begin_write(pool).await?;
    for &other in others {
        sqlx::query(
            "DELETE FROM story_overrides WHERE (entry_id = $1 AND other_id = $2)
                OR (entry_id = $2 AND other_id = $1)",
        )
        .bind(entry)
        .bind(other)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO story_overrides (entry_id, other_id, together, created_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(entry)
        .bind(other)
        .bind(i64::from(together))
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// One member of a story as the organiser sees it: the entry, its blog, and its link.
#[derive(Debug, Clone)]
pub struct Member {
    /// Entry id.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Its blog's name.
    pub blog: String,
    /// How it joined the story (all `None` for the original).
    pub link: StoryLink,
}

/// Every member of `entry`'s story, the original first, with how each joined.
pub async fn story_of(pool: &Pool, entry: i64) -> Result<Vec<Member>, StoreError> {
    type MemberRow = (
        i64,
        String,
        String,
        Option<i64>,
        Option<i64>,
        Option<String>,
        Option<f64>,
    );
    let rows: Vec<MemberRow> = sqlx::query_as(
        "WITH s AS (SELECT COALESCE(duplicate_of, id) AS story FROM entries WHERE id = $1)
             SELECT e.id, e.title, COALESCE(f.title, f.feed_title, f.url), e.duplicate_of,
                    e.story_via, e.story_rule, e.story_distance
             FROM entries e JOIN feeds f ON f.id = e.feed_id, s
             WHERE e.id = s.story OR e.duplicate_of = s.story
             ORDER BY e.duplicate_of IS NOT NULL, e.id",
    )
    .bind(entry)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, title, blog, original, via, rule, distance)| Member {
            id,
            title,
            blog,
            link: StoryLink {
                original,
                via,
                rule: rule.as_deref().and_then(StoryRule::parse),
                distance,
            },
        })
        .collect())
}

/// Entries the organiser keeps apart from `entry` (by `entries split`).
pub async fn kept_apart(pool: &Pool, entry: i64) -> Result<Vec<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT CASE WHEN entry_id = $1 THEN other_id ELSE entry_id END FROM story_overrides
         WHERE together = 0 AND (entry_id = $1 OR other_id = $1) ORDER BY 1",
    )
    .bind(entry)
    .fetch_all(pool)
    .await?)
}

/// Forgets that `entry` is kept apart from any of `others` (before a merge by hand).
pub async fn clear_apart(pool: &Pool, entry: i64, others: &[i64]) -> Result<(), StoreError> {
    let mut tx = super::begin_write(pool).await?;
    for &other in others {
        sqlx::query(
            "DELETE FROM story_overrides WHERE together = 0
               AND ((entry_id = $1 AND other_id = $2) OR (entry_id = $2 AND other_id = $1))",
        )
        .bind(entry)
        .bind(other)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
