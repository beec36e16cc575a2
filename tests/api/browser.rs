//! The HTML e-mail in a real browser: headless Chromium, offline, and a screenshot kept in
//! `tests/artifacts/` for people to look at. Its layout is measured over WebDriver: the content
//! column is 600 px wide on a desktop, nothing scrolls sideways on a 375 px phone, and every
//! image it links loaded.

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
async fn the_html_email_in_headless_chromium_has_a_600px_column_no_sideways_scroll_on_a_phone_and_every_image_loaded()
 {
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
    // The other thumbnails too: every image the e-mail shows must load.
    sqlx::query("UPDATE entries SET image_url = $1 || '?' || id WHERE image_url IS NOT NULL AND title <> 'Interview MVP Community'")
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
    assert_layout(&html).await;
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

/// What the page measures of itself. Resource timing hides the status of cross-origin loads
/// (the page is a file), so an image counts as loaded only when it has a natural width.
const MEASURE: &str = r#"
const column = document.querySelector('table.container');
const images = [...document.images].map(i => ({ src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0 }));
const failed = performance.getEntriesByType('resource')
    .filter(e => e.responseStatus >= 400)
    .map(e => e.name);
return {
    column: column ? column.getBoundingClientRect().width : -1,
    scroll: document.scrollingElement.scrollWidth,
    inner: window.innerWidth,
    images,
    failed,
};
"#;

async fn measure(browser: &fantoccini::Client, width: u32) -> serde_json::Value {
    browser.set_window_size(width, 1200).await.unwrap();
    // Every image is loaded (or failed) before measuring: scroll through the page first.
    browser
        .execute(
            "window.scrollTo(0, document.body.scrollHeight); window.scrollTo(0, 0);",
            vec![],
        )
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let done = browser
            .execute(
                "return [...document.images].every(i => i.complete);",
                vec![],
            )
            .await
            .unwrap();
        if done == serde_json::Value::Bool(true) || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    browser.execute(MEASURE, vec![]).await.unwrap()
}

/// The e-mail's layout at a desktop and a phone width.
async fn assert_layout(html: &std::path::Path) {
    let driver = crate::browser_journey::Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.browser(profile.path()).await;
    browser
        .goto(&format!("file://{}", html.display()))
        .await
        .unwrap();
    let desktop = measure(&browser, 1024).await;
    assert_eq!(
        desktop["column"].as_f64(),
        Some(600.0),
        "the content column is 600 px wide: {desktop}"
    );
    let images = desktop["images"].as_array().unwrap();
    assert!(!images.is_empty(), "the e-mail shows images: {desktop}");
    for img in images {
        assert_eq!(img["ok"], true, "an image did not load: {img}");
    }
    assert_eq!(
        desktop["failed"].as_array().map(Vec::len),
        Some(0),
        "failed loads: {desktop}"
    );
    let phone = measure(&browser, 375).await;
    let inner = phone["inner"].as_f64().unwrap();
    assert!(
        (360.0..=375.0).contains(&inner),
        "a phone-sized viewport: {phone}"
    );
    assert!(
        phone["scroll"].as_f64().unwrap() <= inner,
        "nothing scrolls sideways at 375 px: {phone}"
    );
    assert!(
        phone["column"].as_f64().unwrap() <= inner,
        "the column fits the phone: {phone}"
    );
    browser.close().await.unwrap();
}
