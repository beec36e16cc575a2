//! What the public site reads: the river of recent stories and the blogroll. Light queries that
//! never read posts' bodies (the river shows the stored plain-text summary).

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Pool, StoreError, from_ts};

/// One story in the river.
#[derive(Debug, Clone)]
pub struct RiverItem {
    /// Title.
    pub title: String,
    /// Link to the post.
    pub url: Option<String>,
    /// Author (the feed's author setting when the entry names none).
    pub author: Option<String>,
    /// The blog's name.
    pub blog: String,
    /// The blog's home page.
    pub blog_url: Option<String>,
    /// Publication time.
    pub published: DateTime<Utc>,
    /// Plain-text excerpt.
    pub summary: String,
}

/// The `limit` newest stories (originals only: a story carried by several feeds shows once).
pub async fn river(pool: &Pool, limit: i64) -> Result<Vec<RiverItem>, StoreError> {
    let rows = sqlx::query(
        "SELECT e.title, e.url, COALESCE(e.author, f.author) AS author,
                COALESCE(f.title, f.feed_title, f.url) AS blog, f.site_url, e.published_at,
                e.summary
         FROM entries e JOIN feeds f ON f.id = e.feed_id
         WHERE e.duplicate_of IS NULL AND f.enabled = 1
         ORDER BY e.published_at DESC, e.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RiverItem {
                title: r.try_get("title")?,
                url: r.try_get("url")?,
                author: r.try_get("author")?,
                blog: r.try_get("blog")?,
                blog_url: r.try_get("site_url")?,
                published: from_ts(r.try_get("published_at")?),
                summary: r.try_get("summary")?,
            })
        })
        .collect()
}

/// One followed blog.
#[derive(Debug, Clone)]
pub struct Blog {
    /// The blog's name.
    pub title: String,
    /// Its home page.
    pub site_url: Option<String>,
    /// Its feed.
    pub feed_url: String,
    /// Its newest post: title, link, date.
    pub last_post: Option<(String, Option<String>, DateTime<Utc>)>,
}

/// Every enabled feed, by name.
pub async fn blogroll(pool: &Pool) -> Result<Vec<Blog>, StoreError> {
    let rows = sqlx::query(
        "SELECT COALESCE(f.title, f.feed_title, f.url) AS blog, f.site_url, f.url,
                l.title AS post_title, l.url AS post_url, l.published_at
         FROM feeds f
         LEFT JOIN entries l ON l.id = (SELECT e.id FROM entries e WHERE e.feed_id = f.id
                                        ORDER BY e.published_at DESC, e.id DESC LIMIT 1)
         WHERE f.enabled = 1
         ORDER BY LOWER(COALESCE(f.title, f.feed_title, f.url)), f.id",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let post: Option<String> = r.try_get("post_title")?;
            let last_post = match post {
                Some(t) => Some((
                    t,
                    r.try_get("post_url")?,
                    from_ts(r.try_get("published_at")?),
                )),
                None => None,
            };
            Ok(Blog {
                title: r.try_get("blog")?,
                site_url: r.try_get("site_url")?,
                feed_url: r.try_get("url")?,
                last_post,
            })
        })
        .collect()
}

/// How many blogs are followed (enabled feeds).
pub async fn blog_count(pool: &Pool) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM feeds WHERE enabled = 1")
            .fetch_one(pool)
            .await?,
    )
}
