//! Atom feeds of the site: every story (the "planet" feed) and every sent digest.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use super::{AppState, WebError};
use crate::store;

/// Stories in the planet feed.
pub const PLANET_SIZE: i64 = 50;

fn rfc3339(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Serialize)]
struct FeedView<T: Serialize> {
    site_title: String,
    site_description: String,
    site_url: String,
    self_url: String,
    updated: String,
    #[serde(flatten)]
    body: T,
}

fn atom(xml: String) -> Response {
    (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

fn view<T: Serialize>(
    state: &AppState,
    path: &str,
    updated: Option<chrono::DateTime<Utc>>,
    body: T,
) -> FeedView<T> {
    let site = &state.settings.site;
    FeedView {
        site_title: site.title.clone(),
        site_description: site.description.clone(),
        site_url: site.link(""),
        self_url: site.link(path),
        // A feed with nothing in it yet was last updated when the site started publishing:
        // use the Unix epoch rather than "now", so the output stays deterministic.
        updated: rfc3339(updated.unwrap_or_default()),
        body,
    }
}

/// `GET /feeds/stories.atom`: the latest stories, with their sanitised content.
pub async fn stories(State(state): State<AppState>) -> Result<Response, WebError> {
    #[derive(Serialize)]
    struct Item {
        id: String,
        title: String,
        url: Option<String>,
        author: String,
        blog: String,
        feed_url: String,
        published: String,
        updated: String,
        summary: String,
        content: String,
    }
    #[derive(Serialize)]
    struct Body {
        entries: Vec<Item>,
    }
    let entries = store::entries::latest(&state.pool, PLANET_SIZE).await?;
    let updated = entries
        .iter()
        .map(|e| e.updated.unwrap_or(e.published))
        .max();
    let items = entries
        .iter()
        .map(|e| Item {
            id: state.settings.site.link(&format!("entries/{}", e.id)),
            title: e.title.clone(),
            url: e.url.clone(),
            author: e.author.clone().unwrap_or_else(|| e.feed_title.clone()),
            blog: e.feed_title.clone(),
            feed_url: e.feed_url.clone(),
            published: rfc3339(e.published),
            updated: rfc3339(e.updated.unwrap_or(e.published).max(e.published)),
            summary: e.summary.clone(),
            content: e.content.as_str().to_string(),
        })
        .collect();
    let v = view(
        &state,
        "feeds/stories.atom",
        updated,
        Body { entries: items },
    );
    Ok(atom(state.renderer.render_page("feeds/stories.xml", &v)?))
}

/// `GET /feeds/digests.atom`: every sent digest, with its full HTML.
pub async fn digests(State(state): State<AppState>) -> Result<Response, WebError> {
    #[derive(Serialize)]
    struct Item {
        subject: String,
        url: String,
        label: String,
        story_count: i64,
        published: String,
        html: String,
    }
    #[derive(Serialize)]
    struct Body {
        digests: Vec<Item>,
    }
    let digests = store::digests::list_frozen(&state.pool).await?;
    let updated = digests.iter().filter_map(|d| d.frozen_at).max();
    let home = state.settings.site.link("");
    let items = digests
        .iter()
        .map(|d| Item {
            subject: d.subject.clone(),
            url: state.settings.site.link(&format!("digests/{}", d.week)),
            label: d.week.label(state.settings.digest.week_starts.0),
            story_count: d.story_count,
            published: rfc3339(d.frozen_at.unwrap_or(d.created_at)),
            html: d
                .html
                .replace(crate::digest::UNSUBSCRIBE_PLACEHOLDER, &home),
        })
        .collect();
    let v = view(
        &state,
        "feeds/digests.atom",
        updated,
        Body { digests: items },
    );
    Ok(atom(state.renderer.render_page("feeds/digests.xml", &v)?))
}
