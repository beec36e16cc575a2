//! `entries list | show | split | merge`: the stored posts, and the organiser's hand on which
//! posts are one story.

use std::io::Write;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::EntriesCommand;
use super::feeds::clip;
use crate::app::App;
use crate::domain::{Entry, StoryLink, StoryRule};
use crate::store::{self, stories::Member};

/// Runs an `entries` command.
pub async fn run(app: &App, cmd: EntriesCommand) -> anyhow::Result<()> {
    match cmd {
        EntriesCommand::List { feed, since, json } => {
            entries(app, feed.as_deref(), since.as_deref(), json).await
        }
        EntriesCommand::Show { id, json } => show(app, id, json).await,
        EntriesCommand::Split { id } => split(app, id).await,
        EntriesCommand::Merge { id, original } => merge(app, id, original).await,
    }
}

async fn one(app: &App, id: i64) -> anyhow::Result<Entry> {
    store::entries::by_ids(&app.pool, &[id])
        .await?
        .pop()
        .with_context(|| format!("no entry with id {id} (see `chronicle entries list`)"))
}

/// How a member joined its story, in the organiser's words.
fn how(link: &StoryLink) -> String {
    let via = link.via.filter(|v| Some(*v) != link.original);
    let to = via.map_or(String::new(), |v| format!(" to entry {v}"));
    match (link.rule, link.distance) {
        (Some(StoryRule::Text), Some(d)) => format!(
            "by {}{to} (text distance {d:.2}: {:.0}% alike)",
            StoryRule::Text.describe(),
            100.0 * (1.0 - d)
        ),
        (Some(rule), _) => format!("by {}{to}", rule.describe()),
        (None, _) => "by a rule no longer recorded (regrouped at the next fetch)".to_string(),
    }
}

#[derive(Serialize)]
struct MemberJson<'a> {
    id: i64,
    title: &'a str,
    blog: &'a str,
    rule: Option<&'static str>,
    via: Option<i64>,
    distance: Option<f64>,
}

async fn show(app: &App, id: i64, json: bool) -> anyhow::Result<()> {
    let e = one(app, id).await?;
    let members = store::stories::story_of(&app.pool, id).await?;
    let apart = store::stories::kept_apart(&app.pool, id).await?;
    let me = members.iter().find(|m| m.id == id);
    if json {
        fn as_json(m: &Member) -> MemberJson<'_> {
            MemberJson {
                id: m.id,
                title: &m.title,
                blog: &m.blog,
                rule: m.link.rule.map(StoryRule::as_str),
                via: m.link.via,
                distance: m.link.distance,
            }
        }
        let j = serde_json::json!({
            "id": e.id, "story": e.story, "title": e.title, "blog": e.feed_title,
            "author": e.author, "url": e.url, "published": e.published.to_rfc3339(),
            "first_seen": e.first_seen.to_rfc3339(), "words": e.word_count,
            "rule": me.and_then(|m| m.link.rule.map(StoryRule::as_str)),
            "via": me.and_then(|m| m.link.via),
            "distance": me.and_then(|m| m.link.distance),
            "members": members.iter().map(as_json).collect::<Vec<_>>(),
            "kept_apart_from": apart,
        });
        println!("{j}");
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "entry {}: {}", e.id, e.title)?;
    writeln!(out, "  blog:       {}", e.feed_title)?;
    writeln!(
        out,
        "  author:     {}",
        e.author.as_deref().unwrap_or("(none)")
    )?;
    writeln!(
        out,
        "  link:       {}",
        e.url.as_deref().unwrap_or("(none)")
    )?;
    writeln!(
        out,
        "  published:  {}",
        e.published.format("%Y-%m-%d %H:%M UTC")
    )?;
    writeln!(
        out,
        "  first seen: {}",
        e.first_seen.format("%Y-%m-%d %H:%M UTC")
    )?;
    writeln!(
        out,
        "  words:      {} ({} min read)",
        e.word_count,
        e.reading_minutes()
    )?;
    let copies: Vec<&Member> = members.iter().filter(|m| m.id != e.story).collect();
    if e.story == e.id {
        if copies.is_empty() {
            writeln!(out, "  story:      its own (no copy found on another blog)")?;
        } else {
            writeln!(
                out,
                "  story:      the original, with {} cop{}:",
                copies.len(),
                if copies.len() == 1 { "y" } else { "ies" }
            )?;
        }
    } else {
        let original = members.first().filter(|m| m.id == e.story);
        let name = original.map_or(String::new(), |o| format!(": {} ({})", o.title, o.blog));
        writeln!(out, "  story:      a copy of entry {}{name}", e.story)?;
        if let Some(m) = me {
            writeln!(out, "  joined      {}", how(&m.link))?;
        }
        writeln!(out, "  undo:       chronicle entries split {}", e.id)?;
        if copies.len() > 1 {
            writeln!(out, "  other copies:")?;
        }
    }
    for c in copies.iter().filter(|c| c.id != e.id) {
        writeln!(
            out,
            "    entry {:>6}  {}  {}",
            c.id,
            clip(&c.blog, 24),
            how(&c.link)
        )?;
    }
    if !apart.is_empty() {
        let list: Vec<String> = apart.iter().map(i64::to_string).collect();
        writeln!(
            out,
            "  kept apart from entries {} (entries split)",
            list.join(", ")
        )?;
    }
    Ok(())
}

async fn split(app: &App, id: i64) -> anyhow::Result<()> {
    one(app, id).await?;
    let others = crate::stories::split_apart(&app.pool, id, Utc::now()).await?;
    if others.is_empty() {
        bail!("entry {id} is already a story of its own: nothing to split");
    }
    let list: Vec<String> = others.iter().map(i64::to_string).collect();
    println!(
        "entry {id} is now a story of its own, kept apart from entr{} {} for good",
        if others.len() == 1 { "y" } else { "ies" },
        list.join(", ")
    );
    Ok(())
}

async fn merge(app: &App, id: i64, original: i64) -> anyhow::Result<()> {
    if id == original {
        bail!("an entry cannot be merged with itself");
    }
    one(app, id).await?;
    let target = one(app, original).await?;
    let theirs: Vec<i64> = store::stories::story_of(&app.pool, original)
        .await?
        .iter()
        .map(|m| m.id)
        .collect();
    store::stories::clear_apart(&app.pool, id, &theirs).await?;
    store::stories::set_overrides(&app.pool, id, &[original], true, Utc::now()).await?;
    crate::stories::link_stories(&app.pool, Utc::now()).await?;
    let after = one(app, id).await?;
    if after.story != target.story && after.story == after.id {
        bail!(
            "entry {id} could not join entry {original}: another entry of that story is kept \
             apart from it (see `chronicle entries show {id}`)"
        );
    }
    let story = one(app, after.story).await?;
    println!(
        "entry {id} is now one story with entry {original}; the story's original is entry {}: {}",
        story.id, story.title
    );
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
