//! Which stories a week's digest holds.
//!
//! The rule: a story belongs to the digest of the week (in `digest.timezone`) in which it was
//! published. A story that missed its own week's digest (a feed that was down, a back-dated post,
//! a blog added later) joins the next digest built, unless it was published more than
//! [`GRACE_DAYS`] before that digest's week starts, so adding a blog does not flood readers with
//! its back catalogue. A story already held by a frozen (sent) digest is never selected again, so
//! across consecutive digests none is lost within the grace period and none appears twice.
//! Stories come out oldest first, at most `digest.max_stories`.

use chrono::Duration;

use crate::config::Settings;
use crate::domain::{DigestWeek, Entry};
use crate::store::{self, Pool, StoreError};

/// How far back a late-discovered story may have been published and still make a digest.
pub const GRACE_DAYS: i64 = 14;

/// The stories of `week`'s digest.
pub async fn select(
    pool: &Pool,
    settings: &Settings,
    week: DigestWeek,
) -> Result<Vec<Entry>, StoreError> {
    let (start, end) = week.bounds(settings.digest.timezone.0);
    let oldest = start - Duration::days(GRACE_DAYS);
    let mut stories = store::entries::digest_candidates(pool, start, end, oldest).await?;
    stories.truncate(settings.digest.max_stories);
    Ok(stories)
}
