//! The only wiring point: builds the pool, HTTP client, mailer and templates from settings, and
//! offers the jobs that both the CLI and the daemon run. [`Application`] binds the web server
//! (port 0 in tests) and runs it beside the scheduler until a shutdown signal.

use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::digest::{self, Renderer};
use crate::domain::{DigestWeek, FeedRecord};
use crate::ingest::{self, FetchReport, Fetcher, RefreshOutcome};
use crate::mail::{self, Mailer, Progress, SendReport};
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
        let report =
            ingest::fetch_feeds(&self.pool, &self.fetcher, &self.settings, feeds, on_done).await;
        if let Some(why) = store::unwritable() {
            anyhow::bail!("{why}: the fetch stopped; entries stored before it are kept");
        }
        Ok(report)
    }

    /// The last week that has ended, in `digest.timezone`.
    pub fn last_complete_week(&self, now: DateTime<Utc>) -> DigestWeek {
        let d = &self.settings.digest;
        DigestWeek::last_complete(now, d.timezone.0, d.week_starts.0)
    }

    /// Builds (or returns the frozen) digest of `week`.
    pub async fn digest(&self, week: DigestWeek) -> anyhow::Result<DigestRecord> {
        Ok(digest::build(&self.pool, &self.renderer, &self.settings, week, Utc::now()).await?)
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
        let report =
            mail::send_digest(&self.pool, &self.mailer, &self.settings, &digest, progress).await?;
        let digest = store::digests::get(&self.pool, week)
            .await?
            .unwrap_or(digest);
        Ok(SendOutcome::Sent(digest, report))
    }
}

/// The web server and scheduler, bound and ready to run.
pub struct Application {
    listener: TcpListener,
    app: App,
}

impl Application {
    /// Binds `web.bind` (port 0 picks a free port).
    pub async fn bind(app: App) -> anyhow::Result<Self> {
        let bind = app.settings.web.bind.clone();
        let listener = TcpListener::bind(&bind)
            .await
            .with_context(|| format!("cannot listen on web.bind = {bind}"))?;
        Ok(Self { listener, app })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves the site and runs the scheduler until `shutdown` is cancelled, then waits for
    /// both to finish their current work.
    pub async fn run_until_stopped(
        self,
        shutdown: CancellationToken,
        with_scheduler: bool,
    ) -> anyhow::Result<()> {
        let state = web::AppState::new(
            self.app.pool.clone(),
            self.app.renderer.clone(),
            self.app.settings.clone(),
            self.app.mailer.clone(),
        )?;
        tracing::info!(address = %self.listener.local_addr()?, "web server listening");
        let scheduler = with_scheduler.then(|| {
            let app = self.app.clone();
            let token = shutdown.clone();
            tokio::spawn(async move { crate::daemon::scheduler::run(app, token).await })
        });
        let stop = shutdown.clone();
        let web_settings = self.app.settings.web.clone();
        web::serve(self.listener, web::router(state), &web_settings, stop)
            .await
            .context("web server failed")?;
        shutdown.cancel();
        if let Some(handle) = scheduler {
            handle.await.context("scheduler panicked")?;
        }
        self.app.pool.close().await;
        Ok(())
    }
}

/// Cancels `token` on SIGINT or SIGTERM.
pub fn cancel_on_signals(token: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::error!("cannot listen for SIGTERM: {e}");
                        let _ = ctrl_c.await;
                        token.cancel();
                        return;
                    }
                };
            tokio::select! {
                _ = ctrl_c => {},
                _ = term.recv() => {},
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutting down");
        token.cancel();
    });
}
