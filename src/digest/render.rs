//! Rendering with tera, built once at start from `templates/` (embedded in the binary) with any
//! file of the same name in `digest.templates` taking precedence. Templates receive only
//! serializable view structs; autoescape is on for `.html` and `.xml`, and the only HTML printed
//! unescaped is a [`SanitizedHtml`](crate::domain::SanitizedHtml).

use std::path::Path;

use chrono::Datelike;
use serde::Serialize;
use tera::{Context, Tera};

use crate::config::Settings;
use crate::domain::{DigestWeek, Entry};

/// Stands in the rendered e-mail for each recipient's own unsubscribe link; replaced at send time.
pub const UNSUBSCRIBE_PLACEHOLDER: &str = "%%UNSUBSCRIBE_URL%%";

/// Text wrap width of the plain-text e-mail.
pub const TEXT_WIDTH: usize = 72;

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

/// Escapes text for Markdown: the characters that would start emphasis, links, headings, code,
/// lists or HTML are backslash-escaped.
pub fn markdown_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' | '(' | ')' | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One story as templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct StoryView {
    /// 1-based number (the plain text's link reference).
    pub number: usize,
    /// Plain-text title (escaped by the template).
    pub title: String,
    /// The title wrapped for plain text.
    pub title_wrapped: String,
    /// Link to the original post.
    pub url: Option<String>,
    /// Author, if known.
    pub author: Option<String>,
    /// The blog's name.
    pub blog: String,
    /// Publication date, e.g. `Tue 17 Nov`.
    pub date: String,
    /// Publication date, RFC 3339.
    pub date_iso: String,
    /// Minutes to read the whole post.
    pub reading_minutes: u32,
    /// Plain-text excerpt.
    pub excerpt: String,
    /// The excerpt wrapped and indented for plain text.
    pub excerpt_wrapped: String,
}

/// A digest as templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct DigestView {
    /// The community's name.
    pub site_title: String,
    /// The community's one-line description.
    pub site_description: String,
    /// Home page of the site.
    pub site_url: String,
    /// This digest on the web archive.
    pub archive_url: String,
    /// ISO week, e.g. `2026-W47`.
    pub week: String,
    /// Week label, e.g. `16–22 November 2026`.
    pub week_label: String,
    /// E-mail subject.
    pub subject: String,
    /// Preheader: the inbox preview line.
    pub preheader: String,
    /// The stories.
    pub stories: Vec<StoryView>,
    /// Number of distinct blogs.
    pub blog_count: usize,
    /// The organiser's contact line.
    pub contact: String,
    /// Per-recipient unsubscribe link (a placeholder until sending).
    pub unsubscribe_url: String,
}

impl DigestView {
    /// The view of `week`'s digest holding `stories`.
    pub fn new(settings: &Settings, week: DigestWeek, stories: &[Entry]) -> Self {
        let tz = settings.digest.timezone.0;
        let stories: Vec<StoryView> = stories
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let local = e.published.with_timezone(&tz);
                let excerpt =
                    crate::ingest::text::excerpt(&e.summary, settings.digest.excerpt_words);
                StoryView {
                    number: i + 1,
                    title: e.title.clone(),
                    title_wrapped: wrap(&format!("[{}] {}", i + 1, e.title), TEXT_WIDTH, ""),
                    url: e.url.clone(),
                    author: e.author.clone(),
                    blog: e.feed_title.clone(),
                    date: format!("{} {} {}", local.weekday(), local.day(), local.format("%b")),
                    date_iso: e.published.to_rfc3339(),
                    reading_minutes: e.reading_minutes(),
                    excerpt_wrapped: wrap(&excerpt, TEXT_WIDTH, "    "),
                    excerpt,
                }
            })
            .collect();
        let mut blogs: Vec<&str> = stories.iter().map(|s| s.blog.as_str()).collect();
        blogs.sort_unstable();
        blogs.dedup();
        let site = &settings.site;
        let subject = format!("{} · Week {} ({})", site.title, week, week.label());
        let preheader = match stories.len() {
            0 => "A quiet week: no new posts.".to_string(),
            1 => format!("1 new post: {}", stories[0].title),
            n => format!(
                "{n} new posts from {} blogs, starting with “{}”",
                blogs.len(),
                stories[0].title
            ),
        };
        Self {
            site_title: site.title.clone(),
            site_description: site.description.clone(),
            site_url: site.link(""),
            archive_url: site.link(&format!("digests/{week}")),
            week: week.to_string(),
            week_label: week.label(),
            subject,
            preheader,
            blog_count: blogs.len(),
            stories,
            contact: site.contact.clone(),
            unsubscribe_url: UNSUBSCRIBE_PLACEHOLDER.to_string(),
        }
    }
}

/// Wraps `text` at `width` columns on word boundaries, prefixing every line with `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(indent);
    let mut line_len = indent.chars().count();
    for word in text.split_whitespace() {
        let wlen = word.chars().count();
        if line_len > indent.chars().count() && line_len + 1 + wlen > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(indent);
            line_len = indent.chars().count();
        }
        if line_len > indent.chars().count() {
            line.push(' ');
            line_len += 1;
        }
        line.push_str(word);
        line_len += wlen;
    }
    out.push_str(line.trim_end());
    out
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
        Ok(RenderedEmail {
            html: self.render("email/digest.html", &ctx)?,
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
    fn wrap_respects_width_and_indent() {
        let text = "word ".repeat(40);
        let w = wrap(&text, 20, "    ");
        for line in w.lines() {
            assert!(line.chars().count() <= 20, "{line:?}");
            assert!(line.starts_with("    "));
        }
        assert_eq!(wrap("short", 72, ""), "short");
    }

    #[test]
    fn markdown_escaping() {
        assert_eq!(
            markdown_escape("C# [tips] *now* <b>"),
            "C\\# \\[tips\\] \\*now\\* \\<b\\>"
        );
    }

    #[test]
    fn builtin_templates_compile() {
        Renderer::new(None).unwrap();
    }
}
