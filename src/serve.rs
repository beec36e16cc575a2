//! The running service: the web server bound to `web.bind` (port 0 in tests) and the scheduler
//! beside it, until a shutdown signal. Wires [`App`] (the jobs) into `web` and `daemon`; nothing
//! below imports this module.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::{daemon, web};

/// The web server and scheduler, bound and ready to run.
pub struct Server {
    listener: TcpListener,
    app: App,
}

impl Server {
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

    /// Serves the site and runs the scheduler until `shutdown` is cancelled. Then the web
    /// server stops accepting, the scheduler stops claiming work, and both get
    /// `serve.shutdown_secs` to finish what is in flight; whatever is still running after that
    /// is dropped (its transaction rolls back, its claimed deliveries go back to pending when
    /// the next run finds this process gone, its lease expires).
    pub async fn run_until_stopped(
        self,
        shutdown: CancellationToken,
        with_scheduler: bool,
    ) -> anyhow::Result<()> {
        let status = daemon::Status::default();
        let mut state = web::AppState::new(
            self.app.pool.clone(),
            self.app.renderer.clone(),
            self.app.settings.clone(),
            self.app.mailer.clone(),
        )?
        .with_ops(self.app.metrics.clone(), Arc::new(self.app.clone()))?;
        if with_scheduler {
            state = state.with_scheduler(status.flag());
        }
        tracing::info!(address = %self.listener.local_addr()?, "web server listening");
        let scheduler = with_scheduler.then(|| {
            let s = &self.app.settings;
            let scheduler = daemon::Scheduler::new(
                Arc::new(daemon::AppJobs(self.app.clone())),
                daemon::Plan::from_settings(s),
                Arc::new(daemon::SystemClock),
                daemon::holder_id(),
                status.clone(),
            );
            tokio::spawn(scheduler.run(shutdown.clone()))
        });
        let stop = shutdown.clone();
        // Our own connection loop: header-read timeout and head limits (see web::serve); it
        // hands each request the client's address, for the sign-up rate limit.
        let router = web::router(state);
        let web_settings = self.app.settings.web.clone();
        let server = web::serve(self.listener, router, &web_settings, stop);
        let mut server = std::pin::pin!(server);
        let served = tokio::select! {
            r = &mut server => Some(r),
            _ = shutdown.cancelled() => None,
        };
        shutdown.cancel();
        let bound = self.app.settings.serve.shutdown();
        let deadline = tokio::time::Instant::now() + bound;
        let served = match served {
            Some(r) => Some(r),
            // Open connections get the same bound as the jobs.
            None => tokio::time::timeout_at(deadline, &mut server).await.ok(),
        };
        if let Some(handle) = scheduler {
            let abort = handle.abort_handle();
            match tokio::time::timeout_at(deadline, handle).await {
                Ok(r) => r.context("scheduler panicked")?,
                Err(_) => {
                    abort.abort();
                    tracing::warn!(
                        "serve.shutdown_secs = {} passed: the job in flight was stopped; \
                         what it claimed is taken over by the next run",
                        bound.as_secs()
                    );
                }
            }
        }
        if let Some(r) = served {
            r.context("web server failed")?;
        }
        // A task dropped at the bound may still hold a connection: do not wait for it.
        if tokio::time::timeout(Duration::from_secs(2), self.app.pool.close())
            .await
            .is_err()
        {
            tracing::warn!("the database pool did not close in 2 s");
        }
        tracing::info!("stopped");
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
