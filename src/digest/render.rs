//! Rendering with tera, built once at start from `templates/` (embedded in the binary) with any
//! file of the same name in `digest.templates` taking precedence. Templates receive only
//! serializable view structs; autoescape is on for `.html` and `.xml`, and the only HTML printed
//! unescaped is a [`SanitizedHtml`](crate::domain::SanitizedHtml). The HTML e-mail's `<style>`
//! rules are then inlined with css-inline (mail clients drop or ignore `<style>`), keeping the
//! `@media` rules (dark mode, narrow screens) in a `<style>` block of their own.

use std::path::Path;

use serde::Serialize;
use tera::{Context, Tera};

use super::text::markdown_escape;
use super::view::DigestView;

/// The built-in templates, by name.
const BUILTIN: &[(&str, &str)] = &[
    (
        "email/digest.html",
        include_str!("../../templates/email/digest.html"),
    ),
    (
        "email/digest.txt",
        include_str!("../../templates/email/digest.txt"),
    ),
    (
        "email/digest.md",
        include_str!("../../templates/email/digest.md"),
    ),
    (
        "web/base.html",
        include_str!("../../templates/web/base.html"),
    ),
    (
        "web/index.html",
        include_str!("../../templates/web/index.html"),
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
        "web/not_found.html",
        include_str!("../../templates/web/not_found.html"),
    ),
    (
        "web/message.html",
        include_str!("../../templates/web/message.html"),
    ),
    (
        "feeds/stories.xml",
        include_str!("../../templates/feeds/stories.xml"),
    ),
    (
        "feeds/digests.xml",
        include_str!("../../templates/feeds/digests.xml"),
    ),
];

/// A template problem.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template could not be read or compiled.
    #[error("template {name}: {message}")]
    Load {
        /// Template name.
        name: String,
        /// tera's explanation.
        message: String,
    },
    /// A template failed while rendering.
    #[error("rendering {name} failed: {message}")]
    Render {
        /// Template name.
        name: String,
        /// tera's explanation.
        message: String,
    },
}

/// The digest's rendered bodies.
#[derive(Debug, Clone)]
pub struct RenderedEmail {
    /// HTML part.
    pub html: String,
    /// Plain-text part.
    pub text: String,
    /// Markdown, for posting the digest on a blog.
    pub markdown: String,
}

/// Compiled templates.
#[derive(Debug, Clone)]
pub struct Renderer {
    tera: Tera,
}

impl Renderer {
    /// Compiles the built-in templates, overridden by same-named files under `dir`.
    pub fn new(dir: Option<&Path>) -> Result<Self, RenderError> {
        let mut tera = Tera::default();
        tera.add_raw_templates(BUILTIN.iter().copied())
            .map_err(|e| load_error("built-in templates", &e))?;
        if let Some(dir) = dir {
            let mut files = Vec::new();
            for (name, _) in BUILTIN {
                let path = dir.join(name);
                if path.is_file() {
                    files.push((path, Some(name.to_string())));
                }
            }
            tera.add_template_files(files)
                .map_err(|e| load_error(&dir.display().to_string(), &e))?;
        }
        tera.autoescape_on(vec![".html", ".xml"]);
        tera.register_filter(
            "md",
            |value: &tera::Value, _: &std::collections::HashMap<String, tera::Value>| {
                let s = tera::try_get_value!("md", "value", String, value);
                Ok(tera::Value::String(markdown_escape(&s)))
            },
        );
        Ok(Self { tera })
    }

    /// Renders the HTML and plain-text e-mail of a digest.
    pub fn render_email(&self, view: &DigestView) -> Result<RenderedEmail, RenderError> {
        let ctx = Context::from_serialize(view).map_err(|e| render_error("digest", &e))?;
        let html = self.render("email/digest.html", &ctx)?;
        Ok(RenderedEmail {
            html: inline_css(&html)?,
            text: self.render("email/digest.txt", &ctx)?,
            markdown: self.render("email/digest.md", &ctx)?,
        })
    }

    /// Renders any template with a serializable context.
    pub fn render_page(&self, name: &str, view: &impl Serialize) -> Result<String, RenderError> {
        let ctx = Context::from_serialize(view).map_err(|e| render_error(name, &e))?;
        self.render(name, &ctx)
    }

    fn render(&self, name: &str, ctx: &Context) -> Result<String, RenderError> {
        self.tera
            .render(name, ctx)
            .map_err(|e| render_error(name, &e))
    }
}

/// Moves the `<style>` rules of `html` into `style` attributes; `@media` rules stay in a
/// `<style>` block. Never loads anything: remote stylesheets are off (and css-inline is built
/// without its HTTP feature).
pub fn inline_css(html: &str) -> Result<String, RenderError> {
    css_inline::CSSInliner::options()
        .inline_style_tags(true)
        .keep_style_tags(false)
        .keep_at_rules(true)
        .keep_link_tags(false)
        .load_remote_stylesheets(false)
        .apply_width_attributes(true)
        .build()
        .inline(html)
        .map_err(|e| RenderError::Render {
            name: "email/digest.html (CSS inlining)".into(),
            message: e.to_string(),
        })
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

fn load_error(name: &str, e: &tera::Error) -> RenderError {
    RenderError::Load {
        name: name.to_string(),
        message: chain(e),
    }
}

fn render_error(name: &str, e: &tera::Error) -> RenderError {
    RenderError::Render {
        name: name.to_string(),
        message: chain(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_templates_compile() {
        Renderer::new(None).unwrap();
    }
}
