//! SMTP over STARTTLS and over TLS from the first byte, with AUTH, against a real TLS SMTP
//! server (aiosmtpd with a self-signed certificate trusted through `smtp.ca_file`); and the
//! delivery migration applied to a populated database of the previous release.

use std::str::FromStr;

use crate::delivery::{FAST, ledger, newsletter, readers};
use crate::helpers::{Relay, RelayOptions, TestApp};

pub(crate) const PASSWORD: &str = "s3cret-Pa55";

/// A TLS relay (`mode`: starttls or tls) requiring `newsletter:PASSWORD`, and a Chronicle that
/// trusts its certificate and logs in with credentials from the environment.
pub(crate) fn tls_pair(tmp: &std::path::Path, mode: &'static str) -> (Relay, TestApp) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert_file, key_file) = (tmp.join("cert.pem"), tmp.join("key.pem"));
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    let relay = Relay::start_with(
        tmp,
        RelayOptions {
            tls: Some((cert_file.clone(), key_file, mode)),
            auth: Some(format!("newsletter:{PASSWORD}")),
            save: true,
            ..RelayOptions::default()
        },
    );
    let app = TestApp::new(relay.port, FAST);
    let text = std::fs::read_to_string(&app.config).unwrap();
    let text = text.replacen(
        &format!(
            "host = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n",
            relay.port
        ),
        &format!(
            "host = \"localhost\"\nport = {}\ntls = \"{mode}\"\n\
             ca_file = \"{}\"\n",
            relay.port,
            cert_file.display()
        ),
        1,
    );
    std::fs::write(&app.config, text).unwrap();
    (relay, app)
}

async fn sends_over_tls_with_login(mode: &'static str) {
    let tmp = tempfile::tempdir().unwrap();
    let (relay, app) = tls_pair(tmp.path(), mode);
    let pool = newsletter(&app, &readers(&["ada", "bob"])).await;
    let env = [
        ("CHRONICLE_SMTP__USERNAME", "newsletter"),
        ("CHRONICLE_SMTP__PASSWORD", PASSWORD),
        ("RUST_LOG", "debug"),
    ];
    let out = app.run_env(&["send", "--week", "2026-W47"], &env);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("2 sent now"), "{stdout}");
    assert!(
        !stdout.contains(PASSWORD) && !stderr.contains(PASSWORD),
        "the password was logged"
    );
    assert_eq!(relay.accepted().len(), 2);
    assert!(
        ledger(&pool, "2026-W47")
            .await
            .values()
            .all(|r| r.status == "sent")
    );

    // A wrong password stops the run before any delivery is touched.
    let out = app.run_env(
        &["send", "--week", "2026-W48"],
        &[
            ("CHRONICLE_SMTP__USERNAME", "newsletter"),
            ("CHRONICLE_SMTP__PASSWORD", "wrong-password"),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("535"), "{stderr}");
    assert!(!stderr.contains("wrong-password"), "{stderr}");
    let l = ledger(&pool, "2026-W48").await;
    assert!(
        l.values().all(|r| r.status == "pending" && r.attempts == 0),
        "{l:?}"
    );
    assert_eq!(relay.accepted().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn starttls_with_auth_delivers_and_never_logs_the_password() {
    sends_over_tls_with_login("starttls").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn implicit_tls_with_auth_delivers_and_never_logs_the_password() {
    sends_over_tls_with_login("tls").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn migrating_a_populated_database_keeps_every_subscriber_and_delivery() {
    let app = TestApp::new(1, "");
    // The database as the previous release left it: only its migrations, and data.
    let old = tempfile::tempdir().unwrap();
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for f in std::fs::read_dir(&migrations).unwrap() {
        let f = f.unwrap().path();
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        if name.as_str() < "20261201000002" {
            std::fs::copy(&f, old.path().join(&name)).unwrap();
        }
    }
    std::fs::create_dir_all(app.db_path().parent().unwrap()).unwrap();
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&format!(
        "sqlite://{}",
        app.db_path().display()
    ))
    .unwrap()
    .create_if_missing(true)
    .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(old.path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    for (i, status) in ["confirmed", "unsubscribed", "pending"].iter().enumerate() {
        sqlx::query(
            "INSERT INTO subscribers (email, status, token, created_at) VALUES ($1, $2, $3, 0)",
        )
        .bind(format!("r{i}@example.org"))
        .bind(status)
        .bind(format!("{i:032}"))
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO digests (id, week, subject, html, text, story_count, created_at, frozen_at)
         VALUES (1, '2026-W46', 's', 'h', 't', 1, 0, 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO deliveries (digest_id, subscriber_id, status, attempts, last_attempt_at)
         VALUES (1, 1, 'sent', 1, 0), (1, 2, 'skipped', 0, NULL), (1, 3, 'sending', 1, 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    // The new binary migrates it on open.
    let list = app.ok(&["subscribers", "list"]);
    for i in 0..3 {
        assert!(list.contains(&format!("r{i}@example.org")), "{list}");
    }
    let pool = app.pool().await;
    let rows: Vec<(i64, String, i64)> =
        sqlx::query_as("SELECT subscriber_id, status, next_attempt_at FROM deliveries ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        rows,
        [
            (1, "sent".to_string(), 0),
            (2, "skipped".to_string(), 0),
            (3, "sending".to_string(), 0)
        ]
    );
    let subs: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, bounce_count FROM subscribers ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        subs,
        [
            ("confirmed".to_string(), 0),
            ("unsubscribed".to_string(), 0),
            ("pending".to_string(), 0)
        ]
    );
}
