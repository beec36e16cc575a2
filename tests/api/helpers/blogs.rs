//! Blogs served as real feeds on 127.0.0.1 and fetched by the real binary, so that every stored
//! entry went through parsing, cleaning and story grouping. The one thing a feed cannot say is
//! when Chronicle first saw a post: [`Blogs::seen_at`] moves that time back for tests of
//! late-discovered posts.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{FeedServer, TestApp};

/// One post of a blog.
#[derive(Debug, Clone)]
pub struct Post {
    /// Title.
    pub title: String,
    /// Link.
    pub link: String,
    /// Publication time.
    pub published: DateTime<Utc>,
    /// HTML body.
    pub body: String,
    /// `rel=canonical` link, for a copy.
    pub canonical: Option<String>,
}

/// Blogs, their posts, and the server that serves them.
pub struct Blogs {
    /// The feed server.
    pub server: FeedServer,
    posts: BTreeMap<String, Vec<Post>>,
}

/// A body of about `words` distinct words, different for every `seed` (no two bodies share a
/// phrase, so no post is taken for a copy of another by its text).
pub fn prose(seed: &str, words: usize) -> String {
    const VOCAB: &[&str] = &[
        "azure", "deploy", "cache", "latency", "queue", "schema", "token", "cluster", "runtime",
        "build", "pipeline", "release", "metric", "trace", "function", "router", "template",
        "feature", "module", "service", "request", "storage", "index", "query", "thread", "memory",
        "profile", "vector", "record", "socket", "package", "library", "compiler", "editor",
        "script", "signal", "buffer", "stream", "window", "layout", "format", "parser", "driver",
        "kernel", "portal", "budget", "review", "sprint", "ticket", "backlog",
    ];
    let mut x = seed.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    }) | 1;
    let mut out = Vec::with_capacity(words);
    for _ in 0..words {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push(VOCAB[(x % VOCAB.len() as u64) as usize]);
    }
    out.join(" ")
}

impl Blogs {
    /// Follows `names` (each a blog of that name), with no post yet.
    pub fn follow(app: &TestApp, names: &[&str]) -> Self {
        let server = FeedServer::start();
        let mut blogs = Self {
            server,
            posts: BTreeMap::new(),
        };
        for name in names {
            blogs.posts.insert(name.to_string(), Vec::new());
            let url = blogs.serve(name);
            app.ok(&["feeds", "add", "--no-check", &url, "--title", name]);
        }
        blogs
    }

    /// Adds a post to `blog`; returns its link. The body is distinct prose of 120 words.
    pub fn post(&mut self, blog: &str, title: &str, published: DateTime<Utc>) -> String {
        let body = format!("<p>{}</p>", prose(&format!("{blog}/{title}"), 120));
        self.post_with(blog, title, published, body, None)
    }

    /// Adds a post with its own body and canonical link; returns its link.
    pub fn post_with(
        &mut self,
        blog: &str,
        title: &str,
        published: DateTime<Utc>,
        body: String,
        canonical: Option<String>,
    ) -> String {
        let slug = super::slug(title);
        let link = format!(
            "https://{}.example.org/{slug}",
            blog.to_lowercase().replace(' ', "-")
        );
        let post = Post {
            title: title.into(),
            link: link.clone(),
            published,
            body,
            canonical,
        };
        self.posts
            .get_mut(blog)
            .expect("a followed blog")
            .push(post);
        link
    }

    fn serve(&self, blog: &str) -> String {
        let esc = super::xml_escape;
        let mut doc = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">\
             <title>{b}</title><id>urn:{b}</id><updated>2026-01-01T00:00:00Z</updated>",
            b = esc(blog)
        );
        for p in &self.posts[blog] {
            let canonical = p.canonical.as_deref().map_or(String::new(), |c| {
                format!("<link rel=\"canonical\" href=\"{}\"/>", esc(c))
            });
            doc.push_str(&format!(
                "<entry><id>{l}</id><title>{t}</title><link rel=\"alternate\" href=\"{l}\"/>{canonical}\
                 <published>{d}</published><updated>{d}</updated><author><name>{b}</name></author>\
                 <content type=\"html\">{c}</content></entry>",
                l = esc(&p.link),
                t = esc(&p.title),
                d = p.published.to_rfc3339(),
                b = esc(blog),
                c = esc(&p.body),
            ));
        }
        doc.push_str("</feed>");
        let file = format!("{}.xml", blog.to_lowercase().replace(' ', "-"));
        self.server.set_body(&file, &doc)
    }

    /// Serves every blog as it is now and runs `chronicle fetch --all`.
    pub fn fetch(&self, app: &TestApp) {
        for blog in self.posts.keys() {
            self.serve(blog);
        }
        app.ok(&["fetch", "--all"]);
    }

    /// The stored entry id of the post at `link`.
    pub fn id(app: &TestApp, link: &str) -> i64 {
        app.json_lines(&["entries", "list"])
            .iter()
            .find(|e| e["url"] == link)
            .and_then(|e| e["id"].as_i64())
            .unwrap_or_else(|| panic!("no stored entry at {link}"))
    }

    /// Moves the time Chronicle first saw the post at `link` (the one state no feed can give).
    pub async fn seen_at(pool: &sqlx::SqlitePool, link: &str, when: DateTime<Utc>) {
        let n = sqlx::query("UPDATE entries SET first_seen_at = $1 WHERE url = $2")
            .bind(when.timestamp())
            .bind(link)
            .execute(pool)
            .await
            .expect("update first_seen_at")
            .rows_affected();
        assert_eq!(n, 1, "one entry at {link}");
    }
}
