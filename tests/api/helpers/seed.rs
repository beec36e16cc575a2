//! Stories for digests built from exact data, published as real Atom feeds on 127.0.0.1 and
//! fetched by the real binary ([`Seeder`]), so every entry went through parsing, cleaning and
//! story grouping. A copy names its original with `rel=canonical`, as real cross-posts do. The
//! one thing a feed cannot say is when Chronicle first saw a post: the seeder sets that time
//! afterwards, for tests of late-discovered posts.

use chrono::{DateTime, TimeZone, Utc};

use super::{FeedServer, TestApp};

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
    /// The original's link, when this entry is a copy (its `rel=canonical`).
    pub canonical: Option<String>,
    /// Words of distinct prose after the summary (a long read), 0 for none.
    pub extra_words: usize,
}

/// A story of `feed` published at `y-m-d h:00` UTC.
pub fn story(feed: i64, title: &str, (y, m, d, h): (i32, u32, u32, u32)) -> Story {
    let published = Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();
    let slug = super::slug(title);
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
        canonical: None,
        extra_words: 0,
    }
}

/// A time, for `first_seen`.
pub fn at((y, m, d, h): (i32, u32, u32, u32)) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

use super::xml_escape as esc;

fn atom_entry(s: &Story) -> String {
    let mut e = format!(
        "<entry><id>urn:seed:{}:{}</id><title type=\"text\">{}</title>",
        s.feed,
        esc(&s.title),
        esc(&s.title)
    );
    if let Some(url) = &s.url {
        e.push_str(&format!("<link rel=\"alternate\" href=\"{}\"/>", esc(url)));
    }
    if let Some(c) = &s.canonical {
        e.push_str(&format!("<link rel=\"canonical\" href=\"{}\"/>", esc(c)));
    }
    let when = s.published.to_rfc3339();
    e.push_str(&format!(
        "<published>{when}</published><updated>{when}</updated>"
    ));
    if let Some(a) = &s.author {
        e.push_str(&format!("<author><name>{}</name></author>", esc(a)));
    }
    if let Some(img) = &s.image_url {
        e.push_str(&format!("<media:thumbnail url=\"{}\"/>", esc(img)));
    }
    for t in &s.tags {
        e.push_str(&format!("<category term=\"{}\"/>", esc(t)));
    }
    // The summary is the post's text (as text: hostile markup in it stays visible text).
    let mut body = format!("<p>{}</p>", esc(&s.summary));
    if s.extra_words > 0 {
        let seed = format!("{}/{}", s.feed, s.title);
        body.push_str(&format!(
            "<p>{}</p>",
            super::blogs::prose(&seed, s.extra_words)
        ));
    }
    e.push_str(&format!(
        "<content type=\"html\">{}</content></entry>",
        esc(&body)
    ));
    e
}

/// Blogs served on 127.0.0.1, followed by the app; stories are published on them and fetched.
pub struct Seeder {
    server: FeedServer,
    /// Feed file names, by feed id − 1.
    files: Vec<String>,
    /// Stories published so far, by feed id − 1.
    posts: Vec<Vec<Story>>,
}

impl Seeder {
    /// Follows `n` blogs, "Blog 1" ... "Blog n" (feed ids 1 ... n in a new database).
    pub fn follow(app: &TestApp, n: i64) -> Self {
        let names: Vec<(String, Option<String>)> =
            (1..=n).map(|b| (format!("Blog {b}"), None)).collect();
        Self::follow_named(app, &names)
    }

    /// Follows one blog per `(title, tag)`, in order (feed ids 1, 2, ...).
    pub fn follow_named(app: &TestApp, blogs: &[(String, Option<String>)]) -> Self {
        let mut seeder = Self {
            server: FeedServer::start(),
            files: Vec::new(),
            posts: Vec::new(),
        };
        for (i, (title, tag)) in blogs.iter().enumerate() {
            seeder.files.push(format!("seed-{}.xml", i + 1));
            seeder.posts.push(Vec::new());
            let url = seeder.serve(i);
            let mut args = vec!["feeds", "add", "--no-check", &url, "--title", title];
            if let Some(tag) = tag {
                args.extend(["--tag", tag]);
            }
            app.ok(&args);
        }
        seeder
    }

    fn serve(&self, i: usize) -> String {
        let mut doc = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\" \
             xmlns:media=\"http://search.yahoo.com/mrss/\"><title>seed {}</title><id>urn:seed:{}</id>\
             <updated>2026-01-01T00:00:00Z</updated>",
            i + 1,
            i + 1
        );
        for s in &self.posts[i] {
            doc.push_str(&atom_entry(s));
        }
        doc.push_str("</feed>");
        self.server.set_body(&self.files[i], &doc)
    }

    /// Publishes `s` on its blog, fetches it, sets when it was first seen, and returns its id.
    pub async fn insert(&mut self, app: &TestApp, pool: &sqlx::SqlitePool, s: &Story) -> i64 {
        self.insert_all(app, pool, std::slice::from_ref(s)).await[0]
    }

    /// Publishes every story, fetches once, and returns their ids in order.
    pub async fn insert_all(
        &mut self,
        app: &TestApp,
        pool: &sqlx::SqlitePool,
        stories: &[Story],
    ) -> Vec<i64> {
        let mut touched = std::collections::BTreeSet::new();
        for s in stories {
            let i = usize::try_from(s.feed - 1).expect("feed ids start at 1");
            self.posts[i].push(s.clone());
            touched.insert(i);
        }
        for &i in &touched {
            self.serve(i);
        }
        app.ok(&["fetch", "--all"]);
        let mut ids = Vec::with_capacity(stories.len());
        for s in stories {
            let guid = format!("urn:seed:{}:{}", s.feed, s.title);
            let id: i64 = sqlx::query_scalar(
                "UPDATE entries SET first_seen_at = $1 WHERE guid = $2 RETURNING id",
            )
            .bind(s.first_seen.timestamp())
            .bind(&guid)
            .fetch_one(pool)
            .await
            .unwrap_or_else(|e| panic!("no stored entry {guid}: {e}"));
            ids.push(id);
        }
        ids
    }
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
