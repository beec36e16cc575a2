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

/// The HTML e-mail template, whose CSS is inlined.
const EMAIL_HTML: &str = "email/digest.html";

/// Largest HTML e-mail, in bytes. Gmail clips a message whose HTML passes 102 KB
/// ("[Message clipped]", hiding the rest and the unsubscribe link); this leaves room for the
/// recipient's unsubscribe link and for quoted-printable line breaks.
pub const HTML_BUDGET: usize = 100_000;

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
    /// The e-mail template could not be inlined once (see [`super::inline`]): inline each
    /// rendering instead.
    inline_each: bool,
}

impl Renderer {
    /// Compiles the built-in templates, overridden by same-named files under `dir`, with the
    /// e-mail template's CSS inlined once (see [`super::inline`]).
    pub fn new(dir: Option<&Path>) -> Result<Self, RenderError> {
        let mut sources: Vec<(String, String)> = Vec::with_capacity(BUILTIN.len());
        for (name, builtin) in BUILTIN {
            let path = dir.map(|d| d.join(name)).filter(|p| p.is_file());
            let source = match path {
                Some(path) => std::fs::read_to_string(&path).map_err(|e| RenderError::Load {
                    name: path.display().to_string(),
                    message: e.to_string(),
                })?,
                None => (*builtin).to_string(),
            };
            sources.push((name.to_string(), source));
        }
        let mut inline_each = false;
        for (name, source) in &mut sources {
            if name == EMAIL_HTML {
                match super::inline::inline_template(source) {
                    Some(inlined) => *source = inlined,
                    None => {
                        tracing::warn!(
                            "{EMAIL_HTML}: its CSS cannot be inlined once for all digests; \
                             inlining each digest instead (slower)"
                        );
                        inline_each = true;
                    }
                }
            }
        }
        let mut tera = Tera::default();
        tera.add_raw_templates(sources.iter().map(|(n, s)| (n.as_str(), s.as_str())))
            .map_err(|e| {
                load_error(
                    &dir.map_or("built-in templates".into(), |d| d.display().to_string()),
                    &e,
                )
            })?;
        tera.autoescape_on(vec![".html", ".xml"]);
        tera.set_escape_fn(escape_markup);
        tera.register_filter(
            "md",
            |value: &tera::Value, _: &std::collections::HashMap<String, tera::Value>| {
                let s = tera::try_get_value!("md", "value", String, value);
                Ok(tera::Value::String(markdown_escape(&s)))
            },
        );
        Ok(Self { tera, inline_each })
    }

    /// Renders the HTML and plain-text e-mail of a digest. The HTML holds as many stories as fit
    /// under [`HTML_BUDGET`] and links to the archive page for the others; the plain text holds
    /// them all.
    pub fn render_email(&self, view: &DigestView) -> Result<RenderedEmail, RenderError> {
        let ctx = Context::from_serialize(view).map_err(|e| render_error("digest", &e))?;
        let mut html = self.render_html(&ctx)?;
        if html.len() > HTML_BUDGET {
            html = self.fit_html(view)?;
        }
        Ok(RenderedEmail {
            html,
            text: self.render("email/digest.txt", &ctx)?,
            markdown: self.render("email/digest.md", &ctx)?,
        })
    }

    fn render_html(&self, ctx: &Context) -> Result<String, RenderError> {
        let html = self.render(EMAIL_HTML, ctx)?;
        if !self.inline_each {
            return Ok(html);
        }
        super::inline::inline_css(&html).map_err(|e| RenderError::Render {
            name: format!("{EMAIL_HTML} (CSS inlining)"),
            message: e.to_string(),
        })
    }

    /// The HTML e-mail with as many stories as fit under [`HTML_BUDGET`] (found by bisection:
    /// rendering is a few milliseconds), the rest left to the archive page it links to.
    fn fit_html(&self, view: &DigestView) -> Result<String, RenderError> {
        let mut view = view.clone();
        let render = |view: &mut DigestView, shown: usize| -> Result<String, RenderError> {
            view.show_in_email(shown);
            let ctx = Context::from_serialize(&*view).map_err(|e| render_error("digest", &e))?;
            self.render_html(&ctx)
        };
        let (mut fits, mut fails) = (0usize, view.story_count);
        let mut best = render(&mut view, 0)?;
        while fails - fits > 1 {
            let mid = fits + (fails - fits) / 2;
            let html = render(&mut view, mid)?;
            if html.len() <= HTML_BUDGET {
                (fits, best) = (mid, html);
            } else {
                fails = mid;
            }
        }
        Ok(best)
    }

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

/// Autoescaping for HTML and XML: `& < > " '`. (tera's default also escapes `/`, which only
/// makes every link longer and harder to read in the e-mail's source.) The site's pages use it
/// too.
pub fn escape_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// An error and its sources on one line, `a: b: c` (template errors hide the useful part in
/// their sources).
pub fn error_chain(e: &dyn std::error::Error) -> String {
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
        message: error_chain(e),
    }
}

fn render_error(name: &str, e: &tera::Error) -> RenderError {
    RenderError::Render {
        name: name.to_string(),
        message: error_chain(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_templates_compile_and_the_email_is_inlined_once() {
        let r = Renderer::new(None).unwrap();
        assert!(
            !r.inline_each,
            "the built-in e-mail template inlines as a skeleton"
        );
    }
}
