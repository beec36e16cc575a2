//! Command handlers: glue between the CLI and [`App`]. Output for people goes to stdout, problems
//! to stderr; every failure returns an error whose chain `main` prints on one line.

use anyhow::{Context, bail};

use super::feeds::{feeds, fetch};
use super::{Cli, Command};
use crate::app::App;
use crate::config::Settings;
use crate::serve::{Server, cancel_on_signals};
use crate::store;

/// Runs the parsed command with loaded settings.
pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    if let Command::Check(args) = &cli.command {
        if args.health {
            return health(&settings).await;
        }
        // Not through App::build: that stops at the first problem, check lists them all.
        return super::check::check(&settings, args.smtp).await;
    }
    if let Command::Admin(super::AdminCommand::HashPassword) = &cli.command {
        return super::monitor::hash_password();
    }
    if let Command::Healthcheck(args) = &cli.command {
        return super::health::healthcheck(&settings, args).await;
    }
    let app = App::build(settings).await?;
    match cli.command {
        Command::Feeds(cmd) => feeds(&app, cmd).await,
        Command::Fetch(args) => fetch(&app, args.all, args.feed.as_deref()).await,
        Command::Digest(args) => super::digest::digest(&app, args).await,
        Command::Send(args) => super::send::send(&app, args).await,
        Command::Deliveries(args) => super::send::deliveries(&app, args).await,
        Command::Subscribers(cmd) => super::subscribers::run(&app, cmd).await,
        Command::UnsubscribeMail => super::subscribers::unsubscribe_mail(&app).await,
        Command::Entries(cmd) => super::entries::run(&app, cmd).await,
        Command::Serve => {
            let token = tokio_util::sync::CancellationToken::new();
            cancel_on_signals(token.clone());
            let server = Server::bind(app).await?;
            server.run_until_stopped(token, true).await
        }
        Command::Check(_) => unreachable!("check runs before the app is built"),
        Command::Backup { path } => backup(&app, &path).await,
        Command::Status(args) => super::monitor::status(&app, args).await,
        Command::Admin(super::AdminCommand::HashPassword) => super::monitor::hash_password(),
        Command::Healthcheck(args) => super::health::healthcheck(&app.settings, &args).await,
    }
}

async fn backup(app: &App, path: &std::path::Path) -> anyhow::Result<()> {
    if path.exists() {
        bail!("{} exists already: give a new file name", path.display());
    }
    let started = std::time::Instant::now();
    store::housekeeping::backup(&app.pool, path)
        .await
        .with_context(|| format!("cannot back up to {}", path.display()))?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!(
        "backed up to {} ({bytes} bytes, {:.1} s)",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn health(settings: &Settings) -> anyhow::Result<()> {
    let bind = settings
        .web
        .bind
        .replace("0.0.0.0", "127.0.0.1")
        .replace("[::]", "[::1]");
    let url = format!("http://{bind}/health");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let resp = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()?
        .get(&url)
        .send()
        .await
        .with_context(|| format!("{url} does not answer"))?;
    if !resp.status().is_success() {
        bail!("{url} answered {}", resp.status());
    }
    println!("healthy");
    Ok(())
}
