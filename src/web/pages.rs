//! The read-only pages: home, archive, one digest, blogroll (HTML and OPML), health, 404. Each is
//! rendered once per change of the data and served from [`super::cache`].

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::cache::{CSRF_SLOT, Cached};
use super::csrf::Csrf;
use super::page::{page, respond};
use super::{AppState, WebError};
use crate::domain::DigestWeek;
use crate::store;

/// Stories in the home page's river.
const RIVER_SIZE: i64 = 40;
/// Words of a story's excerpt in the river.
const EXCERPT_WORDS: usize = 40;
const HTML: &str = "text/html; charset=utf-8";

/// Serves `key` from the cache, rendering it with `render` when missing (`None`: a 404).
async fn cached<F>(state: &AppState, key: &str, headers: &HeaderMap, render: F) -> Response
where
    F: AsyncFnOnce(&AppState) -> Result<Option<Cached>, WebError>,
{
    state.site.cache.refresh(&state.pool).await;
    let csrf = Csrf::from_headers(headers);
    if let Some(p) = state.site.cache.get(key) {
        return respond(state, &p, &csrf);
    }
    match render(state).await {
        Ok(Some(p)) => {
            let p = state.site.cache.put(key, p);
            respond(state, &p, &csrf)
        }
        Ok(None) => super::error::not_found_response(),
        Err(e) => e.into_response(),
    }
}

fn html_page(
    state: &AppState,
    name: &str,
    nav: &str,
    body: impl Serialize,
) -> Result<Cached, WebError> {
    let text = state
        .site
        .templates
        .render(name, &page(state, nav, CSRF_SLOT, body))?;
    Ok(Cached::new(200, HTML, &text))
}

fn long_date(t: DateTime<Utc>) -> String {
    t.format("%-d %B %Y").to_string()
}

fn clip_words(s: &str, n: usize) -> String {
    let mut words = s.split_whitespace();
    let mut out: Vec<&str> = words.by_ref().take(n).collect();
    if words.next().is_some() {
        if let Some(last) = out.last_mut() {
            *last = last.trim_end_matches(|c: char| c.is_ascii_punctuation());
        }
        let mut s = out.join(" ");
        s.push('…');
        return s;
    }
    out.join(" ")
}

#[derive(Serialize)]
struct DigestItem {
    week: String,
    label: String,
    subject: String,
    story_count: i64,
    sent: String,
    /// The first stories' titles and links, for the home page's teaser.
    stories: Vec<serde_json::Value>,
}

fn item(state: &AppState, d: &store::digests::DigestRecord, teaser: usize) -> DigestItem {
    let view: serde_json::Value = serde_json::from_str(&d.view).unwrap_or_default();
    let stories = view["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["stories"].as_array().into_iter().flatten())
        .take(teaser)
        .map(|s| serde_json::json!({"title": s["title"], "url": s["url"], "blog": s["blog"]}))
        .collect();
    DigestItem {
        week: d.week.to_string(),
        label: d.week.label(state.settings.digest.week_starts.0),
        subject: d.subject.clone(),
        story_count: d.story_count,
        sent: d.frozen_at.map(long_date).unwrap_or_default(),
        stories,
    }
}

#[derive(Serialize)]
struct RiverStory {
    title: String,
    url: Option<String>,
    author: Option<String>,
    blog: String,
    blog_url: Option<String>,
    excerpt: String,
    time: String,
    iso: String,
}

#[derive(Serialize)]
struct RiverDay {
    label: String,
    iso: String,
    stories: Vec<RiverStory>,
}

async fn river(state: &AppState) -> Result<Vec<RiverDay>, WebError> {
    let tz = state.settings.digest.timezone.0;
    let mut days: Vec<RiverDay> = Vec::new();
    for s in store::site::river(&state.pool, RIVER_SIZE).await? {
        let local = s.published.with_timezone(&tz);
        let iso = local.format("%Y-%m-%d").to_string();
        if days.last().is_none_or(|d| d.iso != iso) {
            days.push(RiverDay {
                label: local.format("%A %-d %B %Y").to_string(),
                iso,
                stories: Vec::new(),
            });
        }
        if let Some(day) = days.last_mut() {
            day.stories.push(RiverStory {
                excerpt: clip_words(&s.summary, EXCERPT_WORDS),
                time: local.format("%H:%M").to_string(),
                iso: s.published.to_rfc3339(),
                title: s.title,
                url: s.url,
                author: s.author,
                blog: s.blog,
                blog_url: s.blog_url,
            });
        }
    }
    Ok(days)
}

/// The home page's own fields; also used to show the form again with an error.
#[derive(Serialize, Default)]
pub struct Home {
    latest: Option<DigestItem>,
    days: Vec<RiverDay>,
    blog_count: i64,
    digest_count: usize,
    /// The address to put back in the form.
    pub form_email: String,
    /// Why the address was refused.
    pub form_error: String,
}

impl Home {
    /// The home page showing the form again with `email` and why it was refused.
    pub fn refused(email: String, error: String) -> Self {
        Self {
            form_email: email,
            form_error: error,
            ..Self::default()
        }
    }
}

/// Renders the home page (with `form_email` and `form_error` for a refused sign-up).
pub async fn render_home(state: &AppState, mut home: Home, csrf: &str) -> Result<String, WebError> {
    let digests = store::digests::list_frozen(&state.pool).await?;
    home.latest = digests.first().map(|d| item(state, d, 3));
    home.digest_count = digests.len();
    home.days = river(state).await?;
    home.blog_count = store::site::blog_count(&state.pool).await?;
    Ok(state
        .site
        .templates
        .render("web/index.html", &page(state, "home", csrf, home))?)
}

/// `GET /`
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    cached(&state, "/", &headers, async |s| {
        let text = render_home(s, Home::default(), CSRF_SLOT).await?;
        Ok(Some(Cached::new(200, HTML, &text)))
    })
    .await
}

/// `GET /health`: 200 when the database answers.
pub async fn health(State(state): State<AppState>) -> Response {
    match sqlx::query_scalar::<_, i64>("SELECT 1")
        .fetch_one(&state.pool)
        .await
    {
        Ok(_) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!("health check failed: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// `GET /digests`
pub async fn digests(State(state): State<AppState>, headers: HeaderMap) -> Response {
    #[derive(Serialize)]
    struct List {
        digests: Vec<DigestItem>,
    }
    cached(&state, "/digests", &headers, async |s| {
        let digests = store::digests::list_frozen(&s.pool).await?;
        let body = List {
            digests: digests.iter().map(|d| item(s, d, 0)).collect(),
        };
        Ok(Some(html_page(s, "web/digests.html", "digests", body)?))
    })
    .await
}

/// `GET /digests/{week}`: the digest as it was sent, in the site's look, rendered from the view
/// frozen with it (later changes to entries never show); a digest frozen before views were kept
/// shows its e-mail HTML. An unknown or unsent week is a 404 page.
pub async fn digest(
    State(state): State<AppState>,
    Path(week): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Ok(week) = week.parse::<DigestWeek>() else {
        return super::error::not_found_response();
    };
    let key = format!("/digests/{week}");
    cached(&state, &key, &headers, async |s| digest_page(s, week).await).await
}

async fn digest_page(state: &AppState, week: DigestWeek) -> Result<Option<Cached>, WebError> {
    let Some(d) = store::digests::get(&state.pool, week)
        .await?
        .filter(|d| d.frozen_at.is_some())
    else {
        return Ok(None);
    };
    let home = state.settings.site.link("");
    // The e-mail's styles are inline: it gets a policy of its own that allows them.
    let as_sent = || {
        let mut page = Cached::new(
            200,
            HTML,
            &d.html
                .replace(crate::digest::UNSUBSCRIBE_PLACEHOLDER, &home),
        );
        page.csp = Some(super::security::CSP_INLINE_STYLES);
        page
    };
    if d.view.is_empty() {
        return Ok(Some(as_sent()));
    }
    #[derive(Serialize)]
    struct DigestPage {
        digest: serde_json::Value,
        sent: String,
    }
    let view: serde_json::Value = serde_json::from_str(&d.view)
        .map_err(|e| WebError::Store(store::StoreError::Corrupt(format!("digest view: {e}"))))?;
    let body = DigestPage {
        digest: view,
        sent: d.frozen_at.map(long_date).unwrap_or_default(),
    };
    // A template that expects what an older frozen view lacks must not hide the digest: show
    // the e-mail as it was sent instead.
    match html_page(state, "web/digest.html", "digests", body) {
        Ok(p) => Ok(Some(p)),
        Err(e) => {
            tracing::warn!("{e}; showing the digest's e-mail instead");
            Ok(Some(as_sent()))
        }
    }
}

#[derive(Serialize)]
struct BlogView {
    title: String,
    site_url: Option<String>,
    feed_url: String,
    last_title: Option<String>,
    last_url: Option<String>,
    last_date: String,
    last_iso: String,
}

#[derive(Serialize)]
struct Blogs {
    blogs: Vec<BlogView>,
    opml_url: String,
}

async fn blogroll(state: &AppState) -> Result<Blogs, WebError> {
    let blogs = store::site::blogroll(&state.pool)
        .await?
        .into_iter()
        .map(|b| {
            let (last_title, last_url, at) = match b.last_post {
                Some((t, u, at)) => (Some(t), u, Some(at)),
                None => (None, None, None),
            };
            BlogView {
                title: b.title,
                site_url: b.site_url,
                feed_url: b.feed_url,
                last_title,
                last_url,
                last_date: at.map(long_date).unwrap_or_default(),
                last_iso: at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            }
        })
        .collect();
    Ok(Blogs {
        blogs,
        opml_url: state.settings.site.link("blogs.opml"),
    })
}

/// `GET /blogs`: every followed blog, with its site, feed and last post.
pub async fn blogs(State(state): State<AppState>, headers: HeaderMap) -> Response {
    cached(&state, "/blogs", &headers, async |s| {
        Ok(Some(html_page(
            s,
            "web/blogs.html",
            "blogs",
            blogroll(s).await?,
        )?))
    })
    .await
}

/// `GET /blogs.opml`: the blogroll as OPML 2.0, for feed readers.
pub async fn opml(State(state): State<AppState>, headers: HeaderMap) -> Response {
    cached(&state, "/blogs.opml", &headers, async |s| {
        let body = blogroll(s).await?;
        let text = s
            .site
            .templates
            .render("web/blogs.opml", &page(s, "", "", body))?;
        Ok(Some(Cached::new(200, "text/x-opml; charset=utf-8", &text)))
    })
    .await
}

/// Anything else.
pub async fn not_found() -> Response {
    super::error::not_found_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn excerpts_end_on_a_word() {
        assert_eq!(super::clip_words("one two, three four", 2), "one two…");
        assert_eq!(super::clip_words("one  two", 5), "one two");
    }
}
