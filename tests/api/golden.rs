//! Golden files: one fixed database rendered in every format (HTML e-mail, plain text,
//! Markdown, the archive page) and compared byte for byte with `tests/golden/`. The data holds
//! a thumbnail, a story carried by two blogs, a late story, a pinned story, an intro note, tag
//! groups, and hostile titles, authors, blog names and excerpts, which every format must escape.
//!
//! After a deliberate change to templates or rendering: `UPDATE_GOLDEN=1 cargo test golden`,
//! then review the diff of `tests/golden/`.

use chrono::TimeZone;

use crate::helpers::seed::{Seeder, at, story};
use crate::helpers::{TestApp, assert_golden, serve, unescape_html};

// Titles and bylines come through the real feed path, which reads them as plain text (tags
// dropped): these keep every character a template must escape without being a tag.
const HOSTILE_TITLE: &str = "1 <= 2 \"quoted\" 'single' <3 & {{ 7*7 }} {% if true %}x{% endif %}";
const HOSTILE_AUTHOR: &str = "Eve \"'> <3 & {{ config }}";
const HOSTILE_BLOG: &str = "{{ site_title }} <b>Evil</b> \"><img src=x onerror=alert(5)>";
const HOSTILE_SUMMARY: &str = "<script>alert(1)</script> javascript:alert(1) {{ config }} \
    [link](javascript:alert(3)) *bold* <a href=\"javascript:alert(6)\">x</a>";

/// Builds the fixed database: four blogs and seven entries around 2026-W47.
async fn fixed_app() -> TestApp {
    let app = TestApp::new(
        1,
        "\n[web]\nbind = \"127.0.0.1:0\"\n\n[digest]\ngroup_by = \"tag\"\ntimezone = \"Europe/Brussels\"\nfeatured = 4\n",
    );
    let blogs: Vec<(String, Option<String>)> = [
        ("Cloud Notes", Some("azure")),
        ("Bram builds things", Some("dotnet")),
        (HOSTILE_BLOG, None),
        ("Mirror Planet", None),
    ]
    .into_iter()
    .map(|(t, tag)| (t.to_string(), tag.map(str::to_string)))
    .collect();
    let mut seed = Seeder::follow_named(&app, &blogs);
    let pool = app.pool().await;
    let mut s = story(
        1,
        "Scaling Azure Functions: what we learned",
        (2026, 11, 16, 9),
    );
    s.author = Some("Ana Moreira".into());
    s.image_url = Some("https://cdn.example.org/functions.png".into());
    s.tags = vec!["serverless".into()];
    s.summary = "Cold starts, connection pools and the bill: three months of running a busy \
                 API on Azure Functions, and what we would do differently."
        .into();
    let original = s.url.clone();
    seed.insert(&app, &pool, &s).await;

    let mut s = story(
        2,
        "Minimal APIs & \"records\" in .NET 9",
        (2026, 11, 17, 14),
    );
    s.author = None;
    s.tags = vec!["csharp".into()];
    seed.insert(&app, &pool, &s).await;

    let mut s = story(3, HOSTILE_TITLE, (2026, 11, 17, 20));
    s.author = Some(HOSTILE_AUTHOR.into());
    s.url = Some("javascript:alert(1)".into());
    s.image_url = Some("javascript:alert(2)".into());
    s.summary = HOSTILE_SUMMARY.into();
    s.tags = vec!["<img src=x onerror=alert(4)>".into()];
    seed.insert(&app, &pool, &s).await;

    let mut s = story(4, "Scaling Azure Functions", (2026, 11, 16, 11));
    s.url = Some("https://mirror.example.com/scaling-functions".into());
    // The mirror names Ana's post as its original.
    s.canonical = original;
    seed.insert(&app, &pool, &s).await;

    let mut s = story(
        2,
        "Late to the party: a post from last week",
        (2026, 11, 13, 10),
    );
    s.first_seen = at((2026, 11, 18, 7));
    s.author = Some("Bram De Vries".into());
    seed.insert(&app, &pool, &s).await;

    let mut s = story(1, "Community call: the December meetup", (2026, 11, 18, 12));
    s.author = Some("Ana Moreira".into());
    let pinned = seed.insert(&app, &pool, &s).await;

    let mut s = story(4, "A long read about observability", (2026, 11, 19, 8));
    s.author = Some("Chloé Martin".into());
    s.extra_words = 4020;
    s.summary = "word ".repeat(40) + &"longer ".repeat(40);
    seed.insert(&app, &pool, &s).await;

    app.ok(&["digest", "pin", "--week", "2026-W47", &pinned.to_string()]);
    app.ok(&[
        "digest",
        "edit",
        "--week",
        "2026-W47",
        "--intro",
        "Hello **everyone**! This week: serverless lessons and a \
         [call for speakers](https://chronicle.test/speakers).\n\n- Meetup on 3 December\n\
         - New blogs are welcome",
    ]);
    app
}

/// Any `on...=` attribute or `javascript:`/`data:` URL inside a tag.
fn script_capable(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    for tag in lower.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or_default();
        let name = tag.split_whitespace().next().unwrap_or_default();
        if name == "script" || name == "iframe" || name == "object" || name == "embed" {
            return Some(tag.to_string());
        }
        if tag.split_whitespace().skip(1).any(|a| a.starts_with("on"))
            || tag.contains("=\"javascript:")
            || tag.contains("='javascript:")
            || tag.contains("=javascript:")
        {
            return Some(tag.to_string());
        }
    }
    None
}

fn assert_hostile_escaped_in_html(name: &str, html: &str) {
    assert_eq!(script_capable(html), None, "{name}");
    // Shown as text, not run and not evaluated as a template.
    let text = unescape_html(html);
    assert!(
        text.contains(HOSTILE_TITLE),
        "{name}: the title is shown as text"
    );
    assert!(
        text.contains(HOSTILE_AUTHOR),
        "{name}: the author is shown as text"
    );
    assert!(
        text.contains(HOSTILE_BLOG),
        "{name}: the blog is shown as text"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn golden_digest_in_every_format_and_the_archive_page() {
    let app = fixed_app().await;
    let html = app.ok(&["digest", "--week", "2026-W47", "--format", "html"]);
    let text = app.ok(&["digest", "--week", "2026-W47", "--format", "text"]);
    let md = app.ok(&["digest", "--week", "2026-W47", "--format", "markdown"]);
    // The same database renders the same bytes.
    assert_eq!(html, app.ok(&["digest", "--week", "2026-W47"]));
    assert_eq!(
        text,
        app.ok(&["digest", "--week", "2026-W47", "--format", "text"])
    );
    assert_golden("digest.html", &html);
    assert_golden("digest.txt", &text);
    assert_golden("digest.md", &md);

    // Hostile strings, in every format.
    assert_hostile_escaped_in_html("e-mail", &html);
    assert!(html.contains("<style>") && html.contains("prefers-color-scheme: dark"));
    assert!(
        html.contains("style=\"") && !html.contains(".excerpt { margin"),
        "CSS inlined, plain rules removed"
    );
    assert!(text.contains(HOSTILE_TITLE) && text.contains(HOSTILE_AUTHOR));
    assert!(
        !text.contains("] javascript:"),
        "no numbered javascript: link"
    );
    assert!(
        !md.contains("](javascript:") && !md.contains("(<javascript:"),
        "no javascript: link in Markdown:\n{md}"
    );
    for raw in ["<script", "<img", "<b>", "<a href"] {
        let unescaped = md.replace(&format!("\\{raw}"), "");
        assert!(
            !unescaped.contains(raw),
            "Markdown holds unescaped `{raw}`:\n{md}"
        );
    }
    assert!(
        md.contains("\\{\\{ 7\\*7 \\}\\}"),
        "template syntax escaped"
    );

    // Sent (frozen) at a fixed time, so the page's "sent" date is fixed too.
    app.ok(&["send", "--week", "2026-W47"]);
    let pool = app.pool().await;
    let sent = chrono::Utc
        .with_ymd_and_hms(2026, 11, 23, 8, 0, 0)
        .unwrap()
        .timestamp();
    sqlx::query("UPDATE digests SET frozen_at = $1, sent_at = $1")
        .bind(sent)
        .execute(&pool)
        .await
        .unwrap();
    let (base, stop, handle) = serve(&app).await;
    let client = reqwest::Client::new();
    let get = |path: &str| {
        let client = client.clone();
        let url = format!("{base}{path}");
        async move {
            let resp = client.get(url).send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let (status, page) = get("/digests/2026-W47").await;
    assert_eq!(status, 200);
    assert_golden("archive-2026-W47.html", &page);
    assert_hostile_escaped_in_html("archive page", &page);
    let (status, list) = get("/digests").await;
    assert_eq!(status, 200);
    assert_golden("archive.html", &list);

    // Entries change after sending: the archive shows exactly what was sent.
    sqlx::query("UPDATE entries SET title = 'Rewritten later', summary = 'changed'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM entries WHERE feed_id = 2")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(get("/digests/2026-W47").await, (200, page));
    assert_eq!(
        app.ok(&["digest", "--week", "2026-W47", "--format", "text"]),
        text
    );

    // An unknown week is a real 404, in the site's look.
    for path in [
        "/digests/2026-W30",
        "/digests/2026-W99",
        "/digests/nonsense",
    ] {
        let (status, body) = get(path).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            body.contains("Nothing here") && body.contains("Tech Daily Chronicle"),
            "{path}: {body}"
        );
    }
    stop.cancel();
    handle.await.unwrap().unwrap();
}
