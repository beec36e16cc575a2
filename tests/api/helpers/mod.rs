//! Test servers and the `TestApp` driver.

pub mod admin;
pub mod blogs;
pub mod daemon;
mod feed_server;
mod relay;
pub mod seed;
pub mod site;
mod smtp;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use feed_server::FeedServer;
pub use relay::{Relay, RelayOptions};
pub(crate) use smtp::free_port;
pub use smtp::{Received, SmtpServer};

/// Headless Chromium as the tests run it: no sandbox (root), no GPU, and none of the background
/// connections Chromium makes by itself (this machine's closed network refuses them).
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
];

/// `s` escaped for XML text and attributes.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A URL path segment made of `title`: ASCII letters and digits, lower-cased, the rest `-`.
pub fn slug(title: &str) -> String {
    title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// Fixture folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A Chronicle installation in a temporary folder, driven through the real binary.
pub struct TestApp {
    /// The temporary folder (config, database).
    pub dir: tempfile::TempDir,
    /// The config file.
    pub config: PathBuf,
}

impl TestApp {
    /// Writes a config.toml with `extra` appended and the SMTP port set.
    pub fn new(smtp_port: u16, extra: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("data/chronicle.db");
        let config = dir.path().join("config.toml");
        let text = format!(
            r#"[database]
url = "sqlite://{db}"

[site]
title = "Tech Daily Chronicle"
base_url = "http://chronicle.test/"
contact = "Questions? Write to the organisers at hello@chronicle.test"

[fetch]
allow_private_networks = true
timeout_secs = 5

[smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"

[newsletter]
from = "Tech Daily Chronicle <digest@chronicle.test>"
reply_to = "organisers@chronicle.test"
{extra}"#,
            db = db.display()
        );
        std::fs::write(&config, text).expect("write config");
        Self { dir, config }
    }

    /// The database file.
    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("data/chronicle.db")
    }

    /// Runs `chronicle --config <config> args...`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }

    /// Runs the binary with extra environment variables (the only `CHRONICLE_*` it sees).
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = chronicle_command();
        cmd.arg("--config").arg(&self.config).args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run chronicle")
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "chronicle {args:?} failed:\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `feeds add --no-check URL`: follows a URL as it is, without fetching it.
    pub fn add_unchecked(&self, url: &str) {
        self.ok(&["feeds", "add", "--no-check", url]);
    }

    /// Follows every URL of `urls` at once, through `feeds import` of an OPML file (no fetch).
    pub fn import_urls<'a>(&self, urls: impl IntoIterator<Item = &'a str>) {
        let mut opml = String::from("<?xml version=\"1.0\"?><opml version=\"2.0\"><head/><body>");
        for url in urls {
            opml.push_str(&format!(
                "<outline type=\"rss\" text=\"feed\" xmlUrl=\"{}\"/>",
                url.replace('&', "&amp;").replace('"', "&quot;")
            ));
        }
        opml.push_str("</body></opml>");
        let path = self.dir.path().join("import.opml");
        std::fs::write(&path, opml).expect("write OPML");
        self.ok(&["feeds", "import", path.to_str().expect("UTF-8 path")]);
    }

    /// `args` with `--json`: one JSON object per line of the output.
    pub fn json_lines(&self, args: &[&str]) -> Vec<serde_json::Value> {
        let mut all = args.to_vec();
        all.push("--json");
        self.ok(&all)
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect()
    }

    /// Runs and asserts failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "chronicle {args:?} should have failed:\nstdout: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Opens the database directly (to seed states the CLI cannot make, and to inspect).
    pub async fn pool(&self) -> sqlx::SqlitePool {
        sqlx::SqlitePool::connect(&format!("sqlite://{}", self.db_path().display()))
            .await
            .expect("open test database")
    }
}

/// The `chronicle` binary, sealed from the caller's environment: no `CHRONICLE_*` override
/// (an organiser's exported `CHRONICLE_SMTP__PASSWORD` would change every test) and no
/// `RUST_LOG`. Tests add the variables they mean with `.env(...)`.
pub fn chronicle_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chronicle"));
    for (name, _) in std::env::vars_os() {
        if name
            .to_string_lossy()
            .starts_with(chronicle::config::ENV_PREFIX)
        {
            cmd.env_remove(&name);
        }
    }
    cmd.env_remove("RUST_LOG");
    cmd
}

/// Settings of a test's config file as the tests mean them: the file alone, without the
/// `CHRONICLE_*` variables of the caller's environment.
pub fn load_settings(config: &Path) -> chronicle::config::Settings {
    let text = std::fs::read_to_string(config).expect("read the test config");
    chronicle::config::Settings::from_parts(config, &text, std::iter::empty())
        .expect("test settings")
}

/// Whether `assert_golden` rewrites golden files: only with `UPDATE_GOLDEN=1`, and never under
/// CI (where a rewrite would make the comparison pass whatever the output).
pub fn updating_golden(update: Option<&str>, ci: bool) -> bool {
    update == Some("1") && !ci
}

/// Decodes the entities tera's escaping produces.
pub fn unescape_html(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Collapses white space (for text that the plain-text part wraps).
pub fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Compares `actual` with `tests/golden/<name>`; with `UPDATE_GOLDEN=1` in the environment (and
/// no `CI`), rewrites the file instead (`UPDATE_GOLDEN=1 cargo test golden`).
pub fn assert_golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    let update = std::env::var("UPDATE_GOLDEN").ok();
    if updating_golden(update.as_deref(), std::env::var_os("CI").is_some()) {
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("create tests/golden");
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run `UPDATE_GOLDEN=1 cargo test golden`",
            path.display()
        )
    });
    if expected != actual {
        let (n, (e, a)) = expected
            .lines()
            .chain(std::iter::repeat("<end of file>"))
            .zip(actual.lines().chain(std::iter::repeat("<end of file>")))
            .enumerate()
            .find(|(_, (e, a))| e != a)
            .unwrap_or((0, ("", "")));
        panic!(
            "tests/golden/{name} differs at line {}:\n  expected: {e}\n  actual:   {a}\n\
             If the change is deliberate, run `UPDATE_GOLDEN=1 cargo test golden` and review the diff.",
            n + 1
        );
    }
}

/// The web site of `t` served in this process on a free port (its config must say
/// `bind = "127.0.0.1:0"`): the base URL, and a token that stops it.
pub async fn serve(
    t: &TestApp,
) -> (
    String,
    tokio_util::sync::CancellationToken,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let settings = load_settings(&t.config);
    let app = chronicle::app::App::build(settings).await.expect("app");
    let server = chronicle::serve::Server::bind(app).await.expect("bind");
    let base = format!("http://127.0.0.1:{}", server.port());
    let stop = tokio_util::sync::CancellationToken::new();
    let handle = tokio::spawn(server.run_until_stopped(stop.clone(), false));
    (base, stop, handle)
}
