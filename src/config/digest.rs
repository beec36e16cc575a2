//! `[digest]`: which week, which stories, how many, in what order.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{ConfigError, TimeZone, WeekStart};

/// `[digest]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DigestSettings {
    /// IANA time zone in which weeks start and end.
    pub timezone: TimeZone,
    /// The day a digest's week starts on (its label is the ISO week holding most of its days).
    pub week_starts: WeekStart,
    /// A folder with copies of the templates to use instead of the built-in ones.
    pub templates: Option<PathBuf>,
    /// A cap the organiser sets on the stories of one digest; 0 (the default) means every story
    /// of the week goes out. Stories it cuts are listed by `digest stories` and warned about;
    /// pinned stories are never cut.
    pub max_stories: usize,
    /// Stories (in reading order) shown in the e-mail with a full card (excerpt, thumbnail);
    /// the others get a compact line each (linked title, blog, author).
    pub featured: usize,
    /// Fewest stories worth an e-mail; a smaller week sends nothing and its stories roll on.
    pub min_stories: usize,
    /// Most stories from one blog in one digest; 0 means no limit.
    pub max_per_blog: usize,
    /// Days before its week's start that a late-discovered story may have been published and
    /// still make a digest.
    pub grace_days: u32,
    /// How stories are grouped: `none`, `blog` or `tag`.
    pub group_by: GroupBy,
    /// Order of the stories (within each group): `oldest` or `newest` first.
    pub order: StoryOrder,
    /// Send an e-mail (saying it was a quiet week) when a week has no story.
    pub send_empty: bool,
    /// Words kept in a story's excerpt.
    pub excerpt_words: usize,
}

impl Default for DigestSettings {
    fn default() -> Self {
        Self {
            timezone: TimeZone(chrono_tz::UTC),
            week_starts: WeekStart(chrono::Weekday::Mon),
            templates: None,
            max_stories: 0,
            featured: 10,
            min_stories: 1,
            max_per_blog: 0,
            grace_days: 14,
            group_by: GroupBy::None,
            order: StoryOrder::Oldest,
            send_empty: false,
            excerpt_words: 60,
        }
    }
}

/// How a digest groups its stories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    /// One list.
    None,
    /// One section per blog, blogs in alphabetical order.
    Blog,
    /// One section per tag: the blog's first organiser tag, else the post's first category,
    /// else "Other" (last).
    Tag,
}

/// Which stories come first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoryOrder {
    /// Oldest first: the week read as a diary.
    Oldest,
    /// Newest first.
    Newest,
}

impl DigestSettings {
    /// Checks combinations of keys that each parse on their own.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let d = self;
        if d.max_stories > 0 && d.min_stories > d.max_stories {
            return Err(ConfigError::Invalid(format!(
                "digest.min_stories ({}) is larger than digest.max_stories ({})",
                d.min_stories, d.max_stories
            )));
        }
        if d.send_empty && d.min_stories > 0 {
            return Err(ConfigError::Invalid(format!(
                "digest.send_empty = true needs digest.min_stories = 0 (it is {}): a week below \
                 the minimum sends nothing",
                d.min_stories
            )));
        }
        if d.excerpt_words == 0 {
            return Err(ConfigError::Invalid(
                "digest.excerpt_words must be at least 1".into(),
            ));
        }
        Ok(())
    }
}
