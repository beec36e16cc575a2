//! `feeds ...` and `fetch`: the blogs Chronicle follows and polling them.

use anyhow::{Context, bail};
use chrono::Utc;

use super::FeedsCommand;
use crate::app::App;
use crate::domain::FeedUrl;
use crate::ingest::RefreshStatus;
use crate::store::{self, feeds::NewFeed};

pub(super) async fn feeds(app: &App, cmd: FeedsCommand) -> anyhow::Result<()> {
    match cmd {
        FeedsCommand::Add {
            url,
            title,
            author,
            tags,
            no_check,
        } => {
            let mut url = FeedUrl::parse(&url)?;
            if !no_check {
                let found = crate::ingest::resolve_feed(&app.fetcher, &url).await?;
                if let Some(page) = &found.page {
                    println!(
                        "found feed {} ({}) on {page}",
                        found.url,
                        found.title.as_deref().unwrap_or("untitled")
                    );
                }
                url = found.url;
            }
            let id = store::feeds::add(
                &app.pool,
                &NewFeed {
                    url: &url,
                    title: title.as_deref(),
                    author: author.as_deref(),
                    tags: &tags,
                },
                Utc::now(),
            )
            .await?;
            println!("added feed {id}: {url}");
        }
        FeedsCommand::List { json } => {
            let feeds = store::feeds::list(&app.pool).await?;
            if json {
                for f in &feeds {
                    println!("{}", serde_json::to_string(f)?);
                }
                return Ok(());
            }
            if feeds.is_empty() {
                println!("no feeds yet: add one with `chronicle feeds add URL`");
                return Ok(());
            }
            let failing_after = i64::from(app.settings.fetch.failing_after);
            let when = |t: Option<chrono::DateTime<Utc>>| {
                t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_else(|| "-".into())
            };
            println!(
                "{:>4}  {:<24}  {:<13}  {:>6}  {:>7}  {:<16}  {:<16}  {:<40}  LAST ERROR",
                "ID", "TITLE", "STATUS", "ERRORS", "ENTRIES", "LAST SUCCESS", "NEXT CHECK", "URL"
            );
            for f in &feeds {
                let status = if !f.enabled {
                    "disabled"
                } else if f.error_count >= failing_after {
                    "failing"
                } else {
                    f.last_status.as_deref().unwrap_or("never fetched")
                };
                let next = if f.enabled {
                    when(Some(f.next_check_at).filter(|t| t.timestamp() > 0))
                } else {
                    "-".into()
                };
                println!(
                    "{:>4}  {:<24}  {:<13}  {:>6}  {:>7}  {:<16}  {:<16}  {:<40}  {}",
                    f.id,
                    clip(f.display_title(), 24),
                    status,
                    f.error_count,
                    f.entry_count,
                    when(f.last_success_at),
                    if next == "-" && f.enabled {
                        "now".into()
                    } else {
                        next
                    },
                    clip(&f.url, 40),
                    f.last_error.as_deref().unwrap_or("")
                );
            }
        }
        FeedsCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let found = crate::ingest::opml::import(&text)
                .with_context(|| format!("cannot import {}", file.display()))?;
            let (mut added, mut skipped) = (0, found.duplicates);
            for f in &found.feeds {
                let new = NewFeed {
                    url: &f.url,
                    title: f.title.as_deref(),
                    author: None,
                    tags: &f.tags,
                };
                match store::feeds::add(&app.pool, &new, Utc::now()).await {
                    Ok(_) => added += 1,
                    Err(store::StoreError::Duplicate(_)) => skipped += 1,
                    Err(e) => return Err(e.into()),
                }
            }
            for p in &found.problems {
                eprintln!("skipped outline: {p}");
            }
            println!(
                "imported {added} feeds from {}; {skipped} already followed; {} bad outlines",
                file.display(),
                found.problems.len()
            );
        }
        FeedsCommand::Export { out } => {
            let feeds = store::feeds::list(&app.pool).await?;
            let title = format!("{} feeds", app.settings.site.title);
            let opml = crate::ingest::opml::export(&title, &feeds, Utc::now());
            match out {
                Some(path) => {
                    std::fs::write(&path, opml)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!("{} feeds written to {}", feeds.len(), path.display());
                }
                None => print!("{opml}"),
            }
        }
        FeedsCommand::Enable { feed } => {
            let f = store::feeds::find(&app.pool, &feed).await?;
            if store::feeds::enable(&app.pool, f.id).await? {
                println!(
                    "enabled feed {} ({}): it is polled at the next fetch",
                    f.id, f.url
                );
            } else {
                println!("feed {} ({}) is already enabled", f.id, f.url);
            }
        }
        FeedsCommand::Disable { feed } => {
            let f = store::feeds::find(&app.pool, &feed).await?;
            let why = "disabled by the organiser";
            store::feeds::disable(&app.pool, f.id, store::feeds::Disabled::Organiser, why).await?;
            println!(
                "disabled feed {} ({}): `chronicle feeds enable {}` polls it again",
                f.id, f.url, f.id
            );
        }
        FeedsCommand::Remove { feed } => {
            let f = store::feeds::find(&app.pool, &feed).await?;
            store::feeds::remove(&app.pool, f.id).await?;
            println!(
                "removed feed {} ({}) and its {} entries",
                f.id, f.url, f.entry_count
            );
        }
    }
    Ok(())
}

pub(super) fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(width - 1).collect();
        t.push('…');
        t
    }
}

pub(super) async fn fetch(app: &App, all: bool, feed: Option<&str>) -> anyhow::Result<()> {
    let only = match feed {
        Some(f) => {
            let f = store::feeds::find(&app.pool, f).await?;
            if !f.enabled {
                // A disabled feed is never requested (a 410 means the server asked us to stop).
                bail!(
                    "feed {} ({}) is disabled ({}); `chronicle feeds enable {}` polls it again",
                    f.id,
                    f.url,
                    f.last_error.as_deref().unwrap_or("no reason recorded"),
                    f.id
                );
            }
            Some(vec![f])
        }
        None => None,
    };
    let single = only.is_some();
    // Counted before the run, so feeds this run disables (410) are not reported as skipped.
    let skipped = if all {
        store::feeds::count_disabled(&app.pool).await?
    } else {
        0
    };
    // Only enabled feeds: `due` never lists a disabled one.
    let feeds = match only {
        Some(f) => f,
        None => store::feeds::due(&app.pool, Utc::now(), all).await?,
    };
    let mut meter = super::progress::FetchMeter::new(feeds.len());
    let mut last_failure = None;
    let report = app
        .fetch(Some(feeds), all, |o| {
            // A database that cannot be written is reported once, at the end.
            if let RefreshStatus::Failed(reason) = &o.status
                && store::unwritable().is_none()
            {
                let line = format!("failed: {}: {reason}", o.url);
                meter.feed_done(true, Some(&line));
                last_failure = Some(format!("{}: {reason}", o.url));
            } else {
                meter.feed_done(false, None);
            }
        })
        .await?;
    meter.finish();
    println!(
        "fetched {} feeds: {} new entries, {} updated, {} unchanged, {} failed{}",
        report.feeds,
        report.new_entries,
        report.updated_entries,
        report.unchanged,
        report.failed,
        match report.regrouped {
            0 => String::new(),
            n => format!("; {n} entries regrouped as copies of one story"),
        }
    );
    if skipped > 0 {
        println!("{}", skipped_line(skipped));
    }
    if single && let Some(reason) = last_failure {
        bail!("{reason}");
    }
    Ok(())
}

/// What `fetch --all` says about the disabled feeds it did not poll.
fn skipped_line(n: i64) -> String {
    let feeds = if n == 1 { "feed" } else { "feeds" };
    format!(
        "skipped {n} disabled {feeds}: `chronicle feeds list` shows why, \
         `chronicle feeds enable ID` polls one again"
    )
}
