//! Leaving, pinned down exactly (written to kill the mutants `cargo mutants` found surviving in
//! `src/web/unsubscribe.rs`): only the exact RFC 8058 pair `List-Unsubscribe=One-Click` stands
//! in for the CSRF token, the pages say exactly what they say, and an unknown token is 404.

use crate::helpers::TestApp;
use crate::helpers::site::Site;

const WEB: &str = "\n[web]\nbind = \"127.0.0.1:0\"\n";

async fn reader(t: &TestApp, email: &str) -> (String, String) {
    sqlx::query_as("SELECT token, status FROM subscribers WHERE email = $1")
        .bind(email)
        .fetch_one(&t.pool().await)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_exact_one_click_pair_replaces_the_csrf_token_and_the_pages_say_exactly_so() {
    let t = TestApp::new(25, WEB);
    t.ok(&["subscribers", "add", "ada@example.org"]);
    let (token, _) = reader(&t, "ada@example.org").await;
    let site = Site::start(&t).await;
    let path = format!("/unsubscribe/{token}");

    // Near misses of the one-click pair, with no cookie: each refused, nothing changes.
    for body in [
        "List-Unsubscribe=Nope",
        "Other=One-Click",
        "list-unsubscribe=one-click",
        "List-Unsubscribe=One-Click-Not",
        "List-Unsubscribe",
    ] {
        let r = site
            .client
            .post(format!("{}{path}", site.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{body}");
        assert_eq!(reader(&t, "ada@example.org").await.1, "confirmed", "{body}");
    }

    // The page before: its exact words and one button posting to the site's own link.
    let (v, page) = site.visit(&path).await;
    assert_eq!(page.status, 200);
    for text in [
        "<h1>Leave the newsletter?</h1>",
        "<p>Press the button and you will not receive Tech Daily Chronicle by e-mail any more.</p>",
        "<p class=\"muted\">The site and its feeds stay open to you.</p>",
        &format!("<form method=\"post\" action=\"http://chronicle.test{path}\">"),
        ">Unsubscribe</button>",
        "tone-bye",
    ] {
        assert!(page.body.contains(text), "{text} in {}", page.body);
    }
    // The CSRF field found among other fields, as a browser may send them.
    let done = site
        .post(
            &path,
            &[("note", "bye"), ("csrf", &v.csrf), ("x", "y")],
            Some(&v.cookie),
            &[],
        )
        .await;
    assert_eq!(done.status, 200);
    for text in [
        "<h1>You are unsubscribed</h1>",
        "<p>ada@example.org will not receive Tech Daily Chronicle any more. Sorry to see you go.</p>",
        "<p class=\"muted\">Changed your mind? Sign up again on the home page; we will ask you to confirm.</p>",
        "tone-bye",
    ] {
        assert!(done.body.contains(text), "{text} in {}", done.body);
    }
    assert!(!done.body.contains("<button"), "no button after leaving");
    assert_eq!(reader(&t, "ada@example.org").await.1, "unsubscribed");

    // Unknown tokens, well-formed or not: 404 for GET and POST alike.
    for bad in ["0123456789abcdef0123456789abcdef", "not-a-token"] {
        let p = format!("/unsubscribe/{bad}");
        assert_eq!(site.get(&p, None).await.status, 404, "GET {p}");
        let r = site
            .post(&p, &[("List-Unsubscribe", "One-Click")], None, &[])
            .await;
        assert_eq!(r.status, 404, "POST {p}");
        let r = site
            .post(&p, &[("csrf", &v.csrf)], Some(&v.cookie), &[])
            .await;
        assert_eq!(r.status, 404, "POST {p} with its form");
    }
    site.stop().await;
}
