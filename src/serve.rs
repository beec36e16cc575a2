//! The running service: the web server bound to `web.bind` (port 0 in tests) and the scheduler
//! beside it, until a shutdown signal. Wires [`App`] (the jobs) into `web` and `daemon`; nothing
//! below imports this module.

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::web;

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
        // The client's address feeds the sign-up rate limit.
        let service =
            web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(async move { stop.cancelled().await })
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
