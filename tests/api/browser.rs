//! The HTML e-mail in a real browser: headless Chromium, offline, no console errors, and a
//! screenshot kept in `tests/artifacts/` for people to look at.

use crate::helpers::{FeedServer, TestApp};

/// Opens `html` in headless Chromium, kept off the network except 127.0.0.1, and saves a
/// screenshot as `tests/artifacts/<png>`. Returns Chromium's stderr, with console messages.
fn chromium_screenshot(html: &std::path::Path, png: &str) -> (std::path::PathBuf, String) {
    let artifacts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let png = artifacts.join(png);
    let _ = std::fs::remove_file(&png);
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("chromium")
        .args(crate::helpers::CHROMIUM_FLAGS)
        .args([
            "--enable-logging=stderr",
            "--v=0",
            // Tests never reach the internet: every name but the local servers fails to resolve.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--window-size=700,1800",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("chromium is needed for this test: apt-get install chromium (scripts/test does)");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    (png, stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_html_email_renders_in_headless_chromium_without_console_errors() {
    let feeds = FeedServer::start();
    let app = TestApp::new(25, "");
    app.ok(&["feeds", "add", &feeds.feed_url("seeds-rss.xml")]);
    app.ok(&["feeds", "add", &feeds.feed_url("seeds-atom.xml")]);
    app.ok(&["fetch"]);
    // The organiser's note, and a thumbnail served by the local server (the fixtures' own
    // images live on example.org, which tests never reach).
    app.ok(&[
        "digest",
        "edit",
        "--week",
        "2026-W46",
        "--intro",
        "Welcome to this week's **Chronicle**! Thanks to everyone who came to the \
         [November meetup](https://chronicle.test/meetups/november).",
    ]);
    let pool = app.pool().await;
    sqlx::query("UPDATE entries SET image_url = $1 WHERE title = 'Interview MVP Community'")
        .bind(feeds.image_url("thumbnail.png"))
        .execute(&pool)
        .await
        .unwrap();
    let html = app.dir.path().join("digest.html");
    app.ok(&[
        "digest",
        "--week",
        "2026-W46",
        "--out",
        html.to_str().unwrap(),
    ]);
    let source = std::fs::read_to_string(&html).unwrap();
    assert!(
        source.contains("Thanks to everyone who came to the")
            && source.contains("<strong>Chronicle</strong>")
            && source.contains("href=\"https://chronicle.test/meetups/november\""),
        "the intro note is in the e-mail"
    );
    let thumb = format!("src=\"{}\"", feeds.image_url("thumbnail.png"));
    assert!(source.contains(&thumb), "the thumbnail is in the e-mail");
    assert!(
        source.contains("width=\"120\"") && source.contains("alt=\"Interview MVP Community\""),
        "the thumbnail has a width and an alt text"
    );

    // The screenshot is kept as a test artifact for people to look at.
    let (png, stderr) = chromium_screenshot(&html, "digest-email.png");
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let size = std::fs::metadata(&png).expect("a screenshot").len();
    assert!(size > 20_000, "a real page, not a blank one: {size} bytes");
    assert!(
        feeds.hits("/images/thumbnail.png") >= 1,
        "Chromium loaded the thumbnail"
    );

    // The Markdown export, for posting the digest on a blog.
    let md = app.ok(&["digest", "--week", "2026-W46", "--format", "markdown"]);
    assert!(
        md.starts_with("# Tech Daily Chronicle · Week 2026-W46"),
        "{md}"
    );
    assert!(md.contains("## [Why do you want to be an MVP???](<https://bram.example.net/posts/003_c84972c6862a2a87.html>)"), "{md}");
    assert!(
        md.contains("*Dev Patel · Bram builds things · Fri 13 Nov · "),
        "{md}"
    );
    assert!(
        md.contains("Welcome to this week's **Chronicle**!"),
        "the intro stays Markdown: {md}"
    );
}
