//! Clean entries: identity across fetches, fields, and one story across feeds.

use serde_json::Value;

use crate::helpers::{FeedServer, TestApp};

const POST: &str = "Conditional requests keep the load on bloggers' servers low. A polite \
    aggregator sends If-None-Match with the ETag it was given, and If-Modified-Since with the \
    Last-Modified date, and expects a 304 with an empty body when nothing changed. This post \
    measures how much bandwidth that saves across a community of two hundred blogs over one \
    month, and what goes wrong with servers that generate a new ETag on every request.";

const OTHER: &str = "Entity Framework migrations can be squashed when the history grows long. \
    This post shows how to generate a fresh baseline migration, how to mark it as applied on \
    existing databases without running it, and how to keep the model snapshot in sync so that \
    the next migration stays small. It closes with a checklist for teams that deploy to several \
    environments every week and want fewer surprises.";

fn item(guid: Option<&str>, title: &str, link: &str, date: &str, body: &str) -> String {
    let guid = guid.map_or(String::new(), |g| {
        format!("<guid isPermaLink=\"false\">{g}</guid>")
    });
    format!(
        "<item>{guid}<title>{title}</title><link>{link}</link><pubDate>{date}</pubDate>\
         <description><![CDATA[{body}]]></description></item>"
    )
}

fn rss(title: &str, link: &str, items: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{title}</title>\
         <link>{link}</link>{}</channel></rss>",
        items.concat()
    )
}

fn entries(app: &TestApp) -> Vec<Value> {
    app.json_lines(&["entries", "list"])
}

fn by_url<'a>(list: &'a [Value], url: &str) -> &'a Value {
    list.iter()
        .find(|e| e["url"] == url)
        .unwrap_or_else(|| panic!("no entry with url {url} in {list:#?}"))
}

#[test]
fn edited_posts_update_in_place_and_dropped_posts_are_kept() {
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    let date = "Tue, 17 Nov 2026 10:00:00 +0000";
    let url = server.set_body(
        "blog.xml",
        &rss(
            "Blog",
            "https://ana.example.org/",
            &[
                item(
                    Some("a"),
                    "First",
                    "https://ana.example.org/a",
                    date,
                    "<p>One</p>",
                ),
                item(
                    Some("b"),
                    "Second",
                    "https://ana.example.org/b",
                    date,
                    "<p>Two</p>",
                ),
            ],
        ),
    );
    app.add_unchecked(&url);
    app.ok(&["fetch", "--all"]);
    let before = entries(&app);
    assert_eq!(before.len(), 2);
    // The first post is edited, the second leaves the feed.
    server.set_body(
        "blog.xml",
        &rss(
            "Blog",
            "https://ana.example.org/",
            &[item(
                Some("a"),
                "First (edited)",
                "https://ana.example.org/a",
                "Wed, 18 Nov 2026 10:00:00 +0000",
                "<p>One, with a fix</p>",
            )],
        ),
    );
    let out = app.ok(&["fetch", "--all"]);
    assert!(out.contains("0 new entries, 1 updated"), "{out}");
    let after = entries(&app);
    assert_eq!(after.len(), 2, "the dropped post is kept: {after:#?}");
    let a = by_url(&after, "https://ana.example.org/a");
    assert_eq!(a["title"], "First (edited)");
    assert_eq!(a["summary"], "One, with a fix");
    let a_before = by_url(&before, "https://ana.example.org/a");
    assert_eq!(a["id"], a_before["id"], "updated in place");
    assert_eq!(
        a["published"], a_before["published"],
        "an edit does not move the post to a later week"
    );
}

#[test]
fn shared_and_changing_guids_do_not_lose_or_duplicate_posts() {
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    let date = "Tue, 17 Nov 2026 10:00:00 +0000";
    // A CMS that gives every item the blog's address as its guid.
    let shared = server.set_body(
        "shared.xml",
        &rss(
            "Shared",
            "https://bram.example.net/",
            &[
                item(
                    Some("https://bram.example.net/"),
                    "One",
                    "https://bram.example.net/1",
                    date,
                    "x",
                ),
                item(
                    Some("https://bram.example.net/"),
                    "Two",
                    "https://bram.example.net/2",
                    date,
                    "y",
                ),
                item(
                    Some("https://bram.example.net/"),
                    "Three",
                    "https://bram.example.net/3",
                    date,
                    "z",
                ),
            ],
        ),
    );
    // A blog whose guids change (a timestamp in the guid).
    let changing = server.set_body(
        "changing.xml",
        &rss(
            "Changing",
            "https://eva.example.com/",
            &[item(
                Some("post-1@1700000000"),
                "Post",
                "https://eva.example.com/p?utm_source=rss",
                date,
                "v1",
            )],
        ),
    );
    app.add_unchecked(&shared);
    app.add_unchecked(&changing);
    app.ok(&["fetch", "--all"]);
    server.set_body(
        "changing.xml",
        &rss(
            "Changing",
            "https://eva.example.com/",
            &[item(
                Some("post-1@1800000000"),
                "Post",
                "https://eva.example.com/p?utm_source=feed",
                date,
                "v2",
            )],
        ),
    );
    app.ok(&["fetch", "--all"]);
    let list = entries(&app);
    let mut urls: Vec<&str> = list.iter().filter_map(|e| e["url"].as_str()).collect();
    urls.sort_unstable();
    assert_eq!(
        urls,
        [
            "https://bram.example.net/1",
            "https://bram.example.net/2",
            "https://bram.example.net/3",
            "https://eva.example.com/p",
        ]
    );
    let p = by_url(&list, "https://eva.example.com/p");
    assert_eq!(
        p["guid"], "post-1@1800000000",
        "the entry takes the new guid"
    );
    assert_eq!(p["summary"], "v2");
}

#[test]
fn one_article_in_several_feeds_is_one_story() {
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    let own_url = "https://ana.example.org/posts/conditional-requests/";
    // The author's blog, published second.
    let own = rss(
        "Ana's blog",
        "https://ana.example.org/",
        &[
            item(
                Some("ana-1"),
                "Conditional requests",
                own_url,
                "Tue, 17 Nov 2026 12:00:00 +0000",
                &format!("<p>{POST}</p>"),
            ),
            item(
                Some("ana-2"),
                "Squashing migrations",
                "https://ana.example.org/posts/migrations/",
                "Wed, 18 Nov 2026 12:00:00 +0000",
                &format!("<p>{OTHER}</p>"),
            ),
        ],
    );
    let own_feed = server.set_body("ana.xml", &own);
    // The same feed listed again under a second URL.
    let again = server.set_body("ana-again.xml", &own);
    // A community site that cross-posts it first, naming the original.
    let community = server.set_body(
        "community.xml",
        &rss(
            "Community",
            "https://community.example.com/",
            &[item(
                Some("c-77"),
                "Conditional requests, explained",
                "https://community.example.com/ana/conditional-requests-4kd2?utm_source=rss",
                "Tue, 17 Nov 2026 09:00:00 +0000",
                &format!(
                    "<p>{POST}</p><p>Originally published at <a href=\"http://www.ana.example.org/posts/conditional-requests\">ana.example.org</a>.</p>"
                ),
            )],
        ),
    );
    // A newsletter that copies the text under the same title, without saying where from.
    let copycat = server.set_body(
        "copycat.xml",
        &rss(
            "Weekly copies",
            "https://copies.example.net/",
            &[item(
                Some("copy-1"),
                "Conditional Requests!",
                "https://copies.example.net/2026/11/17/conditional",
                "Wed, 18 Nov 2026 08:00:00 +0000",
                &format!("<p>{POST} Thanks for reading this week's issue.</p>"),
            )],
        ),
    );
    for url in [&own_feed, &again, &community, &copycat] {
        app.add_unchecked(url);
    }
    let out = app.ok(&["fetch", "--all"]);
    assert!(out.contains("regrouped"), "{out}");
    let list = entries(&app);
    assert_eq!(list.len(), 6);
    let originals: Vec<&Value> = list.iter().filter(|e| e["story"] == e["id"]).collect();
    assert_eq!(
        originals.len(),
        2,
        "two stories (the article and the migrations post): {list:#?}"
    );
    let article = originals
        .iter()
        .find(|e| e["title"] == "Conditional requests")
        .expect("the author's own post is the original, though the cross-post came first");
    assert_eq!(article["url"], own_url);
    assert_eq!(article["feed_url"], own_feed);
    let copies: Vec<&Value> = list
        .iter()
        .filter(|e| e["story"] == article["id"] && e["id"] != article["id"])
        .collect();
    let mut copy_feeds: Vec<&str> = copies
        .iter()
        .filter_map(|e| e["feed_url"].as_str())
        .collect();
    copy_feeds.sort_unstable();
    let mut want = vec![again.as_str(), community.as_str(), copycat.as_str()];
    want.sort_unstable();
    assert_eq!(copy_feeds, want);
    // Tracking parameters never reach the stored link.
    assert!(
        list.iter()
            .all(|e| !e["url"].as_str().unwrap_or("").contains("utm_"))
    );
    // The plain listing says which entries are copies.
    let plain = app.ok(&["entries", "list"]);
    assert_eq!(plain.matches("(copy of ").count(), 4, "{plain}");
}
