//! `chronicle healthcheck`: asks a running `serve` whether it is alive, for container
//! HEALTHCHECKs and service monitors. It never opens the database (a second process running
//! migrations every 30 s would be wrong); it only makes one HTTP GET on loopback.

use std::time::Duration;

use anyhow::Context;
use clap::Args;

use crate::config::Settings;

/// `healthcheck`
#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// The URL to GET (default: `/healthz` on `web.bind`, with 0.0.0.0 and [::] read as loopback).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 5, value_name = "SECS")]
    pub timeout: u64,
}

/// GETs the health URL: `Ok` on a 2xx answer, otherwise an error naming the URL and the status.
pub async fn healthcheck(settings: &Settings, args: &HealthcheckArgs) -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(args.timeout.max(1)))
        // A proxy from the environment must not stand between us and our own loopback server.
        .no_proxy()
        .build()
        .context("cannot build the HTTP client")?;
    if let Some(url) = &args.url {
        probe(&client, url).await?;
    } else {
        let base = local_base(&settings.web.bind);
        let status = probe(&client, &format!("{base}/healthz")).await;
        // Servers from before `/healthz` existed answer only `/health`; a 404 on the new path
        // falls back to it, so one image's HEALTHCHECK works across the upgrade.
        if let Err(ProbeError::Status(_, 404)) = status {
            probe(&client, &format!("{base}/health")).await?;
        } else {
            status?;
        }
    }
    println!("healthy");
    Ok(())
}

/// `http://<web.bind>` with wildcard addresses replaced by loopback.
fn local_base(bind: &str) -> String {
    let host = bind
        .replace("0.0.0.0", "127.0.0.1")
        .replace("[::]", "[::1]");
    format!("http://{host}")
}

/// Why a probe failed.
#[derive(Debug, thiserror::Error)]
enum ProbeError {
    #[error("{0} does not answer: {1}")]
    Unreachable(String, reqwest::Error),
    #[error("{0} answered {1}")]
    Status(String, u16),
}

async fn probe(client: &reqwest::Client, url: &str) -> Result<(), ProbeError> {
    let resp = client
        .get(url)
        .send()
        .await
        .map_err(|e| ProbeError::Unreachable(url.to_owned(), e))?;
    let status = resp.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(ProbeError::Status(url.to_owned(), status.as_u16()))
    }
}

#[cfg(test)]
mod tests {
    use super::local_base;

    #[test]
    fn wildcard_binds_are_probed_on_loopback() {
        assert_eq!(local_base("0.0.0.0:8080"), "http://127.0.0.1:8080");
        assert_eq!(local_base("[::]:8080"), "http://[::1]:8080");
        assert_eq!(local_base("127.0.0.1:9000"), "http://127.0.0.1:9000");
    }
}
