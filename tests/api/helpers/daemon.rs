//! `chronicle serve` as a real process: its port, its log, SIGTERM, and plain HTTP GETs.

use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::TestApp;

/// A running `serve`.
pub struct Daemon {
    child: Child,
    /// Its web port on 127.0.0.1.
    pub port: u16,
    /// Its stderr (the log).
    pub log: PathBuf,
}

/// The config lines that make `serve` listen on `port`, stop within `shutdown_secs` and give
/// up a dead process's leases after 3 s.
pub fn serve_config(port: u16, shutdown_secs: u64, schedule: &str) -> String {
    format!(
        "\n[web]\nbind = \"127.0.0.1:{port}\"\n\n[serve]\nshutdown_secs = {shutdown_secs}\n\n\
         [schedule]\nlease_secs = 3\n{schedule}\n"
    )
}

impl Daemon {
    /// Starts `serve` (its config must bind `port`) and waits until it answers `/healthz`.
    pub fn start(app: &TestApp, port: u16, args: &[&str], env: &[(&str, &str)]) -> Self {
        let log = app.dir.path().join(format!("serve-{port}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let mut cmd = super::chronicle_command();
        cmd.arg("--config")
            .arg(&app.config)
            .args(args)
            .arg("serve")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(file);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start serve");
        let mut d = Self { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if d.get("/healthz").0 == 200 {
                return d;
            }
            if let Ok(Some(status)) = d.child.try_wait() {
                panic!("serve exited with {status}: {}", d.logs());
            }
            assert!(
                Instant::now() < deadline,
                "serve did not answer: {}",
                d.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// GET `path`: the status (0 when nothing answers) and the body.
    pub fn get(&self, path: &str) -> (u16, String) {
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return (0, String::new());
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        if s.write_all(req.as_bytes()).is_err() {
            return (0, String::new());
        }
        let mut raw = String::new();
        let _ = s.read_to_string(&mut raw);
        let status = raw
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = raw.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        (status, body.to_string())
    }

    /// Sends SIGTERM and waits (at most a minute) for the exit: its status and how long it took.
    pub fn term(&mut self) -> (ExitStatus, Duration) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid");
        // SAFETY: signalling our own child.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return (status, start.elapsed());
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "serve did not stop after SIGTERM: {}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The log so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Polls `f` every 50 ms until it is true or `secs` passed; returns whether it became true.
pub fn wait_until(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}
