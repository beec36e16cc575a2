//! A real SMTP server (aiosmtpd) on 127.0.0.1, and what it received.

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A real SMTP server (Python's aiosmtpd, Debian package python3-aiosmtpd) on 127.0.0.1,
/// storing what it receives in a Maildir.
pub struct SmtpServer {
    /// Its port.
    pub port: u16,
    maildir: PathBuf,
    child: Child,
}

/// A received message, parsed.
#[derive(Debug, Clone)]
pub struct Received {
    /// The raw bytes.
    pub raw: Vec<u8>,
}

impl Received {
    /// Parses the message.
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .expect("parsable message")
    }
}

/// A free port on 127.0.0.1 (free when asked; the caller binds it soon after).
pub(crate) fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpServer {
    /// Starts aiosmtpd and waits until it accepts connections.
    pub fn start(dir: &Path) -> Self {
        let python = ["/usr/bin/python3", "python3"]
            .into_iter()
            .find(|p| {
                Command::new(p)
                    .args(["-c", "import aiosmtpd"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            })
            .expect("aiosmtpd is needed for mail tests: apt-get install python3-aiosmtpd (scripts/test does)");
        let maildir = dir.join("maildir");
        let port = free_port();
        let child = Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            port,
            maildir,
            child,
        }
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Received> {
        let Ok(dir) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        paths
            .into_iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|raw| Received { raw })
            .collect()
    }

    /// Waits until at least `n` messages arrived (the Maildir write follows the SMTP reply).
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let m = self.messages();
            if m.len() >= n || Instant::now() > deadline {
                return m;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
