//! fetch → digest → send, for real: fixture feeds over HTTP, SQLite on disk, mail over SMTP.

use mail_parser::{MimeHeaders, PartType};

use crate::helpers::{FeedServer, SmtpServer, TestApp, squash, unescape_html};

/// The posts of 2026-W46 in the fixtures: (title, author, link).
const WEEK_POSTS: &[(&str, &str, &str)] = &[
    (
        "Interview MVP Community",
        "Ana Moreira",
        "https://ana.example.org/blog/000_ff15c87cede7c531/",
    ),
    (
        "My First Week as a Microsoft MVP",
        "Bram De Vries",
        "https://ana.example.org/blog/001_e5fb0eac17742d9b/",
    ),
    (
        "The secret life of an MVP",
        "Chloé Martin",
        "https://ana.example.org/blog/002_e528001253826257/",
    ),
    (
        "Azure tips & \"tricks\"",
        "Ana Moreira",
        // The feed says `?utm_source=rss`: tracking parameters never reach readers.
        "https://ana.example.org/blog/azure-tips/",
    ),
    (
        "Why do you want to be an MVP???",
        "Dev Patel",
        "https://bram.example.net/posts/003_c84972c6862a2a87.html",
    ),
    (
        "From the AMA: \"How did you become a Microsoft MVP?\"",
        "Eva Kowalska",
        "https://bram.example.net/posts/004_c2e292b410230c3f.html",
    ),
];

fn has_event_handler(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut in_tag = false;
    for i in 0..bytes.len() {
        match bytes[i] {
            b'<' => in_tag = true,
            b'>' => in_tag = false,
            b'o' if in_tag
                && i > 0
                && bytes[i - 1].is_ascii_whitespace()
                && bytes.get(i + 1) == Some(&b'n') =>
            {
                let name: String = lower[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                let after = &lower[i + name.len()..];
                if name.len() > 2 && after.trim_start().starts_with('=') {
                    return Some(name);
                }
            }
            _ => {}
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_digest_send_delivers_one_clean_message_per_confirmed_subscriber() {
    let feeds = FeedServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let app = TestApp::new(smtp.port, "");

    // The organiser lists blogs: two community blogs and three real feeds from the wild.
    app.ok(&[
        "feeds",
        "add",
        &feeds.feed_url("seeds-rss.xml"),
        "--tag",
        "azure",
    ]);
    app.ok(&[
        "feeds",
        "add",
        &feeds.feed_url("seeds-atom.xml"),
        "--title",
        "Bram builds things",
    ]);
    for real in [
        "005-thomasmaurer-wordpress-azure-mvp.xml",
        "013-heise-developer-atom-de.xml",
        "020-statiq-dotnet-rss-slash-comments-default-ns.xml",
    ] {
        app.ok(&["feeds", "add", &feeds.feed_url(real)]);
    }
    let out = app.ok(&["fetch", "--all"]);
    assert!(
        out.contains("fetched 5 feeds") && out.contains("0 failed"),
        "{out}"
    );

    // Readers: three confirmed (the organiser's import), plus one pending and one who left.
    app.ok(&[
        "subscribers",
        "add",
        "ada@example.org",
        "grace@example.net",
        "linus@example.com",
    ]);
    let pool = app.pool().await;
    for (email, status, token) in [
        (
            "pending@example.org",
            "pending",
            "0123456789abcdef0123456789abcdef",
        ),
        (
            "gone@example.org",
            "unsubscribed",
            "fedcba9876543210fedcba9876543210",
        ),
    ] {
        sqlx::query(
            "INSERT INTO subscribers (email, status, token, created_at) VALUES (?, ?, ?, 0)",
        )
        .bind(email)
        .bind(status)
        .bind(token)
        .execute(&pool)
        .await
        .unwrap();
    }

    // A preview on disk, then the send.
    let preview = app.dir.path().join("preview.txt");
    app.ok(&[
        "digest",
        "--week",
        "2026-W46",
        "--format",
        "text",
        "--out",
        preview.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&preview).unwrap();
    assert!(squash(&text).contains("Interview MVP Community"), "{text}");

    let out = app.ok(&["send", "--week", "2026-W46"]);
    assert!(out.contains("3 sent now"), "{out}");
    let messages = smtp.wait_for(3);
    assert_eq!(messages.len(), 3, "one message per confirmed subscriber");

    let mut recipients = Vec::new();
    let mut unsubscribe_links = Vec::new();
    for m in &messages {
        let msg = m.parsed();
        let to = msg
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap()
            .to_string();
        recipients.push(to.clone());
        let subject = msg.subject().unwrap();
        assert!(
            subject.contains("Tech Daily Chronicle") && subject.contains("2026-W46"),
            "{subject}"
        );
        assert_eq!(
            msg.from().unwrap().first().unwrap().address().unwrap(),
            "digest@chronicle.test"
        );
        assert_eq!(
            msg.reply_to().unwrap().first().unwrap().address().unwrap(),
            "organisers@chronicle.test"
        );

        // multipart/alternative with a text and an HTML part.
        let root = &msg.parts[0];
        let ct = root.content_type().unwrap();
        assert_eq!(
            (ct.ctype(), ct.subtype()),
            ("multipart", Some("alternative"))
        );
        let html = msg.body_html(0).expect("an HTML part").into_owned();
        let plain = msg.body_text(0).expect("a text part").into_owned();
        assert!(matches!(
            msg.parts
                .iter()
                .filter(|p| matches!(p.body, PartType::Html(_)))
                .count(),
            1
        ));

        // Every post of the week: title, author and link, in both parts.
        let html_plain = unescape_html(&html);
        let plain_squashed = squash(&plain);
        for (title, author, link) in WEEK_POSTS {
            assert!(html_plain.contains(title), "HTML lacks title {title}");
            assert!(html_plain.contains(author), "HTML lacks author {author}");
            assert!(
                html_plain.contains(&format!("href=\"{link}\"")),
                "HTML lacks link {link}"
            );
            assert!(plain_squashed.contains(title), "text lacks title {title}");
            assert!(
                plain_squashed.contains(author),
                "text lacks author {author}"
            );
            assert!(plain.contains(link), "text lacks link {link}");
        }
        // Nothing from other weeks.
        assert!(!html_plain.contains("An older post from October"));
        assert!(
            !html_plain.contains("Hyper-V"),
            "2016 posts of the real feeds must not appear"
        );

        // Nothing script-capable, in the raw message or decoded.
        for body in [String::from_utf8_lossy(&m.raw).into_owned(), html.clone()] {
            let lower = body.to_ascii_lowercase();
            assert!(!lower.contains("<script"), "script tag in message");
            assert!(!lower.contains("javascript:"), "javascript: URL in message");
            assert!(
                !lower.contains("<iframe") && !lower.contains("<form"),
                "embed in message"
            );
            assert_eq!(has_event_handler(&body), None, "event handler in message");
        }

        // A personal one-click unsubscribe link, in a header and in both parts.
        let header = msg
            .header_raw("List-Unsubscribe")
            .unwrap()
            .trim()
            .to_string();
        assert!(
            header.starts_with("<http://chronicle.test/unsubscribe/"),
            "{header}"
        );
        // `<https://...>, <mailto:...>`: the web link comes first.
        let first = header.split(',').next().unwrap().trim();
        let link = first.trim_matches(['<', '>']).to_string();
        assert!(html_plain.contains(&link) && plain.contains(&link));
        assert_eq!(
            msg.header_raw("List-Unsubscribe-Post").unwrap().trim(),
            "List-Unsubscribe=One-Click"
        );
        unsubscribe_links.push(link);
    }
    recipients.sort();
    assert_eq!(
        recipients,
        ["ada@example.org", "grace@example.net", "linus@example.com"]
    );
    unsubscribe_links.sort();
    unsubscribe_links.dedup();
    assert_eq!(unsubscribe_links.len(), 3, "each reader has their own link");

    // Running send again sends nothing twice.
    let out = app.ok(&["send", "--week", "2026-W46"]);
    assert!(
        out.contains("0 sent now") && out.contains("3 sent"),
        "{out}"
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(smtp.messages().len(), 3, "a second send adds no message");

    // The ledger says so too.
    let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(sent, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn digest_prints_html_and_text_and_a_frozen_digest_never_changes() {
    let feeds = FeedServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let app = TestApp::new(smtp.port, "");
    app.ok(&["feeds", "add", &feeds.feed_url("seeds-atom.xml")]);
    app.ok(&["fetch"]);

    let html = app.ok(&["digest", "--week", "2026-W46"]);
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("Why do you want to be an MVP???")
    );
    let text = app.ok(&["digest", "--week", "2026-W46", "--format", "text"]);
    assert!(
        text.contains("[1] https://bram.example.net/posts/003_c84972c6862a2a87.html"),
        "{text}"
    );
    assert!(
        text.lines()
            .all(|l| l.chars().count() <= 72 || !l.contains(' ')),
        "wrapped at 72:\n{text}"
    );

    // A week without posts renders, and sends nothing.
    let empty = app.ok(&["digest", "--week", "2026-W30", "--format", "text"]);
    assert!(empty.contains("A quiet week"), "{empty}");
    app.ok(&["subscribers", "add", "ada@example.org"]);
    let out = app.ok(&["send", "--week", "2026-W30"]);
    assert!(out.contains("nothing sent"), "{out}");

    // Send W46, then change an entry: the frozen digest keeps what was sent.
    app.ok(&["send", "--week", "2026-W46"]);
    assert_eq!(smtp.wait_for(1).len(), 1);
    let pool = app.pool().await;
    sqlx::query("UPDATE entries SET title = 'Rewritten later'")
        .execute(&pool)
        .await
        .unwrap();
    let again = app.ok(&["digest", "--week", "2026-W46"]);
    assert!(
        !again.contains("Rewritten later") && again.contains("Why do you want to be an MVP???")
    );
}
