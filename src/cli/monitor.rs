//! `status [--json]` (the service's facts, as `/metrics` and the dashboard show them) and
//! `admin hash-password` (the PHC string for `admin.password_hash`).

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use crate::app::App;
use crate::monitor::status;

/// `status`
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// One JSON object: feeds, troubled_feeds, subscribers, deliveries, totals, last_send,
    /// last_success.
    #[arg(long)]
    pub json: bool,
}

/// `admin ...`
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Read a password on standard input (without echo on a terminal) and print its argon2id
    /// hash for `admin.password_hash`.
    HashPassword,
}

/// Runs `status`.
pub async fn status(app: &App, args: StatusArgs) -> anyhow::Result<()> {
    let facts = status::gather(&app.pool, &app.settings).await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &facts)?;
        writeln!(out)?;
    } else {
        out.write_all(status::to_text(&facts).as_bytes())?;
    }
    Ok(())
}

/// Turns the terminal's echo off until dropped.
struct NoEcho(Option<libc::termios>);

impl NoEcho {
    fn new() -> Self {
        // SAFETY: tcgetattr/tcsetattr on fd 0 with a zeroed, then filled, termios owned here;
        // on any failure nothing is changed and `None` restores nothing.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return Self(None);
            }
            let saved = t;
            t.c_lflag &= !libc::ECHO;
            if libc::tcsetattr(0, libc::TCSANOW, &t) != 0 {
                return Self(None);
            }
            Self(Some(saved))
        }
    }
}

impl Drop for NoEcho {
    fn drop(&mut self) {
        if let Some(saved) = self.0 {
            // SAFETY: restores the settings read in `new` on the same descriptor.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, &saved);
            }
        }
    }
}

/// Runs `admin hash-password` (no database needed).
pub fn hash_password() -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let tty = stdin.is_terminal();
    let mut line = String::new();
    {
        let _echo = tty.then(NoEcho::new);
        if tty {
            eprint!("Password for the dashboard: ");
        }
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        if tty {
            eprintln!();
        }
    }
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        bail!("the password is empty: type one (or pipe it in) and press Enter");
    }
    let hash = crate::web::admin::hash_password(password)?;
    println!("{hash}");
    Ok(())
}
