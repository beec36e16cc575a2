//! Every real feed of `tests/fixtures/real-feeds` (feeds from real blog engines; provenance in
//! its `MANIFEST.tsv`) ingests without error, and every entry comes out with a non-empty title,
//! an absolute http(s) link and a date.
//!
//! `cargo test --test api real_feeds -- --nocapture` prints the figures kept in the README.

use std::collections::HashMap;

use serde_json::Value;

use crate::helpers::{FeedServer, TestApp, fixtures};

#[test]
fn real_feeds_ingest_cleanly() {
    let manifest =
        std::fs::read_to_string(fixtures().join("real-feeds/MANIFEST.tsv")).expect("MANIFEST.tsv");
    // file -> entries the manifest counts.
    let expected: Vec<(String, usize)> = manifest
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Some((cols.first()?.to_string(), cols.get(6)?.trim().parse().ok()?))
        })
        .collect();
    assert!(expected.len() >= 30, "manifest lists the corpus");

    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    let url_of = |file: &str| format!("{}/fixtures/real-feeds/{file}", server.base);
    let urls: Vec<String> = expected.iter().map(|(file, _)| url_of(file)).collect();
    app.import_urls(urls.iter().map(String::as_str));
    let out = app.ok(&["fetch", "--all"]);
    assert!(out.contains(" 0 failed"), "{out}");

    let feeds = app.json_lines(&["feeds", "list"]);
    for f in &feeds {
        assert!(
            f["last_error"].is_null(),
            "{} failed: {}",
            f["url"],
            f["last_error"]
        );
    }
    let mut per_feed: HashMap<String, Vec<Value>> = HashMap::new();
    for e in app.json_lines(&["entries", "list"]) {
        per_feed
            .entry(e["feed_url"].as_str().unwrap_or("").to_string())
            .or_default()
            .push(e);
    }
    let mut total = 0;
    let mut problems = Vec::new();
    for (file, want) in &expected {
        let empty = Vec::new();
        let entries = per_feed.get(&url_of(file)).unwrap_or(&empty);
        total += entries.len();
        if entries.len() != *want {
            problems.push(format!(
                "{file}: {} entries, the manifest counts {want}",
                entries.len()
            ));
        }
        for e in entries {
            let title = e["title"].as_str().unwrap_or("");
            let link = e["url"].as_str().unwrap_or("");
            let absolute = url::Url::parse(link)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
            if title.trim().is_empty() || title == "(untitled)" {
                problems.push(format!("{file}: entry {} has no title", e["guid"]));
            }
            if !absolute {
                problems.push(format!(
                    "{file}: entry {title:?} link {link:?} is not absolute"
                ));
            }
            if chrono::DateTime::parse_from_rfc3339(e["published"].as_str().unwrap_or("")).is_err()
            {
                problems.push(format!("{file}: entry {title:?} has no date"));
            }
        }
    }
    println!(
        "\nreal feeds: {} of {} ingested without error; {total} entries, each with a title, an \
         absolute http(s) link and a date: {}",
        feeds.iter().filter(|f| f["last_error"].is_null()).count(),
        expected.len(),
        if problems.is_empty() { "yes" } else { "NO" }
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
