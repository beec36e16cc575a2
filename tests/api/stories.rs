//! One story however many feeds carry it, and distinct posts kept apart: the labelled set of
//! `tests/fixtures/stories/` (made by its `make_labelled.py`) fetched through the real path —
//! Atom feeds served on 127.0.0.1, `fetch --all`, then `entries list` — with precision and recall
//! printed, and the organiser's `entries show / split / merge`.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::helpers::{FeedServer, TestApp, fixtures};

/// The labelled set: entries with a `story` label (same label = copies of one article).
pub fn labelled() -> Vec<Value> {
    let path = fixtures().join("stories/labelled.json");
    let text = std::fs::read_to_string(&path).expect("labelled.json");
    let v: Value = serde_json::from_str(&text).expect("labelled.json is JSON");
    v["entries"].as_array().expect("entries").clone()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An Atom document of one feed's labelled entries: full content, or a summary only.
pub fn atom(feed: &str, entries: &[&Value]) -> String {
    let mut doc = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <title>{feed}</title><id>urn:feed:{feed}</id><updated>2026-11-30T00:00:00Z</updated>\
         <link rel=\"alternate\" href=\"https://{feed}.example.org/\"/>"
    );
    for e in entries {
        let paras: String = e["paragraphs"]
            .as_array()
            .expect("paragraphs")
            .iter()
            .map(|p| {
                let p = p.as_str().expect("paragraph");
                if p.starts_with("<p>") {
                    p.to_string()
                } else {
                    format!("<p>{}</p>", esc(p))
                }
            })
            .collect();
        let when = chrono::DateTime::from_timestamp(e["published"].as_i64().expect("published"), 0)
            .expect("date")
            .to_rfc3339();
        let canonical = e["canonical"].as_str().map_or(String::new(), |c| {
            format!("<link rel=\"canonical\" href=\"{}\"/>", esc(c))
        });
        let tag = if e["summary_only"] == true {
            "summary"
        } else {
            "content"
        };
        doc.push_str(&format!(
            "<entry><id>urn:entry:{id}</id><title>{title}</title><link rel=\"alternate\" \
             href=\"{link}\"/>{canonical}<published>{when}</published><updated>{when}</updated>\
             <author><name>{author}</name></author><{tag} type=\"html\">{body}</{tag}></entry>",
            id = e["id"],
            title = esc(e["title"].as_str().expect("title")),
            link = esc(e["link"].as_str().expect("link")),
            author = esc(e["author"].as_str().expect("author")),
            body = esc(&paras),
        ));
    }
    doc.push_str("</feed>");
    doc
}

/// Serves every feed of `set`, follows and fetches them; returns the stored entries by link.
pub fn fetch_all(app: &TestApp, server: &FeedServer, set: &[Value]) -> HashMap<String, Value> {
    let mut feeds: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for e in set {
        feeds
            .entry(e["feed"].as_str().expect("feed"))
            .or_default()
            .push(e);
    }
    let urls: Vec<String> = feeds
        .iter()
        .map(|(name, entries)| server.set_body(&format!("{name}.xml"), &atom(name, entries)))
        .collect();
    app.import_urls(urls.iter().map(String::as_str));
    app.ok(&["fetch", "--all"]);
    app.json_lines(&["entries", "list"])
        .into_iter()
        .map(|e| (e["url"].as_str().expect("url").to_string(), e))
        .collect()
}

#[test]
fn the_labelled_set_merges_every_cross_post_and_no_distinct_post() {
    let set = labelled();
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    let stored = fetch_all(&app, &server, &set);
    assert_eq!(stored.len(), set.len(), "every labelled entry stored");
    let story_of = |e: &Value| stored[e["link"].as_str().expect("link")]["story"].as_i64();
    let (mut true_pairs, mut merged, mut false_merges) = (0, 0, 0);
    let mut failures = Vec::new();
    for (i, a) in set.iter().enumerate() {
        for b in &set[i + 1..] {
            let same_label = a["story"] == b["story"];
            let same_story = story_of(a) == story_of(b);
            if same_label {
                true_pairs += 1;
                if same_story {
                    merged += 1;
                } else {
                    failures.push(format!("not merged: {} / {}", a["title"], b["title"]));
                }
            } else if same_story {
                false_merges += 1;
                failures.push(format!("merged wrongly: {} / {}", a["title"], b["title"]));
            }
        }
    }
    let precision = if merged + false_merges == 0 {
        1.0
    } else {
        merged as f64 / (merged + false_merges) as f64
    };
    println!(
        "labelled set: {} entries, {true_pairs} true pairs; merged {merged} (recall {:.1}%), \
         false merges {false_merges} (precision {:.1}%)",
        set.len(),
        100.0 * merged as f64 / true_pairs as f64,
        100.0 * precision
    );
    assert!(
        true_pairs >= 100,
        "at least 100 true pairs, got {true_pairs}"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
