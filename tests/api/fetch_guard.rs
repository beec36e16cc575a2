//! The SSRF guard end to end, inside a network namespace that has only loopback.
//!
//! These machines have an IPv6 default route, so a guard that failed would send a test's
//! packets off the machine. Every refusal test that could open a connection therefore runs in
//! `unshare --net --mount` (util-linux; needs root): a fresh namespace whose only interface is
//! `lo`, with a "public" address (93.184.216.34) put on `lo` for the feed server that plays the
//! internet, and a private /etc/hosts (bind-mounted in the private mount namespace) that names
//! hosts resolving to public, loopback, NAT64 and mixed addresses. The inner test checks that
//! `lo` is the only interface before it sends anything.

use std::process::Command;

use chronicle::domain::FeedUrl;
use chronicle::ingest::Fetcher;
use chronicle::ingest::fetch::{FetchError, Fetched};

use crate::helpers::{FeedServer, TestApp};

/// Set for the re-run of this test binary inside the namespace.
const INSIDE: &str = "FETCH_GUARD_IN_NETNS";
/// The address that plays a public host, on `lo` inside the namespace only.
const PUBLIC: &str = "93.184.216.34";

const HOSTS: &str = "\
127.0.0.1 localhost
::1 localhost
93.184.216.34 public.test
127.0.0.1 loopback.test
93.184.216.34 rebind.test
127.0.0.1 rebind.test
64:ff9b::7f00:1 nat64.test
::ffff:169.254.169.254 metadata.test
";

#[test]
fn the_guard_holds_end_to_end_in_a_network_namespace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, HOSTS).expect("write hosts");
    let setup = format!(
        "set -e; ip link set lo up; ip addr add {PUBLIC}/32 dev lo; \
         mount --bind \"$GUARD_HOSTS\" /etc/hosts; exec \"$@\""
    );
    let exe = std::env::current_exe().expect("test binary");
    let mut unshare = Command::new("unshare");
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        // Without root, a user namespace grants the namespace's own root (where allowed).
        unshare.arg("--map-root-user");
    }
    let out = unshare
        .args(["--net", "--mount", "--", "sh", "-c", &setup, "sh"])
        .arg(exe)
        .args([
            "--exact",
            "fetch_guard::inside_the_namespace",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(INSIDE, "1")
        .env("GUARD_HOSTS", &hosts)
        .output()
        .expect("unshare (util-linux) and ip (iproute2) are needed, as root: ./scripts/test installs them");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "inside the namespace:\nstdout: {stdout}\nstderr: {stderr}"
    );
}

/// Panics unless `lo` is the only network interface: nothing can leave the machine.
fn assert_only_loopback() {
    let dev = std::fs::read_to_string("/proc/net/dev").expect("/proc/net/dev");
    let interfaces: Vec<&str> = dev
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(str::trim)
        .collect();
    assert_eq!(
        interfaces,
        ["lo"],
        "refusing to run: this network namespace has more than loopback"
    );
}

#[test]
#[ignore = "run inside a network namespace by the_guard_holds_end_to_end_in_a_network_namespace"]
fn inside_the_namespace() {
    assert_eq!(
        std::env::var(INSIDE).as_deref(),
        Ok("1"),
        "only inside the namespace made by the_guard_holds_end_to_end_in_a_network_namespace"
    );
    assert_only_loopback();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let public = FeedServer::start_on(PUBLIC);
    let private = FeedServer::start();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(fetcher_refusals(&public, &private));
    cli_refusals(&public, &private);
    assert!(
        private.requests().is_empty(),
        "a request reached the loopback server: {:?}",
        private.requests().len()
    );
}

async fn fetcher_refusals(public: &FeedServer, private: &FeedServer) {
    let text = "[fetch]\ntimeout_secs = 5\nconnect_timeout_secs = 2\n";
    let settings =
        chronicle::config::Settings::from_parts("guard.toml".as_ref(), text, std::iter::empty())
            .expect("settings");
    assert!(!settings.fetch.allow_private_networks);
    let fetcher = Fetcher::new(&settings).expect("client");
    let get = |url: String| {
        let fetcher = fetcher.clone();
        async move {
            let feed = FeedUrl::parse(&url).expect("a feed URL");
            (url, fetcher.get(&feed, None, None).await)
        }
    };
    let port = |base: &str| base.rsplit(':').next().unwrap().to_string();
    let (pp, lp) = (port(&public.base), port(&private.base));

    // Public hosts are fetched, by address and by a name that resolves to one.
    for url in [
        public.feed_url("seeds-rss.xml"),
        format!("http://public.test:{pp}/feeds/seeds-rss.xml"),
    ] {
        let (url, got) = get(url).await;
        assert!(matches!(got, Ok(Fetched::Body(_))), "{url}: {got:?}");
    }
    assert_eq!(public.hits("/feeds/seeds-rss.xml"), 2);

    let feed = private.feed_url("seeds-rss.xml");
    let by_name = |host: &str| format!("http://{host}:{lp}/feeds/seeds-rss.xml");
    let mut refused = vec![
        (
            feed.clone(),
            "refused: 127.0.0.1 is not a public address (loopback",
        ),
        (
            by_name("[::ffff:127.0.0.1]"),
            "refused: ::ffff:127.0.0.1 is not",
        ),
        (
            by_name("[64:ff9b::7f00:1]"),
            "refused: 64:ff9b::7f00:1 is not",
        ),
        (by_name("[::127.0.0.1]"), "refused: ::7f00:1 is not"),
        (
            by_name("[2002:7f00:1::1]"),
            "refused: 2002:7f00:1::1 is not",
        ),
        (by_name("0x7f.1"), "refused: 127.0.0.1 is not"),
        (by_name("localhost"), "refused: localhost resolves to "),
        (
            by_name("loopback.test"),
            "refused: loopback.test resolves to 127.0.0.1",
        ),
        (
            by_name("rebind.test"),
            "refused: rebind.test resolves to 127.0.0.1",
        ),
        (
            by_name("nat64.test"),
            "refused: nat64.test resolves to 64:ff9b::7f00:1",
        ),
        (
            by_name("metadata.test"),
            "refused: metadata.test resolves to ::ffff:169.254.169.254",
        ),
    ];
    // Every redirect hop is judged, not only the first: the refusal comes at hop 2, 3 and 4.
    refused.extend([
        (public.goto_url(302, &feed), "refused: 127.0.0.1 is not"),
        (
            public.goto_url(301, &public.goto_url(307, &feed)),
            "refused: 127.0.0.1 is not",
        ),
        (
            public.goto_url(
                308,
                &public.goto_url(302, &public.goto_url(301, &by_name("rebind.test"))),
            ),
            "refused: rebind.test resolves to 127.0.0.1",
        ),
        (
            public.goto_url(302, &by_name("[64:ff9b::a9fe:a9fe]")),
            "refused: 64:ff9b::a9fe:a9fe is not a public address (NAT64 (64:ff9b::/96) form of \
             169.254.169.254",
        ),
    ]);
    for (url, expected) in refused {
        let (url, got) = get(url).await;
        match got {
            Err(FetchError::Refused(msg)) => {
                assert!(msg.starts_with(expected), "{url}: {msg}");
            }
            Err(other) => panic!("{url} should be refused, got {other:?}"),
            Ok(Fetched::Body(r)) => panic!(
                "{url} should be refused, got {} from {}",
                r.status, r.final_url
            ),
            Ok(Fetched::NotModified { .. }) => panic!("{url} should be refused, got 304"),
        }
    }
    assert_eq!(public.hits("/goto/302"), 3, "each first hop was fetched");
    assert_eq!(public.hits("/goto/307"), 1, "and each second");
}

/// The CLI, with the guard as shipped: refusals recorded in plain words, nothing requested.
fn cli_refusals(public: &FeedServer, private: &FeedServer) {
    let app = TestApp::new(25, "");
    let metadata = "http://169.254.169.254/latest/meta-data/";
    let redirected = public.goto_url(302, &private.feed_url("seeds-atom.xml"));
    app.import_urls([
        metadata,
        redirected.as_str(),
        public.feed_url("seeds-atom.xml").as_str(),
    ]);
    let guard = [("CHRONICLE_FETCH__ALLOW_PRIVATE_NETWORKS", "false")];
    let out = app.run_env(&["fetch", "--all"], &guard);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("3 new entries") && stdout.contains("2 failed"),
        "{stdout}"
    );
    let list = app.json_lines(&["feeds", "list"]);
    assert_eq!(
        list[0]["last_error"],
        "refused: 169.254.169.254 is not a public address (link-local, cloud metadata \
         (169.254.0.0/16)); set fetch.allow_private_networks = true to allow it"
    );
    assert_eq!(
        list[1]["last_error"],
        "refused: 127.0.0.1 is not a public address (loopback (127.0.0.0/8)); \
         set fetch.allow_private_networks = true to allow it"
    );
    assert_eq!(list[2]["entry_count"], 3);
}
