//! Command handlers: glue between the CLI and [`App`]. Output for people goes to stdout, problems
//! to stderr; every failure returns an error whose chain `main` prints on one line.

use anyhow::{Context, bail};

use super::feeds::{feeds, fetch};
use super::{Cli, Command};
use crate::app::{App, Application, cancel_on_signals};
use crate::config::Settings;
use crate::store;

/// Runs the parsed command with loaded settings.
pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    if let Command::Check(args) = &cli.command {
        if args.health {
            return health(&settings).await;
        }
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
        Command::Entries(cmd) => super::entries::run(&app, cmd).await,
        Command::Serve => {
            let token = tokio_util::sync::CancellationToken::new();
            cancel_on_signals(token.clone());
            let server = Application::bind(app).await?;
            server.run_until_stopped(token, true).await
        }
        Command::Check(args) => check(&app, args.smtp).await,
        Command::Healthcheck(args) => super::health::healthcheck(&app.settings, &args).await,
    }
}

async fn check(app: &App, smtp: bool) -> anyhow::Result<()> {
    let s = &app.settings;
    let feeds = store::feeds::list(&app.pool).await?;
    let subs = store::subscribers::list(&app.pool).await?;
    println!("configuration: ok");
    println!(
        "database: ok ({})",
        crate::config::redact_url(&s.database.url)
    );
    println!(
        "feeds: {} ({} enabled, {} failing)",
        feeds.len(),
        feeds.iter().filter(|f| f.enabled).count(),
        feeds.iter().filter(|f| f.error_count > 0).count()
    );
    println!(
        "subscribers: {} confirmed of {}",
        subs.iter()
            .filter(|s| s.status == crate::domain::SubscriberStatus::Confirmed)
            .count(),
        subs.len()
    );
    let tz = s.digest.timezone.0;
    for (name, expr) in [
        ("fetch", &s.schedule.fetch),
        ("digest", &s.schedule.digest),
        ("send", &s.schedule.send),
    ] {
        let next = expr.schedule().upcoming(tz).next();
        println!(
            "schedule.{name}: `{}`, next {}",
            expr.as_str(),
            next.map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "never".into())
        );
    }
    println!("smtp: {}:{} ({:?})", s.smtp.host, s.smtp.port, s.smtp.tls);
    if smtp {
        app.mailer
            .test_connection()
            .await
            .context("SMTP check failed")?;
        println!("smtp: the server answers");
    }
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
