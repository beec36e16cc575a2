//! The ledger's turns on a real SQLite file: exact rows after each claim and record.

use chrono::{DateTime, TimeZone as _, Utc};

use super::*;
use crate::domain::{DigestWeek, SubscriberEmail};
use crate::store::digests::{NewDigest, save};

struct Ledger {
    pool: Pool,
    digest: i64,
    run: i64,
    _dir: tempfile::TempDir,
}

fn at(s: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap() + chrono::Duration::seconds(s)
}

/// A digest of `week` saved at `at(s)` and frozen a second later (its ledger rows made).
async fn frozen_digest(pool: &Pool, week: &str, s: i64) -> i64 {
    let week: DigestWeek = week.parse().unwrap();
    let d = NewDigest {
        week,
        subject: "s",
        html: "h",
        text: "t",
        markdown: "m",
        view: "{}",
        entry_ids: &[],
        skipped: &[],
    };
    let id = save(pool, &d, at(s)).await.unwrap();
    crate::store::digests::freeze(pool, id, at(s + 1))
        .await
        .unwrap();
    id
}

/// `n` confirmed readers `r0@x.org`…, a frozen digest and one run.
async fn ledger(n: usize) -> Ledger {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("l.db").display());
    let pool = crate::store::connect(&url, 2).await.expect("db");
    for i in 0..n {
        let e = SubscriberEmail::parse(&format!("r{i}@x.org")).unwrap();
        crate::store::subscribers::add_confirmed(&pool, &e, at(-100))
            .await
            .unwrap();
    }
    let digest = frozen_digest(&pool, "2026-W48", -50).await;
    let run = crate::store::runs::start(&pool, digest, "h", 1, at(-30))
        .await
        .unwrap();
    Ledger {
        pool,
        digest,
        run,
        _dir: dir,
    }
}

/// (status, smtp_reply, message_id, sent_at, run_id, the reader's bounce_count).
type SentState = (
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    i64,
);

type RowState = (String, String, i64, Option<i64>, i64, Option<String>);

/// (email, status, attempts, run_id, next_attempt_at, error) by delivery id.
async fn rows(l: &Ledger) -> Vec<RowState> {
    sqlx::query_as(
        "SELECT s.email, d.status, d.attempts, d.run_id, d.next_attempt_at, d.error
         FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id ORDER BY d.id",
    )
    .fetch_all(&l.pool)
    .await
    .unwrap()
}

async fn turn(l: &Ledger, back: &[Outcome], want: usize, now: i64) -> Vec<Claimed> {
    settle_and_claim(&l.pool, l.digest, l.run, back, want, 3, at(now))
        .await
        .unwrap()
}

fn sent(c: &Claimed) -> Outcome {
    Outcome::Sent {
        id: c.id,
        subscriber_id: c.subscriber.id,
        reply: format!("250 ok {}", c.id),
        message_id: format!("<{}@x.org>", c.id),
    }
}

#[tokio::test]
async fn a_turn_claims_exactly_what_is_wanted_in_order_and_marks_it_sending() {
    let l = ledger(5).await;
    assert!(turn(&l, &[], 0, 0).await.is_empty());
    assert!(rows(&l).await.iter().all(|r| r.1 == "pending"));
    let c = turn(&l, &[], 2, 0).await;
    let who: Vec<_> = c.iter().map(|c| c.subscriber.email.to_string()).collect();
    assert_eq!(who, ["r0@x.org", "r1@x.org"]);
    assert!(c.iter().all(|c| c.attempts == 1));
    let r = rows(&l).await;
    let run = Some(l.run);
    assert_eq!(r[0], ("r0@x.org".into(), "sending".into(), 1, run, 0, None));
    assert_eq!(r[1], ("r1@x.org".into(), "sending".into(), 1, run, 0, None));
    assert_eq!(
        r[2],
        ("r2@x.org".into(), "pending".into(), 0, None, 0, None)
    );
    // More than is left: only what is left.
    assert_eq!(turn(&l, &[], 10, 0).await.len(), 3);
    assert!(turn(&l, &[], 10, 0).await.is_empty());
}

#[tokio::test]
async fn accepted_messages_are_sent_with_reply_and_message_id_and_reset_bounce_counts() {
    let l = ledger(3).await;
    sqlx::query("UPDATE subscribers SET bounce_count = 2")
        .execute(&l.pool)
        .await
        .unwrap();
    let c = turn(&l, &[], 2, 0).await;
    let next = turn(&l, &c.iter().map(sent).collect::<Vec<_>>(), 1, 5).await;
    assert_eq!(next[0].subscriber.email.to_string(), "r2@x.org");
    let got: Vec<SentState> = sqlx::query_as(
        "SELECT d.status, d.smtp_reply, d.message_id, d.sent_at, d.run_id, s.bounce_count
             FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id ORDER BY d.id",
    )
    .fetch_all(&l.pool)
    .await
    .unwrap();
    let (a, b) = (c[0].id, c[1].id);
    let sent_at = Some(crate::store::ts(at(5)));
    assert_eq!(
        got,
        vec![
            (
                "sent".into(),
                Some(format!("250 ok {a}")),
                Some(format!("<{a}@x.org>")),
                sent_at,
                None,
                0
            ),
            (
                "sent".into(),
                Some(format!("250 ok {b}")),
                Some(format!("<{b}@x.org>")),
                sent_at,
                None,
                0
            ),
            ("sending".into(), None, None, None, Some(l.run), 2),
        ]
    );
}

#[tokio::test]
async fn a_deferral_waits_its_time_and_counts_as_an_attempt_only_when_the_relay_was_reached() {
    let l = ledger(2).await;
    let c = turn(&l, &[], 2, 0).await;
    let back = [
        Outcome::Deferred {
            id: c[0].id,
            error: "451 later".into(),
            next_attempt_at: at(60),
            attempted: true,
        },
        Outcome::Deferred {
            id: c[1].id,
            error: "refused".into(),
            next_attempt_at: at(30),
            attempted: false,
        },
    ];
    assert!(turn(&l, &back, 2, 10).await.is_empty());
    let r = rows(&l).await;
    let t = |s| crate::store::ts(at(s));
    assert_eq!(
        r[0],
        (
            "r0@x.org".into(),
            "pending".into(),
            1,
            None,
            t(60),
            Some("451 later".into())
        )
    );
    assert_eq!(
        r[1],
        (
            "r1@x.org".into(),
            "pending".into(),
            0,
            None,
            t(30),
            Some("refused".into())
        )
    );
    assert!(turn(&l, &[], 2, 29).await.is_empty());
    let due = turn(&l, &[], 2, 30).await;
    assert_eq!((due.len(), due[0].attempts), (1, 1));
    let due = turn(&l, &[], 2, 60).await;
    assert_eq!((due.len(), due[0].attempts), (1, 2));
}

#[tokio::test]
async fn hard_bounces_fail_the_delivery_and_at_the_limit_the_reader_is_bouncing_and_skipped() {
    let l = ledger(2).await;
    sqlx::query("UPDATE subscribers SET bounce_count = 1 WHERE email = 'r0@x.org'")
        .execute(&l.pool)
        .await
        .unwrap();
    let c = turn(&l, &[], 2, 0).await;
    let fail = |c: &Claimed, hard| Outcome::Failed {
        id: c.id,
        subscriber_id: c.subscriber.id,
        error: "550 unknown".into(),
        hard_bounce: hard,
    };
    turn(&l, &[fail(&c[0], true), fail(&c[1], false)], 0, 5).await;
    let b: Vec<(i64, Option<i64>)> =
        sqlx::query_as("SELECT bounce_count, bouncing_at FROM subscribers ORDER BY id")
            .fetch_all(&l.pool)
            .await
            .unwrap();
    // bounce_limit 3: r0 went from 1 to 2, not yet bouncing; r1's failure was no bounce.
    assert_eq!(b, vec![(2, None), (0, None)]);
    let r = rows(&l).await;
    assert_eq!(
        (r[0].1.as_str(), r[0].3, r[0].5.as_deref()),
        ("failed", None, Some("550 unknown"))
    );
    assert_eq!(r[1].1, "failed");

    // A reader who reached the limit meanwhile is skipped when their next row comes up.
    let second = frozen_digest(&l.pool, "2026-W49", 10).await;
    sqlx::query("UPDATE subscribers SET bouncing_at = 1 WHERE email = 'r0@x.org'")
        .execute(&l.pool)
        .await
        .unwrap();
    let token = crate::domain::Token::parse(&c[1].subscriber.token).unwrap();
    crate::store::subscribers::unsubscribe(&l.pool, &token, at(12))
        .await
        .unwrap();
    let got = settle_and_claim(&l.pool, second, l.run, &[], 5, 3, at(13))
        .await
        .unwrap();
    assert!(got.is_empty());
    let skipped: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT status, error FROM deliveries WHERE digest_id = $1 ORDER BY id")
            .bind(second)
            .fetch_all(&l.pool)
            .await
            .unwrap();
    assert_eq!(
        skipped,
        vec![
            ("skipped".into(), Some("address bouncing".into())),
            ("skipped".into(), Some("unsubscribed before sending".into())),
        ]
    );
}

#[tokio::test]
async fn a_deferral_or_failure_of_a_row_another_run_holds_changes_nothing() {
    let l = ledger(1).await;
    let c = turn(&l, &[], 1, 0).await;
    let other = crate::store::runs::start(&l.pool, l.digest, "h", 2, at(1))
        .await
        .unwrap();
    sqlx::query("UPDATE deliveries SET run_id = $1")
        .bind(other)
        .execute(&l.pool)
        .await
        .unwrap();
    let back = [
        Outcome::Deferred {
            id: c[0].id,
            error: "451".into(),
            next_attempt_at: at(60),
            attempted: true,
        },
        Outcome::Failed {
            id: c[0].id,
            subscriber_id: c[0].subscriber.id,
            error: "550".into(),
            hard_bounce: true,
        },
    ];
    turn(&l, &back, 0, 5).await;
    let r = rows(&l).await;
    assert_eq!(
        r[0],
        ("r0@x.org".into(), "sending".into(), 1, Some(other), 0, None)
    );
    let bounces: i64 = sqlx::query_scalar("SELECT bounce_count FROM subscribers")
        .fetch_one(&l.pool)
        .await
        .unwrap();
    assert_eq!(bounces, 0);
}
