//! Every script, through the real path: fixture feeds in Chinese (a real one), Japanese, Korean
//! and Thai, and one mixing English and Japanese, served over 127.0.0.1, fetched by the real
//! binary into SQLite, read back with `entries list --json` and the digest's plain-text part.
//! Excerpts are never the whole post, counts count characters where there are no words,
//! reading time follows, and the text part keeps every line within 72 columns of display width
//! without breaking a URL. Also: RSS in a namespace reads like plain RSS, and links keep their
//! real parameters.

use std::collections::HashMap;

use serde_json::Value;
use unicode_width::UnicodeWidthStr;

use crate::helpers::{FeedServer, TestApp};

/// Follows and fetches `files` of `tests/fixtures/feeds`; returns the app and the entries by
/// title.
fn fetched(server: &FeedServer, files: &[&str]) -> (TestApp, HashMap<String, Value>) {
    let app = TestApp::new(25, "");
    let urls: Vec<String> = files.iter().map(|f| server.feed_url(f)).collect();
    app.import_urls(urls.iter().map(String::as_str));
    let out = app.ok(&["fetch", "--all"]);
    assert!(out.contains(" 0 failed"), "{out}");
    let entries = app
        .json_lines(&["entries", "list"])
        .into_iter()
        .map(|e| (e["title"].as_str().unwrap_or("").to_string(), e))
        .collect();
    (app, entries)
}

/// Stored word counts by title (read back from the database the binary wrote).
async fn word_counts(app: &TestApp) -> HashMap<String, i64> {
    let pool = app.pool().await;
    sqlx::query_as::<_, (String, i64)>("SELECT title, word_count FROM entries")
        .fetch_all(&pool)
        .await
        .expect("word counts")
        .into_iter()
        .collect()
}

/// The plain text of stored HTML.
fn text_of(e: &Value) -> String {
    chronicle::html::text::html_to_text(e["content"].as_str().unwrap_or(""))
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// `summary` without its `…` is the opening of `text`, and shorter.
fn assert_cut_opening(summary: &str, text: &str) {
    let opening = summary
        .strip_suffix('…')
        .expect("a cut excerpt ends with …");
    assert!(text.starts_with(opening), "{summary:?} opens {text:?}");
    assert!(
        chars(opening) < chars(text),
        "{summary:?} is not the whole post"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn chinese_posts_of_a_real_feed_are_excerpted_counted_and_timed() {
    let server = FeedServer::start();
    let (app, entries) = fetched(&server, &["014-qq-news-gb2312-chinese.xml"]);
    assert_eq!(entries.len(), 20);
    let counts = word_counts(&app).await;
    let mut with_text = 0;
    for (title, e) in &entries {
        let text = text_of(e);
        if text.is_empty() {
            // Two video items have no description at all.
            assert_eq!(
                (e["summary"].as_str(), counts[title]),
                (Some(""), 0),
                "{title}"
            );
            continue;
        }
        with_text += 1;
        let summary = e["summary"].as_str().unwrap_or("");
        // Each description is about 150 characters; an excerpt keeps at most 120 letters (60
        // words' worth), so none is the whole post.
        assert!(chars(&text) >= 144, "{title}: {text}");
        assert_cut_opening(summary, &text);
        assert!((60..=140).contains(&chars(summary)), "{title}: {summary}");
        // Every one ends after a sentence end (the cut prefers one when it keeps half).
        let before = summary.trim_end_matches('…').chars().next_back();
        assert!(
            matches!(before, Some('。' | '！' | '？')),
            "{title}: {summary}"
        );
        // Characters counted, not one "word" for the whole post.
        assert!(
            (130..=141).contains(&counts[title]),
            "{title}: {}",
            counts[title]
        );
        assert_eq!(e["reading_minutes"], 1, "{title}");
    }
    assert_eq!(with_text, 18);
    let title = "习近平为何如此强调崇尚英雄？";
    assert_eq!(
        entries[title]["summary"],
        "编者按：历史是人民书写的，而英雄是人民的优秀代表。对历史的铭记、对英雄的崇尚，\
         是激励我们砥砺前行的强大动力。习近平曾在多个场合表达对英雄的崇敬之情，号召全社会铭记英雄，\
         崇尚英雄，捍卫英雄，学习英雄，关爱英雄。又是一年9.18，求是网带您一起回顾习近平这些震撼人心的话！…"
    );
    // 131 Han characters, plus `9.18` and the cut-off `为` counted by the feed's own cut.
    assert_eq!(counts[title], 133);
}

#[tokio::test(flavor = "multi_thread")]
async fn japanese_korean_and_thai_posts_are_excerpted_counted_and_timed() {
    let server = FeedServer::start();
    let (app, entries) = fetched(
        &server,
        &[
            "ja-rust-meetup-rss.xml",
            "ko-dev-notes-atom.xml",
            "th-travel-rss.xml",
        ],
    );
    assert_eq!(entries.len(), 4);
    let counts = word_counts(&app).await;

    let ja = &entries["第十二回勉強会のふりかえり：非同期処理とエラー設計"];
    assert_cut_opening(ja["summary"].as_str().unwrap_or(""), &text_of(ja));
    assert_eq!(chars(&text_of(ja)), 1010);
    assert_eq!(
        ja["summary"],
        "先週の土曜日、第十二回の勉強会を渋谷の会議室で開きました。参加者は三十二人で、\
         そのうち九人は初めての参加でした。今回のテーマは非同期処理とエラー設計です。 \
         最初の発表では、tokioのランタイムがどのようにタスクを切り替えるのかを図で説明してもらいました。…"
    );
    // 945 kana and kanji plus `tokio`; two minutes at 500 characters a minute.
    assert_eq!(
        counts["第十二回勉強会のふりかえり：非同期処理とエラー設計"],
        946
    );
    assert_eq!(ja["reading_minutes"], 2);

    // Mostly English: words and characters counted part by part, read at 230 a minute; the
    // URL inside stays whole in the excerpt.
    let title = "Release notes: chronicle-ja 0.3 リリースしました";
    let mixed = &entries[title];
    assert_cut_opening(mixed["summary"].as_str().unwrap_or(""), &text_of(mixed));
    assert_eq!(
        mixed["summary"],
        "We released chronicle-ja 0.3 today. このバージョンでは、日本語の抜粋が文の終わりで切れるようになりました。 \
         The wrapping of the text part now counts display width, so 全角の文字 take two columns. \
         See https://tokyo-rust.example.jp/docs/releases/chronicle-ja-0-3-release-notes-and-migration-guide \
         for details. 次のリリースでは、韓国語とタイ語の対応をさらに改善する予定です。…"
    );
    assert_eq!(counts[title], 104);
    assert_eq!(mixed["reading_minutes"], 1);

    // Korean is written with spaces: 60 words, cut between words.
    let title = "러스트로 작은 웹 서비스를 만들며 배운 것들";
    let ko = &entries[title];
    let summary = ko["summary"].as_str().unwrap_or("");
    assert_cut_opening(summary, &text_of(ko));
    assert_eq!(summary.split(' ').count(), 60);
    assert!(summary.ends_with(" 데이터베이스는 SQLite를…"), "{summary}");
    assert_eq!(counts[title], 120);
    assert_eq!(ko["reading_minutes"], 1);

    // Thai has no spaces between words, only between phrases: the cut falls on one.
    let title = "สรุปงานพบปะนักพัฒนาครั้งที่ห้า";
    let th = &entries[title];
    assert_cut_opening(th["summary"].as_str().unwrap_or(""), &text_of(th));
    assert_eq!(
        th["summary"],
        "เมื่อวันเสาร์ที่ผ่านมาเราจัดงานพบปะนักพัฒนาครั้งที่ห้าที่ร้านกาแฟใกล้มหาวิทยาลัย มีผู้เข้าร่วมประมาณสามสิบคน…"
    );
    // Letters, not their combining vowel and tone marks.
    assert_eq!(counts[title], 354);
    assert_eq!(th["reading_minutes"], 1);
}

/// Lines of the digest's text part wider than 72 columns: none, but a line holding only a URL
/// (after its `[n]` or indent), which is never broken.
fn too_wide(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.width() > 72)
        .filter(|l| {
            let last = l.split(' ').next_back().unwrap_or("");
            !(last.starts_with("http") && l.trim_start().split(' ').count() <= 2)
        })
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_text_part_wraps_every_script_within_72_columns_and_keeps_urls_whole() {
    let server = FeedServer::start();
    let (app, _) = fetched(
        &server,
        &[
            "ja-rust-meetup-rss.xml",
            "ko-dev-notes-atom.xml",
            "th-travel-rss.xml",
        ],
    );
    let text = app.ok(&["digest", "--week", "2026-W47", "--format", "text"]);
    assert_eq!(too_wide(&text), Vec::<String>::new(), "{text}");
    let long = "https://tokyo-rust.example.jp/posts/2026/11/dai-juni-kai-benkyoukai-no-furikaeri-hidouki-shori-to-error-sekkei";
    assert!(
        text.lines().any(|l| l.ends_with(&format!(" {long}"))),
        "the long URL stays whole: {text}"
    );
    // The Japanese excerpt fills its lines: 4 columns of indent and 34 characters of 2.
    assert!(
        text.contains(
            "\n    先週の土曜日、第十二回の勉強会を渋谷の会議室で開きました。参加者は三\n"
        ),
        "{text}"
    );
    // No line starts with a closing mark (Unicode's line-breaking rules).
    assert!(
        !text
            .lines()
            .any(|l| l.trim_start().starts_with(['。', '、', '」', '）'])),
        "{text}"
    );

    // The real Chinese feed, in its own week.
    let server = FeedServer::start();
    let (app, _) = fetched(&server, &["014-qq-news-gb2312-chinese.xml"]);
    // Every story with its excerpt (a card), not only the first `digest.featured`.
    let out = app.run_env(
        &["digest", "--week", "2018-W38", "--format", "text"],
        &[("CHRONICLE_DIGEST__FEATURED", "50")],
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(too_wide(&text), Vec::<String>::new(), "{text}");
    assert!(text.contains("编者按"), "{text}");
}

#[test]
fn rss_in_a_namespace_reads_like_plain_rss() {
    let server = FeedServer::start();
    let three = [
        ("ns-userland-rss2.xml", "userland-rss2"),
        ("ns-userland-rss.xml", "userland-rss"),
        ("ns-harvard-rss.xml", "harvard"),
        ("ns-purl-rss10-on-rss2.xml", "purl"),
        ("ns-netscape-rss090-on-rss.xml", "netscape"),
    ];
    let mut files: Vec<&str> = three.iter().map(|(f, _)| *f).collect();
    files.extend(["ns-rss090-rdf.xml", "ns-userland-prefixed.xml"]);
    let (_app, entries) = fetched(&server, &files);
    for (_, slug) in three {
        for (n, which) in ["First", "Second", "Third"].iter().enumerate() {
            let e = &entries[&format!("{which} post in {slug}")];
            let link = match n {
                // `rss=1` is the site's own parameter; `utm_source` tracks.
                0 => format!("https://ns.example.org/{slug}/first?rss=1"),
                1 => format!("https://ns.example.org/{slug}/second"),
                _ => format!("https://ns.example.org/{slug}/third"),
            };
            assert_eq!(e["url"], link.as_str(), "{slug}");
            assert_eq!(e["guid"], format!("{slug}-{}", n + 1).as_str());
        }
        let first = &entries[&format!("First post in {slug}")];
        assert_eq!(first["author"], "Ana Moreira", "{slug}");
        assert_eq!(first["published"], "2026-11-16T09:00:00+00:00", "{slug}");
        assert_eq!(
            first["summary"],
            "The first of three posts of this feed, read like plain RSS."
        );
    }
    for title in [
        "First RSS 0.90 item",
        "Second RSS 0.90 item",
        "Prefixed first",
        "Prefixed second",
    ] {
        assert!(
            entries.contains_key(title),
            "{title} in {:?}",
            entries.keys()
        );
    }
    assert_eq!(entries.len(), 3 * 5 + 2 + 2);
}

#[test]
fn links_keep_real_parameters_and_lose_listed_trackers() {
    let server = FeedServer::start();
    let (_app, entries) = fetched(&server, &["links-query-strings-rss.xml"]);
    let url = |title: &str| entries[title]["url"].as_str().unwrap_or("").to_string();
    assert_eq!(
        url("A news site's RSS edition"),
        "https://news.example.com/story/42?rss=1"
    );
    assert_eq!(
        url("A search page"),
        "https://search.example.com/find?q=rust+async&page=2"
    );
    assert_eq!(
        url("A branch on a forge"),
        "https://git.example.com/org/repo/tree?ref=release-1.2"
    );
    assert_eq!(
        url("An old PHP page"),
        "https://old.example.net/item.php?id=7"
    );
    // Ghost's `ref=<the linking site>` (the feed's own host) tracks.
    assert_eq!(
        url("A Ghost outbound link"),
        "https://other.example.net/post"
    );
    assert_eq!(url("Only trackers"), "https://blog.example.org/post");
}
