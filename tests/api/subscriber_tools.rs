//! The organiser's subscriber tools through the real binary: import a CSV (bad rows reported
//! by line, good rows kept), list with a status filter and JSON, export as CSV and JSON, and
//! delete a person with everything that names them.

use crate::helpers::{FeedServer, SmtpServer, TestApp};

#[test]
fn import_reports_bad_rows_by_line_and_keeps_the_good_ones() {
    let app = TestApp::new(25, "");
    app.ok(&["subscribers", "add", "gone@example.org"]);
    let pool_sql = |sql: &str| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async { sqlx::query(sql).execute(&app.pool().await).await.unwrap() });
    };
    pool_sql("UPDATE subscribers SET status = 'unsubscribed' WHERE email = 'gone@example.org'");
    let csv = app.dir.path().join("readers.csv");
    std::fs::write(
        &csv,
        "email,name,status\n\
         ada@example.org,Ada Lovelace,\n\
         not-an-address,Nobody,\n\
         Grace@Example.NET,\"Hopper, Grace\",pending\n\
         linus@example.com,,confirmed\n\
         bad-status@example.org,,vip\n\
         gone@example.org,Gone,confirmed\n",
    )
    .unwrap();
    let out = app.run(&["subscribers", "import", csv.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "bad rows make the exit status non-zero"
    );
    assert!(
        stderr.contains(
            "skipped line 3: `not-an-address` is not a valid e-mail address: That address has no @"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("skipped line 6: status `vip` is not pending, confirmed or unsubscribed"),
        "{stderr}"
    );
    assert!(stderr.contains("2 bad rows skipped (listed above); the 4 good rows were imported"));
    assert_eq!(
        stdout.trim(),
        "imported 4 rows: 3 added, 0 updated, 0 unchanged, 1 kept unsubscribed"
    );

    let rows = app.json_lines(&["subscribers", "list"]);
    let pairs: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["email"].as_str().unwrap().into(),
                r["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("gone@example.org".into(), "unsubscribed".into()),
            ("ada@example.org".into(), "confirmed".into()),
            ("Grace@example.net".into(), "pending".into()),
            ("linus@example.com".into(), "confirmed".into()),
        ]
    );
    for r in &rows {
        let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "confirmed_at",
                "created_at",
                "email",
                "status",
                "unsubscribed_at"
            ]
        );
    }
    assert!(rows[1]["confirmed_at"].is_string() && rows[2]["confirmed_at"].is_null());
    let pending = app.json_lines(&["subscribers", "list", "--status", "pending"]);
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["email"], "Grace@example.net");
    assert!(
        app.ok(&["subscribers", "list", "--status", "bouncing"])
            .contains("no subscribers with status bouncing")
    );
    let err = app.fails(&["subscribers", "list", "--status", "vip"]);
    assert!(err.contains("invalid value 'vip'"), "{err}");

    let exported = app.ok(&["subscribers", "export"]);
    let lines: Vec<&str> = exported.lines().collect();
    assert_eq!(
        lines[0],
        "email,name,status,created_at,confirmed_at,unsubscribed_at"
    );
    assert!(
        lines[2].starts_with("ada@example.org,Ada Lovelace,confirmed,20"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].starts_with("Grace@example.net,\"Hopper, Grace\",pending,20"),
        "{}",
        lines[3]
    );
    let json: serde_json::Value =
        serde_json::from_str(&app.ok(&["subscribers", "export", "--format", "json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 4);
    assert_eq!(json[3]["email"], "linus@example.com");
    assert_eq!(json[3]["name"], "");
    assert_eq!(json[0]["name"], "Gone");

    // The export imports back unchanged.
    let again = app.dir.path().join("again.csv");
    std::fs::write(&again, &exported).unwrap();
    assert_eq!(
        app.ok(&["subscribers", "import", again.to_str().unwrap()])
            .trim(),
        "imported 4 rows: 0 added, 0 updated, 4 unchanged, 0 kept unsubscribed"
    );
    let no_email = app.dir.path().join("no-email.csv");
    std::fs::write(&no_email, "name\nAda\n").unwrap();
    let err = app.fails(&["subscribers", "import", no_email.to_str().unwrap()]);
    assert!(
        err.contains("the header row must name an `email` column"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_erases_the_person_and_says_what_went() {
    let feeds = FeedServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let app = TestApp::new(smtp.port, "");
    app.ok(&["feeds", "add", &feeds.feed_url("seeds-atom.xml")]);
    app.ok(&["fetch"]);
    app.ok(&["subscribers", "add", "ada@example.org", "grace@example.net"]);
    app.ok(&["send", "--week", "2026-W46"]);
    // A reader who signed up on the site and has not confirmed yet: their link goes too.
    let text = std::fs::read_to_string(&app.config).unwrap();
    std::fs::write(
        &app.config,
        format!("{text}\n[web]\nbind = \"127.0.0.1:0\"\n"),
    )
    .unwrap();
    let site = crate::helpers::site::Site::start(&app).await;
    let (v, _) = site.visit("/").await;
    site.subscribe(&v, "waiting@example.org").await;
    site.stop().await;
    let out = app.ok(&["subscribers", "delete", "waiting@example.org"]);
    assert_eq!(
        out.trim(),
        "erased waiting@example.org: subscriber row, 1 confirmation link, 0 delivery rows"
    );
    let out = app.ok(&["subscribers", "delete", "ada@example.org"]);
    assert_eq!(
        out.trim(),
        "erased ada@example.org: subscriber row, 0 confirmation links, 1 delivery row"
    );
    let pool = app.pool().await;
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
         WHERE s.email = 'ada@example.org'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(left, 0);
    let all: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(all, 1, "grace's delivery stays");
    let links: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM confirmations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(links, 0);
    let err = app.fails(&["subscribers", "delete", "ada@example.org"]);
    assert!(
        err.contains("subscriber ada@example.org not found"),
        "{err}"
    );
}
