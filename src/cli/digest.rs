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
        let selection = digest::select::select(&app.pool, &app.settings, week).await?;
        let cut = cut_by_caps(&selection);
        if !cut.is_empty() {
            let both = s_caps_both(settings);
            eprintln!(
                "warning: {} {} {} of this week's stories out of the digest: {} never go out \
                 (`chronicle digest stories` lists {}; 0 means no cap)",
                caps(settings),
                if both { "leave" } else { "leaves" },
                cut.len(),
                if cut.len() == 1 {
                    "it will"
                } else {
                    "they will"
                },
                if cut.len() == 1 { "it" } else { "them" },
            );
        }
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

/// The caps the organiser set, as config keys: `digest.max_stories = 50`.
fn caps(s: &crate::config::DigestSettings) -> String {
    let mut keys = Vec::new();
    if s.max_stories > 0 {
        keys.push(format!("digest.max_stories = {}", s.max_stories));
    }
    if s.max_per_blog > 0 {
        keys.push(format!("digest.max_per_blog = {}", s.max_per_blog));
    }
    keys.join(" and ")
}

fn s_caps_both(s: &crate::config::DigestSettings) -> bool {
    s.max_stories > 0 && s.max_per_blog > 0
}

fn cut_by_caps(selection: &Selection) -> Vec<i64> {
    selection
        .skipped
        .iter()
        .filter(|(_, r)| *r == SkipReason::Cap)
        .map(|(id, _)| *id)
        .collect()
}

async fn stories(app: &App, week: DigestWeek) -> anyhow::Result<()> {
    let s = &app.settings.digest;
    if let Some(d) = store::digests::get(&app.pool, week).await?
        && d.frozen_at.is_some()
    {
        println!("digest {week} was sent: `chronicle digest --week {week}` shows it");
        return Ok(());
    }
    let selection: Selection = digest::select::select(&app.pool, &app.settings, week).await?;
    let ids: Vec<i64> = selection.stories().map(|x| x.entry.id).collect();
    let also_on = store::entries::also_on(&app.pool, &ids).await?;
    let mut out = std::io::stdout().lock();
    let n = selection.len();
    writeln!(
        out,
        "digest {week} ({}): {n} {}; the first {} with a card in the e-mail",
        week.label(s.week_starts.0),
        if n == 1 { "story" } else { "stories" },
        s.featured.min(n)
    )?;
    for g in &selection.groups {
        if !g.name.is_empty() {
            writeln!(out, "  {}", g.name)?;
        }
        for x in &g.stories {
            let e = &x.entry;
            let when = e.published.with_timezone(&s.timezone.0).format("%a %-d %b");
            let mark = if x.pinned { "pinned" } else { "" };
            writeln!(
                out,
                "  {mark:<6} {:>6}  {when:<10}  {:<24}  {}",
                e.id,
                clip(&e.feed_title, 24),
                e.title
            )?;
            if let Some(copies) = also_on.get(&e.id) {
                let names: Vec<&str> = copies.iter().map(|a| a.feed_title.as_str()).collect();
                writeln!(
                    out,
                    "  {:<6} {:>6}  copies: also on {}",
                    "",
                    "",
                    names.join(", ")
                )?;
            }
        }
    }
    left_out(app, week, &selection, &mut out).await
}

/// The candidates the digest leaves out, and why: the organiser's exclusions and caps.
async fn left_out(
    app: &App,
    week: DigestWeek,
    selection: &Selection,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let picks = store::digest_edits::picks(&app.pool, week).await?;
    let mut excluded: Vec<i64> = picks
        .iter()
        .filter(|(_, p)| *p == Pick::Exclude)
        .map(|(id, _)| *id)
        .collect();
    excluded.extend(
        selection
            .skipped
            .iter()
            .filter(|(_, r)| *r == SkipReason::Excluded)
            .map(|(id, _)| *id),
    );
    excluded.sort_unstable();
    excluded.dedup();
    if !excluded.is_empty() {
        let list: Vec<String> = excluded.iter().map(i64::to_string).collect();
        writeln!(out, "excluded by the organiser: {}", list.join(", "))?;
    }
    let cut = cut_by_caps(selection);
    if !cut.is_empty() {
        writeln!(
            out,
            "left out by {}: {} (they will never go out)",
            caps(&app.settings.digest),
            cut.len()
        )?;
        for e in store::entries::by_ids(&app.pool, &cut).await? {
            writeln!(
                out,
                "         {:>6}  {:<24}  {}",
                e.id,
                clip(&e.feed_title, 24),
                e.title
            )?;
        }
    }
    Ok(())
}
