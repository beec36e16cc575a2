//! Render benchmark: a 500-story digest in every format (HTML e-mail, plain text, Markdown).
//!
//!     cargo run --release --example render_bench [STORIES] [ROUNDS]
//!
//! Prints the median and best time of one full render (the target: 20 ms on one core).

use chrono::{Duration, TimeZone, Utc};

use chronicle::config::Settings;
use chronicle::digest::{DigestView, Renderer};
use chronicle::domain::{DigestWeek, Entry};
use chronicle::ingest::sanitize::sanitize;

fn main() {
    let mut args = std::env::args().skip(1);
    let stories: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(500);
    let rounds: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(50);
    let settings = Settings::default();
    let week: DigestWeek = "2026-W47".parse().expect("static week");
    let start = Utc
        .with_ymd_and_hms(2026, 11, 16, 6, 0, 0)
        .single()
        .expect("static date");
    let words = "Azure Functions now run .NET 9 isolated workers with faster cold starts & \"better\" <logging> \
                 in every region we tested during the community meetup last Thursday evening";
    let entries: Vec<Entry> = (0..stories)
        .map(|i| Entry {
            id: i as i64 + 1,
            feed_id: (i % 40) as i64 + 1,
            feed_url: format!("https://blog{}.example.net/feed.xml", i % 40),
            feed_title: format!("Community blog {}", i % 40),
            guid: format!("post-{i}"),
            url: Some(format!("https://blog{}.example.net/posts/{i}", i % 40)),
            title: format!("Post {i}: what we learned about <Azure> & \"dotnet\" this week"),
            author: Some(format!("Author {}", i % 60)),
            published: start + Duration::minutes(i as i64 * 17),
            updated: None,
            first_seen: start + Duration::minutes(i as i64 * 17 + 5),
            summary: format!("{words} {words}"),
            content: sanitize(&format!("<p>{words}</p>"), None),
            word_count: 900 + i as i64,
            image_url: (i % 3 == 0)
                .then(|| format!("https://blog{}.example.net/img/{i}.png", i % 40)),
            tags: vec!["azure".to_string(), "dotnet".to_string()],
            story: i as i64 + 1,
        })
        .collect();
    let renderer = Renderer::new(None).expect("built-in templates");
    let mut times = Vec::with_capacity(rounds);
    let mut bytes = 0;
    for _ in 0..rounds {
        let t = std::time::Instant::now();
        let view = DigestView::new(&settings, week, &entries);
        let out = renderer.render_email(&view).expect("render");
        times.push(t.elapsed());
        bytes = out.html.len() + out.text.len() + out.markdown.len();
    }
    times.sort();
    println!(
        "{stories}-story digest, HTML + text + Markdown ({:.0} KB): median {:.1} ms, best {:.1} ms over {rounds} rounds (one core)",
        bytes as f64 / 1024.0,
        times[rounds / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3
    );
}
