//! A real SMTP server over TCP that can be told to misbehave (`relay.py`, on aiosmtpd): 550 for
//! `bounce*` recipients, 451 for `defer*` and `always*`, a dropped connection after DATA for
//! `drop*`, a stall for `stall*`; optionally STARTTLS or implicit TLS with AUTH. It logs each
//! accepted message (Message-ID, recipients), so tests count copies per Message-ID.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How the relay behaves.
#[derive(Debug, Clone, Default)]
pub struct RelayOptions {
    /// 451 this many times per Message-ID for `defer*` recipients (default 1).
    pub defer_times: Option<u32>,
    /// Seconds a `stall*` recipient's DATA gets no reply.
    pub stall_secs: Option<u32>,
    /// Certificate and key files, and `starttls` or `tls`.
    pub tls: Option<(PathBuf, PathBuf, &'static str)>,
    /// `user:password` to require.
    pub auth: Option<String>,
    /// Keep every accepted message's bytes.
    pub save: bool,
    /// Listen on this port (default: a free one).
    pub port: Option<u16>,
    /// Close each connection right after accepting a message.
    pub one_per_connection: bool,
    /// Exit right after accepting this many messages.
    pub down_after: Option<u32>,
}

/// One accepted message.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Accepted {
    /// Its Message-ID header, with the angle brackets.
    pub message_id: String,
    /// Envelope recipients.
    pub rcpt: Vec<String>,
}

/// The running relay.
pub struct Relay {
    /// Its port on 127.0.0.1.
    pub port: u16,
    log: PathBuf,
    saved: PathBuf,
    child: Child,
}

impl Relay {
    /// A plain relay that keeps every message.
    pub fn start(dir: &Path) -> Self {
        Self::start_with(
            dir,
            RelayOptions {
                save: true,
                ..RelayOptions::default()
            },
        )
    }

    /// A relay with `opts`; waits until it accepts connections.
    pub fn start_with(dir: &Path, opts: RelayOptions) -> Self {
        let port = opts.port.unwrap_or_else(super::smtp::free_port);
        let log = dir.join(format!("relay-{port}.jsonl"));
        let saved = dir.join(format!("relay-{port}"));
        std::fs::create_dir_all(&saved).expect("relay folder");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/helpers/relay.py");
        let mut cmd = Command::new("/usr/bin/python3");
        cmd.args(["-W", "ignore"])
            .arg(script)
            .args(["--port", &port.to_string()])
            .arg("--log")
            .arg(&log);
        if opts.save {
            cmd.arg("--save").arg(&saved);
        }
        if let Some(n) = opts.defer_times {
            cmd.args(["--defer-times", &n.to_string()]);
        }
        if let Some(n) = opts.stall_secs {
            cmd.args(["--stall-secs", &n.to_string()]);
        }
        if let Some((cert, key, mode)) = &opts.tls {
            cmd.arg("--tls").arg(cert).arg(key).args(["--mode", mode]);
        }
        if let Some(auth) = &opts.auth {
            cmd.args(["--auth", auth]);
        }
        if opts.one_per_connection {
            cmd.arg("--one-per-connection");
        }
        if let Some(n) = opts.down_after {
            cmd.args(["--down-after", &n.to_string()]);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start relay.py (needs python3-aiosmtpd)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "relay did not start on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            port,
            log,
            saved,
            child,
        }
    }

    /// Every message accepted so far, in order.
    pub fn accepted(&self) -> Vec<Accepted> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_str(l).expect("relay log line"))
            .collect()
    }

    /// Copies accepted per Message-ID.
    pub fn copies(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for a in self.accepted() {
            *m.entry(a.message_id).or_insert(0) += 1;
        }
        m
    }

    /// The bytes of every kept message, in order.
    pub fn saved(&self) -> Vec<Vec<u8>> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&self.saved)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        paths.sort();
        paths
            .into_iter()
            .filter_map(|p| std::fs::read(p).ok())
            .collect()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
