//! Stories written straight into the test database, for digests built from exact data (dates,
//! first-seen times, duplicates) that no feed fixture could give.

use chrono::{DateTime, TimeZone, Utc};

/// One entry to insert; `story(...)` fills the usual values.
#[derive(Debug, Clone)]
pub struct Story {
    /// The feed's id (feeds are numbered 1, 2, ... in the order they were added).
    pub feed: i64,
    /// Title.
    pub title: String,
    /// Link.
    pub url: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// Publication time.
    pub published: DateTime<Utc>,
    /// When Chronicle first saw it (defaults to `published`).
    pub first_seen: DateTime<Utc>,
    /// Plain-text summary.
    pub summary: String,
    /// Thumbnail.
    pub image_url: Option<String>,
    /// Categories.
    pub tags: Vec<String>,
    /// Words (reading time).
    pub words: i64,
    /// The original, when this entry is a copy.
    pub duplicate_of: Option<i64>,
}

/// A story of `feed` published at `y-m-d h:00` UTC.
pub fn story(feed: i64, title: &str, (y, m, d, h): (i32, u32, u32, u32)) -> Story {
    let published = Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();
    let slug: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    Story {
        feed,
        title: title.to_string(),
        url: Some(format!("https://blog{feed}.example.org/{slug}")),
        author: Some(format!("Author {feed}")),
        published,
        first_seen: published,
        summary: format!("What {title} is about, in a few plain words."),
        image_url: None,
        tags: Vec::new(),
        words: 460,
        duplicate_of: None,
    }
}

/// A time, for `first_seen`.
pub fn at((y, m, d, h): (i32, u32, u32, u32)) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

/// Inserts `s` and returns its id.
pub async fn insert(pool: &sqlx::SqlitePool, s: &Story) -> i64 {
    let guid = format!("{}-{}", s.feed, s.title);
    sqlx::query_scalar(
        "INSERT INTO entries (feed_id, guid, url, title, author, published_at, summary, content,
            content_hash, first_seen_at, word_count, image_url, tags, duplicate_of)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(s.feed)
    .bind(&guid)
    .bind(&s.url)
    .bind(&s.title)
    .bind(&s.author)
    .bind(s.published.timestamp())
    .bind(&s.summary)
    .bind(format!("<p>{}</p>", s.summary.replace('<', "&lt;")))
    .bind(&guid)
    .bind(s.first_seen.timestamp())
    .bind(s.words)
    .bind(&s.image_url)
    .bind(serde_json::to_string(&s.tags).unwrap())
    .bind(s.duplicate_of)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The entry ids a week's stored digest carries, in order.
pub async fn digest_ids(pool: &sqlx::SqlitePool, week: &str) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT de.entry_id FROM digest_entries de JOIN digests d ON d.id = de.digest_id
         WHERE d.week = $1 ORDER BY de.position",
    )
    .bind(week)
    .fetch_all(pool)
    .await
    .unwrap()
}
