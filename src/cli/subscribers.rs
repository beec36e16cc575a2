//! `subscribers ...`: the organiser's tools for readers — add, import a CSV, export, list,
//! delete (erase a person).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use clap::{Subcommand, ValueEnum};
use serde::Serialize;

use crate::app::App;
use crate::domain::{SubscriberEmail, SubscriberStatus};
use crate::store::subscribers::{self as subs, Added, ImportRow, Imported, SubscriberRow};
use crate::web::normalise_address;

/// `subscribers ...`
#[derive(Debug, Subcommand)]
pub enum SubscribersCommand {
    /// Add addresses as confirmed (the organiser's import). Readers who unsubscribed are not
    /// signed up again.
    Add {
        /// One or more e-mail addresses.
        #[arg(required = true, value_name = "EMAIL")]
        emails: Vec<String>,
    },
    /// Import a CSV file with a header row `email[,name][,status]`. Rows are confirmed unless
    /// their status says `pending` or `unsubscribed`; readers who unsubscribed are never signed
    /// up again. Bad rows are reported with their line and skipped; the good rows are imported
    /// in one transaction.
    Import {
        /// The CSV file.
        file: PathBuf,
    },
    /// Print every subscriber as CSV or JSON (email, name, status, created_at, confirmed_at,
    /// unsubscribed_at; dates in RFC 3339).
    Export {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Show subscribers and their status.
    List {
        /// Only this status.
        #[arg(long, value_name = "STATUS",
              value_parser = ["pending", "confirmed", "unsubscribed", "bouncing"])]
        status: Option<String>,
        /// One JSON object per line (email, status, created_at, confirmed_at, unsubscribed_at).
        #[arg(long)]
        json: bool,
    },
    /// Erase a person: their subscriber row, confirmation links and delivery rows.
    #[command(visible_alias = "remove")]
    Delete {
        /// The address.
        email: String,
    },
}

/// `subscribers export --format`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON array of objects.
    Json,
}

/// Runs a `subscribers` command.
pub async fn run(app: &App, cmd: SubscribersCommand) -> anyhow::Result<()> {
    match cmd {
        SubscribersCommand::Add { emails } => add(app, &emails).await,
        SubscribersCommand::Import { file } => import(app, &file).await,
        SubscribersCommand::Export { format, out } => export(app, format, out.as_deref()).await,
        SubscribersCommand::List { status, json } => list(app, status.as_deref(), json).await,
        SubscribersCommand::Delete { email } => {
            let email = parse(&email)?;
            let gone = subs::erase(&app.pool, &email).await?;
            println!(
                "erased {email}: subscriber row, {} confirmation link{}, {} delivery row{}",
                gone.confirmations,
                if gone.confirmations == 1 { "" } else { "s" },
                gone.deliveries,
                if gone.deliveries == 1 { "" } else { "s" },
            );
            Ok(())
        }
    }
}

fn parse(raw: &str) -> anyhow::Result<SubscriberEmail> {
    normalise_address(raw).map_err(|why| {
        let raw = crate::domain::shown(raw.trim());
        anyhow::anyhow!("`{raw}` is not a valid e-mail address: {why}")
    })
}

async fn add(app: &App, emails: &[String]) -> anyhow::Result<()> {
    let mut invalid = 0;
    for raw in emails {
        let email = match parse(raw) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("skipped: {e}");
                invalid += 1;
                continue;
            }
        };
        let what = match subs::add_confirmed(&app.pool, &email, Utc::now()).await? {
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
    Ok(())
}

/// Reads the import file: good rows, and one message per bad row.
fn read_csv(file: &Path) -> anyhow::Result<(Vec<ImportRow>, Vec<String>)> {
    let data =
        std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    parse_import(data, &file.display().to_string())
}

/// Reads an import file's content (`name` is how error messages call it): the good rows, and
/// one message per bad row. Pure, so the fuzz target runs exactly what `import` runs.
pub fn parse_import(
    data: impl std::io::Read,
    name: &str,
) -> anyhow::Result<(Vec<ImportRow>, Vec<String>)> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(data);
    let headers: Vec<String> = reader
        .headers()
        .with_context(|| format!("{name}: cannot read the header row"))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let Some(email_col) = col("email") else {
        bail!(
            "{name}: the header row must name an `email` column (then optionally `name`, `status`)"
        );
    };
    let (name_col, status_col) = (col("name"), col("status"));
    let (mut rows, mut bad) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                bad.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let get = |c: Option<usize>| c.and_then(|c| record.get(c)).unwrap_or("").to_string();
        let email = match parse(&get(Some(email_col))) {
            Ok(e) => e,
            Err(e) => {
                bad.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let status_text = get(status_col).to_ascii_lowercase();
        let status = if status_text.is_empty() {
            SubscriberStatus::Confirmed
        } else if let Some(s) = SubscriberStatus::parse(&status_text) {
            s
        } else {
            // Quoted with escapes: a quoted CSV field may hold a line break (found by fuzzing).
            let shown = crate::domain::shown(&status_text);
            bad.push(format!(
                "line {line}: status `{shown}` is not pending, confirmed or unsubscribed"
            ));
            continue;
        };
        let name = Some(get(name_col)).filter(|n| !n.is_empty());
        rows.push(ImportRow {
            email,
            name,
            status,
        });
    }
    Ok((rows, bad))
}

async fn import(app: &App, file: &Path) -> anyhow::Result<()> {
    let (rows, bad) = read_csv(file)?;
    for b in &bad {
        eprintln!("skipped {b}");
    }
    let done = subs::import(&app.pool, &rows, Utc::now()).await?;
    let count = |what: Imported| done.iter().filter(|d| **d == what).count();
    println!(
        "imported {} row{}: {} added, {} updated, {} unchanged, {} kept unsubscribed",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        count(Imported::Added),
        count(Imported::Updated),
        count(Imported::Unchanged),
        count(Imported::KeptUnsubscribed),
    );
    if !bad.is_empty() {
        bail!(
            "{} bad row{} skipped (listed above); the {} good rows were imported",
            bad.len(),
            if bad.len() == 1 { "" } else { "s" },
            rows.len()
        );
    }
    Ok(())
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Serialize)]
struct RowJson<'a> {
    email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    status: &'a str,
    created_at: String,
    confirmed_at: Option<String>,
    unsubscribed_at: Option<String>,
}

impl<'a> RowJson<'a> {
    fn new(r: &'a SubscriberRow, with_name: bool) -> Self {
        Self {
            email: &r.email,
            name: if with_name {
                Some(r.name.as_deref().unwrap_or(""))
            } else {
                None
            },
            status: &r.status,
            created_at: rfc3339(r.created_at),
            confirmed_at: r.confirmed_at.map(rfc3339),
            unsubscribed_at: r.unsubscribed_at.map(rfc3339),
        }
    }
}

async fn export(app: &App, format: ExportFormat, out: Option<&Path>) -> anyhow::Result<()> {
    let rows = subs::rows(&app.pool, None).await?;
    let text = match format {
        ExportFormat::Json => {
            let all: Vec<RowJson> = rows.iter().map(|r| RowJson::new(r, true)).collect();
            serde_json::to_string_pretty(&all)? + "\n"
        }
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "email",
                "name",
                "status",
                "created_at",
                "confirmed_at",
                "unsubscribed_at",
            ])?;
            for r in &rows {
                w.write_record([
                    r.email.clone(),
                    r.name.clone().unwrap_or_default(),
                    r.status.clone(),
                    rfc3339(r.created_at),
                    r.confirmed_at.map(rfc3339).unwrap_or_default(),
                    r.unsubscribed_at.map(rfc3339).unwrap_or_default(),
                ])?;
            }
            String::from_utf8(w.into_inner()?)?
        }
    };
    match out {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(())
}

async fn list(app: &App, status: Option<&str>, json: bool) -> anyhow::Result<()> {
    let rows = subs::rows(&app.pool, status).await?;
    let mut out = std::io::stdout().lock();
    if rows.is_empty() && !json {
        writeln!(
            out,
            "no subscribers{}",
            status
                .map(|s| format!(" with status {s}"))
                .unwrap_or_default()
        )?;
    }
    for r in &rows {
        if json {
            writeln!(out, "{}", serde_json::to_string(&RowJson::new(r, false))?)?;
        } else {
            writeln!(
                out,
                "{:<40}  {:<12}  since {}",
                r.email,
                r.status,
                r.created_at.format("%Y-%m-%d")
            )?;
        }
    }
    Ok(())
}

/// `unsubscribe-mail`: one message on stdin. A message without a known token changes nothing
/// and still succeeds (a failure would bounce the reader's mail back to them).
pub async fn unsubscribe_mail(app: &App) -> anyhow::Result<()> {
    use std::io::Read as _;
    let mut raw = Vec::new();
    let limit = u64::try_from(crate::mail::inbound::MAX_MESSAGE_BYTES).unwrap_or(u64::MAX);
    std::io::stdin()
        .take(limit)
        .read_to_end(&mut raw)
        .context("cannot read the message on stdin")?;
    let Some(token) = crate::mail::inbound::unsubscribe_token(&raw) else {
        println!("no unsubscribe token in the message: nothing done");
        return Ok(());
    };
    match subs::unsubscribe(&app.pool, &token, Utc::now()).await? {
        Some(email) => println!("unsubscribed {email}"),
        None => println!("no subscriber has that token: nothing done"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_row_is_reported_on_one_line() {
        // Found by fuzzing: quoted fields with line breaks were echoed raw.
        let csv = "email,status\n\"a\nb@example.org\",\nada@example.org,\"vip,\nvery\"\nok@example.org,\n";
        let (rows, bad) = parse_import(csv.as_bytes(), "x.csv").unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].email.as_ref(), "ok@example.org");
        assert_eq!(
            bad,
            [
                "line 2: `a\\nb@example.org` is not a valid e-mail address: The part before @ is not valid in an e-mail address.",
                "line 4: status `vip,\\nvery` is not pending, confirmed or unsubscribed",
            ]
        );
    }

    #[test]
    fn a_file_without_an_email_column_is_refused() {
        let err = parse_import("name\nAda\n".as_bytes(), "x.csv").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("x.csv: the header row must name an `email` column")
        );
    }
}
