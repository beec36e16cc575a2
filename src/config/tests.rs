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

#[test]
fn digest_keys_have_defaults_and_are_read() {
    let s = load("", &[]).unwrap();
    assert_eq!(s.digest.week_starts.0, chrono::Weekday::Mon);
    assert_eq!(s.digest.grace_days, 14);
    assert_eq!(s.digest.min_stories, 1);
    assert_eq!(s.digest.max_per_blog, 0);
    assert_eq!(s.digest.group_by, GroupBy::None);
    assert_eq!(s.digest.order, StoryOrder::Oldest);
    assert!(!s.digest.send_empty);
    let s = load(
        "[digest]\nweek_starts = \"Sunday\"\ngrace_days = 7\nmax_per_blog = 3\n\
         group_by = \"tag\"\norder = \"newest\"\nmin_stories = 0\nsend_empty = true\n",
        &[("CHRONICLE_DIGEST__MAX_STORIES", "60")],
    )
    .unwrap();
    assert_eq!(s.digest.week_starts.0, chrono::Weekday::Sun);
    assert_eq!(s.digest.grace_days, 7);
    assert_eq!(s.digest.max_per_blog, 3);
    assert_eq!(s.digest.group_by, GroupBy::Tag);
    assert_eq!(s.digest.order, StoryOrder::Newest);
    assert!(s.digest.send_empty);
    assert_eq!(s.digest.max_stories, 60);
    let s = load("", &[("CHRONICLE_DIGEST__WEEK_STARTS", "sat")]).unwrap();
    assert_eq!(s.digest.week_starts.0, chrono::Weekday::Sat);
}

#[test]
fn bad_digest_values_are_named() {
    for (text, words) in [
        (
            "[digest]\nweek_starts = \"funday\"\n",
            vec!["funday", "sunday", "line 2"],
        ),
        (
            "[digest]\ngroup_by = \"author\"\n",
            vec!["author", "blog", "tag", "line 2"],
        ),
        (
            "[digest]\norder = \"random\"\n",
            vec!["random", "newest", "line 2"],
        ),
        ("[digest]\ngrace_days = -1\n", vec!["grace_days", "line 2"]),
        (
            "[digest]\nsend_empty = \"no\"\n",
            vec!["send_empty", "line 2"],
        ),
        ("[digest]\nfeatured = -1\n", vec!["featured", "line 2"]),
        (
            "[digest]\nmin_stories = 10\nmax_stories = 5\n",
            vec!["digest.min_stories (10)", "digest.max_stories (5)"],
        ),
        (
            "[digest]\nsend_empty = true\n",
            vec!["digest.send_empty", "digest.min_stories = 0"],
        ),
    ] {
        let err = load(text, &[]).unwrap_err().to_string();
        assert_eq!(err.lines().count(), 1, "{err}");
        for w in words {
            assert!(err.contains(w), "{text:?}: `{err}` lacks `{w}`");
        }
    }
    let err = load("", &[("CHRONICLE_DIGEST__GROUP_BY", "colour")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("CHRONICLE_DIGEST__GROUP_BY") && err.contains("colour"),
        "{err}"
    );
}

#[test]
fn the_service_keys_have_their_defaults_and_take_overrides() {
    let s = load("", &[]).unwrap();
    assert_eq!(s.schedule.fetch.as_str(), "*/30 * * * *");
    assert_eq!(s.schedule.digest.as_str(), "0 7 * * Mon");
    assert_eq!(s.schedule.send.as_str(), "0 8 * * Mon");
    assert_eq!(s.schedule.prune.as_str(), "30 3 * * *");
    assert_eq!((s.schedule.catch_up_hours, s.schedule.lease_secs), (24, 60));
    assert_eq!(s.serve.shutdown_secs, 20);
    assert_eq!(s.log.format, LogFormat::Text);
    assert_eq!(s.store.keep_days, 365);
    let s = load(
        "[log]\nformat = \"json\"\n[store]\nkeep_days = 30\n",
        &[
            ("CHRONICLE_SERVE__SHUTDOWN_SECS", "5"),
            ("CHRONICLE_SCHEDULE__CATCH_UP_HOURS", "48"),
        ],
    )
    .unwrap();
    assert_eq!(s.log.format, LogFormat::Json);
    assert_eq!(
        (
            s.store.keep_days,
            s.serve.shutdown_secs,
            s.schedule.catch_up_hours
        ),
        (30, 5, 48)
    );
    let err = load("[log]\nformat = \"xml\"\n", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown variant `xml`"), "{err}");
    let err = load("[schedule]\nlease_secs = 1\n", &[])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "invalid configuration: schedule.lease_secs must be at least 3"
    );
}
