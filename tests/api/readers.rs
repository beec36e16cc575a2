//! Readers over HTTP: double opt-in through the real SMTP server, confirming, expired links,
//! leaving in one click, coming back. The site runs in this process on a random port; state is
//! built through the real binary and the real routes.

use sha2::Digest;

use crate::helpers::site::{Site, csrf_field};
use crate::helpers::{FeedServer, SmtpServer, TestApp};

const WEB: &str = "\n[web]\nbind = \"127.0.0.1:0\"\n";

/// The confirmation token in a received message's text part.
pub fn confirm_token(raw: &[u8]) -> String {
    let msg = mail_parser::MessageParser::default().parse(raw).unwrap();
    let text = msg.body_text(0).unwrap().into_owned();
    let at = text
        .find("http://chronicle.test/confirm/")
        .expect("a confirm link")
        + 30;
    text[at..at + 32].to_string()
}

/// The confirmation tokens of every confirmation mail in `mail` (a Maildir's order within one
/// second is not the order of arrival).
fn confirm_tokens(mail: &[crate::helpers::Received]) -> Vec<String> {
    mail.iter()
        .filter(|m| String::from_utf8_lossy(&m.raw).contains("Subject: Confirm your subscription"))
        .map(|m| confirm_token(&m.raw))
        .collect()
}

async fn status_of(t: &TestApp, email: &str) -> Option<String> {
    sqlx::query_scalar("SELECT status FROM subscribers WHERE email = $1")
        .bind(email)
        .fetch_optional(&t.pool().await)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn double_opt_in_over_real_smtp_get_changes_nothing_and_confirming_twice_is_fine() {
    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let t = TestApp::new(smtp.port, WEB);
    let site = Site::start(&t).await;

    let (v, home) = site.visit("/").await;
    assert!(
        home.body
            .contains("action=\"http://chronicle.test/subscribe\"")
    );
    let done = site.subscribe(&v, "  Ada@Example.ORG ").await;
    assert_eq!(done.status, 200);
    assert!(done.body.contains("Check your inbox"), "{}", done.body);
    assert_eq!(
        status_of(&t, "Ada@example.org").await.as_deref(),
        Some("pending")
    );

    let mail = smtp.wait_for(1);
    assert_eq!(mail.len(), 1, "one confirmation mail");
    let parsed = mail[0].parsed();
    assert_eq!(
        parsed.subject(),
        Some("Confirm your subscription to Tech Daily Chronicle")
    );
    let to = parsed.to().unwrap().first().unwrap().address().unwrap();
    assert_eq!(to, "Ada@example.org");
    let token = confirm_token(&mail[0].raw);
    // No text from the form but the address itself is in the mail.
    assert_eq!(
        parsed.body_text(0).unwrap().replace("\r\n", "\n"),
        format!(
            "Hello,\n\nsomeone, probably you, asked to receive Tech Daily Chronicle at \
             Ada@example.org.\n\nTo confirm, open this link and press the button:\n\n\
             http://chronicle.test/confirm/{token}\n\nThe link works for 48 hours. If you did \
             not ask, ignore this message: you will get nothing else from us.\n\n-- \n\
             Tech Daily Chronicle\nhttp://chronicle.test/\n"
        )
    );
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM confirmations")
        .fetch_one(&t.pool().await)
        .await
        .unwrap();
    let hashed: String = sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(stored, hashed, "only the token's hash is stored");
    assert!(!String::from_utf8_lossy(&mail[0].raw).contains(&stored));

    // A mail scanner following the link confirms no one.
    let page = site
        .get(&format!("/confirm/{token}"), Some(&v.cookie))
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Confirm my subscription"),
        "{}",
        page.body
    );
    assert_eq!(page.body.matches("<button").count(), 1, "one button");
    assert!(page.body.contains(&format!(
        "<form method=\"post\" action=\"http://chronicle.test/confirm/{token}\">"
    )));
    assert_eq!(
        status_of(&t, "Ada@example.org").await.as_deref(),
        Some("pending")
    );

    // Without the page's CSRF token the button's POST is refused.
    let forged = site
        .post(
            &format!("/confirm/{token}"),
            &[("csrf", "0".repeat(32).as_str())],
            Some(&v.cookie),
            &[],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        status_of(&t, "Ada@example.org").await.as_deref(),
        Some("pending")
    );

    let csrf = csrf_field(&page.body).unwrap();
    for _ in 0..2 {
        let ok = site
            .post(
                &format!("/confirm/{token}"),
                &[("csrf", &csrf)],
                Some(&v.cookie),
                &[],
            )
            .await;
        assert_eq!(ok.status, 200);
        assert!(ok.body.contains("You are subscribed"), "{}", ok.body);
    }
    assert_eq!(
        status_of(&t, "Ada@example.org").await.as_deref(),
        Some("confirmed")
    );
    let again = site.get(&format!("/confirm/{token}"), None).await;
    assert!(again.body.contains("You are subscribed"));
    assert_eq!(
        site.get(&format!("/confirm/{}", "a".repeat(32)), None)
            .await
            .status,
        404
    );
    assert_eq!(site.get("/confirm/not-a-token", None).await.status, 404);

    // Signing up again once confirmed sends nothing.
    let (v2, _) = site.visit("/").await;
    let same = site.subscribe(&v2, "ada@example.org").await;
    assert_eq!(same.status, 200);
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert_eq!(smtp.messages().len(), 1, "no second confirmation mail");
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_link_offers_a_new_one_and_only_the_new_one_confirms() {
    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let t = TestApp::new(
        smtp.port,
        &format!("{WEB}\n[subscribe]\nmail_interval_minutes = 0\n"),
    );
    let site = Site::start(&t).await;
    let (v, _) = site.visit("/").await;
    site.subscribe(&v, "grace@example.net").await;
    let old = confirm_token(&smtp.wait_for(1)[0].raw);
    // Two days pass (the link's expiry moved into the past).
    sqlx::query("UPDATE confirmations SET expires_at = created_at - 1")
        .execute(&t.pool().await)
        .await
        .unwrap();
    let page = site.get(&format!("/confirm/{old}"), Some(&v.cookie)).await;
    assert!(page.body.contains("This link has expired"), "{}", page.body);
    assert!(page.body.contains(&format!(
        "action=\"http://chronicle.test/confirm/{old}/renew\""
    )));
    let csrf = csrf_field(&page.body).unwrap();
    let late = site
        .post(
            &format!("/confirm/{old}"),
            &[("csrf", &csrf)],
            Some(&v.cookie),
            &[],
        )
        .await;
    assert!(late.body.contains("This link has expired"));
    assert_eq!(
        status_of(&t, "grace@example.net").await.as_deref(),
        Some("pending")
    );

    let renewed = site
        .post(
            &format!("/confirm/{old}/renew"),
            &[("csrf", &csrf)],
            Some(&v.cookie),
            &[],
        )
        .await;
    assert_eq!(renewed.status, 200);
    assert!(renewed.body.contains("Check your inbox"));
    let mail = smtp.wait_for(2);
    assert_eq!(mail.len(), 2, "a new link was mailed");
    let new = confirm_tokens(&mail)
        .into_iter()
        .find(|t| *t != old)
        .expect("a new link");
    let ok = site
        .post(
            &format!("/confirm/{new}"),
            &[("csrf", &csrf)],
            Some(&v.cookie),
            &[],
        )
        .await;
    assert!(ok.body.contains("You are subscribed"));
    assert_eq!(
        status_of(&t, "grace@example.net").await.as_deref(),
        Some("confirmed")
    );
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn leaving_takes_one_click_and_coming_back_needs_a_new_confirmation() {
    let feeds = FeedServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let t = TestApp::new(smtp.port, WEB);
    t.ok(&["feeds", "add", &feeds.feed_url("seeds-atom.xml")]);
    t.ok(&["fetch"]);
    t.ok(&["subscribers", "add", "ada@example.org", "linus@example.com"]);
    t.ok(&["send", "--week", "2026-W46"]);
    let digests = smtp.wait_for(2);
    assert_eq!(digests.len(), 2);
    let site = Site::start(&t).await;
    let pool = t.pool().await;
    let token = |email: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT token FROM subscribers WHERE email = $1")
                .bind(email)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let ada = token("ada@example.org").await;
    let raw = String::from_utf8_lossy(
        &digests
            .iter()
            .find(|m| String::from_utf8_lossy(&m.raw).contains("To: ada@example.org"))
            .unwrap()
            .raw,
    )
    .into_owned();
    assert!(raw.contains(&format!(
        "List-Unsubscribe: <http://chronicle.test/unsubscribe/{ada}>"
    )));
    assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));

    // The page: one button, nothing changed.
    let (v, page) = site.visit(&format!("/unsubscribe/{ada}")).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body.matches("<button").count(), 1);
    assert!(page.body.contains(">Unsubscribe</button>"));
    assert_eq!(
        status_of(&t, "ada@example.org").await.as_deref(),
        Some("confirmed")
    );
    // A POST that is neither the page's form nor a one-click POST is refused.
    let bare = site
        .post(&format!("/unsubscribe/{ada}"), &[], None, &[])
        .await;
    assert_eq!(bare.status, 403);
    assert_eq!(
        status_of(&t, "ada@example.org").await.as_deref(),
        Some("confirmed")
    );
    let done = site
        .post(
            &format!("/unsubscribe/{ada}"),
            &[("csrf", &v.csrf)],
            Some(&v.cookie),
            &[],
        )
        .await;
    assert_eq!(done.status, 200);
    assert!(
        done.body
            .contains("ada@example.org will not receive Tech Daily Chronicle any more")
    );
    assert_eq!(
        status_of(&t, "ada@example.org").await.as_deref(),
        Some("unsubscribed")
    );

    // RFC 8058: the mail client's POST, with no cookie and no CSRF token.
    let linus = token("linus@example.com").await;
    let one_click = site
        .post(
            &format!("/unsubscribe/{linus}"),
            &[("List-Unsubscribe", "One-Click")],
            None,
            &[],
        )
        .await;
    assert_eq!(one_click.status, 200);
    assert_eq!(
        status_of(&t, "linus@example.com").await.as_deref(),
        Some("unsubscribed")
    );
    assert_eq!(
        site.get(&format!("/unsubscribe/{}", "0".repeat(32)), None)
            .await
            .status,
        404
    );

    // Coming back: signing up keeps them out until they confirm.
    let (v, _) = site.visit("/").await;
    site.subscribe(&v, "ada@example.org").await;
    let mail = smtp.wait_for(3);
    assert_eq!(mail.len(), 3, "a confirmation for the returning reader");
    assert_eq!(
        status_of(&t, "ada@example.org").await.as_deref(),
        Some("unsubscribed")
    );
    let confirm = confirm_tokens(&mail).pop().expect("the confirmation mail");
    site.post(
        &format!("/confirm/{confirm}"),
        &[("csrf", &v.csrf)],
        Some(&v.cookie),
        &[],
    )
    .await;
    assert_eq!(
        status_of(&t, "ada@example.org").await.as_deref(),
        Some("confirmed")
    );
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn until_confirmed_an_address_gets_no_digest() {
    let feeds = FeedServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(tmp.path());
    let t = TestApp::new(smtp.port, WEB);
    t.ok(&["feeds", "add", &feeds.feed_url("seeds-atom.xml")]);
    t.ok(&["fetch"]);
    t.ok(&["subscribers", "add", "ada@example.org"]);
    let site = Site::start(&t).await;
    let (v, _) = site.visit("/").await;
    site.subscribe(&v, "waiting@example.org").await;
    smtp.wait_for(1);
    let out = t.ok(&["send", "--week", "2026-W46"]);
    assert!(out.contains("1 sent now"), "{out}");
    let mail = smtp.wait_for(2);
    let to_waiting: Vec<String> = mail
        .iter()
        .map(|m| String::from_utf8_lossy(&m.raw).into_owned())
        .filter(|m| m.contains("To: waiting@example.org"))
        .collect();
    assert_eq!(to_waiting.len(), 1, "only the confirmation");
    assert!(to_waiting[0].contains("Subject: Confirm your subscription"));
    assert!(!to_waiting[0].contains("X-Chronicle-Week"));
    site.stop().await;
}
