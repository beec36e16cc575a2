//! The service's status as facts of the database: feeds by health (and the ones in trouble),
//! subscribers and deliveries by status, totals, the last send and each job's last success.
//! One [`gather`] feeds `/metrics` (at scrape time), the dashboard and `chronicle status`, so
//! the three never disagree.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Settings;
use crate::store::stats::{self, ByStatus, Totals};
use crate::store::{self, Pool, StoreError, deliveries::Tally};

/// A feed in trouble.
#[derive(Debug, Clone, Serialize)]
pub struct Trouble {
    /// Its id.
    pub id: i64,
    /// Its title (or URL).
    pub title: String,
    /// Its URL.
    pub url: String,
    /// Errors in a row.
    pub errors: i64,
    /// The last error in plain words.
    pub error: String,
    /// Its last successful fetch.
    pub last_success: Option<DateTime<Utc>>,
    /// When it is tried again.
    pub next_check: DateTime<Utc>,
}

/// The last digest that went out.
#[derive(Debug, Clone, Serialize)]
pub struct LastSend {
    /// Its week, e.g. `2026-W47`.
    pub week: String,
    /// When sending started.
    pub started: Option<DateTime<Utc>>,
    /// When every delivery was settled (`None`: not finished).
    pub finished: Option<DateTime<Utc>>,
    /// Its ledger by status.
    pub tally: Tally,
}

/// What `chronicle status`, the dashboard and `/metrics` report.
#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    /// Feeds by health (`ok`, `new`, `erroring`, `failing`, `disabled`).
    #[serde(serialize_with = "as_map")]
    pub feeds: ByStatus,
    /// Feeds with errors, most errors first.
    pub troubled_feeds: Vec<Trouble>,
    /// Subscribers by status.
    #[serde(serialize_with = "as_map")]
    pub subscribers: ByStatus,
    /// Ledger rows of every digest by status.
    #[serde(serialize_with = "as_map")]
    pub deliveries: ByStatus,
    /// Entries, stories, digests.
    #[serde(serialize_with = "totals_map")]
    pub totals: Totals,
    /// The last digest that went out.
    pub last_send: Option<LastSend>,
    /// Each job's last success.
    #[serde(serialize_with = "as_map")]
    pub last_success: Vec<(String, DateTime<Utc>)>,
}

/// `[("ok", 2)]` as `{"ok": 2}` in JSON: what scripts want to index.
fn as_map<S: serde::Serializer, V: Serialize>(
    rows: &[(String, V)],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(rows.iter().map(|(k, v)| (k, v)))
}

fn totals_map<S: serde::Serializer>(t: &Totals, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(3))?;
    m.serialize_entry("entries", &t.entries)?;
    m.serialize_entry("stories", &t.stories)?;
    m.serialize_entry("digests", &t.digests)?;
    m.end()
}

/// Reads every fact from the database.
pub async fn gather(pool: &Pool, settings: &Settings) -> Result<Facts, StoreError> {
    let feeds = store::feeds::list(pool).await?;
    let mut troubled: Vec<Trouble> = feeds
        .iter()
        .filter(|f| f.enabled && f.error_count > 0)
        .map(|f| Trouble {
            id: f.id,
            title: f
                .title
                .clone()
                .or_else(|| f.feed_title.clone())
                .unwrap_or_else(|| f.url.clone()),
            url: f.url.clone(),
            errors: f.error_count,
            error: f.last_error.clone().unwrap_or_default(),
            last_success: f.last_success_at,
            next_check: f.next_check_at,
        })
        .collect();
    troubled.sort_by(|a, b| b.errors.cmp(&a.errors).then(a.id.cmp(&b.id)));
    let last_send = match stats::recent_sends(pool, 1).await?.pop() {
        Some(d) => Some(LastSend {
            week: d.week,
            started: Some(d.started),
            finished: d.finished,
            tally: store::deliveries::tally(pool, d.id).await?,
        }),
        None => None,
    };
    Ok(Facts {
        feeds: stats::feeds_by_status(pool, settings.fetch.failing_after).await?,
        troubled_feeds: troubled,
        subscribers: stats::subscribers_by_status(pool).await?,
        deliveries: stats::deliveries_by_status(pool, None).await?,
        totals: stats::totals(pool).await?,
        last_send,
        last_success: store::admin::job_successes(pool).await?,
    })
}

fn counts(rows: &ByStatus) -> String {
    if rows.is_empty() {
        return "none".into();
    }
    rows.iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "never".into(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// The facts as lines for a person.
pub fn to_text(f: &Facts) -> String {
    let mut out = Vec::new();
    let total: i64 = f.feeds.iter().map(|(_, n)| n).sum();
    out.push(format!("feeds:        {total} ({})", counts(&f.feeds)));
    for t in &f.troubled_feeds {
        out.push(format!(
            "  ! {} ({}): {} errors in a row, last: {}; last success {}; next try {}",
            t.title,
            t.url,
            t.errors,
            t.error,
            when(t.last_success),
            when(Some(t.next_check))
        ));
    }
    out.push(format!(
        "stored:       {} entries, {} stories, {} digests",
        f.totals.entries, f.totals.stories, f.totals.digests
    ));
    out.push(format!("subscribers:  {}", counts(&f.subscribers)));
    match &f.last_send {
        Some(s) => out.push(format!(
            "last send:    {} started {}, {}: {} sent, {} failed, {} skipped, {} pending",
            s.week,
            when(s.started),
            if s.finished.is_some() {
                "finished"
            } else {
                "NOT finished"
            },
            s.tally.sent,
            s.tally.failed,
            s.tally.skipped,
            s.tally.pending + s.tally.sending
        )),
        None => out.push("last send:    none yet".into()),
    }
    for job in ["fetch", "digest", "send"] {
        let at = f
            .last_success
            .iter()
            .find(|(j, _)| j == job)
            .map(|(_, t)| *t);
        out.push(format!("last {job:<8} {}", when(at)));
    }
    out.join("\n") + "\n"
}
