//! Logging: human-readable or JSON lines on stderr, filtered by `RUST_LOG`.
//!
//! Whatever `RUST_LOG` says, lettre's SMTP client logs at most `info`: at `debug` it writes
//! every command it sends, which includes `AUTH` with the base64 of the relay's password and
//! every message with its readers' unsubscribe tokens.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::Directive;

/// Targets capped at `info` because their `debug` lines carry secrets.
const SECRET_BEARING: &[&str] = &["lettre::transport::smtp::client=info"];

/// Installs the global subscriber. `default_level` applies when `RUST_LOG` is unset.
pub fn init(json: bool, default_level: &str) {
    let mut filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{default_level},chronicle={default_level}")));
    for cap in SECRET_BEARING {
        if let Ok(d) = cap.parse::<Directive>() {
            filter = filter.add_directive(d);
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
