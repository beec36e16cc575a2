//! `send` (with `--dry-run` and `--to`) and `deliveries`: the organiser's controls over
//! delivery. Progress goes to stderr (a bar on a terminal, a line every few seconds
//! otherwise), the summary to stdout. `send` fails with a one-line reason whenever some
//! delivery is left unsettled.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::app::{App, SendOutcome};
use crate::domain::{DigestWeek, Subscriber, SubscriberEmail, SubscriberStatus};
use crate::mail::Progress;
use crate::mail::message::Composer;
use crate::store::{self, digests::DigestRecord};

/// `send`
#[derive(Debug, Args)]
pub struct SendArgs {
    /// ISO week, e.g. 2026-W47 (default: the last complete week in digest.timezone).
    #[arg(long, value_name = "YYYY-Www")]
    pub week: Option<DigestWeek>,
    /// Send nothing: print how many readers would get the digest, the first of them, and the
    /// first message as it would be sent.
    #[arg(long, conflicts_with = "to")]
    pub dry_run: bool,
    /// Send one test copy to this address only; it is not recorded as a delivery, and works
    /// before and after the real send.
    #[arg(long, value_name = "ADDRESS")]
    pub to: Option<String>,
}

/// `deliveries`
#[derive(Debug, Args)]
pub struct DeliveriesArgs {
    /// Only this week's digest (default: every digest that went out).
    #[arg(long, value_name = "YYYY-Www")]
    pub week: Option<DigestWeek>,
    /// One JSON object per digest: week, counts by status, failures.
    #[arg(long)]
    pub json: bool,
}

/// Runs `send`.
pub async fn send(app: &App, args: SendArgs) -> anyhow::Result<()> {
    let week = args
        .week
        .unwrap_or_else(|| app.last_complete_week(Utc::now()));
    if args.dry_run {
        return dry_run(app, week).await;
    }
    if let Some(to) = &args.to {
        return test_copy(app, week, to).await;
    }
    let meter = Meter::new();
    // SIGINT/SIGTERM: claim no more, let the messages in flight finish, leave the rest pending.
    let cancel = tokio_util::sync::CancellationToken::new();
    crate::serve::cancel_on_signals(cancel.clone());
    let outcome = app
        .send_until(week, &cancel, &|p: &Progress| meter.update(p))
        .await;
    meter.finish();
    match outcome? {
        SendOutcome::Empty(_) => {
            println!("digest {week} has no stories: nothing sent (digest.send_empty = false)")
        }
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
            let t = r.tally;
            println!(
                "digest {week}: {} sent now, {} deferred, {} failed; ledger: {} sent, {} failed, \
                 {} skipped, {} pending",
                r.sent,
                r.deferred,
                r.failed,
                t.sent,
                t.failed,
                t.skipped,
                t.pending + t.sending
            );
            for (to, why) in &r.failures {
                println!("failed: {to}: {why}");
            }
            if !t.settled() {
                let why = r.stopped.unwrap_or_else(|| {
                    if t.sending > 0 {
                        format!("{} deliveries are held by another running send", t.sending)
                    } else {
                        "deliveries are deferred".into()
                    }
                });
                bail!(
                    "{} deliveries of {week} are not settled: {why}; run `chronicle send --week \
                     {week}` again (the daemon retries on its own)",
                    t.pending + t.sending
                );
            }
        }
    }
    Ok(())
}

/// Progress on stderr: an indicatif bar on a terminal, else a plain line every 5 seconds.
struct Meter {
    bar: Option<ProgressBar>,
    started: Instant,
    last_line: Mutex<Instant>,
}

impl Meter {
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} sent, {per_sec}, ETA {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Self {
            bar,
            started: Instant::now(),
            last_line: Mutex::new(Instant::now()),
        }
    }

    fn update(&self, p: &Progress) {
        let settled = p.sent + p.failed;
        if let Some(bar) = &self.bar {
            bar.set_length(p.total);
            bar.set_position(settled);
            bar.set_message(format!("({} deferred, {} failed)", p.deferred, p.failed));
            return;
        }
        let Ok(mut last) = self.last_line.lock() else {
            return;
        };
        if last.elapsed() >= Duration::from_secs(5) {
            *last = Instant::now();
            let secs = self.started.elapsed().as_secs_f64().max(0.001);
            eprintln!(
                "sending: {settled} of {} settled ({:.0} msg/s), {} deferred, {} failed",
                p.total,
                p.sent as f64 / secs,
                p.deferred,
                p.failed
            );
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The digest `send` would mail, or why it would mail nothing.
async fn digest_to_send(app: &App, week: DigestWeek) -> anyhow::Result<DigestRecord> {
    let digest = app.digest(week).await?;
    if digest.frozen_at.is_none() {
        let d = &app.settings.digest;
        let count = usize::try_from(digest.story_count).unwrap_or(0);
        if count == 0 && !d.send_empty {
            bail!("digest {week} has no stories: `send` would send nothing");
        }
        if count > 0 && count < d.min_stories {
            bail!(
                "digest {week} has {count} stories, fewer than digest.min_stories = {}: `send` \
                 would send nothing",
                d.min_stories
            );
        }
    }
    Ok(digest)
}

async fn dry_run(app: &App, week: DigestWeek) -> anyhow::Result<()> {
    let digest = digest_to_send(app, week).await?;
    let frozen = digest.frozen_at.is_some();
    let (count, first) = store::deliveries::would_receive(&app.pool, digest.id, frozen, 10).await?;
    println!(
        "dry run: digest {week} ({} stories) would go to {count} {}{}",
        digest.story_count,
        if count == 1 { "reader" } else { "readers" },
        if frozen { " not yet served" } else { "" }
    );
    for s in &first {
        println!("  {}", s.email);
    }
    if count > first.len() as i64 {
        println!("  ... and {} more", count - first.len() as i64);
    }
    let composer = Composer::new(app.settings.clone(), &digest)?;
    if let Some(s) = first.first() {
        let id = composer.message_id(0, s);
        let message = composer.compose(s, &id)?;
        println!("--- the first message ---");
        println!("{}", String::from_utf8_lossy(&message.formatted()));
    }
    Ok(())
}

async fn test_copy(app: &App, week: DigestWeek, to: &str) -> anyhow::Result<()> {
    let email = SubscriberEmail::parse(to)?;
    let digest = app.digest(week).await?;
    // A subscriber gets their own link; anyone else a link that unsubscribes no one.
    let known = store::subscribers::list(&app.pool)
        .await?
        .into_iter()
        .find(|s| s.email == email);
    let recipient = known.unwrap_or(Subscriber {
        id: 0,
        email: email.clone(),
        status: SubscriberStatus::Confirmed,
        token: "0".repeat(32),
        created_at: Utc::now(),
    });
    let composer = Composer::new(app.settings.clone(), &digest)?;
    let tag: u64 = rand::random();
    let id = composer
        .message_id(0, &recipient)
        .replacen('<', &format!("<test-{tag:016x}."), 1);
    let message = composer.compose(&recipient, &id)?;
    let reply = app
        .mailer
        .send(&message)
        .await
        .with_context(|| format!("the test copy to {email} was not sent"))?;
    println!("test copy of digest {week} sent to {email} (not recorded): {reply}");
    Ok(())
}

#[derive(serde::Serialize)]
struct DigestDeliveries {
    week: String,
    #[serde(flatten)]
    tally: store::deliveries::Tally,
    problems: Vec<store::deliveries::DeliveryRow>,
}

/// Runs `deliveries`.
pub async fn deliveries(app: &App, args: DeliveriesArgs) -> anyhow::Result<()> {
    let digests = match args.week {
        Some(week) => match store::digests::get(&app.pool, week).await? {
            Some(d) if d.frozen_at.is_some() => vec![d],
            _ => bail!("the digest of {week} has not been sent: no deliveries"),
        },
        None => store::digests::list_frozen(&app.pool).await?,
    };
    if digests.is_empty() && !args.json {
        println!("no digest has been sent yet");
    }
    for d in digests {
        let tally = store::deliveries::tally(&app.pool, d.id).await?;
        let problems = store::deliveries::problems(&app.pool, d.id, 1000).await?;
        if args.json {
            let j = DigestDeliveries {
                week: d.week.to_string(),
                tally,
                problems,
            };
            println!("{}", serde_json::to_string(&j)?);
            continue;
        }
        println!(
            "{}: {} sent, {} failed, {} skipped, {} pending, {} sending",
            d.week, tally.sent, tally.failed, tally.skipped, tally.pending, tally.sending
        );
        for p in problems {
            let what = match p.status.as_str() {
                "pending" => "deferred",
                other => other,
            };
            println!(
                "  {what}: {} after {} attempts: {}",
                p.email,
                p.attempts,
                p.error.as_deref().unwrap_or("")
            );
        }
    }
    Ok(())
}
