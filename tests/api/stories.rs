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

use crate::helpers::xml_escape as esc;

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
    // Followed under their names, as an organiser's OPML would list them.
    let mut opml = String::from("<?xml version=\"1.0\"?><opml version=\"2.0\"><head/><body>");
    for (name, entries) in &feeds {
        let url = server.set_body(&format!("{name}.xml"), &atom(name, entries));
        opml.push_str(&format!(
            "<outline type=\"rss\" text=\"{name}\" xmlUrl=\"{}\"/>",
            esc(&url)
        ));
    }
    opml.push_str("</body></opml>");
    let path = app.dir.path().join("blogs.opml");
    std::fs::write(&path, opml).expect("write OPML");
    app.ok(&["feeds", "import", path.to_str().expect("UTF-8 path")]);
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

#[test]
fn the_organiser_sees_why_an_entry_is_a_copy_and_can_split_and_merge_it() {
    let set = labelled();
    // The first labelled story: an author's post and its DEV copy (the same text), and a third
    // post of the same blog that is its own story.
    let own = &set[0];
    let copy = &set[1];
    assert_eq!(own["story"], copy["story"]);
    let other = set
        .iter()
        .find(|e| e["feed"] == own["feed"] && e["story"] != own["story"])
        .unwrap();
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    let stored = fetch_all(&app, &server, &[own.clone(), copy.clone(), other.clone()]);
    let id = |e: &Value| {
        stored[e["link"].as_str().unwrap()]["id"]
            .as_i64()
            .unwrap()
            .to_string()
    };
    let (own_id, copy_id, other_id) = (id(own), id(copy), id(other));

    let shown = app.ok(&["entries", "show", &copy_id]);
    assert!(
        shown.contains(&format!(
            "story:      a copy of entry {own_id}: {}",
            own["title"].as_str().unwrap()
        )),
        "{shown}"
    );
    assert!(
        shown.contains("joined      by the same text (text distance 0.00: 100% alike)"),
        "{shown}"
    );
    let j: Value = serde_json::from_str(&app.ok(&["entries", "show", &copy_id, "--json"])).unwrap();
    assert_eq!(
        (
            j["story"].to_string(),
            j["rule"].as_str(),
            j["distance"].as_f64()
        ),
        (own_id.clone(), Some("text"), Some(0.0))
    );
    let shown = app.ok(&["entries", "show", &own_id]);
    assert!(
        shown.contains("story:      the original, with 1 copy:"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("entry {copy_id:>6}  devto")),
        "{shown}"
    );
    let alone = app.ok(&["entries", "show", &other_id]);
    assert!(
        alone.contains("story:      its own (no copy found on another blog)"),
        "{alone}"
    );

    // Split: its own story, and it stays so when a later fetch regroups the window.
    let said = app.ok(&["entries", "split", &copy_id]);
    assert_eq!(
        said.trim(),
        format!(
            "entry {copy_id} is now a story of its own, kept apart from entry {own_id} for good"
        )
    );
    let mut more = set
        .iter()
        .filter(|e| e["feed"] == "devto")
        .skip(1)
        .take(1)
        .cloned()
        .collect::<Vec<_>>();
    more.insert(0, copy.clone());
    server.set_body(
        "devto.xml",
        &atom("devto", &more.iter().collect::<Vec<_>>()),
    );
    app.ok(&["fetch", "--all"]);
    let j: Value = serde_json::from_str(&app.ok(&["entries", "show", &copy_id, "--json"])).unwrap();
    assert_eq!(
        j["story"].to_string(),
        copy_id,
        "the split held through regrouping: {j}"
    );
    assert_eq!(
        j["kept_apart_from"],
        serde_json::json!([own_id.parse::<i64>().unwrap()])
    );
    assert!(
        app.fails(&["entries", "split", &copy_id])
            .contains("already a story of its own")
    );

    // Merge by hand: the other post joins the original's story.
    let said = app.ok(&["entries", "merge", &other_id, &own_id]);
    assert!(said.starts_with(&format!("entry {other_id} is now one story with entry {own_id}; the story's original is entry {own_id}")), "{said}");
    let shown = app.ok(&["entries", "show", &other_id]);
    assert!(shown.contains("joined      by merged by hand"), "{shown}");
    // Merging the split copy back undoes the split.
    app.ok(&["entries", "merge", &copy_id, &own_id]);
    let j: Value = serde_json::from_str(&app.ok(&["entries", "show", &copy_id, "--json"])).unwrap();
    assert_eq!(
        (j["story"].to_string(), j["kept_apart_from"].clone()),
        (own_id.clone(), serde_json::json!([]))
    );

    assert_eq!(
        app.fails(&["entries", "show", "99999"]).trim(),
        "error: no entry with id 99999 (see `chronicle entries list`)"
    );
    assert!(
        app.fails(&["entries", "merge", &own_id, &own_id])
            .contains("cannot be merged with itself")
    );
}

#[test]
fn a_canonical_link_and_the_same_link_are_named_as_the_rule() {
    let set = labelled();
    let canonical = set.iter().find(|e| e["canonical"].is_string()).unwrap();
    let own = set
        .iter()
        .find(|e| e["story"] == canonical["story"] && e["id"] != canonical["id"])
        .unwrap();
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    let stored = fetch_all(&app, &server, &[own.clone(), canonical.clone()]);
    let copy_id = stored[canonical["link"].as_str().unwrap()]["id"].to_string();
    let shown = app.ok(&["entries", "show", &copy_id]);
    assert!(
        shown.contains("joined      by its canonical / \"originally published at\" link"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn entries_stored_by_an_older_version_are_sketched_and_excerpted_again() {
    let set = labelled();
    // A Japanese post and its copy on another blog.
    let ja = set
        .iter()
        .find(|e| {
            e["feed"] == "qiita"
                && e["summary_only"] == false
                && e["title"].as_str().is_some_and(|t| !t.is_ascii())
        })
        .unwrap();
    let own = set
        .iter()
        .find(|e| e["story"] == ja["story"] && e["id"] != ja["id"])
        .unwrap();
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    let stored = fetch_all(&app, &server, &[own.clone(), ja.clone()]);
    let (own_id, copy_id) = (
        stored[own["link"].as_str().unwrap()]["id"]
            .as_i64()
            .unwrap(),
        stored[ja["link"].as_str().unwrap()]["id"].as_i64().unwrap(),
    );
    assert_eq!(
        stored[ja["link"].as_str().unwrap()]["story"].as_i64(),
        Some(own_id)
    );
    // What an older version stored: no sketch, no story, the whole post as one "word" excerpt.
    let pool = app.pool().await;
    let whole: String = own["paragraphs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    sqlx::query("UPDATE entries SET sketch = NULL, duplicate_of = NULL, story_rule = NULL, summary = $1, word_count = 1")
        .bind(&whole)
        .execute(&pool)
        .await
        .unwrap();
    // The next fetch that stores something regroups, and derives them again first.
    let other = set
        .iter()
        .find(|e| e["feed"] == own["feed"] && e["story"] != own["story"])
        .unwrap();
    server.set_body(
        &format!("{}.xml", own["feed"].as_str().unwrap()),
        &atom(own["feed"].as_str().unwrap(), &[own, other]),
    );
    app.ok(&["fetch", "--all"]);
    type Row = (i64, Option<i64>, String, i64, Option<Vec<u8>>);
    let rows: Vec<Row> =
        sqlx::query_as("SELECT id, duplicate_of, summary, word_count, sketch FROM entries WHERE id IN ($1, $2) ORDER BY id")
            .bind(own_id)
            .bind(copy_id)
            .fetch_all(&pool)
            .await
            .unwrap();
    for (id, dup, summary, words, sketch) in &rows {
        assert!(
            sketch.as_ref().is_some_and(|s| !s.is_empty()),
            "entry {id} sketched"
        );
        assert!(
            summary.chars().count() < 200 && summary.ends_with('…'),
            "entry {id}: {summary}"
        );
        assert!(*words > 100, "entry {id} counts characters: {words}");
        if *id == copy_id {
            assert_eq!(*dup, Some(own_id), "the copy found again");
        }
    }
}
