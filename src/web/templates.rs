//! The site's templates and static files, built once at start: the built-in `templates/web/`
//! (embedded in the binary), each overridable by a same-named file under `digest.templates`.
//! Autoescape is on for `.html` and `.opml`.

use std::path::Path;

use serde::Serialize;
use tera::{Context, Tera};

use crate::digest::render::RenderError;

const PAGES: &[(&str, &str)] = &[
    (
        "web/base.html",
        include_str!("../../templates/web/base.html"),
    ),
    (
        "web/index.html",
        include_str!("../../templates/web/index.html"),
    ),
    (
        "web/blogs.html",
        include_str!("../../templates/web/blogs.html"),
    ),
    (
        "web/blogs.opml",
        include_str!("../../templates/web/blogs.opml"),
    ),
    (
        "web/digests.html",
        include_str!("../../templates/web/digests.html"),
    ),
    (
        "web/digest.html",
        include_str!("../../templates/web/digest.html"),
    ),
    (
        "web/message.html",
        include_str!("../../templates/web/message.html"),
    ),
    (
        "web/not_found.html",
        include_str!("../../templates/web/not_found.html"),
    ),
    (
        "web/error.html",
        include_str!("../../templates/web/error.html"),
    ),
];

/// A static file: its bytes, content type and a short content hash for cache-busting URLs.
#[derive(Debug, Clone)]
pub struct Asset {
    /// The bytes.
    pub body: bytes::Bytes,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// 16 hex digits of the content's hash (`?v=` in links, and the `ETag`).
    pub version: String,
}

/// Compiled page templates and static files.
#[derive(Debug)]
pub struct Templates {
    tera: Tera,
    /// `/static/style.css`.
    pub css: Asset,
    /// `/static/favicon.svg`.
    pub favicon: Asset,
}

fn read_override(dir: Option<&Path>, name: &str) -> Result<Option<String>, RenderError> {
    let Some(path) = dir.map(|d| d.join(name)).filter(|p| p.is_file()) else {
        return Ok(None);
    };
    std::fs::read_to_string(&path)
        .map(Some)
        .map_err(|e| RenderError::Load {
            name: path.display().to_string(),
            message: e.to_string(),
        })
}

fn asset(
    dir: Option<&Path>,
    name: &str,
    builtin: &str,
    content_type: &'static str,
) -> Result<Asset, RenderError> {
    let text = read_override(dir, name)?.unwrap_or_else(|| builtin.to_string());
    let version = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()));
    Ok(Asset {
        body: bytes::Bytes::from(text),
        content_type,
        version,
    })
}

impl Templates {
    /// Compiles the built-in pages, overridden by same-named files under `dir`.
    pub fn new(dir: Option<&Path>) -> Result<Self, RenderError> {
        let mut sources = Vec::with_capacity(PAGES.len());
        for (name, builtin) in PAGES {
            let text = read_override(dir, name)?.unwrap_or_else(|| (*builtin).to_string());
            sources.push((*name, text));
        }
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html", ".opml"]);
        tera.set_escape_fn(crate::digest::render::escape_markup);
        tera.add_raw_templates(sources.iter().map(|(n, s)| (*n, s.as_str())))
            .map_err(|e| RenderError::Load {
                name: "web templates".into(),
                message: crate::digest::render::error_chain(&e),
            })?;
        Ok(Self {
            tera,
            css: asset(
                dir,
                "web/static/style.css",
                include_str!("../../templates/web/static/style.css"),
                "text/css; charset=utf-8",
            )?,
            favicon: asset(
                dir,
                "web/static/favicon.svg",
                include_str!("../../templates/web/static/favicon.svg"),
                "image/svg+xml",
            )?,
        })
    }

    /// Renders `name` with `view`.
    pub fn render(&self, name: &str, view: &impl Serialize) -> Result<String, RenderError> {
        let fail = |e: tera::Error| RenderError::Render {
            name: name.to_string(),
            message: crate::digest::render::error_chain(&e),
        };
        let ctx = Context::from_serialize(view).map_err(fail)?;
        self.tera.render(name, &ctx).map_err(fail)
    }
}
