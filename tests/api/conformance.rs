//! Conformance with a peer's test suite: the expectations of Python's feedparser
//! (`tests/fixtures/feedparser/`, BSD-2-Clause, see its README), run against what Chronicle
//! stores.
//!
//! Every test file is served over HTTP from 127.0.0.1 the way upstream's HTTP mode serves it
//! (its `Header:` lines as response headers), followed with `feeds import`, fetched with
//! `fetch --all`, and read back with `feeds list --json` and `entries list --json`: the real
//! pipeline, end to end, into a real SQLite file.
//!
//! Applicable checks are those on fields Chronicle keeps, translated to what it keeps:
//! * feed title and link; entry title, link, id, author (name), published and updated instants
//!   (UTC), summary and content, tags;
//! * titles are plain text, so an expected HTML title is compared by its text;
//! * links are absolute, so an expected relative link is resolved against the document's URL
//!   before comparison (and upstream's `127.0.0.1:8097` becomes our server's address);
//! * Chronicle keeps the post's body and makes its own excerpt, so a summary check passes when
//!   the expected text is the stored body's text or the stored excerpt;
//! * HTML is compared by its text, plus every URL the expected HTML holds must be in ours
//!   (relative-URL resolution);
//! * sanitisation (entry summary and content under `sanitize/`) is scored as a property: no
//!   script-capable construct left in what we store, and the safe text kept.
//!
//! Not applicable: extensions, `*_detail` metadata (type, language, base), raw date strings,
//! feed-level and title sanitising, allow-list and CSS details, enclosures and links lists.
//! Every failing case must be in `known-failures.tsv` with its reason, and every case there must
//! still fail: a fixed case must leave the list.
//!
//! `cargo test --test api conformance -- --nocapture` prints the table kept in the README.

use std::collections::{BTreeMap, HashMap};

use chronicle::html::text::html_to_text;
use serde_json::Value;

use crate::helpers::{FeedServer, TestApp, fixtures};

mod cases;

use cases::{Case, Category, Field, load_cases};

/// Upstream's test server, as written in the expected values.
const UPSTREAM: &str = "http://127.0.0.1:8097";

fn text(html: &str) -> String {
    html_to_text(html)
}

/// The `href`/`src` values of an HTML fragment.
fn urls_in(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in [" href=\"", " src=\"", " href='", " src='"] {
        let quote = attr.chars().last().unwrap_or('"');
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            let v = &rest[i + attr.len()..];
            if let Some(end) = v.find(quote) {
                out.push(chronicle::html::text::decode_entities(&v[..end]));
            }
            rest = &rest[i + attr.len()..];
        }
    }
    out
}

/// The paragraphs our sanitiser writes in place of embedded players, which upstream drops.
fn without_embed_links(html: &str) -> String {
    let mut out = html.to_string();
    while let Some(i) = out.find("<p><a href=") {
        let Some(end) = out[i..].find("</a></p>").map(|e| i + e + "</a></p>".len()) else {
            break;
        };
        let inner = &out[i..end];
        if inner.contains(">Watch the video") || inner.contains(">Open the embedded content") {
            out.replace_range(i..end, "");
        } else {
            break;
        }
    }
    out
}

/// Whether stored HTML still holds anything that can run script.
fn script_capable(html: &str) -> Option<&'static str> {
    let lower = html.to_ascii_lowercase();
    for bad in [
        "<script",
        "<iframe",
        "<object",
        "<embed",
        "<applet",
        "<meta",
        "<link",
        "<style",
        "<frame",
        "<form",
        "<base",
        "javascript:",
        "vbscript:",
        "data:",
        "expression(",
    ] {
        if lower.contains(bad) {
            return Some(bad);
        }
    }
    // An event-handler attribute: ` on...=` inside a tag.
    let mut in_tag = false;
    let bytes = lower.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'<' => in_tag = true,
            b'>' => in_tag = false,
            b' ' | b'\t' | b'\n' | b'/' | b'"' if in_tag => {
                let rest = &lower[i + 1..];
                if rest.starts_with("on") {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphabetic())
                        .collect();
                    if name.len() > 2 && rest[name.len()..].trim_start().starts_with('=') {
                        return Some("event handler");
                    }
                }
            }
            _ => {}
        }
    }
    None
}

struct Stored {
    feeds: HashMap<String, Value>,
    entries: HashMap<String, Vec<Value>>,
}

fn date_tuple(v: &Value) -> Option<[i64; 6]> {
    let a = v.as_array()?;
    let mut out = [0; 6];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = a.get(i)?.as_i64()?;
    }
    Some(out)
}

fn our_tuple(v: &Value) -> Option<[i64; 6]> {
    use chrono::{Datelike, Timelike};
    let d = chrono::DateTime::parse_from_rfc3339(v.as_str()?).ok()?;
    let d = d.with_timezone(&chrono::Utc);
    Some([
        i64::from(d.year()),
        i64::from(d.month()),
        i64::from(d.day()),
        i64::from(d.hour()),
        i64::from(d.minute()),
        i64::from(d.second()),
    ])
}

/// Runs one case; `Err` says why it fails.
fn run_case(case: &Case, doc_url: &str, base: &str, stored: &Stored) -> Result<(), String> {
    let feed = stored
        .feeds
        .get(doc_url)
        .ok_or_else(|| "feed missing from feeds list".to_string())?;
    if let Some(err) = feed["last_error"].as_str() {
        return Err(format!("feed rejected: {err}"));
    }
    let empty = Vec::new();
    let entries = stored.entries.get(doc_url).unwrap_or(&empty);
    let localise = |s: &str| s.replace(UPSTREAM, base);
    let doc = url::Url::parse(doc_url).map_err(|e| e.to_string())?;
    let absolute = |s: &str| -> Option<url::Url> { doc.join(localise(s).trim()).ok() };
    for check in &case.checks {
        let want_str = check.want.as_str().map(str::to_string);
        let entry = |i: usize| {
            entries
                .get(i)
                .ok_or_else(|| format!("entry {i} missing ({} stored)", entries.len()))
        };
        let field = |e: &Value, k: &str| e[k].as_str().unwrap_or("").to_string();
        let result: Result<(), String> = match &check.field {
            Field::FeedTitle => {
                let want = text(&want_str.unwrap_or_default());
                let ours = field(feed, "feed_title");
                (ours == want)
                    .then_some(())
                    .ok_or(format!("feed title {ours:?}, expected {want:?}"))
            }
            Field::FeedLink => {
                let want = absolute(&want_str.unwrap_or_default());
                let ours = feed["site_url"]
                    .as_str()
                    .and_then(|s| url::Url::parse(s).ok());
                (ours == want).then_some(()).ok_or(format!(
                    "feed link {:?}, expected {:?}",
                    ours.map(String::from),
                    want.map(String::from)
                ))
            }
            Field::Title(i) => entry(*i).and_then(|e| {
                let want = text(&want_str.unwrap_or_default());
                let ours = field(e, "title");
                (ours == want || (want.is_empty() && !ours.is_empty()))
                    .then_some(())
                    .ok_or(format!("title {ours:?}, expected {want:?}"))
            }),
            Field::Link(i) => entry(*i).and_then(|e| {
                let want = absolute(&want_str.unwrap_or_default());
                let ours = e["url"].as_str().and_then(|s| url::Url::parse(s).ok());
                (ours == want).then_some(()).ok_or(format!(
                    "link {:?}, expected {:?}",
                    ours.map(String::from),
                    want.map(String::from)
                ))
            }),
            Field::Id(i) => entry(*i).and_then(|e| {
                let want = localise(want_str.as_deref().unwrap_or(""))
                    .trim()
                    .to_string();
                let ours = field(e, "guid");
                // Upstream resolves a relative guid that is a permalink; we keep ids verbatim
                // unless they are links.
                let resolved = absolute(&want).map(String::from).unwrap_or_default();
                (want.is_empty() || ours == want || ours == resolved)
                    .then_some(())
                    .ok_or(format!("id {ours:?}, expected {want:?}"))
            }),
            Field::Author(i) => entry(*i).and_then(|e| {
                let want = text(&want_str.unwrap_or_default());
                let ours = field(e, "author");
                // `email (Name)` and `Name (email)`: Chronicle keeps the name, never the
                // address.
                let name = want.rsplit_once(" (").map(|(before, inside)| {
                    let inside = inside.trim_end_matches(')');
                    if before.contains('@') { inside } else { before }.to_string()
                });
                (ours == want || Some(&ours) == name.as_ref())
                    .then_some(())
                    .ok_or(format!("author {ours:?}, expected {want:?}"))
            }),
            Field::Published(i) | Field::Updated(i) => entry(*i).and_then(|e| {
                let want = date_tuple(&check.want);
                let key = if matches!(check.field, Field::Updated(_)) && !e["updated"].is_null() {
                    "updated"
                } else {
                    "published"
                };
                let ours = our_tuple(&e[key]);
                (ours == want)
                    .then_some(())
                    .ok_or(format!("{key} {ours:?}, expected {want:?}"))
            }),
            Field::Summary(i) | Field::Content(i) => entry(*i).and_then(|e| {
                let want_html = localise(&want_str.unwrap_or_default());
                let content = field(e, "content");
                if case.category == Category::Security
                    && let Some(bad) = script_capable(&content)
                {
                    return Err(format!("{bad} left in stored content {content:?}"));
                }
                let want = text(&want_html);
                let ours = text(&without_embed_links(&content));
                let summary = field(e, "summary");
                let text_ok = ours == want
                    || summary == want
                    || (summary.ends_with('…') && want.starts_with(summary.trim_end_matches('…')));
                if !text_ok {
                    return Err(format!("text {ours:?}, expected {want:?}"));
                }
                for u in urls_in(&want_html)
                    .into_iter()
                    .filter(|u| !u.trim().is_empty())
                {
                    let Some(abs) = absolute(&u).filter(|a| a.scheme().starts_with("http")) else {
                        continue;
                    };
                    if !urls_in(&content)
                        .iter()
                        .any(|o| url::Url::parse(o).ok() == Some(abs.clone()))
                    {
                        return Err(format!("URL {abs} not in stored content {content:?}"));
                    }
                }
                Ok(())
            }),
            Field::Tag(i, j) => entry(*i).and_then(|e| {
                let want = text(&want_str.unwrap_or_default());
                let ours = e["tags"]
                    .as_array()
                    .and_then(|t| t.get(*j))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                (ours == want)
                    .then_some(())
                    .ok_or(format!("tag {ours:?}, expected {want:?}"))
            }),
        };
        result?;
    }
    Ok(())
}

fn known_failures() -> BTreeMap<String, String> {
    std::fs::read_to_string(fixtures().join("feedparser/known-failures.tsv"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (file, reason) = l.split_once('\t')?;
            Some((file.trim().to_string(), reason.trim().to_string()))
        })
        .collect()
}

#[test]
fn feedparser_conformance() {
    let cases = load_cases();
    let server = FeedServer::start();
    let app = TestApp::new(25, "[digest]\ntimezone = \"UTC\"\n");
    // Upstream's HTTP mode: many documents from one host, so let them through quickly.
    let config = std::fs::read_to_string(&app.config).expect("config");
    std::fs::write(
        &app.config,
        config.replace("[fetch]\n", "[fetch]\nper_host = 16\nconcurrency = 32\n"),
    )
    .expect("config");
    let url_of = |file: &str| format!("{}/tests/{file}", server.base);
    let urls: Vec<String> = cases.iter().map(|c| url_of(&c.file)).collect();
    app.import_urls(urls.iter().map(String::as_str));
    let out = app.run(&["fetch", "--all"]);
    assert!(out.status.code().is_some(), "fetch crashed");

    let feeds: HashMap<String, Value> = app
        .json_lines(&["feeds", "list"])
        .into_iter()
        .map(|f| (f["url"].as_str().unwrap_or("").to_string(), f))
        .collect();
    let mut entries: HashMap<String, Vec<Value>> = HashMap::new();
    for e in app.json_lines(&["entries", "list"]) {
        entries
            .entry(e["feed_url"].as_str().unwrap_or("").to_string())
            .or_default()
            .push(e);
    }
    // Document order: entries are stored in document order, so by id.
    for list in entries.values_mut() {
        list.sort_by_key(|e| e["id"].as_i64());
    }
    let stored = Stored { feeds, entries };

    let mut table: BTreeMap<Category, (usize, usize)> = BTreeMap::new();
    let mut failures: BTreeMap<String, String> = BTreeMap::new();
    for case in &cases {
        let row = table.entry(case.category).or_default();
        row.1 += 1;
        match run_case(case, &url_of(&case.file), &server.base, &stored) {
            Ok(()) => row.0 += 1,
            Err(why) => {
                failures.insert(case.file.clone(), why);
            }
        }
    }
    let (pass, total) = table
        .values()
        .fold((0, 0), |(p, t), (rp, rt)| (p + rp, t + rt));
    println!("\nfeedparser conformance: applicable cases passing");
    println!("| Category | Passing | Cases | Rate |\n|---|---:|---:|---:|");
    for (cat, (p, t)) in &table {
        println!(
            "| {} | {p} | {t} | {:.1}% |",
            cat.name(),
            100.0 * *p as f64 / *t as f64
        );
    }
    println!(
        "| **all applicable** | **{pass}** | **{total}** | **{:.1}%** |",
        100.0 * pass as f64 / total as f64
    );
    if std::env::var_os("CONFORMANCE_FAILURES").is_some() {
        for (file, why) in &failures {
            println!("{file}\t{why}");
        }
    }

    let known = known_failures();
    let new: Vec<String> = failures
        .iter()
        .filter(|(f, _)| !known.contains_key(*f))
        .map(|(f, why)| format!("{f}: {why}"))
        .collect();
    let fixed: Vec<&String> = known
        .keys()
        .filter(|f| !failures.contains_key(*f))
        .collect();
    assert!(
        new.is_empty(),
        "{} cases fail that known-failures.tsv does not list:\n{}",
        new.len(),
        new.join("\n")
    );
    assert!(
        fixed.is_empty(),
        "these cases pass now: remove them from known-failures.tsv:\n{fixed:#?}"
    );
    assert!(
        pass * 100 >= total * 95,
        "conformance {pass}/{total} is below 95%"
    );
}
