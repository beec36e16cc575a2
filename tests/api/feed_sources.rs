//! Where feeds come from: a blog's home page (discovery) and OPML files from other readers.

use std::process::Command;

use crate::helpers::{FeedServer, TestApp};

#[test]
fn adding_a_blog_page_discovers_its_feed() {
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    let out = app.ok(&["feeds", "add", &format!("{}/blog/", server.base)]);
    let feed = server.feed_url("seeds-rss.xml");
    assert!(
        out.contains(&format!("found feed {feed} (Cloud Notes)")),
        "{out}"
    );
    assert!(app.ok(&["feeds", "list", "--json"]).contains(&feed));
    // A page that announces nothing, a dead URL, a non-feed: clear refusals, nothing added.
    let err = app.fails(&["feeds", "add", &format!("{}/page.html", server.base)]);
    assert!(
        err.contains("no feed found on") && err.contains("announces no RSS, Atom or JSON Feed"),
        "{err}"
    );
    let err = app.fails(&["feeds", "add", &format!("{}/status/404", server.base)]);
    assert!(
        err.contains("cannot fetch") && err.contains("HTTP 404"),
        "{err}"
    );
    assert_eq!(app.ok(&["feeds", "list", "--json"]).lines().count(), 1);
    // --no-check adds it as it is.
    app.add_unchecked(&format!("{}/status/404", server.base));
    assert_eq!(app.ok(&["feeds", "list", "--json"]).lines().count(), 2);
}

#[test]
fn opml_import_keeps_good_outlines_reports_bad_ones_and_skips_duplicates() {
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    app.ok(&["feeds", "add", &server.feed_url("seeds-atom.xml")]);
    let opml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Exported from another reader</title></head>
  <body>
    <outline text="Community">
      <outline text="Azure">
        <outline type="rss" text="Cloud Notes" xmlUrl="{rss}" htmlUrl="https://ana.example.org/"/>
      </outline>
      <outline type="rss" text="Bram" xmlUrl="{atom}"/>
    </outline>
    <outline type="rss" text="Folha" xmlUrl="{latin}" category="/news/br"/>
    <outline type="rss" text="Broken" xmlUrl="not a url"/>
    <outline type="rss" text="Cloud Notes again" xmlUrl="{rss}"/>
  </body>
</opml>"#,
        rss = server.feed_url("seeds-rss.xml"),
        atom = server.feed_url("seeds-atom.xml"),
        latin = server.feed_url("001-folha-rss091-latin1.xml"),
    );
    let file = app.dir.path().join("reader.opml");
    std::fs::write(&file, opml).unwrap();
    let out = app.run(&["feeds", "import", file.to_str().unwrap()]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("imported 2 feeds")
            && stdout.contains("2 already followed")
            && stdout.contains("1 bad outlines"),
        "{stdout}"
    );
    assert!(
        stderr.contains("line 12:") && stderr.contains("`not a url` is not a valid URL"),
        "{stderr}"
    );
    let list = app.json_lines(&["feeds", "list"]);
    assert_eq!(list.len(), 3);
    assert_eq!(list[1]["title"], "Cloud Notes");
    assert_eq!(list[1]["tags"], serde_json::json!(["Azure", "Community"]));
    assert_eq!(list[2]["tags"], serde_json::json!(["br", "news"]));
    let err = app.fails(&["feeds", "import", app.config.to_str().unwrap()]);
    assert!(err.contains("not a valid OPML file"), "{err}");
}

#[test]
fn opml_export_round_trips_and_newsboat_imports_it() {
    let server = FeedServer::start();
    let app = TestApp::new(25, "");
    app.ok(&[
        "feeds",
        "add",
        &server.feed_url("seeds-rss.xml"),
        "--title",
        "Cloud & Notes",
        "--tag",
        "azure",
        "--tag",
        "dotnet",
    ]);
    app.ok(&["feeds", "add", &server.feed_url("seeds-atom.xml")]);
    app.ok(&["fetch", "--all"]);
    let file = app.dir.path().join("export.opml");
    app.ok(&["feeds", "export", "--out", file.to_str().unwrap()]);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
            && text.contains("<opml version=\"2.0\">"),
        "{text}"
    );
    assert!(
        text.contains("text=\"Cloud &amp; Notes\"") && text.contains("category=\"azure,dotnet\""),
        "{text}"
    );
    assert!(
        text.contains("htmlUrl=\"https://bram.example.net/\""),
        "{text}"
    );

    // Into a fresh Chronicle: same feeds, titles and tags.
    let other = TestApp::new(25, "");
    let out = other.ok(&["feeds", "import", file.to_str().unwrap()]);
    assert!(out.contains("imported 2 feeds"), "{out}");
    let list = other.ok(&["feeds", "list", "--json"]);
    assert!(
        list.contains("\"Cloud & Notes\"") && list.contains("\"azure\",\"dotnet\""),
        "{list}"
    );

    // Into newsboat (Debian package; scripts/test installs it).
    let home = tempfile::tempdir().unwrap();
    let urls = home.path().join("urls");
    let status = Command::new("newsboat")
        .env("HOME", home.path())
        .arg("-u")
        .arg(&urls)
        .arg("-i")
        .arg(&file)
        .output()
        .expect("newsboat is needed for this test: apt-get install newsboat (scripts/test does)");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let imported = std::fs::read_to_string(&urls).unwrap();
    assert!(
        imported.contains(&server.feed_url("seeds-rss.xml"))
            && imported.contains(&server.feed_url("seeds-atom.xml")),
        "{imported}"
    );
}
