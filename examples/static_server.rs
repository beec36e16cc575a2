//! A static feed server for the fetch benchmark: serves DIR/feeds/* from memory at
//! /feeds/{name} on 127.0.0.1 .. 127.0.0.H (all loopback), with ETag and Last-Modified, and
//! answers If-None-Match / If-Modified-Since with 304, as a well-run blog host does.
//!
//!     cargo run --release --example static_server -- DIR [HOSTS] [PORT]

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

struct Feed {
    body: axum::body::Bytes,
    etag: String,
}

const LAST_MODIFIED: &str = "Fri, 20 Nov 2026 10:00:00 GMT";

async fn serve(
    State(feeds): State<Arc<HashMap<String, Feed>>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(feed) = feeds.get(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let inm = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    let ims = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok());
    if inm == Some(feed.etag.as_str()) || (inm.is_none() && ims == Some(LAST_MODIFIED)) {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, feed.etag.clone())],
        )
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "application/xml".to_string()),
            (header::ETAG, feed.etag.clone()),
            (header::LAST_MODIFIED, LAST_MODIFIED.to_string()),
        ],
        feed.body.clone(),
    )
        .into_response()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::path::PathBuf::from(args.first().map(String::as_str).unwrap_or("blogosphere"))
        .join("feeds");
    let hosts: u8 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(50);
    let port: u16 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(8750);
    let mut feeds = HashMap::new();
    for entry in std::fs::read_dir(&dir)
        .expect("read feeds folder")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        let body = std::fs::read(entry.path()).expect("read feed");
        let etag = format!(
            "\"{:x}-{}\"",
            body.iter()
                .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(*b))),
            body.len()
        );
        feeds.insert(
            name,
            Feed {
                body: body.into(),
                etag,
            },
        );
    }
    let app = Router::new()
        .route("/feeds/{name}", get(serve))
        .with_state(Arc::new(feeds));
    let mut tasks = Vec::new();
    for h in 1..=hosts {
        let listener =
            tokio::net::TcpListener::bind(("127.0.0.".to_string() + &h.to_string(), port))
                .await
                .expect("bind a loopback address");
        let app = app.clone();
        tasks.push(tokio::spawn(
            async move { axum::serve(listener, app).await },
        ));
    }
    println!("serving {} on 127.0.0.1-{hosts}:{port}", dir.display());
    for t in tasks {
        let _ = t.await;
    }
}
