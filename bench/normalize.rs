//! The normalise step, on one core, in MB/s of feed XML: `cargo bench --bench normalize`.
//!
//! Input: every real feed of `tests/fixtures/real-feeds` (33 feeds from real blog engines) and
//! the fixture feeds of `tests/fixtures/feeds`, read once into memory; or, when
//! `CHRONICLE_BENCH_FEEDS` names a folder, the `.xml` files in it (for instance the synthetic
//! blogosphere of `cargo run --release --example blogosphere -- /tmp/blogo 200 20`, whose posts
//! are typical blog HTML: `CHRONICLE_BENCH_FEEDS=/tmp/blogo/feeds cargo bench --bench
//! normalize`). Groups:
//! * `feed-rs`: feed-rs alone (the parse floor);
//! * `normalize`: Chronicle's whole step from bytes to clean entries (encoding, repairs,
//!   feed-rs, links, dates, sanitising, text, excerpt, image, fingerprint);
//! * `sanitize`: the HTML allowlist alone, on the entries' HTML (MB/s of HTML);
//! * `normalize_url`: the dedup key of a link (per URL).

use std::path::Path;

use chronicle::html::sanitize::sanitize;
use chronicle::ingest::normalize::normalize_str;
use chronicle::ingest::parse::{parse_document, parse_model};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use url::Url;

fn corpus() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dirs = match std::env::var_os("CHRONICLE_BENCH_FEEDS") {
        Some(dir) => vec![std::path::PathBuf::from(dir)],
        None => vec![root.join("real-feeds"), root.join("feeds")],
    };
    let mut docs = Vec::new();
    for dir in dirs {
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .expect("fixtures")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "xml"))
            .collect();
        names.sort();
        for p in names {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            docs.push((name.unwrap_or_default(), std::fs::read(&p).expect("read")));
        }
    }
    docs
}

fn bench(c: &mut Criterion) {
    let docs = corpus();
    let bytes: usize = docs.iter().map(|(_, b)| b.len()).sum();
    let url = Url::parse("https://blog.example.org/feed.xml").expect("static URL");

    let mut g = c.benchmark_group("feeds");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function(
        BenchmarkId::new("feed-rs", format!("{} docs", docs.len())),
        |b| {
            b.iter(|| {
                for (_, body) in &docs {
                    let _ = std::hint::black_box(feed_rs::parser::parse(&body[..]));
                }
            })
        },
    );
    g.bench_function(
        BenchmarkId::new("normalize", format!("{} docs", docs.len())),
        |b| {
            b.iter(|| {
                for (_, body) in &docs {
                    let _ = std::hint::black_box(parse_document(body, None, &url));
                }
            })
        },
    );
    g.finish();

    // The entries' raw HTML, as feed-rs hands it over.
    let html: Vec<String> = docs
        .iter()
        .filter_map(|(_, body)| parse_model(body, None, &url).ok())
        .flat_map(|f| f.entries)
        .filter_map(|e| {
            e.content
                .and_then(|c| c.body)
                .or_else(|| e.summary.map(|s| s.content))
        })
        .collect();
    let html_bytes: usize = html.iter().map(String::len).sum();
    let mut g = c.benchmark_group("entries");
    g.throughput(Throughput::Bytes(html_bytes as u64));
    g.bench_function(
        BenchmarkId::new("sanitize", format!("{} entries", html.len())),
        |b| {
            b.iter(|| {
                for h in &html {
                    std::hint::black_box(sanitize(h, Some(&url)));
                }
            })
        },
    );
    g.finish();

    let links = [
        "http://www.Example.org/posts/hello/?utm_source=rss&utm_medium=feed#comments",
        "https://blog.example.net/2026/11/17/conditional-requests/",
        "https://dev.example.com/ana/conditional-requests-4kd2?fbclid=abc&page=2",
    ];
    let mut g = c.benchmark_group("links");
    g.throughput(Throughput::Elements(links.len() as u64));
    g.bench_function("normalize_url", |b| {
        b.iter(|| {
            for l in links {
                std::hint::black_box(normalize_str(l));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
