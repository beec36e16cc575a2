//! Render benchmark: a 500-story digest in every format (HTML e-mail with its CSS inlined by
//! css-inline, plain text, Markdown), from selection to bytes.
//!
//!     cargo run --release --example render_bench [STORIES] [ROUNDS]
//!
//! Prints the median, best and worst time of one full render (target: 20 ms on one core), the
//! one-time cost of loading the templates (which inlines the e-mail template's CSS), and, for
//! comparison, what inlining the CSS of the rendered page itself would cost per digest.

use chrono::{Duration, TimeZone, Utc};

use chronicle::config::GroupBy;
use chronicle::config::Settings;
use chronicle::digest::inline::inline_css;
use chronicle::digest::select::arrange;
use chronicle::digest::{DigestView, Renderer};
use chronicle::domain::{DigestWeek, Entry};
use chronicle::html::sanitize::sanitize;

fn main() {
    let mut args = std::env::args().skip(1);
    let stories: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(500);
    let rounds: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(50);
    let mut settings = Settings::default();
    settings.digest.max_stories = stories.max(1);
    settings.digest.group_by = GroupBy::Tag;
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
    let t = std::time::Instant::now();
    let renderer = Renderer::new(None).expect("built-in templates");
    let load = t.elapsed();
    let intro = "Welcome to **this week's** digest: [the meetup notes](https://example.org/notes) \
                 are online.\n\n- talks on Azure\n- a new blog joined";
    let also_on = std::collections::HashMap::new();
    let tags = std::collections::HashMap::new();
    let mut times = Vec::with_capacity(rounds);
    let mut inline_times = Vec::with_capacity(rounds);
    let mut bytes = 0;
    let mut html_bytes = 0;
    for _ in 0..rounds {
        let t = std::time::Instant::now();
        let selection = arrange(
            entries.clone(),
            Vec::new(),
            &Default::default(),
            &tags,
            &settings.digest,
        );
        let view = DigestView::new(&settings, week, &selection, Some(intro), &also_on);
        let out = renderer.render_email(&view).expect("render");
        times.push(t.elapsed());
        bytes = out.html.len() + out.text.len() + out.markdown.len();
        html_bytes = out.html.len();
        let t = std::time::Instant::now();
        let _ = inline_css(&out.html).expect("inline");
        inline_times.push(t.elapsed());
    }
    times.sort();
    inline_times.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    println!(
        "{stories}-story digest, HTML (CSS inlined) + text + Markdown ({:.0} KB, of which HTML \
         {:.0} KB): median {:.1} ms (min {:.1}, max {:.1}) over {rounds} rounds, one core",
        bytes as f64 / 1024.0,
        html_bytes as f64 / 1024.0,
        ms(times[rounds / 2]),
        ms(times[0]),
        ms(times[rounds - 1]),
    );
    println!(
        "loading the templates (inlines the e-mail template's CSS once): {:.1} ms; inlining the \
         rendered page instead would add {:.1} ms (median) to every digest",
        ms(load),
        ms(inline_times[rounds / 2]),
    );
}
