//! The command line as the organiser meets it: help, config errors, feeds, subscribers, entries.

use crate::helpers::{FeedServer, TestApp};

#[test]
fn help_lists_every_subcommand_and_flag() {
    let app = TestApp::new(1, "");
    let help = app.ok(&["--help"]);
    for cmd in [
        "feeds",
        "fetch",
        "digest",
        "send",
        "subscribers",
        "entries",
        "serve",
        "check",
        "--config",
    ] {
        assert!(help.contains(cmd), "--help lacks {cmd}");
    }
    for (args, words) in [
        (
            vec!["feeds", "add", "--help"],
            vec!["--title", "--author", "--tag"],
        ),
        (vec!["fetch", "--help"], vec!["--all", "--feed"]),
        (
            vec!["digest", "--help"],
            vec!["--week", "--format", "--out", "html", "text"],
        ),
        (vec!["send", "--help"], vec!["--week"]),
        (
            vec!["digest", "edit", "--help"],
            vec!["--week", "--intro-file", "--intro", "--clear-intro"],
        ),
        (vec!["digest", "pin", "--help"], vec!["--week", "ENTRY-ID"]),
        (
            vec!["digest", "exclude", "--help"],
            vec!["--week", "ENTRY-ID"],
        ),
        (vec!["digest", "stories", "--help"], vec!["--week"]),
        (
            vec!["entries", "list", "--help"],
            vec!["--feed", "--since", "--json"],
        ),
        (vec!["subscribers", "add", "--help"], vec!["EMAIL"]),
    ] {
        let h = app.ok(&args);
        for w in words {
            assert!(h.contains(w), "{args:?} help lacks {w}");
        }
    }
}

#[test]
fn config_typos_are_rejected_with_the_key_and_line() {
    let app = TestApp::new(25, "\n[digest]\ntimezon = \"UTC\"\n");
    let err = app.fails(&["feeds", "list"]);
    assert!(
        err.starts_with("error: ") && err.contains("timezon") && err.contains("line"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "one-line reason: {err}");

    let app = TestApp::new(25, "\n[digest]\ntimezone = \"Europe/Atlantis\"\n");
    let err = app.fails(&["check"]);
    assert!(err.contains("Europe/Atlantis"), "{err}");

    let app = TestApp::new(25, "\n[schedule]\nsend = \"on mondays\"\n");
    let err = app.fails(&["check"]);
    assert!(err.contains("cron"), "{err}");
}

#[test]
fn environment_overrides_config_and_bad_values_name_the_variable() {
    let app = TestApp::new(25, "");
    let out = app.run_env(&["check"], &[("CHRONICLE_SMTP__PORT", "2525")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("127.0.0.1:2525"),
        "{stdout}"
    );
    let out = app.run_env(&["check"], &[("CHRONICLE_SMTP__PORT", "twenty")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("CHRONICLE_SMTP__PORT"),
        "{stderr}"
    );
}

#[test]
fn database_and_its_folder_are_created_on_first_use() {
    let app = TestApp::new(25, "");
    assert!(!app.db_path().exists());
    let out = app.ok(&["check"]);
    assert!(out.contains("database: ok"), "{out}");
    assert!(app.db_path().exists());
}

#[test]
fn feeds_add_list_remove() {
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    let url = server.feed_url("seeds-rss.xml");
    let out = app.ok(&[
        "feeds",
        "add",
        &url,
        "--title",
        "Cloud Notes",
        "--author",
        "Ana",
        "--tag",
        "azure",
    ]);
    assert!(out.contains("added feed 1"), "{out}");
    let err = app.fails(&["feeds", "add", &url]);
    assert!(err.contains("already exists"), "{err}");
    let err = app.fails(&["feeds", "add", "ftp://example.org/feed"]);
    assert!(err.contains("not an http or https URL"), "{err}");

    let list = app.ok(&["feeds", "list"]);
    assert!(
        list.contains("Cloud Notes") && list.contains("never fetched"),
        "{list}"
    );
    app.ok(&["fetch", "--feed", "1"]);
    let list = app.ok(&["feeds", "list"]);
    let row = list.lines().find(|l| l.contains("Cloud Notes")).unwrap();
    assert!(
        row.contains(" ok ") && row.contains(" 4 "),
        "status and entry count: {row}"
    );

    let out = app.ok(&["feeds", "remove", &url]);
    assert!(
        out.contains("removed feed 1") && out.contains("4 entries"),
        "{out}"
    );
    let err = app.fails(&["feeds", "remove", "1"]);
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn config_feeds_are_synced_and_never_deleted() {
    let server = FeedServer::start();
    let url = server.feed_url("seeds-atom.xml");
    let app = TestApp::new(
        25,
        &format!("\n[[feeds]]\nurl = \"{url}\"\ntitle = \"Bram\"\ntags = [\"dotnet\"]\n"),
    );
    let list = app.ok(&["feeds", "list", "--json"]);
    assert!(
        list.contains("\"Bram\"") && list.contains(&url) && list.contains("dotnet"),
        "{list}"
    );
    app.ok(&["fetch"]);
    // A misspelt table is named; the feed leaving config.toml is disabled, its entries stay.
    let original = std::fs::read_to_string(&app.config).unwrap();
    std::fs::write(&app.config, original.replace("[[feeds]]", "[[feedz]]")).unwrap();
    let err = app.fails(&["feeds", "list"]);
    assert!(err.contains("feedz"), "unknown table is named: {err}");
    let without: String = original.split("[[feeds]]").next().unwrap().to_string();
    std::fs::write(&app.config, without).unwrap();
    let list = app.ok(&["feeds", "list"]);
    assert!(list.contains("disabled"), "{list}");
    let entries = app.ok(&["entries", "list"]);
    assert_eq!(entries.lines().count(), 3, "{entries}");
}

#[test]
fn subscribers_add_list_remove_with_bad_addresses_reported() {
    let app = TestApp::new(25, "");
    let out = app.run(&[
        "subscribers",
        "add",
        "ada@example.org",
        "not-an-address",
        "Grace@Example.NET",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`not-an-address` is not a valid e-mail address"),
        "{stderr}"
    );
    assert!(stderr.contains("1 of 3 addresses were invalid"), "{stderr}");
    let list = app.ok(&["subscribers", "list"]);
    assert!(
        list.contains("ada@example.org") && list.contains("Grace@example.net"),
        "{list}"
    );
    assert!(list.contains("confirmed"));
    let out = app.ok(&["subscribers", "add", "ada@example.org"]);
    assert!(out.contains("already subscribed"), "{out}");
    app.ok(&["subscribers", "remove", "ada@example.org"]);
    let err = app.fails(&["subscribers", "remove", "ada@example.org"]);
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn entries_list_json_has_the_contract_fields() {
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    app.ok(&["feeds", "add", &server.feed_url("seeds-atom.xml")]);
    app.ok(&["fetch"]);
    let lines = app.json_lines(&["entries", "list", "--since", "2026-11-01"]);
    assert_eq!(lines.len(), 2, "the October post is before --since");
    for e in &lines {
        for key in [
            "id",
            "story",
            "feed_url",
            "guid",
            "url",
            "title",
            "author",
            "published",
            "updated",
            "first_seen",
            "summary",
            "content",
        ] {
            assert!(e.get(key).is_some(), "missing {key} in {e}");
        }
        let published = e["published"].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(published).is_ok(),
            "{published}"
        );
    }
    assert_eq!(
        lines[0]["title"],
        "From the AMA: \"How did you become a Microsoft MVP?\""
    );
    assert_eq!(lines[0]["author"], "Eva Kowalska");
    let err = app.fails(&["entries", "list", "--since", "last tuesday"]);
    assert!(err.contains("--since"), "{err}");
    let by_feed = app.ok(&["entries", "list", "--feed", "1"]);
    assert_eq!(by_feed.lines().count(), 3);
}
