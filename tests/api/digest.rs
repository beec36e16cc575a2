//! The weekly digest through the real binary: the selection rule across consecutive weeks, the
//! editor's commands, caps and grouping, weeks of 0, 1 and 500 stories, week starts, and the
//! organiser's own templates.

use crate::helpers::seed::{Seeder, at, digest_ids, story};
use crate::helpers::{SmtpServer, TestApp, squash};

/// Runs `chronicle digest --week W` (building and storing the digest) and returns its ids.
async fn built(app: &TestApp, pool: &sqlx::SqlitePool, week: &str) -> Vec<i64> {
    app.ok(&["digest", "--week", week, "--format", "text"]);
    digest_ids(pool, week).await
}

/// Every entry carried by a sent digest, with the week that carried it.
async fn sent_entries(pool: &sqlx::SqlitePool) -> Vec<(i64, String)> {
    sqlx::query_as(
        "SELECT de.entry_id, d.week FROM digest_entries de JOIN digests d ON d.id = de.digest_id
         WHERE d.frozen_at IS NOT NULL ORDER BY de.entry_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn consecutive_weeks_lose_no_story_within_grace_and_repeat_none() {
    // No subscriber: `send` freezes the digest (what the archive and the rule care about) and
    // has nobody to write to.
    let app = TestApp::new(1, "\n[digest]\nmin_stories = 2\n");
    let mut seed = Seeder::follow(&app, 2);
    let pool = app.pool().await;

    // W45 (2–8 Nov): two stories, sent.
    let a1 = seed
        .insert(&app, &pool, &story(1, "A1", (2026, 11, 3, 9)))
        .await;
    let a2 = seed
        .insert(&app, &pool, &story(2, "A2", (2026, 11, 4, 9)))
        .await;
    assert_eq!(built(&app, &pool, "2026-W45").await, [a1, a2]);
    app.ok(&["send", "--week", "2026-W45"]);

    // Found during W46: a W45 post (late), and a post 20 days older than W46 (beyond grace).
    let mut late = story(1, "B1 late", (2026, 11, 5, 9));
    late.first_seen = at((2026, 11, 10, 9));
    let b1 = seed.insert(&app, &pool, &late).await;
    let b2 = seed
        .insert(&app, &pool, &story(2, "B2", (2026, 11, 11, 9)))
        .await;
    let mut too_old = story(2, "D1 too old", (2026, 10, 20, 9));
    too_old.first_seen = at((2026, 11, 12, 9));
    let d1 = seed.insert(&app, &pool, &too_old).await;
    // Rebuilt as often as the organiser likes before it is sent: the same digest.
    assert_eq!(built(&app, &pool, "2026-W46").await, [b1, b2]);
    assert_eq!(built(&app, &pool, "2026-W46").await, [b1, b2]);
    // A sent digest is never rebuilt, even though B1 was published in its week.
    assert_eq!(built(&app, &pool, "2026-W45").await, [a1, a2]);
    app.ok(&["send", "--week", "2026-W46"]);

    // W47 (16–22 Nov): a single story, fewer than min_stories = 2: nothing is sent.
    let c1 = seed
        .insert(&app, &pool, &story(1, "C1", (2026, 11, 17, 9)))
        .await;
    let out = app.ok(&["send", "--week", "2026-W47"]);
    assert!(
        out.contains("has 1 story, fewer than digest.min_stories = 2: nothing sent"),
        "{out}"
    );

    // W48: its own story, C1 rolled over, and a W46 post found after W46 was sent; a post
    // published before W48's 14-day grace window is not taken.
    let e1 = seed
        .insert(&app, &pool, &story(2, "E1", (2026, 11, 24, 9)))
        .await;
    let mut late46 = story(2, "F0 late", (2026, 11, 13, 9));
    late46.first_seen = at((2026, 11, 25, 9));
    let f0 = seed.insert(&app, &pool, &late46).await;
    let mut late44 = story(1, "G0 too late", (2026, 11, 1, 9));
    late44.first_seen = at((2026, 11, 26, 9));
    let g0 = seed.insert(&app, &pool, &late44).await;
    assert_eq!(built(&app, &pool, "2026-W48").await, [f0, c1, e1]);
    app.ok(&["send", "--week", "2026-W48"]);

    // W47, built again now, has nothing left: C1 went out with W48.
    assert!(built(&app, &pool, "2026-W47").await.is_empty());
    let out = app.ok(&["send", "--week", "2026-W47"]);
    assert!(out.contains("has no stories: nothing sent"), "{out}");

    // Every story went out exactly once, except those published beyond the grace period.
    let sent = sent_entries(&pool).await;
    let mut ids: Vec<i64> = sent.iter().map(|(id, _)| *id).collect();
    ids.dedup();
    assert_eq!(ids.len(), sent.len(), "a story went out twice: {sent:?}");
    let mut expected = vec![a1, a2, b1, b2, c1, e1, f0];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    assert!(!ids.contains(&d1) && !ids.contains(&g0));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_editor_pins_excludes_and_writes_an_intro_until_the_digest_is_sent() {
    let app = TestApp::new(1, "\n[digest]\nmax_stories = 3\nmax_per_blog = 2\n");
    let mut seed = Seeder::follow(&app, 3);
    let pool = app.pool().await;
    let p1 = seed
        .insert(&app, &pool, &story(1, "P1", (2026, 11, 16, 8)))
        .await;
    let p2 = seed
        .insert(&app, &pool, &story(1, "P2", (2026, 11, 17, 8)))
        .await;
    let p3 = seed
        .insert(&app, &pool, &story(1, "P3", (2026, 11, 18, 8)))
        .await;
    let q1 = seed
        .insert(&app, &pool, &story(2, "Q1", (2026, 11, 19, 8)))
        .await;
    let r1 = seed
        .insert(&app, &pool, &story(3, "R1", (2026, 11, 20, 8)))
        .await;
    let old = seed
        .insert(&app, &pool, &story(3, "Old but gold", (2026, 10, 1, 8)))
        .await;
    // Blog 2 cross-posts P2, naming it as canonical: a copy of P2's story.
    let mut copy = story(2, "P2 again", (2026, 11, 17, 10));
    copy.canonical = story(1, "P2", (2026, 11, 17, 8)).url;
    let k = seed.insert(&app, &pool, &copy).await;

    // Caps: two per blog, three in all, oldest first served.
    assert_eq!(built(&app, &pool, "2026-W47").await, [p1, p2, q1]);

    // Pinned stories come first and survive the caps, even from outside the week.
    let out = app.ok(&[
        "digest",
        "pin",
        "--week",
        "2026-W47",
        &r1.to_string(),
        &old.to_string(),
    ]);
    assert!(out.contains(&format!("pinned {r1} “R1”")), "{out}");
    assert_eq!(built(&app, &pool, "2026-W47").await, [old, r1, p1]);

    // An unknown id is a clear error and changes nothing, not even the good ids before it.
    let err = app.fails(&[
        "digest",
        "exclude",
        "--week",
        "2026-W47",
        &p1.to_string(),
        "999999",
    ]);
    assert!(
        err.starts_with("error: no entry has id 999999") && err.trim_end().lines().count() == 1,
        "{err}"
    );
    assert_eq!(built(&app, &pool, "2026-W47").await, [old, r1, p1]);

    // Excluded stories never appear; a copy stands for its original.
    app.ok(&["digest", "exclude", "--week", "2026-W47", &p1.to_string()]);
    let out = app.ok(&["digest", "unpin", "--week", "2026-W47", &old.to_string()]);
    assert!(out.contains("unpinned"), "{out}");
    let out = app.ok(&["digest", "pin", "--week", "2026-W47", &k.to_string()]);
    assert!(
        out.contains(&format!("pinned {p2} “P2” (entry {k} is a copy of it)")),
        "{out}"
    );
    // P3 now fits (blog 1 holds P2 only); Q1 is cut by max_stories.
    assert_eq!(built(&app, &pool, "2026-W47").await, [p2, r1, p3]);
    let listing = app.ok(&["digest", "stories", "--week", "2026-W47"]);
    assert!(listing.contains("3 stories"), "{listing}");
    assert!(
        listing.contains(&format!("excluded by the organiser: {p1}"))
            && listing.contains(
                "left out by digest.max_stories = 3 and digest.max_per_blog = 2: 1 (they will never go out)"
            )
            && listing.contains("copies: also on Blog 2"),
        "{listing}"
    );
    let pinned_lines = listing.lines().filter(|l| l.contains("pinned")).count();
    assert_eq!(pinned_lines, 2, "{listing}");

    // The intro note: Markdown from a file, HTML in the e-mail, text in the plain part.
    let note = app.dir.path().join("note.md");
    std::fs::write(
        &note,
        "A *big* week: see [the talks](https://chronicle.test/talks).\n\n<script>alert(1)</script>\n",
    )
    .unwrap();
    let out = app.ok(&[
        "digest",
        "edit",
        "--week",
        "2026-W47",
        "--intro-file",
        note.to_str().unwrap(),
    ]);
    assert!(out.contains("intro note saved"), "{out}");
    let html = app.ok(&["digest", "--week", "2026-W47"]);
    assert!(html.contains("A <em>big</em> week"), "{html}");
    assert!(!html.contains("<script"), "no script from the note");
    let text = app.ok(&["digest", "--week", "2026-W47", "--format", "text"]);
    assert!(text.contains("A big week: see the talks [1]."), "{text}");
    assert!(text.contains("[1] https://chronicle.test/talks"), "{text}");
    let md = app.ok(&["digest", "--week", "2026-W47", "--format", "markdown"]);
    assert!(
        md.contains("A *big* week: see [the talks](https://chronicle.test/talks)."),
        "{md}"
    );
    // The story and its copy: once, "also on" the copy's blog.
    assert!(text.contains("Also on Blog 2 ["), "{text}");
    let missing = app.fails(&[
        "digest",
        "edit",
        "--week",
        "2026-W47",
        "--intro-file",
        "/nonexistent/note.md",
    ]);
    assert!(
        missing.contains("cannot read /nonexistent/note.md"),
        "{missing}"
    );

    // Sent: frozen. Every edit is refused, in one line.
    app.ok(&["send", "--week", "2026-W47"]);
    for args in [
        vec!["digest", "edit", "--week", "2026-W47", "--clear-intro"],
        vec!["digest", "pin", "--week", "2026-W47", "1"],
        vec!["digest", "exclude", "--week", "2026-W47", "1"],
        vec!["digest", "include", "--week", "2026-W47", "1"],
    ] {
        let err = app.fails(&args);
        assert!(
            err.contains("the digest of 2026-W47 was sent on")
                && err.contains("can no longer be edited")
                && err.trim_end().lines().count() == 1,
            "{args:?}: {err}"
        );
    }
    // A story that went out cannot be pinned into another week; what W47 cut or excluded is
    // settled too and does not roll into W48, unless the organiser pins it there.
    let err = app.fails(&["digest", "pin", "--week", "2026-W48", &p2.to_string()]);
    assert!(
        err.contains(&format!("entry {p2} was already in the digest of 2026-W47")),
        "{err}"
    );
    assert!(built(&app, &pool, "2026-W48").await.is_empty());
    app.ok(&["digest", "pin", "--week", "2026-W48", &q1.to_string()]);
    assert_eq!(built(&app, &pool, "2026-W48").await, [q1]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_week_sends_nothing_unless_the_organiser_wants_a_quiet_week_mail() {
    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let app = TestApp::new(smtp.port, "");
    app.ok(&["subscribers", "add", "ada@example.org"]);
    let out = app.run(&["digest", "--week", "2026-W30", "--format", "text"]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success());
    assert!(stdout.contains("A quiet week: no new posts"), "{stdout}");
    assert!(
        stderr.contains("digest 2026-W30 has no stories: `chronicle send` will send nothing"),
        "{stderr}"
    );
    let out = app.ok(&["send", "--week", "2026-W30"]);
    assert_eq!(
        out.trim(),
        "digest 2026-W30 has no stories: nothing sent (digest.send_empty = false)"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(smtp.messages().is_empty());

    let quiet = TestApp::new(
        smtp.port,
        "\n[digest]\nsend_empty = true\nmin_stories = 0\n",
    );
    quiet.ok(&["subscribers", "add", "ada@example.org"]);
    let out = quiet.ok(&["send", "--week", "2026-W30"]);
    assert!(out.contains("1 sent now"), "{out}");
    let messages = smtp.wait_for(1);
    let body = messages[0].parsed().body_text(0).unwrap().into_owned();
    assert!(body.contains("A quiet week"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_single_story_is_worded_in_the_singular_everywhere() {
    let app = TestApp::new(1, "");
    let mut seed = Seeder::follow(&app, 1);
    let pool = app.pool().await;
    seed.insert(&app, &pool, &story(1, "Only one", (2026, 11, 18, 9)))
        .await;
    let html = app.ok(&["digest", "--week", "2026-W47"]);
    let text = app.ok(&["digest", "--week", "2026-W47", "--format", "text"]);
    let md = app.ok(&["digest", "--week", "2026-W47", "--format", "markdown"]);
    for (name, body) in [("html", &html), ("text", &text), ("markdown", &md)] {
        assert!(
            squash(body).contains("1 new post from 1 blog this week."),
            "{name}: {body}"
        );
        assert!(
            !body.contains("1 new posts") && !body.contains("1 blogs"),
            "{name}"
        );
    }
    assert!(html.contains("1 new post: Only one"), "the preheader");
    let out = app.run(&["digest", "--week", "2026-W47", "--out", "/dev/null"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 story written to /dev/null"));
}

#[tokio::test(flavor = "multi_thread")]
async fn five_hundred_stories_keep_the_caps_and_the_groups() {
    let app = TestApp::new(
        1,
        "\n[digest]\nmax_stories = 300\nmax_per_blog = 9\ngroup_by = \"blog\"\norder = \"newest\"\n",
    );
    let blogs: Vec<(String, Option<String>)> =
        (0..40).map(|b| (format!("Blog {b:02}"), None)).collect();
    let mut seed = Seeder::follow_named(&app, &blogs);
    let pool = app.pool().await;
    let stories: Vec<_> = (0..500i64)
        .map(|i| {
            let mut s = story(1 + i % 40, &format!("Story {i}"), (2026, 11, 16, 0));
            s.published += chrono::Duration::minutes(i * 19);
            s.first_seen = s.published;
            s
        })
        .collect();
    seed.insert_all(&app, &pool, &stories).await;
    let text = app.ok(&["digest", "--week", "2026-W47", "--format", "text"]);
    let html = app.ok(&["digest", "--week", "2026-W47"]);
    let ids = digest_ids(&pool, "2026-W47").await;
    assert_eq!(ids.len(), 300, "max_stories holds");
    let per_blog: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT e.feed_id, COUNT(*) FROM digest_entries de JOIN entries e ON e.id = de.entry_id
         GROUP BY e.feed_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(per_blog.iter().all(|(_, n)| *n <= 9), "{per_blog:?}");
    assert!(text.contains("300 new posts from"), "{}", &text[..300]);
    // One heading per blog, in alphabetical order, each once.
    let headings: Vec<&str> = text.lines().filter(|l| l.starts_with("== ")).collect();
    let mut sorted = headings.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(headings, sorted);
    assert!(headings.len() >= 33, "{}", headings.len());
    assert_eq!(html.matches("<h2 class=\"group\"").count(), headings.len());
    // Links numbered 1..300 at the end; every line within 72 columns (a long URL alone).
    assert!(text.contains("\n[300] https://"), "numbered links");
    assert!(
        text.lines()
            .all(|l| l.chars().count() <= 72 || !l.trim().contains(' ')),
        "wrapped at 72"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_week_can_start_on_sunday() {
    let app = TestApp::new(1, "\n[digest]\nweek_starts = \"sunday\"\n");
    let mut seed = Seeder::follow(&app, 1);
    let pool = app.pool().await;
    let sunday = seed
        .insert(&app, &pool, &story(1, "Sunday post", (2026, 11, 15, 12)))
        .await;
    let saturday = seed
        .insert(&app, &pool, &story(1, "Saturday post", (2026, 11, 21, 12)))
        .await;
    seed.insert(&app, &pool, &story(1, "Next Sunday", (2026, 11, 22, 12)))
        .await;
    assert_eq!(built(&app, &pool, "2026-W47").await, [sunday, saturday]);
    let text = app.ok(&["digest", "--week", "2026-W47", "--format", "text"]);
    assert!(
        text.contains("Week 2026-W47 (15–21 November 2026)"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copied_and_modified_template_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/email");
    std::fs::create_dir_all(dir.path().join("email")).unwrap();
    let txt = std::fs::read_to_string(src.join("digest.txt")).unwrap();
    std::fs::write(
        dir.path().join("email/digest.txt"),
        format!("{txt}Printed with our own template.\n"),
    )
    .unwrap();
    let html = std::fs::read_to_string(src.join("digest.html"))
        .unwrap()
        .replace("#3b5bdb", "#c2185b")
        .replace("Read on {{ s.blog }} →", "Continue at {{ s.blog }}");
    std::fs::write(dir.path().join("email/digest.html"), html).unwrap();
    let app = TestApp::new(
        1,
        &format!(
            "\n[digest]\ntemplates = \"{}\"\ngroup_by = \"blog\"\n",
            dir.path().display()
        ),
    );
    let mut seed = Seeder::follow(&app, 1);
    let pool = app.pool().await;
    seed.insert(&app, &pool, &story(1, "Templated", (2026, 11, 18, 9)))
        .await;
    let text = app.ok(&["digest", "--week", "2026-W47", "--format", "text"]);
    assert!(text.ends_with("Printed with our own template.\n"), "{text}");
    let html = app.ok(&["digest", "--week", "2026-W47"]);
    assert!(html.contains("Continue at Blog 1"), "{html}");
    assert!(html.contains("#c2185b"), "the organiser's colour, inlined");
    // Templates they did not copy keep their built-in version.
    let md = app.ok(&["digest", "--week", "2026-W47", "--format", "markdown"]);
    assert!(md.starts_with("# Tech Daily Chronicle"), "{md}");
}
