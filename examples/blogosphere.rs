//! Writes a synthetic blogosphere for the fetch benchmark: N feeds of M entries (~4 KB of
//! realistic HTML each: paragraphs, links, images with srcset, code blocks, lists, a table),
//! two thirds RSS 2.0 with content:encoded, one third Atom, plus an OPML file and newsboat /
//! sfeed configurations that list them on H loopback hosts (127.0.0.1 .. 127.0.0.H).
//!
//!     cargo run --release --example blogosphere -- OUT_DIR [FEEDS] [ENTRIES] [HOSTS] [PORT]

use std::fmt::Write as _;
use std::path::PathBuf;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "azure",
    "function",
    "deployment",
    "pipeline",
    "container",
    "kubernetes",
    "dotnet",
    "runtime",
    "performance",
    "memory",
    "allocation",
    "async",
    "await",
    "task",
    "service",
    "endpoint",
    "identity",
    "token",
    "storage",
    "queue",
    "message",
    "cosmos",
    "database",
    "query",
    "index",
    "the",
    "a",
    "we",
    "you",
    "this",
    "that",
    "with",
    "without",
    "because",
    "when",
    "then",
    "community",
    "meetup",
    "speaker",
    "session",
    "conference",
    "blog",
    "post",
    "example",
    "code",
    "configuration",
    "logging",
    "telemetry",
    "monitoring",
    "alert",
    "latency",
    "throughput",
    "is",
    "are",
    "was",
    "will",
    "can",
    "should",
    "must",
    "might",
    "really",
    "simply",
    "quickly",
];

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        let w = rng.pick(WORDS);
        if i == 0 {
            let mut c = w.chars();
            if let Some(f) = c.next() {
                s.extend(f.to_uppercase());
                s.push_str(c.as_str());
            }
        } else {
            s.push(' ');
            s.push_str(w);
        }
    }
    s.push('.');
    s
}

fn post_html(rng: &mut Rng, host: &str, n: usize) -> String {
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<p>{} {} <a href=\"https://{host}/posts/{}\">{}</a> {}</p>",
        sentence(rng, 18),
        sentence(rng, 12),
        n + 1,
        sentence(rng, 3),
        sentence(rng, 15)
    );
    let _ = writeln!(
        h,
        "<p><img src=\"/images/{n}/hero.png\" srcset=\"/images/{n}/hero-2x.png 2x\" alt=\"{}\" width=\"800\" height=\"400\" loading=\"lazy\"></p>",
        sentence(rng, 4)
    );
    for _ in 0..3 {
        let _ = writeln!(
            h,
            "<p>{} <strong>{}</strong> {} <em>{}</em> {}</p>",
            sentence(rng, 20),
            sentence(rng, 4),
            sentence(rng, 16),
            sentence(rng, 3),
            sentence(rng, 22)
        );
    }
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<pre><code class=\"language-csharp\">public async Task&lt;IActionResult&gt; Get{n}(int id)\n{{\n    var item = await _db.Items.FindAsync(id);\n    if (item is null) return NotFound();\n    _logger.LogInformation(\"Found {{Id}}\", id);\n    return Ok(item);\n}}</code></pre>",
        sentence(rng, 5)
    );
    let _ = writeln!(
        h,
        "<ul><li>{}</li><li>{}</li><li><a href=\"https://learn.microsoft.com/azure/{}\">{}</a></li></ul>",
        sentence(rng, 8),
        sentence(rng, 9),
        rng.pick(WORDS),
        sentence(rng, 4)
    );
    let _ = writeln!(
        h,
        "<table><tr><th>Setting</th><th>Value</th></tr><tr><td>{}</td><td>{}</td></tr></table>",
        rng.pick(WORDS),
        rng.next() % 1000
    );
    for _ in 0..2 {
        let _ = writeln!(
            h,
            "<p>{} {} {}</p>",
            sentence(rng, 25),
            sentence(rng, 18),
            sentence(rng, 20)
        );
    }
    let _ = write!(
        h,
        "<blockquote><p>{}</p></blockquote>\n<p>{} <a href=\"https://github.com/{}/{}\">GitHub</a>.</p>",
        sentence(rng, 14),
        sentence(rng, 10),
        rng.pick(WORDS),
        rng.pick(WORDS)
    );
    h
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = PathBuf::from(args.first().map(String::as_str).unwrap_or("blogosphere"));
    let feeds: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let entries: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20);
    let hosts: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(50);
    let port: u16 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(8750);
    let dir = out.join("feeds");
    std::fs::create_dir_all(&dir).expect("create output folder");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut opml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\"><head><title>Synthetic blogosphere</title></head><body>\n",
    );
    let mut urls = String::new();
    let mut sfeedrc = String::from("feeds() {\n");
    let mut total = 0usize;
    for f in 0..feeds {
        let host = format!("blog{f}.example.net");
        let title = format!("{} {} blog {f}", rng.pick(WORDS), rng.pick(WORDS));
        let atom = f % 3 == 2;
        let mut doc = String::with_capacity(90_000);
        if atom {
            let _ = writeln!(
                doc,
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<title>{}</title>\n<link href=\"https://{host}/\"/>\n<id>https://{host}/</id>\n<updated>2026-11-20T10:00:00Z</updated>\n<author><name>Author {f}</name></author>",
                escape(&title)
            );
        } else {
            let _ = writeln!(
                doc,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n<title>{}</title>\n<link>https://{host}/</link>\n<description>{}</description>\n<ttl>60</ttl>",
                escape(&title),
                sentence(&mut rng, 8)
            );
        }
        for e in 0..entries {
            let html = post_html(&mut rng, &host, e);
            let post_title = sentence(&mut rng, 7);
            let day = 1 + (e % 20);
            if atom {
                let _ = writeln!(
                    doc,
                    "<entry>\n<title>{}</title>\n<link rel=\"alternate\" href=\"https://{host}/posts/{e}\"/>\n<id>https://{host}/posts/{e}</id>\n<published>2026-11-{day:02}T09:{:02}:00Z</published>\n<updated>2026-11-{day:02}T09:{:02}:00Z</updated>\n<summary>{}</summary>\n<content type=\"html\">{}</content>\n</entry>",
                    escape(&post_title),
                    e % 60,
                    e % 60,
                    sentence(&mut rng, 20),
                    escape(&html)
                );
            } else {
                let _ = writeln!(
                    doc,
                    "<item>\n<title>{}</title>\n<link>https://{host}/posts/{e}</link>\n<guid isPermaLink=\"true\">https://{host}/posts/{e}</guid>\n<dc:creator>Author {f}</dc:creator>\n<pubDate>Tue, {day:02} Nov 2026 09:{:02}:00 +0000</pubDate>\n<category>{}</category>\n<description>{}</description>\n<content:encoded><![CDATA[{}]]></content:encoded>\n</item>",
                    escape(&post_title),
                    e % 60,
                    rng.pick(WORDS),
                    sentence(&mut rng, 20),
                    html
                );
            }
        }
        doc.push_str(if atom {
            "</feed>\n"
        } else {
            "</channel>\n</rss>\n"
        });
        total += doc.len();
        let name = format!("{f:04}.xml");
        std::fs::write(dir.join(&name), &doc).expect("write feed");
        let url = format!("http://127.0.0.{}:{port}/feeds/{name}", 1 + f % hosts);
        let _ = writeln!(
            opml,
            "<outline type=\"rss\" text=\"{}\" xmlUrl=\"{url}\"/>",
            escape(&title)
        );
        let _ = writeln!(urls, "{url}");
        let _ = writeln!(sfeedrc, "\tfeed \"f{f:04}\" \"{url}\"");
    }
    opml.push_str("</body></opml>\n");
    sfeedrc.push_str("}\n");
    std::fs::write(out.join("feeds.opml"), opml).expect("write opml");
    std::fs::write(out.join("urls"), urls).expect("write urls");
    std::fs::write(out.join("sfeedrc"), sfeedrc).expect("write sfeedrc");
    println!(
        "{feeds} feeds x {entries} entries, {:.1} MB of XML ({:.0} KB per feed) in {}",
        total as f64 / 1e6,
        total as f64 / feeds as f64 / 1e3,
        out.display()
    );
}
