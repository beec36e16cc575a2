//! What every page's template sees (the site's name, links, feeds, stylesheet, the visitor's
//! CSRF token) and how a rendered page becomes a response.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::cache::Cached;
use super::csrf::Csrf;

/// The context of every page: the site, then the page's own `body` fields.
#[derive(Serialize)]
pub struct Page<'a, T: Serialize> {
    site_title: &'a str,
    site_description: &'a str,
    site_url: String,
    contact: &'a str,
    css_url: String,
    favicon_url: String,
    stories_feed: String,
    digests_feed: String,
    /// The visitor's CSRF token (or the cache's slot for it).
    csrf: &'a str,
    /// Which navigation entry is current: `home`, `digests`, `blogs` or empty.
    nav: &'a str,
    #[serde(flatten)]
    body: T,
}

/// The context for `body`, with `csrf` in its forms.
pub fn page<'a, T: Serialize>(
    state: &'a AppState,
    nav: &'a str,
    csrf: &'a str,
    body: T,
) -> Page<'a, T> {
    let site = &state.settings.site;
    let t = &state.site.templates;
    Page {
        site_title: &site.title,
        site_description: &site.description,
        site_url: site.link(""),
        contact: &site.contact,
        css_url: site.link(&format!("static/style.css?v={}", t.css.version)),
        favicon_url: site.link(&format!("static/favicon.svg?v={}", t.favicon.version)),
        stories_feed: site.link("feeds/stories.atom"),
        digests_feed: site.link("feeds/digests.atom"),
        csrf,
        nav,
        body,
    }
}

/// `Cache-Control` of pages: revalidated each time (they change when the data does), private
/// when they carry a visitor's CSRF token.
fn cache_control(has_form: bool) -> HeaderValue {
    HeaderValue::from_static(if has_form {
        "private, no-cache"
    } else {
        "public, max-age=60"
    })
}

/// A cached page as a response, with the visitor's token (and cookie, if new).
pub fn respond(state: &AppState, page: &Cached, csrf: &Csrf) -> Response {
    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::OK);
    let mut resp = (status, page.body(&csrf.token)).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(page.content_type),
    );
    h.insert(header::CACHE_CONTROL, cache_control(page.has_form()));
    if let Some(csp) = page.csp {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        );
    }
    if page.has_form() {
        add_cookie(state, &mut resp, csrf);
    }
    resp
}

/// An HTML page rendered for this request.
pub fn html(state: &AppState, status: StatusCode, body: String, csrf: &Csrf) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    add_cookie(state, &mut resp, csrf);
    resp
}

fn add_cookie(state: &AppState, resp: &mut Response, csrf: &Csrf) {
    let secure = state.settings.site.base_url.scheme() == "https";
    if let Some(cookie) = csrf.set_cookie(secure) {
        resp.headers_mut().append(header::SET_COOKIE, cookie);
    }
}

/// A message page (`web/message.html`): a heading, a paragraph, and at most one button.
#[derive(Serialize, Default)]
pub struct Message {
    /// `<h2>`.
    pub heading: String,
    /// The paragraph.
    pub message: String,
    /// A second paragraph, muted.
    pub note: String,
    /// Where the button posts, if there is one.
    pub form_action: Option<String>,
    /// The button's label.
    pub button: String,
    /// A class for the page's icon: `mail`, `ok`, `warn` or `bye`.
    pub tone: &'static str,
}

/// Renders a message page.
pub fn message(state: &AppState, status: StatusCode, m: Message, csrf: &Csrf) -> Response {
    match state
        .site
        .templates
        .render("web/message.html", &page(state, "", &csrf.token, m))
    {
        Ok(body) => html(state, status, body, csrf),
        Err(e) => super::WebError::from(e).into_response(),
    }
}
