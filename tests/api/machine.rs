//! A machine that misbehaves, with real processes: a full disk (a small tmpfs mounted in a
//! private mount namespace, `unshare -m`, so nothing outlives the test) and a read-only
//! database file (a read-only bind mount: as root, file permissions would not stop a write)
//! each give one clear error line and no partial write; `kill -9` during a fetch of many feeds
//! and during digest builds leaves a database that passes `PRAGMA integrity_check` and keeps
//! everything committed.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{FeedServer, TestApp};

/// Entries in each generated feed.
pub const PER_FEED: usize = 6;

/// An Atom feed of [`PER_FEED`] posts of `words` words, all its own.
pub fn atom(feed: usize, words: usize) -> String {
    let entries: String = (0..PER_FEED)
        .map(|i| {
            format!(
                "<entry><id>urn:feed{feed}:post{i}</id><title>Post {i} of blog {feed}</title>\
                 <link href=\"https://blog{feed}.example.org/{i}\"/>\
                 <updated>2026-11-{d}T10:00:00Z</updated>\
                 <content type=\"html\">&lt;p&gt;{}&lt;/p&gt;</content></entry>",
                crate::helpers::blogs::prose(&format!("{feed}-{i}"), words),
                d = 10 + i % 5
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <title>Blog {feed}</title><id>urn:feed{feed}</id><updated>2026-11-16T10:00:00Z</updated>\
         {entries}</feed>"
    )
}

/// A Chronicle following `n` generated feeds of posts of `words` words (added, not fetched).
pub fn with_feeds(feeds: &FeedServer, n: usize, words: usize, concurrency: usize) -> TestApp {
    let t = TestApp::new(25, "");
    let text = std::fs::read_to_string(&t.config).unwrap();
    let text = text.replace(
        "[fetch]\n",
        &format!("[fetch]\nconcurrency = {concurrency}\nper_host = {concurrency}\n"),
    );
    std::fs::write(&t.config, text).unwrap();
    let urls: Vec<String> = (0..n)
        .map(|i| feeds.set_body(&format!("blog{i}.xml"), &atom(i, words)))
        .collect();
    t.import_urls(urls.iter().map(String::as_str));
    t
}

/// Per feed URL: its stored entries and whether its fetch was recorded.
pub async fn per_feed(db: &Path) -> BTreeMap<String, (i64, bool)> {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(integrity, "ok", "{}", db.display());
    let rows: Vec<(String, i64, bool)> = sqlx::query_as(
        "SELECT f.url, (SELECT COUNT(*) FROM entries e WHERE e.feed_id = f.id),
                f.last_success_at IS NOT NULL
         FROM feeds f ORDER BY f.url",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows.into_iter().map(|(u, n, ok)| (u, (n, ok))).collect()
}

/// Asserts that every feed was stored whole or not at all; returns how many were stored.
pub fn whole_or_nothing(feeds: &BTreeMap<String, (i64, bool)>) -> usize {
    for (url, (n, fetched)) in feeds {
        let expected = if *fetched { PER_FEED as i64 } else { 0 };
        assert_eq!(*n, expected, "{url}: fetched {fetched} but {n} entries");
    }
    feeds.values().filter(|(_, f)| *f).count()
}

/// Runs `sh -c script` in a private mount namespace: its mounts vanish when it ends.
fn in_mount_namespace(script: &str) -> Output {
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", script])
        .output()
        .expect("unshare (util-linux) is needed");
    assert!(
        out.status.success(),
        "{script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// Asserts that a command of the script failed with exactly one stderr line starting `start`.
fn one_error_line(out: &Path, name: &str, start: &str) {
    let rc = read(&out.join(format!("{name}.rc")));
    let err = read(&out.join(format!("{name}.err")));
    let stdout = read(&out.join(format!("{name}.out")));
    assert_ne!(rc.trim(), "0", "{name} succeeded: {err} {stdout}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{name}: one line, not {lines:#?}");
    assert!(lines[0].starts_with(start), "{name}: {}", lines[0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_gives_one_clear_error_and_keeps_every_feed_whole() {
    let feeds = FeedServer::start();
    let t = with_feeds(&feeds, 40, 1500, 2);
    let bin = env!("CARGO_BIN_EXE_chronicle");
    let (cfg, data) = (t.config.display(), t.db_path().parent().unwrap().to_owned());
    let stage = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let (stage, out) = (stage.path().display(), out.path().display());
    for f in ["chronicle.db", "chronicle.db-wal"] {
        let from = t.db_path().with_file_name(f);
        if from.exists() {
            std::fs::copy(from, format!("{stage}/{f}")).unwrap();
        }
    }
    let data = data.display();
    let run = |name: &str, args: &str| {
        format!(
            "{bin} --config {cfg} {args} >{out}/{name}.out 2>{out}/{name}.err; echo $? >{out}/{name}.rc"
        )
    };
    let script = format!(
        "mount -t tmpfs -o size=32768k tmpfs {data} || exit 1
         cp {stage}/chronicle.db* {data}/ || exit 1
         dd if=/dev/zero of={data}/fill bs=4k 2>/dev/null || true
         {edit}
         {fetch_nothing}
         truncate -s -1500k {data}/fill
         {fetch}
         cp {data}/chronicle.db* {out}/",
        edit = run("edit", "digest edit --week 2026-W46 --intro Hello"),
        fetch_nothing = run("fetch0", "fetch"),
        fetch = run("fetch", "fetch"),
    );
    in_mount_namespace(&script);
    let out = Path::new(&*out.to_string()).to_owned();
    for name in ["edit", "fetch0", "fetch"] {
        eprintln!(
            "{name}: rc {} err {} out {}",
            read(&out.join(format!("{name}.rc"))),
            read(&out.join(format!("{name}.err"))),
            read(&out.join(format!("{name}.out")))
        );
    }
    let full = "error: ";
    one_error_line(&out, "edit", full);
    one_error_line(&out, "fetch0", full);
    one_error_line(&out, "fetch", full);
    for name in ["edit", "fetch0", "fetch"] {
        let err = read(&out.join(format!("{name}.err")));
        assert!(
            err.contains("the disk holding the database is full"),
            "{name}: {err}"
        );
    }
    let after = per_feed(&out.join("chronicle.db")).await;
    let stored = whole_or_nothing(&after);
    assert!(
        (1..40).contains(&stored),
        "the disk filled part-way through: {stored} of 40 feeds stored"
    );
    // With room again, the next fetch brings in the rest; nothing is doubled.
    for f in ["chronicle.db", "chronicle.db-wal", "chronicle.db-shm"] {
        let _ = std::fs::remove_file(t.db_path().with_file_name(f));
        if out.join(f).exists() {
            std::fs::copy(out.join(f), t.db_path().with_file_name(f)).unwrap();
        }
    }
    t.ok(&["fetch"]);
    assert_eq!(whole_or_nothing(&per_feed(&t.db_path()).await), 40);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_database_gives_one_clear_error_and_is_left_as_it_was() {
    let feeds = FeedServer::start();
    let t = with_feeds(&feeds, 5, 120, 2);
    t.ok(&["subscribers", "add", "reader@example.org"]);
    let before = crate::hostile::snapshot(&t).await;
    let bin = env!("CARGO_BIN_EXE_chronicle");
    let (cfg, db) = (t.config.display(), t.db_path().display().to_string());
    let out = tempfile::tempdir().unwrap();
    let run = |name: &str, args: &str| {
        let o = out.path().display();
        format!(
            "{bin} --config {cfg} {args} >{o}/{name}.out 2>{o}/{name}.err; echo $? >{o}/{name}.rc"
        )
    };
    let script = format!(
        "mount --bind {db} {db} || exit 1
         mount -o remount,bind,ro {db} || exit 1
         {}
         {}
         {}",
        run("fetch", "fetch"),
        run("edit", "digest edit --week 2026-W46 --intro Hello"),
        run("add", "subscribers add new@example.org"),
    );
    in_mount_namespace(&script);
    for name in ["fetch", "edit", "add"] {
        one_error_line(out.path(), name, "error: the database is read-only");
    }
    assert_eq!(
        crate::hostile::snapshot(&t).await,
        before,
        "nothing written"
    );
    // The fetches under way when the first write failed (at most `concurrency`), no more.
    let polled = feeds.requests().len();
    assert!(polled <= 2, "{polled} blogs polled for nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_a_fetch_of_many_feeds_loses_nothing_committed() {
    let feeds = FeedServer::start();
    let n = 150;
    let t = with_feeds(&feeds, n, 120, 2);
    let mut kills = 0;
    let mut last_seen = 0;
    for round in 0..3 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chronicle"))
            .arg("--config")
            .arg(&t.config)
            .arg("fetch")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill once this run has stored something new, at a varying moment after.
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = last_seen;
        while seen == last_seen && Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
            seen = whole_or_nothing(&per_feed(&t.db_path()).await);
        }
        std::thread::sleep(Duration::from_millis(50 * round));
        let finished = child.try_wait().unwrap().is_some();
        if !finished {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
        // Everything seen committed before the kill is still there, every feed whole.
        let stored = whole_or_nothing(&per_feed(&t.db_path()).await);
        assert!(
            stored >= seen,
            "round {round}: {seen} feeds were committed, {stored} are left"
        );
        last_seen = stored;
        if finished {
            break;
        }
    }
    assert!(kills >= 1, "no fetch was interrupted");
    assert!(
        last_seen < n,
        "the kills came too late to interrupt anything"
    );
    let out = t.ok(&["fetch"]);
    assert!(out.contains("0 failed"), "{out}");
    assert_eq!(whole_or_nothing(&per_feed(&t.db_path()).await), n);
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM entries")
        .fetch_one(&t.pool().await)
        .await
        .unwrap();
    assert_eq!(total, (n * PER_FEED) as i64, "nothing doubled");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_digest_builds_leaves_no_half_digest() {
    let feeds = FeedServer::start();
    let t = with_feeds(&feeds, 30, 120, 4);
    t.ok(&["fetch"]);
    let pool = t.pool().await;
    let entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM entries")
        .fetch_one(&pool)
        .await
        .unwrap();
    let html = t.dir.path().join("digest.html");
    let mut interrupted = 0;
    for i in 0..12u64 {
        // Editing the week makes the next build rebuild it.
        t.ok(&[
            "digest",
            "edit",
            "--week",
            "2026-W46",
            "--intro",
            &format!("Note {i}"),
        ]);
        let mut child = Command::new(env!("CARGO_BIN_EXE_chronicle"))
            .arg("--config")
            .arg(&t.config)
            .args(["digest", "--week", "2026-W46", "--out"])
            .arg(&html)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(20 + 15 * i));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            interrupted += 1;
        }
        child.wait().unwrap();
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(integrity, "ok");
        // A digest that exists holds all its stories.
        let digests: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT d.id, d.story_count,
                    (SELECT COUNT(*) FROM digest_entries de WHERE de.digest_id = d.id)
             FROM digests d",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        for (id, count, stored) in digests {
            assert_eq!(
                count, stored,
                "digest {id}: {count} stories but {stored} stored"
            );
        }
        let now: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM entries")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(now, entries, "entries are untouched");
    }
    assert!(interrupted >= 1, "no build was interrupted");
    let built = t.ok(&["digest", "--week", "2026-W46"]);
    assert!(built.contains("Note 11"), "{built}");
}
