//! Configuration loading: defaults, file errors with lines, environment overrides.

use super::*;

fn load(text: &str, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    Settings::from_parts(
        Path::new("config.toml"),
        text,
        env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
    )
}

#[test]
fn empty_file_gives_defaults() {
    let s = load("", &[]).unwrap();
    assert_eq!(s.database.url, "sqlite://data/chronicle.db");
    assert_eq!(s.fetch.concurrency, 32);
    assert!(!s.fetch.allow_private_networks);
    assert_eq!(s.digest.timezone.0, chrono_tz::UTC);
}

#[test]
fn unknown_key_is_named_with_its_line() {
    let err = load("[smtp]\nhost = \"x\"\nprot = 25\n", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("prot"), "{err}");
    assert!(err.contains("line 3"), "{err}");
}

#[test]
fn bad_values_are_named() {
    let err = load("[smtp]\ntls = \"ssl\"\n", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("ssl") && err.contains("starttls"), "{err}");
    let err = load("[digest]\ntimezone = \"Mars/Olympus\"\n", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("Mars/Olympus"), "{err}");
    let err = load("[schedule]\nsend = \"every monday\"\n", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("cron") && err.contains("line 2"), "{err}");
    let err = load("[[feeds]]\nurl = \"ftp://x.org/feed\"\n", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("http"), "{err}");
}

#[test]
fn env_overrides_file_and_is_typed() {
    let s = load(
        "[smtp]\nport = 587\n",
        &[
            ("CHRONICLE_SMTP__PORT", "2525"),
            ("CHRONICLE_SMTP__HOST", "mail.example.org"),
            ("CHRONICLE_FETCH__ALLOW_PRIVATE_NETWORKS", "true"),
            ("CHRONICLE_SMTP__PASSWORD", "123456"),
            ("CHRONICLE_SMTP__USERNAME", "bob"),
        ],
    )
    .unwrap();
    assert_eq!(s.smtp.port, 2525);
    assert_eq!(s.smtp.host, "mail.example.org");
    assert!(s.fetch.allow_private_networks);
    assert_eq!(s.smtp.password.as_deref(), Some("123456"));
    assert!(
        !format!("{s:?}").contains("123456"),
        "password must be redacted"
    );
}

#[test]
fn env_errors_name_the_variable() {
    let err = load("", &[("CHRONICLE_SMTP__PORT", "lots")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("CHRONICLE_SMTP__PORT") && err.contains("lots"),
        "{err}"
    );
    let err = load("", &[("CHRONICLE_SMTP__PROT", "25")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("CHRONICLE_SMTP__PROT") && err.contains("prot"),
        "{err}"
    );
    let err = load("", &[("CHRONICLE_NOPE__X", "1")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown section"), "{err}");
}

#[test]
fn the_sample_config_is_valid_and_lists_real_feeds() {
    let s = load(include_str!("../../config.toml"), &[]).unwrap();
    assert!(s.feeds.len() >= 5);
    assert!(
        s.feeds
            .iter()
            .all(|f| f.url.as_str().starts_with("https://"))
    );
}

#[test]
fn five_field_cron_is_accepted() {
    let c = CronExpr::from_str("30 7 * * Mon").unwrap();
    assert_eq!(c.as_str(), "30 7 * * Mon");
    assert!(CronExpr::from_str("* *").is_err());
}

#[test]
fn mailbox_parses_name_and_address() {
    let m = Mailbox::from_str("Tech Chronicle <news@example.org>").unwrap();
    assert_eq!(m.name.as_deref(), Some("Tech Chronicle"));
    assert_eq!(m.email.as_ref(), "news@example.org");
    assert!(Mailbox::from_str("not an address").is_err());
}
