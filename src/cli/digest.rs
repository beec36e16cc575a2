//! `digest`: print a week's digest, and the editor's commands (intro note, pin, exclude).

use std::io::Write;

use anyhow::Context;
use chrono::Utc;

use super::feeds::clip;
use super::{DigestArgs, DigestCommand, Format, PickArgs};
use crate::app::App;
use crate::digest::{self, edit, select::Selection};
use crate::domain::DigestWeek;
use crate::store::{self, digest_edits::Pick, digests::SkipReason};

/// Runs `digest ...`.
pub(super) async fn digest(app: &App, args: DigestArgs) -> anyhow::Result<()> {
    let default_week = || app.last_complete_week(Utc::now());
    let Some(command) = args.command else {
        return print(app, args.week.unwrap_or_else(default_week), args).await;
    };
    let now = Utc::now();
    match command {
        DigestCommand::Edit {
            week,
            intro_file,
            intro,
            clear_intro,
        } => {
            let week = week.unwrap_or_else(default_week);
            let note = match (intro_file, intro) {
                (Some(path), _) => Some(
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?,
                ),
                (None, Some(text)) => Some(text),
                (None, None) => None,
            };
            let note = note.filter(|_| !clear_intro);
            edit::set_intro(&app.pool, week, note.as_deref(), now).await?;
            match note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                Some(n) => println!(
                    "digest {week}: intro note saved ({} lines); it shows above the stories",
                    n.lines().count()
                ),
                None => println!("digest {week}: no intro note"),
            }
        }
        DigestCommand::Pin(a) => picks(app, a, Pick::Pin, true).await?,
        DigestCommand::Exclude(a) => picks(app, a, Pick::Exclude, true).await?,
        DigestCommand::Unpin(a) => picks(app, a, Pick::Pin, false).await?,
        DigestCommand::Include(a) => picks(app, a, Pick::Exclude, false).await?,
        DigestCommand::Stories { week } => stories(app, week.unwrap_or_else(default_week)).await?,
    }
    Ok(())
}

async fn print(app: &App, week: DigestWeek, args: DigestArgs) -> anyhow::Result<()> {
    let d = app.digest(week).await?;
    let home = app.settings.site.link("");
    let body = match args.format {
        Format::Html => d.html.replace(digest::UNSUBSCRIBE_PLACEHOLDER, &home),
        Format::Text => d.text.replace(digest::UNSUBSCRIBE_PLACEHOLDER, &home),
        Format::Markdown => d.markdown.clone(),
    };
    let settings = &app.settings.digest;
    let count = usize::try_from(d.story_count).unwrap_or(0);
    if d.frozen_at.is_none() {
        if count == 0 && !settings.send_empty {
            eprintln!(
                "digest {week} has no stories: `chronicle send` will send nothing \
                 (digest.send_empty = false)"
            );
        } else if count > 0 && count < settings.min_stories {
            eprintln!(
                "digest {week} has {count} of the {} stories digest.min_stories asks for: \
                 `chronicle send` will send nothing and they roll into the next digest",
                settings.min_stories
            );
        }
    }
    match args.out {
        Some(path) => {
            std::fs::write(&path, body)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "digest {week}: {} {} written to {}",
                d.story_count,
                if d.story_count == 1 {
                    "story"
                } else {
                    "stories"
                },
                path.display()
            );
        }
        None => std::io::stdout().write_all(body.as_bytes())?,
    }
    Ok(())
}

async fn picks(app: &App, a: PickArgs, pick: Pick, set: bool) -> anyhow::Result<()> {
    let week = a.week.unwrap_or_else(|| app.last_complete_week(Utc::now()));
    let verb = match (pick, set) {
        (Pick::Pin, true) => "pinned",
        (Pick::Pin, false) => "unpinned",
        (Pick::Exclude, true) => "excluded",
        (Pick::Exclude, false) => "included again",
    };
    let copy_note = |given: i64, story: i64| {
        if given == story {
            String::new()
        } else {
            format!(" (entry {given} is a copy of it)")
        }
    };
    if set {
        for r in edit::pick(&app.pool, week, &a.entries, pick, Utc::now()).await? {
            println!(
                "digest {week}: {verb} {} “{}”{}",
                r.story,
                r.title,
                copy_note(r.given, r.story)
            );
        }
    } else {
        for (r, had) in edit::unpick(&app.pool, week, &a.entries, pick).await? {
            let what = if had {
                verb.to_string()
            } else {
                format!(
                    "was not {}",
                    if pick == Pick::Pin {
                        "pinned"
                    } else {
                        "excluded"
                    }
                )
            };
            println!(
                "digest {week}: {what} {} “{}”{}",
                r.story,
                r.title,
                copy_note(r.given, r.story)
            );
        }
    }
    Ok(())
}

async fn stories(app: &App, week: DigestWeek) -> anyhow::Result<()> {
    let s = &app.settings.digest;
    if let Some(d) = store::digests::get(&app.pool, week).await? {
        if d.frozen_at.is_some() {
            println!("digest {week} was sent: `chronicle digest --week {week}` shows it");
            return Ok(());
        }
    }
    let selection: Selection = digest::select::select(&app.pool, &app.settings, week).await?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "digest {week} ({}): {} {}",
        week.label(s.week_starts.0),
        selection.len(),
        if selection.len() == 1 {
            "story"
        } else {
            "stories"
        }
    )?;
    for g in &selection.groups {
        if !g.name.is_empty() {
            writeln!(out, "  {}", g.name)?;
        }
        for x in &g.stories {
            let e = &x.entry;
            writeln!(
                out,
                "  {:<6} {:>6}  {:<10}  {:<24}  {}",
                if x.pinned { "pinned" } else { "" },
                e.id,
                e.published
                    .with_timezone(&s.timezone.0)
                    .format("%a %-d %b")
                    .to_string(),
                clip(&e.feed_title, 24),
                e.title
            )?;
        }
    }
    let excluded: Vec<i64> = selection
        .skipped
        .iter()
        .filter(|(_, r)| *r == SkipReason::Excluded)
        .map(|(id, _)| *id)
        .collect();
    let picks = store::digest_edits::picks(&app.pool, week).await?;
    let mut all_excluded: Vec<i64> = picks
        .iter()
        .filter(|(_, p)| *p == Pick::Exclude)
        .map(|(id, _)| *id)
        .collect();
    all_excluded.extend(excluded);
    all_excluded.sort_unstable();
    all_excluded.dedup();
    if !all_excluded.is_empty() {
        let list: Vec<String> = all_excluded.iter().map(i64::to_string).collect();
        writeln!(out, "excluded: {}", list.join(", "))?;
    }
    let cut = selection
        .skipped
        .iter()
        .filter(|(_, r)| *r == SkipReason::Cap)
        .count();
    if cut > 0 {
        writeln!(
            out,
            "cut by caps: {cut} (digest.max_stories = {}, digest.max_per_blog = {})",
            s.max_stories, s.max_per_blog
        )?;
    }
    Ok(())
}
