//! Command handlers: glue between the CLI and [`App`]. Output for people goes to stdout, problems
//! to stderr; every failure returns an error whose chain `main` prints on one line.

use std::io::Write;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::feeds::{clip, feeds, fetch};
use super::{Cli, Command, EntriesCommand, SubscribersCommand};
use crate::app::{App, Application, cancel_on_signals};
use crate::config::Settings;
use crate::domain::SubscriberEmail;
use crate::store::{self, subscribers::Added};

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
        Command::Send(args) => super::send::send(&app, args).await,
        Command::Deliveries(args) => super::send::deliveries(&app, args).await,
        Command::Subscribers(cmd) => subscribers(&app, cmd).await,
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

async fn subscribers(app: &App, cmd: SubscribersCommand) -> anyhow::Result<()> {
    match cmd {
        SubscribersCommand::Add { emails } => {
            let mut invalid = 0;
            for raw in &emails {
                let email = match SubscriberEmail::parse(raw) {
                    Ok(e) => e,
                    Err(e) => {
                        eprintln!("skipped: {e}");
                        invalid += 1;
                        continue;
                    }
                };
                let what =
                    match store::subscribers::add_confirmed(&app.pool, &email, Utc::now()).await? {
                        Added::Added => "added",
                        Added::Confirmed => "confirmed (was pending)",
                        Added::AlreadyConfirmed => "already subscribed",
                        Added::PreviouslyUnsubscribed => "not added: unsubscribed earlier",
                    };
                println!("{email}: {what}");
            }
            if invalid > 0 {
                bail!(
                    "{invalid} of {} addresses were invalid (the others were processed)",
                    emails.len()
                );
            }
        }
        SubscribersCommand::List => {
            let subs = store::subscribers::list(&app.pool).await?;
            let bouncing = store::bounces::bouncing_ids(&app.pool).await?;
            if subs.is_empty() {
                println!("no subscribers yet");
            }
            for s in subs {
                println!(
                    "{:<40}  {:<12}  since {}",
                    s.email,
                    if bouncing.contains(&s.id) {
                        "bouncing"
                    } else {
                        s.status.as_str()
                    },
                    s.created_at.format("%Y-%m-%d")
                );
            }
        }
        SubscribersCommand::Remove { email } => {
            let email = SubscriberEmail::parse(&email)?;
            store::subscribers::remove(&app.pool, &email).await?;
            println!("removed {email}");
        }
    }
    Ok(())
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
