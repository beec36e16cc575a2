//! A local HTTP server serving `tests/fixtures/feeds/*` with ETag/304, and routes that misbehave
//! on purpose (slow, huge, compressed, redirects, Retry-After, charsets).

use std::collections::HashMap;
use std::net::TcpListener as StdListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::fixtures;

mod corpus;

use corpus::{any_fixture, dynamic, feedparser_case, image};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    /// When it arrived.
    pub arrived: Instant,
    /// When the response was sent (headers; a streamed body may go on).
    pub answered: Option<Instant>,
    /// `User-Agent`.
    pub user_agent: String,
    /// `Accept-Encoding`.
    pub accept_encoding: String,
}

#[derive(Clone, Default)]
struct FeedState {
    hits: Arc<Mutex<HashMap<String, usize>>>,
    conditional: Arc<Mutex<Vec<String>>>,
    log: Arc<Mutex<Vec<Request>>>,
    missing: Arc<Mutex<Vec<String>>>,
    dynamic: Arc<Mutex<HashMap<String, String>>>,
    /// Feeds answered with a decompression bomb instead (name → `gzip` or `br`).
    bombs: Arc<Mutex<HashMap<String, String>>>,
    /// `If-Modified-Since` values received on `/lastmod/...`.
    if_modified_since: Arc<Mutex<Vec<String>>>,
}

impl FeedState {
    fn arrive(&self, path: &str, headers: &HeaderMap) -> usize {
        *self
            .hits
            .lock()
            .unwrap()
            .entry(path.to_string())
            .or_default() += 1;
        let h = |n: header::HeaderName| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let mut log = self.log.lock().unwrap();
        log.push(Request {
            arrived: Instant::now(),
            answered: None,
            user_agent: h(header::USER_AGENT),
            accept_encoding: h(header::ACCEPT_ENCODING),
        });
        log.len() - 1
    }

    fn answered(&self, i: usize) {
        self.log.lock().unwrap()[i].answered = Some(Instant::now());
    }
}

/// A local HTTP server serving `tests/fixtures/feeds/*` with ETag/304, plus routes that
/// misbehave on purpose.
pub struct FeedServer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    state: FeedState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl FeedServer {
    /// Starts the server on 127.0.0.1.
    pub fn start() -> Self {
        Self::start_on("127.0.0.1")
    }

    /// Starts the server on a free port of `ip` (any 127.x.y.z is loopback, so two servers on
    /// 127.0.0.1 and 127.0.0.2 are two hosts), on a thread of its own (so that it works from
    /// sync and async tests alike).
    pub fn start_on(ip: &str) -> Self {
        let state = FeedState::default();
        let app = Router::new()
            .route("/feeds/{name}", get(feed))
            .route("/status/{code}", get(status))
            .route("/redirect/{code}/{name}", get(redirect))
            .route("/loop/{n}", get(redirect_loop))
            .route("/page.html", get(page))
            .route("/blog/", get(blog_page))
            .route("/encoded/{encoding}/{name}", get(encoded))
            .route("/charset/{charset}/{name}", get(with_charset))
            .route("/trickle", get(trickle))
            .route("/huge", get(huge))
            .route("/retry/{code}/{after}", get(retry))
            .route("/cache/{secs}/{name}", get(cached))
            .route("/slow/{ms}/{name}", get(slow))
            .route("/hops/{n}", get(hops))
            .route("/dynamic/{name}", get(dynamic))
            .route("/tests/{*path}", get(feedparser_case))
            .route("/fixtures/{*path}", get(any_fixture))
            .route("/images/{name}", get(image))
            .route("/goto/{code}", get(goto))
            .route("/lastmod/{name}", get(last_modified))
            .with_state(state.clone());
        let listener = StdListener::bind((ip, 0)).expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("serve");
            });
        });
        Self {
            base: format!("http://{ip}:{port}"),
            state,
            stop: Some(stop),
        }
    }

    /// URL of a fixture image.
    pub fn image_url(&self, name: &str) -> String {
        format!("{}/images/{name}", self.base)
    }

    /// URL of a fixture feed.
    pub fn feed_url(&self, name: &str) -> String {
        format!("{}/feeds/{name}", self.base)
    }

    /// How many times a path was requested.
    pub fn hits(&self, path: &str) -> usize {
        *self.state.hits.lock().unwrap().get(path).unwrap_or(&0)
    }

    /// Makes `/feeds/{name}` answer 404 (`true`) or serve the fixture again (`false`).
    pub fn set_missing(&self, name: &str, missing: bool) {
        let mut m = self.state.missing.lock().unwrap();
        m.retain(|n| n != name);
        if missing {
            m.push(name.to_string());
        }
    }

    /// Serves `body` at `/dynamic/{name}` from now on (replacing what was there) and returns
    /// its URL: a feed whose content a test changes between fetches.
    pub fn set_body(&self, name: &str, body: &str) -> String {
        self.state
            .dynamic
            .lock()
            .unwrap()
            .insert(name.to_string(), body.to_string());
        format!("{}/dynamic/{name}", self.base)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.state.log.lock().unwrap().clone()
    }

    /// From now on `/feeds/{name}` answers a decompression bomb (`gzip` or `br`: a feed's start
    /// and [`BOMB_BYTES`] of spaces, compressed), or the fixture again with `None`.
    pub fn set_bomb(&self, name: &str, encoding: Option<&str>) {
        if let Some(e) = encoding {
            // Compressed here, before any request: made while a fetch waits, under a loaded
            // machine it could outlast the fetch's time limit.
            bomb_body(e);
        }
        let mut b = self.state.bombs.lock().unwrap();
        match encoding {
            Some(e) => b.insert(name.to_string(), e.to_string()),
            None => b.remove(name),
        };
    }

    /// A URL that answers `code` with `Location: to` (any scheme, any host).
    pub fn goto_url(&self, code: u16, to: &str) -> String {
        let mut u = url::Url::parse(&format!("{}/goto/{code}", self.base)).unwrap();
        u.query_pairs_mut().append_pair("to", to);
        u.to_string()
    }

    /// The `If-Modified-Since` values `/lastmod/...` received, in order.
    pub fn if_modified_since(&self) -> Vec<String> {
        self.state.if_modified_since.lock().unwrap().clone()
    }

    /// Paths that were requested with `If-None-Match`.
    pub fn conditional_requests(&self) -> Vec<String> {
        self.state.conditional.lock().unwrap().clone()
    }
}

fn hit(state: &FeedState, path: String) {
    let i = state.arrive(&path, &HeaderMap::new());
    state.answered(i);
}

async fn blog_page(State(state): State<FeedState>) -> Response {
    hit(&state, "/blog/".into());
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        r#"<!DOCTYPE html><html><head><title>Cloud Notes</title>
        <link rel="stylesheet" href="/style.css">
        <link rel="alternate" type="application/rss+xml" title="Cloud Notes" href="../feeds/seeds-rss.xml">
        </head><body><h1>Cloud Notes</h1></body></html>"#,
    )
        .into_response()
}

async fn encoded(
    State(state): State<FeedState>,
    UrlPath((encoding, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Response {
    use std::io::Write;
    let i = state.arrive(&format!("/encoded/{encoding}/{name}"), &headers);
    state.answered(i);
    let Some(body) = fixture(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let compressed = match encoding.as_str() {
        "gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&body).unwrap();
            e.finish().unwrap()
        }
        "deflate" => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&body).unwrap();
            e.finish().unwrap()
        }
        "br" => {
            let mut out = Vec::new();
            let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
            w.write_all(&body).unwrap();
            drop(w);
            out
        }
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml".to_string()),
            (header::CONTENT_ENCODING, encoding),
        ],
        compressed,
    )
        .into_response()
}

async fn with_charset(
    State(state): State<FeedState>,
    UrlPath((charset, name)): UrlPath<(String, String)>,
) -> Response {
    hit(&state, format!("/charset/{charset}/{name}"));
    let Some(body) = fixture(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [(header::CONTENT_TYPE, format!("text/xml; charset={charset}"))],
        body,
    )
        .into_response()
}

/// Sends the start of a feed, then one byte every 200 ms, for ever.
async fn trickle(State(state): State<FeedState>) -> Response {
    hit(&state, "/trickle".into());
    let stream = futures_util::stream::unfold(0u64, |n| async move {
        if n > 0 {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let chunk = if n == 0 {
            "<rss version=\"2.0\"><channel>".to_string()
        } else {
            " ".to_string()
        };
        Some((Ok::<_, std::io::Error>(chunk), n + 1))
    });
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

/// A 2 MB feed, streamed without Content-Length.
async fn huge(State(state): State<FeedState>) -> Response {
    hit(&state, "/huge".into());
    let stream = futures_util::stream::iter((0..2048).map(|i| {
        let chunk = if i == 0 {
            "<rss version=\"2.0\"><channel>".to_string()
        } else {
            format!("<!-- {} -->", "x".repeat(1014))
        };
        Ok::<_, std::io::Error>(chunk)
    }));
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

/// `code` with `Retry-After: after` (seconds, or `date` for an HTTP date two hours ahead).
async fn retry(
    State(state): State<FeedState>,
    UrlPath((code, after)): UrlPath<(u16, String)>,
) -> Response {
    hit(&state, format!("/retry/{code}/{after}"));
    let value = if after == "date" {
        (chrono::Utc::now() + chrono::Duration::hours(2))
            .to_rfc2822()
            .replace("+0000", "GMT")
    } else {
        after
    };
    (
        StatusCode::from_u16(code).unwrap(),
        [(header::RETRY_AFTER, value)],
    )
        .into_response()
}

/// A fixture with `Cache-Control: max-age=secs`.
async fn cached(
    State(state): State<FeedState>,
    UrlPath((secs, name)): UrlPath<(u64, String)>,
) -> Response {
    hit(&state, format!("/cache/{secs}/{name}"));
    let Some(body) = fixture(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml".to_string()),
            (header::CACHE_CONTROL, format!("public, max-age={secs}")),
        ],
        body,
    )
        .into_response()
}

/// A fixture after `ms` milliseconds.
async fn slow(
    State(state): State<FeedState>,
    UrlPath((ms, name)): UrlPath<(u64, String)>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/slow/{ms}/{name}");
    let i = state.arrive(&path, &headers);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    let resp = match fixture(&name) {
        Some(body) => ([(header::CONTENT_TYPE, "application/rss+xml")], body).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    };
    state.answered(i);
    resp
}

fn fixture(name: &str) -> Option<Vec<u8>> {
    if name.contains("..") || name.contains('/') {
        return None;
    }
    std::fs::read(fixtures().join("feeds").join(name)).ok()
}

async fn feed(
    State(state): State<FeedState>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/feeds/{name}");
    let i = state.arrive(&path, &headers);
    let resp = serve_feed(&state, path, &name, &headers);
    state.answered(i);
    resp
}

fn serve_feed(state: &FeedState, path: String, name: &str, headers: &HeaderMap) -> Response {
    if let Some(encoding) = state.bombs.lock().unwrap().get(name) {
        return bomb(encoding);
    }
    if state.missing.lock().unwrap().iter().any(|n| n == name) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some(body) = fixture(name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!(
        "\"{:x}\"",
        body.len() as u64 * 31 + body.iter().map(|b| *b as u64).sum::<u64>()
    );
    if let Some(inm) = headers.get(header::IF_NONE_MATCH) {
        state.conditional.lock().unwrap().push(path);
        if inm.as_bytes() == etag.as_bytes() {
            return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
        }
    }
    let ctype = if name.ends_with(".atom") || body.windows(5).take(400).any(|w| w == b"<feed") {
        "application/atom+xml"
    } else {
        "application/rss+xml"
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(ctype)),
            (header::ETAG, HeaderValue::from_str(&etag).unwrap()),
        ],
        body,
    )
        .into_response()
}

async fn status(State(state): State<FeedState>, UrlPath(code): UrlPath<u16>) -> Response {
    hit(&state, format!("/status/{code}"));
    StatusCode::from_u16(code)
        .unwrap_or(StatusCode::IM_A_TEAPOT)
        .into_response()
}

async fn redirect(
    State(state): State<FeedState>,
    UrlPath((code, name)): UrlPath<(u16, String)>,
) -> Response {
    hit(&state, format!("/redirect/{code}/{name}"));
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::FOUND),
        [(header::LOCATION, format!("/feeds/{name}"))],
    )
        .into_response()
}

/// `n` redirects, then the RSS fixture.
async fn hops(State(state): State<FeedState>, UrlPath(n): UrlPath<u32>) -> Response {
    hit(&state, format!("/hops/{n}"));
    let to = if n <= 1 {
        "/feeds/seeds-rss.xml".to_string()
    } else {
        format!("/hops/{}", n - 1)
    };
    (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
}

async fn redirect_loop(UrlPath(n): UrlPath<u32>) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, format!("/loop/{}", (n + 1) % 2))],
    )
        .into_response()
}

async fn page() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html")],
        "<!DOCTYPE html><html><head><title>Blog</title></head><body>Hello</body></html>",
    )
        .into_response()
}

/// Decompressed size of a bomb: 256 MiB, from about 256 KiB (gzip) or less (brotli) on the wire.
pub const BOMB_BYTES: usize = 256 << 20;

/// A feed's start and [`BOMB_BYTES`] of spaces, compressed with `encoding` (made once per
/// encoding: compressing 256 MiB takes a moment).
fn bomb(encoding: &str) -> Response {
    let Some(body) = bomb_body(encoding) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml"),
            (header::CONTENT_ENCODING, encoding),
        ],
        body.clone(),
    )
        .into_response()
}

fn bomb_body(encoding: &str) -> Option<&'static Vec<u8>> {
    use std::io::Write;
    use std::sync::OnceLock;
    static GZIP: OnceLock<Vec<u8>> = OnceLock::new();
    static BROTLI: OnceLock<Vec<u8>> = OnceLock::new();
    let write_all = |w: &mut dyn Write| {
        w.write_all(b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Bomb</title>")
            .unwrap();
        let spaces = vec![b' '; 1 << 20];
        for _ in 0..BOMB_BYTES >> 20 {
            w.write_all(&spaces).unwrap();
        }
    };
    match encoding {
        "gzip" => Some(GZIP.get_or_init(|| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            write_all(&mut e);
            e.finish().unwrap()
        })),
        "br" => Some(BROTLI.get_or_init(|| {
            let mut out = Vec::new();
            let mut w = brotli::CompressorWriter::new(&mut out, 1 << 16, 5, 22);
            write_all(&mut w);
            drop(w);
            out
        })),
        _ => None,
    }
}

/// Answers `code` with `Location: ?to=`.
async fn goto(
    State(state): State<FeedState>,
    UrlPath(code): UrlPath<u16>,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    hit(&state, format!("/goto/{code}"));
    let to = q.get("to").cloned().unwrap_or_default();
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::FOUND),
        [(header::LOCATION, to)],
    )
        .into_response()
}

/// A fixture with `Last-Modified` and no `ETag`: 304 when `If-Modified-Since` repeats it.
async fn last_modified(
    State(state): State<FeedState>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    const STAMP: &str = "Sun, 22 Nov 2026 10:00:00 GMT";
    hit(&state, format!("/lastmod/{name}"));
    if let Some(ims) = headers.get(header::IF_MODIFIED_SINCE) {
        let ims = ims.to_str().unwrap_or("").to_string();
        state.if_modified_since.lock().unwrap().push(ims.clone());
        if ims == STAMP {
            return StatusCode::NOT_MODIFIED.into_response();
        }
    }
    let Some(body) = fixture(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml"),
            (header::LAST_MODIFIED, STAMP),
        ],
        body,
    )
        .into_response()
}
