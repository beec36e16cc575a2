//! The public pages: the home page's river before any digest, the latest digest's teaser after
//! a send made by another process, the blogroll and its OPML, error pages, static files and
//! their cache headers, and the Atom links in every page's head.

use crate::helpers::site::Site;
use crate::helpers::{FeedServer, SmtpServer, TestApp, unescape_html};

fn feed_links(body: &str) {
    for (title, path) in [
        ("new posts from every blog", "stories"),
        ("the weekly digests", "digests"),
    ] {
        let link = format!(
            "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Tech Daily Chronicle: \
             {title}\" href=\"http://chronicle.test/feeds/{path}.atom\">"
        );
        let head = &body[..body.find("</head>").expect("a head")];
        assert!(head.contains(&link), "the head advertises {path}: {head}");
    }
    assert!(body.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_home_page_shows_a_river_by_day_before_any_digest_and_the_teaser_after_a_send() {
    let feeds = FeedServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let t = TestApp::new(smtp.port, "\n[web]\nbind = \"127.0.0.1:0\"\n");
    t.ok(&["feeds", "add", &feeds.feed_url("seeds-atom.xml")]);
    t.ok(&["feeds", "add", &feeds.feed_url("seeds-rss.xml")]);
    t.ok(&["fetch"]);
    let site = Site::start(&t).await;
    let home = site.get("/", None).await;
    assert_eq!(home.status, 200);
    feed_links(&home.body);
    let body = unescape_html(&home.body);
    assert!(body.contains("<h1>Tech Daily Chronicle</h1>"));
    assert!(body.contains("The week's posts from our community's blogs."));
    assert!(body.contains("<label for=\"email\">Your e-mail address</label>"));
    assert!(body.contains("2 blogs followed"), "{body}");
    assert!(!body.contains("Latest digest"), "no digest sent yet");
    // Every stored story is in the river, under its day, with its blog, author and excerpt.
    let entries = t.json_lines(&["entries", "list"]);
    assert!(entries.len() >= 5);
    let mut last_at = usize::MAX;
    for e in &entries {
        let title = e["title"].as_str().unwrap();
        let at = body
            .find(&format!(">{title}</a></h4>"))
            .unwrap_or_else(|| panic!("{title} in the river"));
        let published =
            chrono::DateTime::parse_from_rfc3339(e["published"].as_str().unwrap()).unwrap();
        let day = published
            .with_timezone(&chrono::Utc)
            .format("%A %-d %B %Y")
            .to_string();
        let heading = body[..at].rfind("<h3><time").unwrap();
        assert!(body[heading..at].contains(&day), "{title} under {day}");
        assert!(body[at..].contains(e["feed_title"].as_str().unwrap()));
        // Newest first.
        assert!(last_at == usize::MAX || at > last_at || e["published"] == entries[0]["published"]);
        last_at = at;
    }
    let mvp = body
        .find(">Why do you want to be an MVP???</a></h4>")
        .unwrap();
    let story = &body[mvp..mvp + 600];
    assert!(
        story.contains("<span class=\"author\">Dev Patel</span>"),
        "{story}"
    );
    assert!(story.contains(">Bram builds things</a>"), "{story}");
    let heading = body[..mvp].rfind("<h3>").unwrap();
    assert!(body[heading..mvp].contains("Friday 13 November 2026"));

    // A send by another process (the CLI) shows on the home page within a second or so.
    t.ok(&["subscribers", "add", "ada@example.org"]);
    t.ok(&["send", "--week", "2026-W46"]);
    let mut teaser = String::new();
    for _ in 0..50 {
        teaser = unescape_html(&site.get("/", None).await.body);
        if teaser.contains("Latest digest") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(teaser.contains("Latest digest · Week 2026-W46"), "{teaser}");
    assert!(teaser.contains("href=\"http://chronicle.test/digests/2026-W46\""));
    let digest = site.get("/digests/2026-W46", None).await;
    assert_eq!(digest.status, 200);
    feed_links(&digest.body);
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn blogroll_opml_errors_and_static_files() {
    let feeds = FeedServer::start();
    let t = TestApp::new(25, "\n[web]\nbind = \"127.0.0.1:0\"\n");
    t.ok(&["feeds", "add", &feeds.feed_url("seeds-atom.xml")]);
    t.ok(&["feeds", "add", &feeds.feed_url("seeds-rss.xml")]);
    t.ok(&["fetch"]);
    let site = Site::start(&t).await;

    let blogs = site.get("/blogs", None).await;
    assert_eq!(blogs.status, 200);
    feed_links(&blogs.body);
    let body = unescape_html(&blogs.body);
    assert!(body.contains("2 blogs of our community"), "{body}");
    for (name, home, feed) in [
        (
            "Bram builds things",
            "https://bram.example.net/",
            feeds.feed_url("seeds-atom.xml"),
        ),
        (
            "Cloud Notes",
            "https://ana.example.org/",
            feeds.feed_url("seeds-rss.xml"),
        ),
    ] {
        assert!(
            body.contains(&format!("<h2><a href=\"{home}\">{name}</a></h2>")),
            "{name}"
        );
        assert!(body.contains(&format!("<a href=\"{feed}\" class=\"feed\">Feed</a>")));
    }
    assert!(
        body.contains("Last post: <a href=\"https://bram.example.net/posts/004"),
        "{body}"
    );
    // Alphabetical: Bram before Cloud.
    assert!(body.find("Bram builds things").unwrap() < body.find("Cloud Notes").unwrap());

    let opml = site.get("/blogs.opml", None).await;
    assert_eq!(opml.headers["content-type"], "text/x-opml; charset=utf-8");
    let out = std::process::Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as E; r = E.fromstring(sys.argv[1]); \
             print('\\n'.join(o.get('xmlUrl') + ' ' + o.get('htmlUrl') for o in r.iter('outline')))",
            &opml.body,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "{} https://bram.example.net/\n{} https://ana.example.org/\n",
            feeds.feed_url("seeds-atom.xml"),
            feeds.feed_url("seeds-rss.xml")
        )
    );

    let missing = site.get("/no/such/page", None).await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("<h1>Nothing here</h1>"));
    feed_links(&missing.body);
    assert_eq!(site.get("/digests/2026-W01", None).await.status, 404);
    assert_eq!(site.get("/digests/not-a-week", None).await.status, 404);

    let css = site.get("/static/style.css", None).await;
    assert_eq!(css.status, 200);
    assert_eq!(css.headers["content-type"], "text/css; charset=utf-8");
    assert_eq!(
        css.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(css.body.contains("prefers-color-scheme: dark"));
    let etag = css.headers["etag"].to_str().unwrap().to_string();
    assert!(
        blogs
            .body
            .contains(&format!("style.css?v={}", etag.trim_matches('"')))
    );
    let again = site
        .client
        .get(format!("{}/static/style.css", site.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let icon = site.get("/favicon.ico", None).await;
    assert_eq!(icon.headers["content-type"], "image/svg+xml");
    assert!(icon.body.starts_with("<svg"));

    // The database failing shows the friendly 500 page, not an error text.
    sqlx::query("ALTER TABLE digests RENAME TO digests_gone")
        .execute(&t.pool().await)
        .await
        .unwrap();
    let broken = site.get("/digests", None).await;
    assert_eq!(broken.status, 500);
    assert!(
        broken.body.contains("Something went wrong on our side"),
        "{}",
        broken.body
    );
    assert!(
        !broken.body.contains("no such table"),
        "internals stay in the log"
    );
    site.stop().await;
}

/// Regression: the 404 page was rendered once per process, so a second site in the same process
/// (as in these tests) showed the first one's name and links.
#[tokio::test(flavor = "multi_thread")]
async fn each_site_serves_its_own_error_pages() {
    let a = TestApp::new(25, "\n[web]\nbind = \"127.0.0.1:0\"\n");
    let b = TestApp::new(25, "\n[web]\nbind = \"127.0.0.1:0\"\n");
    let text = std::fs::read_to_string(&b.config)
        .unwrap()
        .replace("Tech Daily Chronicle", "Planet Rust Lyon");
    std::fs::write(&b.config, text).unwrap();
    let (base_a, stop_a, ha) = crate::helpers::serve(&a).await;
    let (base_b, stop_b, hb) = crate::helpers::serve(&b).await;
    for (base, name, other) in [
        (&base_a, "Tech Daily Chronicle", "Planet Rust Lyon"),
        (&base_b, "Planet Rust Lyon", "Tech Daily Chronicle"),
    ] {
        let resp = reqwest::get(format!("{base}/no-such-page")).await.unwrap();
        assert_eq!(resp.status(), 404);
        let body = resp.text().await.unwrap();
        assert!(
            body.contains(&format!("<title>Not found · {name}</title>")),
            "{body}"
        );
        assert!(!body.contains(other), "{body}");
    }
    stop_a.cancel();
    stop_b.cancel();
    ha.await.unwrap().unwrap();
    hb.await.unwrap().unwrap();
}
