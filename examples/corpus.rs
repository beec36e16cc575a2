//! Counts how many documents of a feed corpus parse: with feed-rs alone, and with Chronicle's
//! pipeline (encoding detection, recovery of Atom 0.3, odd RSS versions, HTML entities).
//!
//!     cargo run --release --example corpus -- ../shared/corpus/real-feeds ../shared/corpus/feedparser
//!
//! For each folder it prints the totals and lists the documents Chronicle still refuses.

use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("xml" | "json" | "atom" | "rss" | "rdf")
        ) {
            out.push(p);
        }
    }
}

/// A document was understood if anything of it came out.
fn has_content(f: &feed_rs::model::Feed) -> bool {
    f.title.is_some()
        || f.description.is_some()
        || f.rights.is_some()
        || f.generator.is_some()
        || !f.authors.is_empty()
        || !f.contributors.is_empty()
        || !f.links.is_empty()
        || !f.entries.is_empty()
        || f.updated.is_some()
        || f.published.is_some()
        || f.language.is_some()
        || f.icon.is_some()
        || f.logo.is_some()
        || !f.categories.is_empty()
}

fn main() {
    let dirs: Vec<String> = std::env::args().skip(1).collect();
    if dirs.is_empty() {
        eprintln!("usage: corpus DIR...");
        std::process::exit(2);
    }
    let base = url::Url::parse("http://127.0.0.1:8097/tests/").expect("static URL");
    for dir in dirs {
        let mut files = Vec::new();
        walk(Path::new(&dir), &mut files);
        let (mut plain_ok, mut ours_ok, mut entries) = (0usize, 0usize, 0usize);
        let mut refused = Vec::new();
        let mut recovered = Vec::new();
        for f in &files {
            let Ok(body) = std::fs::read(f) else { continue };
            let rel = f.strip_prefix(&dir).unwrap_or(f).display().to_string();
            let plain = feed_rs::parser::parse(body.as_slice()).is_ok_and(|f| has_content(&f));
            let url = base.join(&rel).unwrap_or_else(|_| base.clone());
            let ours = chronicle::ingest::parse::parse_model(&body, None, &url);
            plain_ok += usize::from(plain);
            match ours {
                Ok(feed) if has_content(&feed) => {
                    ours_ok += 1;
                    entries += feed.entries.len();
                    if !plain {
                        recovered.push(rel);
                    }
                }
                Ok(_) => refused.push(format!("{rel}: parsed, but found nothing in it")),
                Err(e) => refused.push(format!("{rel}: {e}")),
            }
        }
        println!(
            "{dir}: {} documents; feed-rs alone reads {plain_ok}; Chronicle reads {ours_ok} ({} recovered), {entries} entries",
            files.len(),
            recovered.len()
        );
        for r in &refused {
            println!("  refused  {r}");
        }
    }
}
