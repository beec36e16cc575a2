//! The selection rule of `src/digest/select.rs` (and the README), clause by clause, on entries
//! that came through the real fetch path. Weeks are counted from today, so the tests hold on any
//! date: W0 is the current week, W-1 the last complete one, W-2 the one before.

use chronicle::domain::DigestWeek;
use chrono::{DateTime, Duration, Utc};

use crate::helpers::TestApp;
use crate::helpers::blogs::{Blogs, prose};
use crate::helpers::seed::digest_ids;

struct Weeks {
    this: DigestWeek,
    last: DigestWeek,
}

impl Weeks {
    fn now() -> Self {
        let last = DigestWeek::last_complete(Utc::now(), chrono_tz::UTC, chrono::Weekday::Mon);
        Self {
            this: last.next(),
            last,
        }
    }

    /// Monday 00:00 UTC of the current week (never later than now).
    fn start(&self) -> DateTime<Utc> {
        self.this.bounds(chrono_tz::UTC, chrono::Weekday::Mon).0
    }

    /// `days` days and `hours` hours after the current week's start (negative: before it).
    fn at(&self, days: i64, hours: i64) -> DateTime<Utc> {
        self.start() + Duration::days(days) + Duration::hours(hours)
    }
}

async fn built(app: &TestApp, pool: &sqlx::SqlitePool, week: DigestWeek) -> Vec<i64> {
    app.ok(&["digest", "--week", &week.to_string(), "--format", "text"]);
    digest_ids(pool, &week.to_string()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_week_the_grace_period_and_first_seen_decide_the_digest() {
    let w = Weeks::now();
    let app = TestApp::new(1, "");
    let mut blogs = Blogs::follow(&app, &["Ana", "Bram"]);
    let in_week = blogs.post("Ana", "Published last week", w.at(-5, 9));
    let late_seen_in_time =
        blogs.post("Bram", "From the week before, seen last week", w.at(-11, 9));
    let late = blogs.post("Bram", "From the week before, seen this week", w.at(-12, 9));
    let too_old = blogs.post("Ana", "Published twenty days ago", w.at(-20, 9));
    blogs.fetch(&app);
    let pool = app.pool().await;
    Blogs::seen_at(&pool, &late_seen_in_time, w.at(-3, 9)).await;
    let id = |link: &str| Blogs::id(&app, link);

    // W-1: its own post, and a post of W-2 first seen before W-1 ended. Not the W-2 post first
    // seen this week (it is W0's), nor the one older than W-1's grace... first seen too late.
    assert_eq!(
        built(&app, &pool, w.last).await,
        [id(&late_seen_in_time), id(&in_week)]
    );
    app.ok(&["send", "--week", &w.last.to_string()]);

    // W0: the W-2 post seen this week (within the 14-day grace); not what W-1 carried; not
    // the post published 20 days before W0 began (beyond the grace period).
    let now = blogs.post("Ana", "Published this week", w.start());
    blogs.fetch(&app);
    assert_eq!(built(&app, &pool, w.this).await, [id(&late), id(&now)]);
    let listed = app.ok(&["entries", "list"]);
    assert!(
        listed.contains("Published twenty days ago"),
        "stored all the same: {listed}"
    );
    assert!(!built(&app, &pool, w.this).await.contains(&id(&too_old)));
}

#[tokio::test(flavor = "multi_thread")]
async fn stories_a_sent_digest_excluded_or_cut_never_come_back() {
    let w = Weeks::now();
    let app = TestApp::new(1, "\n[digest]\nmax_per_blog = 1\n");
    let mut blogs = Blogs::follow(&app, &["Ana", "Bram"]);
    let kept = blogs.post("Ana", "Kept", w.at(-6, 9));
    let cut = blogs.post("Ana", "Cut by the per-blog cap", w.at(-5, 9));
    let excluded = blogs.post("Bram", "Excluded by the organiser", w.at(-4, 9));
    blogs.fetch(&app);
    let pool = app.pool().await;
    let id = |link: &str| Blogs::id(&app, link);
    app.ok(&[
        "digest",
        "exclude",
        "--week",
        &w.last.to_string(),
        &id(&excluded).to_string(),
    ]);
    assert_eq!(built(&app, &pool, w.last).await, [id(&kept)]);
    app.ok(&["send", "--week", &w.last.to_string()]);
    // All three were published within W0's grace period: none comes back.
    let fresh = blogs.post("Bram", "Fresh", w.start());
    blogs.fetch(&app);
    assert_eq!(built(&app, &pool, w.this).await, [id(&fresh)]);
    let _ = cut;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_found_this_week_brings_in_its_story_unless_readers_already_had_it() {
    let w = Weeks::now();
    let app = TestApp::new(1, "");
    let mut blogs = Blogs::follow(&app, &["Ana", "Bram", "Cleo"]);
    // Ana's post of a month ago, never in a digest (beyond every grace period); cross-posted
    // this week on Bram's community blog, naming it as canonical.
    let old = blogs.post("Ana", "An old post cross-posted this week", w.at(-30, 9));
    let body = format!("<p>{}</p>", prose("cross-post", 120));
    blogs.post_with(
        "Bram",
        "An old post cross-posted this week",
        w.start(),
        body,
        Some(old.clone()),
    );
    // Cleo's post went out last week; a copy of it appears this week on Bram's blog.
    let sent = blogs.post("Cleo", "Already sent", w.at(-5, 9));
    blogs.fetch(&app);
    let pool = app.pool().await;
    let id = |link: &str| Blogs::id(&app, link);
    assert_eq!(built(&app, &pool, w.last).await, [id(&sent)]);
    app.ok(&["send", "--week", &w.last.to_string()]);
    let body = format!("<p>{}</p>", prose("Cleo/Already sent", 120));
    blogs.post_with("Bram", "Already sent (copy)", w.start(), body, None);
    blogs.fetch(&app);

    // The old story is in W0, shown through its original, with Bram's copy as "also on".
    assert_eq!(built(&app, &pool, w.this).await, [id(&old)]);
    let text = app.ok(&["digest", "--week", &w.this.to_string(), "--format", "text"]);
    assert!(
        text.contains("An old post cross-posted this week"),
        "{text}"
    );
    assert!(text.contains("Also on Bram"), "{text}");
    let stories = app.ok(&["digest", "stories", "--week", &w.this.to_string()]);
    assert!(stories.contains("also on Bram"), "{stories}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_story_that_went_out_stays_sent_when_an_earlier_copy_is_found() {
    let w = Weeks::now();
    let app = TestApp::new(1, "");
    let mut blogs = Blogs::follow(&app, &["Bram", "Cleo"]);
    let body = format!("<p>{}</p>", prose("the shared post", 200));
    let sent = blogs.post_with("Cleo", "Shared post", w.at(-5, 9), body.clone(), None);
    blogs.fetch(&app);
    let pool = app.pool().await;
    assert_eq!(built(&app, &pool, w.last).await, [Blogs::id(&app, &sent)]);
    app.ok(&["send", "--week", &w.last.to_string()]);
    // Bram published the same text a day earlier; found only now. The sent entry stays the
    // story's original, Bram's is its copy, and the story does not go out again.
    let earlier = blogs.post_with("Bram", "Shared post", w.at(-6, 9), body, None);
    let fresh = blogs.post("Bram", "Fresh post", w.start());
    blogs.fetch(&app);
    let (sent_id, copy_id) = (Blogs::id(&app, &sent), Blogs::id(&app, &earlier));
    let shown = app.ok(&["entries", "show", &copy_id.to_string()]);
    assert!(
        shown.contains(&format!(
            "story:      a copy of entry {sent_id}: Shared post (Cleo)"
        )),
        "{shown}"
    );
    assert_eq!(built(&app, &pool, w.this).await, [Blogs::id(&app, &fresh)]);
    let err = app.fails(&[
        "digest",
        "pin",
        "--week",
        &w.this.to_string(),
        &copy_id.to_string(),
    ]);
    assert!(
        err.contains(&format!("was already in the digest of {}", w.last)),
        "{err}"
    );
}
