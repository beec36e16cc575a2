//! Story grouping at the scale of a big community: `cargo bench --bench stories`.
//!
//! The labelled set of `tests/fixtures/stories/` (601 posts: cross-posts and look-alike distinct
//! posts) is sketched once and repeated 34 times as independent communities (every hash of a
//! repeat moved by a constant, feeds renumbered), about 20,000 entries: the 60-day window of
//! 1,000 blogs posting a couple of times a week. Groups:
//! * `sketch`: sketching the 601 texts (part of the normalise step);
//! * `assign`: grouping the whole window, as after every fetch that stored something.

use chronicle::domain::{Sketch, StoryRecord};
use chronicle::stories::{group::assign, sketch::sketch};
use criterion::{Criterion, criterion_group, criterion_main};

fn texts() -> Vec<(serde_json::Value, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/stories/labelled.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("labelled.json")).expect("JSON");
    v["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            let text: Vec<&str> = e["paragraphs"]
                .as_array()
                .expect("paragraphs")
                .iter()
                .filter_map(|p| p.as_str())
                .collect();
            (e.clone(), text.join(" "))
        })
        .collect()
}

fn records(repeats: u32) -> Vec<StoryRecord> {
    let base = texts();
    let mut feeds = std::collections::HashMap::new();
    let mut out = Vec::new();
    for r in 0..repeats {
        let shift = r.wrapping_mul(0x9e37_79b9);
        for (e, text) in &base {
            let n = feeds.len() as i64;
            let feed = *feeds
                .entry((r, e["feed"].as_str().unwrap_or_default().to_string()))
                .or_insert(n);
            let mut hashes: Vec<u32> = sketch(text).hashes().iter().map(|h| h ^ shift).collect();
            hashes.sort_unstable();
            let bytes: Vec<u8> = hashes.iter().flat_map(|h| h.to_le_bytes()).collect();
            out.push(StoryRecord {
                id: out.len() as i64 + 1,
                feed_id: feed,
                norm_url: e["link"].as_str().map(|l| format!("{l}?r={r}")),
                title: e["title"].as_str().unwrap_or_default().to_string(),
                author: e["author"].as_str().map(str::to_string),
                sketch: Sketch::from_bytes(&bytes).unwrap_or_default(),
                published: e["published"].as_i64().unwrap_or_default(),
                first_seen: e["published"].as_i64().unwrap_or_default(),
                ..StoryRecord::default()
            });
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let base = texts();
    c.bench_function("sketch/601 posts", |b| {
        b.iter(|| {
            base.iter()
                .map(|(_, t)| sketch(t).hashes().len())
                .sum::<usize>()
        })
    });
    let window = records(34);
    let copies = assign(&window, &[]).len();
    println!(
        "{} entries in the window, {copies} grouped as copies",
        window.len()
    );
    let mut g = c.benchmark_group("assign");
    g.sample_size(10);
    g.bench_function(format!("{} entries", window.len()), |b| {
        b.iter(|| assign(&window, &[]).len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
