//! The dashboard's test helpers: its password and settings, feeds of the week the next digest
//! covers, a signed-in organiser, and reading `/metrics` (samples, `promtool check metrics`).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chronicle::domain::DigestWeek;

use super::FeedServer;
use super::site::{Answer, Site, csrf_field};

/// The dashboard's password in these tests.
pub const PASSWORD: &str = "correct horse battery";

/// Settings for a served site with the dashboard on.
pub fn admin_config(extra: &str) -> String {
    format!("\n[web]\nbind = \"127.0.0.1:0\"\n\n[admin]\npassword = \"{PASSWORD}\"\n{extra}")
}

/// An Atom feed of `items` (guid, title, link, day) published in the last complete week (the
/// week the next digest covers), on its `day`th day (0 = Monday) at 09:00 UTC; served by
/// `feeds` at `name`.
pub fn week_feed(
    feeds: &FeedServer,
    name: &str,
    blog: &str,
    items: &[(&str, &str, &str, i64)],
) -> String {
    let now = chrono::Utc::now();
    let week = DigestWeek::last_complete(now, chrono_tz::UTC, chrono::Weekday::Mon);
    let (start, _) = week.bounds(chrono_tz::UTC, chrono::Weekday::Mon);
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <title>{blog}</title><id>urn:{name}</id><updated>{}</updated>\
         <link rel=\"alternate\" href=\"http://{name}.test/\"/>",
        now.to_rfc3339()
    );
    for (guid, title, link, day) in items {
        let published = start + chrono::Duration::days(*day) + chrono::Duration::hours(9);
        xml.push_str(&format!(
            "<entry><id>urn:{guid}</id><title>{title}</title><link href=\"{link}\"/>\
             <published>{p}</published><updated>{p}</updated><author><name>{blog} author</name></author>\
             <content type=\"html\">&lt;p&gt;{title}: a post of several words about what the \
             community did this week, so that it reads like a real one.&lt;/p&gt;</content></entry>",
            p = published.to_rfc3339()
        ));
    }
    xml.push_str("</feed>");
    feeds.set_body(name, &xml)
}

/// A signed-in organiser: the cookies to send and the page's CSRF token.
pub struct Organiser {
    /// `chronicle_csrf=...; chronicle_admin=...`.
    pub cookie: String,
    /// The forms' token.
    pub csrf: String,
}

/// The `Set-Cookie` header of `a` that sets `name`.
pub fn set_cookie(a: &Answer, name: &str) -> Option<String> {
    a.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// Signs in with `password`; panics unless it works.
pub async fn sign_in(site: &Site) -> Organiser {
    let (v, _) = site.visit("/admin/login").await;
    let a = site
        .post(
            "/admin/login",
            &[("password", PASSWORD), ("csrf", &v.csrf)],
            Some(&v.cookie),
            &[],
        )
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    let session = set_cookie(&a, "chronicle_admin").expect("a session cookie");
    let session = session.split(';').next().unwrap();
    Organiser {
        cookie: format!("{}; {session}", v.cookie),
        csrf: v.csrf,
    }
}

impl Organiser {
    /// GETs a dashboard page, asserting 200.
    pub async fn page(&self, site: &Site, path: &str) -> String {
        let a = site.get(path, Some(&self.cookie)).await;
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        assert_eq!(
            csrf_field(&a.body).as_deref(),
            Some(self.csrf.as_str()),
            "{path}: forms carry the token"
        );
        a.body
    }

    /// POSTs a dashboard form with the token; returns the answer.
    pub async fn post(&self, site: &Site, path: &str, form: &[(&str, &str)]) -> Answer {
        let mut all = form.to_vec();
        all.push(("csrf", &self.csrf));
        site.post(path, &all, Some(&self.cookie), &[]).await
    }
}

/// Polls `f` until it returns true (a background send), for at most 20 s.
pub async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The value of the sample `name{labels}` in the exposition `text` (labels in any order).
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (series, value) = l.rsplit_once(' ')?;
        let (n, rest) = series.split_once('{').unwrap_or((series, "}"));
        if n != name {
            return None;
        }
        let got: Vec<&str> = rest
            .trim_end_matches('}')
            .split(',')
            .filter(|s| !s.is_empty())
            .collect();
        let want: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        (got.len() == want.len() && want.iter().all(|w| got.contains(&w.as_str())))
            .then(|| value.parse().ok())
            .flatten()
    })
}

/// `promtool check metrics` of `text` (Debian's `prometheus` package).
pub fn promtool(text: &str) -> std::process::Output {
    let bin = ["/usr/bin/promtool", "promtool"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("promtool is needed: apt-get install prometheus (scripts/test does)");
    let mut child = Command::new(bin)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}
