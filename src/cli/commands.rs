//! Command handlers: glue between the CLI and [`App`]. Output for people goes to stdout, problems
//! to stderr; every failure returns an error whose chain `main` prints on one line.

use std::io::Write;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::feeds::{clip, feeds, fetch};
use super::{Cli, Command, EntriesCommand};
use crate::app::{App, Application, SendOutcome, cancel_on_signals};
use crate::config::Settings;
use crate::store;

/// Runs the parsed command with loaded settings.
pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    if let Command::Check(args) = &cli.command {
        if args.health {
            return health(&settings).await;
        }
    }
    let app = App::build(settings).await?;
    match cli.command {
        Command::Feeds(cmd) => feeds(&app, cmd).await,
        Command::Fetch(args) => fetch(&app, args.all, args.feed.as_deref()).await,
        Command::Digest(args) => super::digest::digest(&app, args).await,
        Command::Send(args) => {
            let week = args
                .week
                .unwrap_or_else(|| app.last_complete_week(Utc::now()));
            match app.send(week).await? {
                SendOutcome::Empty(_) => println!(
                    "digest {week} has no stories: nothing sent (digest.send_empty = false)"
                ),
                SendOutcome::BelowMinimum(d) => println!(
                    "digest {week} has {} {}, fewer than digest.min_stories = {}: nothing sent; \
                     they go into the next digest if published within digest.grace_days = {} \
                     days before its week",
                    d.story_count,
                    if d.story_count == 1 {
                        "story"
                    } else {
                        "stories"
                    },
                    app.settings.digest.min_stories,
                    app.settings.digest.grace_days
                ),
                SendOutcome::Sent(_, r) => {
                    println!(
                        "digest {week}: {} sent now; ledger: {} sent, {} failed, {} skipped, {} pending",
                        r.sent, r.tally.sent, r.tally.failed, r.tally.skipped, r.tally.pending
                    );
                    if r.tally.pending > 0 {
                        bail!(
                            "{} deliveries are still pending: run `chronicle send --week {week}` again",
                            r.tally.pending
                        );
                    }
                }
            }
            Ok(())
        }
        Command::Subscribers(cmd) => super::subscribers::run(&app, cmd).await,
        Command::Entries(EntriesCommand::List { feed, since, json }) => {
            entries(&app, feed.as_deref(), since.as_deref(), json).await
        }
        Command::Serve => {
            let token = tokio_util::sync::CancellationToken::new();
            cancel_on_signals(token.clone());
            let server = Application::bind(app).await?;
            server.run_until_stopped(token, true).await
        }
        Command::Check(args) => check(&app, args.smtp).await,
    }
}

/// `--since`: a date (midnight UTC) or an RFC 3339 instant.
fn parse_since(s: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(d) = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).context("midnight")?.and_utc());
    }
    DateTime::parse_from_rfc3339(s.trim())
        .map(|d| d.with_timezone(&Utc))
        .with_context(|| format!("--since `{s}` is not a date: use YYYY-MM-DD or RFC 3339"))
}

#[derive(Serialize)]
struct EntryJson<'a> {
    id: i64,
    story: i64,
    feed_id: i64,
    feed_url: &'a str,
    feed_title: &'a str,
    guid: &'a str,
    url: Option<&'a str>,
    title: &'a str,
    author: Option<&'a str>,
    published: String,
    updated: Option<String>,
    first_seen: String,
    summary: &'a str,
    content: &'a str,
    image_url: Option<&'a str>,
    tags: &'a [String],
    reading_minutes: u32,
}

async fn entries(
    app: &App,
    feed: Option<&str>,
    since: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let feed_id = match feed {
        Some(f) => Some(store::feeds::find(&app.pool, f).await?.id),
        None => None,
    };
    let since = since.map(parse_since).transpose()?;
    let entries = store::entries::list(&app.pool, feed_id, since).await?;
    let mut out = std::io::stdout().lock();
    for e in &entries {
        if json {
            let j = EntryJson {
                id: e.id,
                story: e.story,
                feed_id: e.feed_id,
                feed_url: &e.feed_url,
                feed_title: &e.feed_title,
                guid: &e.guid,
                url: e.url.as_deref(),
                title: &e.title,
                author: e.author.as_deref(),
                published: e.published.to_rfc3339(),
                updated: e.updated.map(|u| u.to_rfc3339()),
                first_seen: e.first_seen.to_rfc3339(),
                summary: &e.summary,
                content: e.content.as_str(),
                image_url: e.image_url.as_deref(),
                tags: &e.tags,
                reading_minutes: e.reading_minutes(),
            };
            writeln!(out, "{}", serde_json::to_string(&j)?)?;
        } else {
            let copy = if e.story == e.id {
                String::new()
            } else {
                format!("  (copy of {})", e.story)
            };
            writeln!(
                out,
                "{:>6}  {}  {:<24}  {}{copy}",
                e.id,
                e.published.format("%Y-%m-%d"),
                clip(&e.feed_title, 24),
                e.title
            )?;
        }
    }
    Ok(())
}

async fn check(app: &App, smtp: bool) -> anyhow::Result<()> {
    let s = &app.settings;
    let feeds = store::feeds::list(&app.pool).await?;
    let subs = store::subscribers::list(&app.pool).await?;
    println!("configuration: ok");
    println!(
        "database: ok ({})",
        crate::config::redact_url(&s.database.url)
    );
    println!(
        "feeds: {} ({} enabled, {} failing)",
        feeds.len(),
        feeds.iter().filter(|f| f.enabled).count(),
        feeds.iter().filter(|f| f.error_count > 0).count()
    );
    println!(
        "subscribers: {} confirmed of {}",
        subs.iter()
            .filter(|s| s.status == crate::domain::SubscriberStatus::Confirmed)
            .count(),
        subs.len()
    );
    let tz = s.digest.timezone.0;
    for (name, expr) in [
        ("fetch", &s.schedule.fetch),
        ("digest", &s.schedule.digest),
        ("send", &s.schedule.send),
    ] {
        let next = expr.schedule().upcoming(tz).next();
        println!(
            "schedule.{name}: `{}`, next {}",
            expr.as_str(),
            next.map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "never".into())
        );
    }
    println!("smtp: {}:{} ({:?})", s.smtp.host, s.smtp.port, s.smtp.tls);
    if smtp {
        app.mailer
            .test_connection()
            .await
            .context("SMTP check failed")?;
        println!("smtp: the server answers");
    }
    Ok(())
}

async fn health(settings: &Settings) -> anyhow::Result<()> {
    let bind = settings
        .web
        .bind
        .replace("0.0.0.0", "127.0.0.1")
        .replace("[::]", "[::1]");
    let url = format!("http://{bind}/health");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let resp = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()?
        .get(&url)
        .send()
        .await
        .with_context(|| format!("{url} does not answer"))?;
    if !resp.status().is_success() {
        bail!("{url} answered {}", resp.status());
    }
    println!("healthy");
    Ok(())
}
