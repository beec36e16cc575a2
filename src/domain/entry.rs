//! Records that flow between stages: a parsed feed, a new entry, a stored entry, a feed's state,
//! a subscriber.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{FeedUrl, SanitizedHtml, SubscriberEmail};

/// What the parser made of one feed document.
#[derive(Debug, Clone, Default)]
pub struct ParsedFeed {
    /// The feed's own title, as plain text.
    pub title: Option<String>,
    /// The blog's home page.
    pub site_url: Option<String>,
    /// RSS `<ttl>`, in minutes.
    pub ttl_minutes: Option<u32>,
    /// Entries in document order.
    pub entries: Vec<NewEntry>,
}

/// One entry, normalised and sanitised, ready to be stored.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// Stable identity within its feed (guid, else link, else a hash of title and content).
    pub guid: String,
    /// Absolute link to the post.
    pub url: Option<String>,
    /// Plain-text title.
    pub title: String,
    /// Author's name.
    pub author: Option<String>,
    /// When the post was published, if the feed says.
    pub published: Option<DateTime<Utc>>,
    /// When the post was last updated, if the feed says.
    pub updated: Option<DateTime<Utc>>,
    /// Plain-text excerpt.
    pub summary: String,
    /// Sanitised full content.
    pub content: SanitizedHtml,
    /// Hash of title, link and content: tells a changed entry from an unchanged one.
    pub content_hash: String,
    /// Words in the content (for reading time); a character of a script without spaces
    /// (Chinese, Japanese, Thai) counts as one ([`crate::html::script`]).
    pub word_count: usize,
    /// The post's first image (absolute http(s) URL).
    pub image_url: Option<String>,
    /// The post's categories.
    pub tags: Vec<String>,
    /// Normalised link ([`crate::ingest::normalize::normalize_url`]): the cross-feed dedup key.
    pub norm_url: Option<String>,
    /// Normalised `rel=canonical` or "originally published at" link found in the content.
    pub canonical_url: Option<String>,
    /// Sketch of the whole text, for telling copies of one article from other posts.
    pub sketch: super::Sketch,
}

/// A stored entry, with the feed it came from.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Database id.
    pub id: i64,
    /// The feed's id.
    pub feed_id: i64,
    /// The feed's URL.
    pub feed_url: String,
    /// The blog's name (the organiser's title, else the feed's).
    pub feed_title: String,
    /// Identity within the feed.
    pub guid: String,
    /// Link to the post.
    pub url: Option<String>,
    /// Plain-text title.
    pub title: String,
    /// Author's name.
    pub author: Option<String>,
    /// Publication time (first-seen time when the feed gave none).
    pub published: DateTime<Utc>,
    /// Last update, if the feed says.
    pub updated: Option<DateTime<Utc>>,
    /// When Chronicle first stored it.
    pub first_seen: DateTime<Utc>,
    /// Plain-text excerpt.
    pub summary: String,
    /// Sanitised content.
    pub content: SanitizedHtml,
    /// Words in the content; a character of a script without spaces counts as one.
    pub word_count: i64,
    /// The post's first image (absolute http(s) URL), for a thumbnail.
    pub image_url: Option<String>,
    /// The post's categories, as the feed gives them.
    pub tags: Vec<String>,
    /// The story this entry belongs to: its own id for an original, else the original's id.
    pub story: i64,
}

impl Entry {
    /// Minutes to read the whole post, at least one: 230 words a minute, or 500 characters a
    /// minute when the post is mostly in a script without spaces (its word count then counts
    /// characters); see [`crate::html::script::reading_minutes`].
    pub fn reading_minutes(&self) -> u32 {
        crate::html::script::reading_minutes(self.word_count.max(0) as u64, &self.summary)
    }
}

/// A feed and its polling state, as the organiser sees it in `feeds list`.
#[derive(Debug, Clone, Serialize)]
pub struct FeedRecord {
    /// Database id.
    pub id: i64,
    /// The feed's address.
    pub url: String,
    /// The organiser's title, if set.
    pub title: Option<String>,
    /// The organiser's author override, if set.
    pub author: Option<String>,
    /// The organiser's tags.
    pub tags: Vec<String>,
    /// The feed's own title.
    pub feed_title: Option<String>,
    /// The blog's home page.
    pub site_url: Option<String>,
    /// `ETag` of the last 200 response.
    pub etag: Option<String>,
    /// `Last-Modified` of the last 200 response.
    pub last_modified: Option<String>,
    /// `ok`, `not modified`, `error`, or none before the first fetch.
    pub last_status: Option<String>,
    /// The last error in plain words.
    pub last_error: Option<String>,
    /// Consecutive errors.
    pub error_count: i64,
    /// Last fetch attempt.
    pub last_fetched_at: Option<DateTime<Utc>>,
    /// Last successful fetch.
    pub last_success_at: Option<DateTime<Utc>>,
    /// When the feed is due again.
    pub next_check_at: DateTime<Utc>,
    /// Whether it is polled.
    pub enabled: bool,
    /// Hash of the last 200 body (an identical body is not parsed again).
    #[serde(skip)]
    pub body_hash: Option<String>,
    /// Entries stored for it.
    pub entry_count: i64,
}

impl FeedRecord {
    /// The feed as a typed URL.
    pub fn feed_url(&self) -> Option<FeedUrl> {
        FeedUrl::parse(&self.url).ok()
    }

    /// The name shown for the blog.
    pub fn display_title(&self) -> &str {
        self.title
            .as_deref()
            .or(self.feed_title.as_deref())
            .unwrap_or(&self.url)
    }
}

/// Where a subscriber stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriberStatus {
    /// Signed up, not yet confirmed (double opt-in).
    Pending,
    /// Receives the digest.
    Confirmed,
    /// Left; kept so that an import does not re-add them silently.
    Unsubscribed,
}

impl SubscriberStatus {
    /// The value stored in the database.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Unsubscribed => "unsubscribed",
        }
    }

    /// Reads the stored value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "confirmed" => Some(Self::Confirmed),
            "unsubscribed" => Some(Self::Unsubscribed),
            _ => None,
        }
    }
}

/// A reader.
#[derive(Debug, Clone, Serialize)]
pub struct Subscriber {
    /// Database id.
    pub id: i64,
    /// Address.
    #[serde(serialize_with = "ser_display")]
    pub email: SubscriberEmail,
    /// Status.
    pub status: SubscriberStatus,
    /// Secret used in the unsubscribe link.
    #[serde(skip)]
    pub token: String,
    /// When they were added.
    pub created_at: DateTime<Utc>,
}

fn ser_display<S: serde::Serializer>(v: &SubscriberEmail, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}
