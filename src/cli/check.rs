//! `chronicle check [--smtp]`: validates what `serve` will need, each problem on one line, and
//! exits non-zero when there is any. The configuration itself was checked when it was loaded
//! (a bad key or value stops before this runs, naming the key and line).

use anyhow::bail;
use chrono::Utc;

use crate::config::{Settings, redact_url};
use crate::digest::Renderer;
use crate::domain::FeedUrl;
use crate::mail::Mailer;
use crate::store;

/// Runs every check, printing what is fine on stdout and each problem on stderr.
pub async fn check(settings: &Settings, smtp: bool) -> anyhow::Result<()> {
    let mut problems: Vec<String> = Vec::new();
    println!(
        "configuration: ok ({} [[feeds]] listed)",
        settings.feeds.len()
    );
    schedules(settings, &mut problems);
    database(settings, &mut problems).await;
    match Renderer::new(settings.digest.templates.as_deref()) {
        Ok(_) => println!("templates: ok"),
        Err(e) => problems.push(format!(
            "templates: {}",
            crate::digest::render::error_chain(&e).replace('\n', " ")
        )),
    }
    match crate::mail::dkim::config(&settings.dkim, settings.newsletter.reply_to.is_some()) {
        Ok(Some(_)) => println!("dkim: key loaded"),
        Ok(None) => println!("dkim: off (no [dkim] key)"),
        Err(e) => problems.push(format!("dkim: {e}")),
    }
    let s = &settings.smtp;
    match Mailer::new(s) {
        Ok(mailer) => {
            println!("smtp: {}:{} ({:?})", s.host, s.port, s.tls);
            if smtp {
                // EHLO (and the login, when one is set), then NOOP.
                match mailer.test_connection().await {
                    Ok(()) => println!("smtp: the server answers"),
                    Err(e) => problems.push(format!("smtp: {}:{}: {e}", s.host, s.port)),
                }
            }
        }
        Err(e) => problems.push(format!("smtp: {e}")),
    }
    if problems.is_empty() {
        println!("no problems found");
        return Ok(());
    }
    for p in &problems {
        eprintln!("problem: {p}");
    }
    bail!("{} problem(s) found", problems.len())
}

fn schedules(settings: &Settings, problems: &mut Vec<String>) {
    let (s, tz) = (&settings.schedule, settings.digest.timezone.0);
    for (name, expr) in [
        ("fetch", &s.fetch),
        ("digest", &s.digest),
        ("send", &s.send),
        ("prune", &s.prune),
    ] {
        match expr.schedule().after(&Utc::now().with_timezone(&tz)).next() {
            Some(next) => println!(
                "schedule.{name}: `{}`, next {}",
                expr.as_str(),
                next.to_rfc3339()
            ),
            None => problems.push(format!(
                "schedule.{name} = `{}` never runs again",
                expr.as_str()
            )),
        }
    }
}

async fn database(settings: &Settings, problems: &mut Vec<String>) {
    let url = redact_url(&settings.database.url);
    let pool = match store::connect(&settings.database.url, 1).await {
        Ok(p) => p,
        Err(e) => {
            problems.push(format!("database {url}: {e}"));
            return;
        }
    };
    println!("database: ok ({url})");
    match store::feeds::list(&pool).await {
        Ok(feeds) => {
            let enabled = feeds.iter().filter(|f| f.enabled).count();
            println!("feeds: {} ({enabled} enabled)", feeds.len());
            for f in feeds.iter().filter(|f| f.enabled) {
                if let Err(e) = FeedUrl::parse(f.url.as_str()) {
                    problems.push(format!("feed {}: {}: {e}", f.id, f.url));
                }
            }
        }
        Err(e) => problems.push(format!("database {url}: cannot list feeds: {e}")),
    }
    pool.close().await;
}
