//! A busy week: every story goes out. The e-mail gives the first `digest.featured` a card and
//! the rest a line, stays under Gmail's clipping size, and links to the archive page for what
//! does not fit; the plain text and the archive page list every story; a cap the organiser sets
//! is warned about and listed.

use chronicle::domain::DigestWeek;
use chrono::Duration;

use crate::helpers::TestApp;
use crate::helpers::blogs::Blogs;
use crate::helpers::seed::digest_ids;

/// Follows 20 blogs and publishes `n` posts in last week through the real fetch path.
fn busy_week(app: &TestApp, n: usize) -> (Blogs, DigestWeek) {
    let names: Vec<String> = (1..=20).map(|b| format!("Blog {b:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut blogs = Blogs::follow(app, &refs);
    let week = DigestWeek::last_complete(chrono::Utc::now(), chrono_tz::UTC, chrono::Weekday::Mon);
    let start = week.bounds(chrono_tz::UTC, chrono::Weekday::Mon).0;
    for i in 0..n {
        let title = format!("Post {i:03}: what we learned running a busy service for a year");
        blogs.post(
            &names[i % 20],
            &title,
            start + Duration::minutes(45 * i as i64 + 60),
        );
    }
    blogs.fetch(app);
    (blogs, week)
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_posts_all_go_out_and_the_email_fits_under_gmails_clip() {
    let app = TestApp::new(1, "\n[web]\nbind = \"127.0.0.1:0\"\n");
    let (_blogs, week) = busy_week(&app, 200);
    let w = week.to_string();
    let html_path = app.dir.path().join("digest.html");
    let out = app.run(&[
        "digest",
        "--week",
        &w,
        "--format",
        "html",
        "--out",
        html_path.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("warning"),
        "no cap, no warning"
    );
    let pool = app.pool().await;
    assert_eq!(
        digest_ids(&pool, &w).await.len(),
        200,
        "every story is in the digest"
    );
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.len() <= 100_000, "{} bytes", html.len());
    let cards = html.matches("class=\"title\"").count();
    let lines = html.matches("class=\"line\"").count();
    assert_eq!(cards, 10, "digest.featured = 10 by default");
    let more = 200 - cards - lines;
    println!(
        "busy week: {cards} cards + {lines} lines in {} bytes of HTML; {more} on the archive page",
        html.len()
    );
    assert!(
        lines > 100,
        "well over a hundred compact lines fit: {lines}"
    );
    if more > 0 {
        assert!(
            html.contains(&format!("{more} more posts this week on the web →")),
            "the e-mail says what it left out"
        );
        assert!(html.contains(&format!("/digests/{w}\"")));
    }
    let text = app.ok(&["digest", "--week", &w, "--format", "text"]);
    for i in 0..200 {
        assert!(
            text.contains(&format!("Post {i:03}:")),
            "the text part lists post {i}"
        );
    }
    // The archive page of the sent digest lists every story.
    app.ok(&["send", "--week", &w]);
    let (base, stop, handle) = crate::helpers::serve(&app).await;
    let page = reqwest::get(format!("{base}/digests/{w}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    stop.cancel();
    handle.await.unwrap().unwrap();
    for i in 0..200 {
        assert!(
            page.contains(&format!("Post {i:03}:")),
            "the archive lists post {i}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cap_the_organiser_sets_is_warned_about_and_listed() {
    let app = TestApp::new(1, "\n[digest]\nmax_stories = 50\n");
    let (_blogs, week) = busy_week(&app, 70);
    let w = week.to_string();
    let out = app.run(&["digest", "--week", &w, "--format", "text"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "warning: digest.max_stories = 50 leaves 20 of this week's stories out of the digest"
        ),
        "{stderr}"
    );
    let stories = app.ok(&["digest", "stories", "--week", &w]);
    assert!(
        stories.contains("left out by digest.max_stories = 50: 20"),
        "{stories}"
    );
    assert!(
        stories.contains("Post 069:"),
        "the left-out stories are named: {stories}"
    );
}
