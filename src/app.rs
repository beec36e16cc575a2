//! The only wiring point for jobs: builds the pool, HTTP client, mailer and templates from
//! settings, and offers the jobs that both the CLI and the daemon run. Names no daemon item:
//! [`crate::serve::Server`] binds the web server and runs it beside the scheduler.

use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::digest::{self, Renderer};
use crate::domain::{DigestWeek, FeedRecord};
use crate::ingest::{self, FetchReport, Fetcher, RefreshOutcome, RefreshStatus};
use crate::mail::{self, Mailer, Progress, SendReport};
use crate::monitor::Metrics;
use crate::store::{self, Pool, digests::DigestRecord, feeds::NewFeed};
use crate::web;

/// Everything a job needs, built once.
#[derive(Debug, Clone)]
pub struct App {
    /// Settings.
    pub settings: Arc<Settings>,
    /// The database.
    pub pool: Pool,
    /// HTTP client for feeds.
    pub fetcher: Fetcher,
    /// Templates.
    pub renderer: Arc<Renderer>,
    /// SMTP relay.
    pub mailer: Mailer,
    /// This app's metrics registry (`/metrics`).
    pub metrics: Metrics,
}

/// What `send` did.
#[derive(Debug, Clone)]
pub enum SendOutcome {
    /// The week had no story and `digest.send_empty` is false: nothing was sent.
    Empty(DigestRecord),
    /// The week had fewer than `digest.min_stories` stories: nothing was sent, and the stories
    /// stay candidates for the next digest (within the grace period).
    BelowMinimum(DigestRecord),
    /// The ledger was worked through.
    Sent(DigestRecord, SendReport),
}

impl App {
    /// Opens the database (applying migrations), syncs `[[feeds]]` from the settings and builds
    /// the clients.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        // reqwest and lettre share rustls; pick its crypto once per process.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let pool = store::connect(&settings.database.url, settings.database.max_connections)
            .await
            .with_context(|| {
                format!(
                    "cannot open database {}",
                    crate::config::redact_url(&settings.database.url)
                )
            })?;
        let renderer = Renderer::new(settings.digest.templates.as_deref())?;
        let fetcher = Fetcher::new(&settings).context("cannot build the HTTP client")?;
        let mailer = Mailer::new(&settings.smtp)?;
        let app = Self {
            settings: Arc::new(settings),
            pool,
            fetcher,
            renderer: Arc::new(renderer),
            mailer,
            metrics: Metrics::new(),
        };
        app.sync_config_feeds().await?;
        Ok(app)
    }

    async fn sync_config_feeds(&self) -> anyhow::Result<()> {
        let feeds: Vec<NewFeed<'_>> = self
            .settings
            .feeds
            .iter()
            .map(|f| NewFeed {
                url: &f.url,
                title: f.title.as_deref(),
                author: f.author.as_deref(),
                tags: &f.tags,
            })
            .collect();
        let (added, disabled) = store::feeds::sync_config(&self.pool, &feeds, Utc::now())
            .await
            .context("cannot sync [[feeds]] from the configuration")?;
        if added + disabled > 0 {
            tracing::info!(added, disabled, "synced [[feeds]] from the configuration");
        }
        Ok(())
    }

    /// Fetches the given feeds (or the due ones), reporting each as it finishes.
    pub async fn fetch(
        &self,
        feeds: Option<Vec<FeedRecord>>,
        all: bool,
        on_done: impl FnMut(&RefreshOutcome),
    ) -> anyhow::Result<FetchReport> {
        let feeds = match feeds {
            Some(f) => f,
            None => store::feeds::due(&self.pool, Utc::now(), all).await?,
        };
        let mut counts = store::admin::FetchCounts::default();
        let mut on_done = on_done;
        let report = ingest::fetch_feeds(&self.pool, &self.fetcher, &self.settings, feeds, |o| {
            let result = match o.status {
                RefreshStatus::Updated { .. } => {
                    counts.updated += 1;
                    "updated"
                }
                RefreshStatus::NotModified | RefreshStatus::Unchanged => {
                    counts.unchanged += 1;
                    "unchanged"
                }
                RefreshStatus::Failed(_) => {
                    counts.failed += 1;
                    "failed"
                }
            };
            self.metrics.fetched(result, o.elapsed);
            on_done(o);
        })
        .await;
        if let Some(why) = store::unwritable() {
            anyhow::bail!("{why}: the fetch stopped; entries stored before it are kept");
        }
        self.metrics.stored(report.new_entries, report.regrouped);
        // History for the dashboard; a failure to write it must not fail the fetch.
        let now = Utc::now();
        if let Err(e) = store::admin::add_fetches(&self.pool, counts, now).await {
            tracing::warn!("cannot record the fetch history: {e}");
        }
        // A run succeeds unless every feed it tried failed (a run with nothing due is a
        // healthy run too: the gauge tells that the fetch job is alive, not that feeds changed).
        if report.feeds == 0 || report.failed < report.feeds {
            self.job_succeeded("fetch", now).await;
        }
        Ok(report)
    }

    /// Records `job`'s success (the last-success gauge); logged, never fatal.
    async fn job_succeeded(&self, job: &str, now: DateTime<Utc>) {
        if let Err(e) = store::admin::job_succeeded(&self.pool, job, now).await {
            tracing::warn!(job, "cannot record the job's success: {e}");
        }
    }

    /// The last week that has ended, in `digest.timezone`.
    pub fn last_complete_week(&self, now: DateTime<Utc>) -> DigestWeek {
        let d = &self.settings.digest;
        DigestWeek::last_complete(now, d.timezone.0, d.week_starts.0)
    }

    /// Builds (or returns the frozen) digest of `week`.
    pub async fn digest(&self, week: DigestWeek) -> anyhow::Result<DigestRecord> {
        let now = Utc::now();
        let d = digest::build(&self.pool, &self.renderer, &self.settings, week, now).await?;
        if d.frozen_at.is_none() {
            self.metrics.digest_built();
            self.job_succeeded("digest", now).await;
        }
        Ok(d)
    }

    /// Builds the digest of `week` if it is not frozen yet, then sends it to every recipient
    /// who has not had it. A week without stories sends nothing unless `digest.send_empty`; a
    /// week with fewer than `digest.min_stories` stories sends nothing. A frozen digest always
    /// resumes sending.
    pub async fn send(&self, week: DigestWeek) -> anyhow::Result<SendOutcome> {
        self.send_with_progress(week, &|_| {}).await
    }

    /// [`App::send`], reporting progress after each batch of replies is recorded.
    pub async fn send_with_progress(
        &self,
        week: DigestWeek,
        progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> anyhow::Result<SendOutcome> {
        self.send_until(week, &CancellationToken::new(), progress)
            .await
    }

    /// [`App::send_with_progress`] that stops claiming deliveries once `cancel` is cancelled
    /// (the messages in flight finish; the rest stays pending for the next run).
    pub async fn send_until(
        &self,
        week: DigestWeek,
        cancel: &CancellationToken,
        progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> anyhow::Result<SendOutcome> {
        let digest = self.digest(week).await?;
        if digest.frozen_at.is_none() {
            let d = &self.settings.digest;
            let count = usize::try_from(digest.story_count).unwrap_or(0);
            if count == 0 && !d.send_empty {
                return Ok(SendOutcome::Empty(digest));
            }
            if count > 0 && count < d.min_stories {
                return Ok(SendOutcome::BelowMinimum(digest));
            }
        }
        let started = std::time::Instant::now();
        let report = mail::send_digest(
            &self.pool,
            &self.mailer,
            &self.settings,
            &digest,
            progress,
            cancel,
        )
        .await?;
        self.metrics.sent(
            report.sent,
            report.deferred,
            report.failed,
            started.elapsed(),
        );
        if report.stopped.is_none() {
            self.job_succeeded("send", Utc::now()).await;
        }
        let digest = store::digests::get(&self.pool, week)
            .await?
            .unwrap_or(digest);
        Ok(SendOutcome::Sent(digest, report))
    }
}

/// The dashboard's buttons run the same jobs as the CLI.
impl web::admin::Jobs for App {
    fn fetch_feed(&self, feed_id: i64) -> BoxFuture<'static, anyhow::Result<String>> {
        let app = self.clone();
        Box::pin(async move {
            let feed = store::feeds::find(&app.pool, &feed_id.to_string()).await?;
            let report = app.fetch(Some(vec![feed]), false, |_| {}).await?;
            Ok(format!(
                "{} new, {} updated, {} failed",
                report.new_entries, report.updated_entries, report.failed
            ))
        })
    }

    fn resume_send(&self, week: DigestWeek) -> BoxFuture<'static, anyhow::Result<String>> {
        let app = self.clone();
        Box::pin(async move {
            Ok(match app.send(week).await? {
                SendOutcome::Empty(_) => "no stories: nothing sent".to_string(),
                SendOutcome::BelowMinimum(_) => "below digest.min_stories: nothing sent".into(),
                SendOutcome::Sent(_, r) => format!(
                    "{} sent, {} deferred, {} failed{}",
                    r.sent,
                    r.deferred,
                    r.failed,
                    r.stopped
                        .map(|s| format!(", stopped: {s}"))
                        .unwrap_or_default()
                ),
            })
        })
    }
}
