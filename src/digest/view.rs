//! What templates see: [`DigestView`], built from a [`Selection`], the intro note and the
//! "also on" lists. Pure: no I/O, no clock, no hash-map order in the output, so the same data
//! always renders the same bytes. Every string is plain text (templates escape it) except
//! `intro_html`, a [`SanitizedHtml`](crate::domain::SanitizedHtml).

use std::collections::HashMap;

use serde::Serialize;

use super::select::Selection;
use super::text::{TEXT_WIDTH, clean_line, intro_html, intro_text, safe_url, wrap};
use crate::config::Settings;
use crate::domain::DigestWeek;
use crate::store::entries::AlsoOn;

/// Stands in the rendered e-mail for each recipient's own unsubscribe link; replaced at send time.
pub const UNSUBSCRIBE_PLACEHOLDER: &str = "%%UNSUBSCRIBE_URL%%";

/// Another blog carrying a story.
#[derive(Debug, Clone, Serialize)]
pub struct AlsoOnView {
    /// The blog's name.
    pub blog: String,
    /// The copy's link (http(s) only).
    pub url: Option<String>,
    /// Its number in the plain text's link list.
    pub number: Option<usize>,
}

/// One story as templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct StoryView {
    /// Number of its link in the plain text's link list (none without a link).
    pub number: Option<usize>,
    /// Plain-text title.
    pub title: String,
    /// `[n] title`, wrapped for plain text.
    pub title_wrapped: String,
    /// Link to the original post (http(s) only).
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
    /// `author · blog · date · n min read`, wrapped and indented for plain text.
    pub meta_wrapped: String,
    /// Plain-text excerpt (never the full post).
    pub excerpt: String,
    /// The excerpt wrapped and indented for plain text.
    pub excerpt_wrapped: String,
    /// Thumbnail: the post's first image (http(s) only).
    pub image_url: Option<String>,
    /// Other blogs carrying the same story.
    pub also_on: Vec<AlsoOnView>,
    /// `Also on: A [n], B [m]`, wrapped and indented for plain text (empty when none).
    pub also_on_wrapped: String,
    /// Pinned by the organiser.
    pub pinned: bool,
    /// Shown with a full card (excerpt, thumbnail): one of the first `digest.featured` stories.
    /// The others get a compact line.
    pub featured: bool,
    /// Shown in the HTML e-mail: false for the stories past what fits under Gmail's clipping
    /// size, which only the archive page and the plain text list.
    pub in_email: bool,
}

/// A titled run of stories.
#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    /// Heading (empty when the digest is not grouped).
    pub name: String,
    /// The stories.
    pub stories: Vec<StoryView>,
}

/// A numbered link of the plain text.
#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    /// `[n]`.
    pub number: usize,
    /// The URL.
    pub url: String,
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
    /// The organiser's intro note as Markdown (empty when none).
    pub intro_markdown: String,
    /// The intro note as sanitised HTML (print with `| safe`).
    pub intro_html: String,
    /// The intro note as wrapped plain text, links numbered.
    pub intro_text: String,
    /// Number of stories.
    pub story_count: usize,
    /// Stories the HTML e-mail does not show (they did not fit): "N more posts this week",
    /// linking to the archive page.
    pub email_more: usize,
    /// Number of distinct blogs.
    pub blog_count: usize,
    /// Whether stories are grouped (groups have names).
    pub grouped: bool,
    /// The stories, in groups.
    pub groups: Vec<GroupView>,
    /// Every link of the plain text, numbered in reading order.
    pub links: Vec<LinkView>,
    /// The organiser's contact line.
    pub contact: String,
    /// Per-recipient unsubscribe link (a placeholder until sending).
    pub unsubscribe_url: String,
}

impl DigestView {
    /// The view of `week`'s digest.
    pub fn new(
        settings: &Settings,
        week: DigestWeek,
        selection: &Selection,
        intro: Option<&str>,
        also_on: &HashMap<i64, Vec<AlsoOn>>,
    ) -> Self {
        let tz = settings.digest.timezone.0;
        let intro = intro.map(str::trim).unwrap_or_default();
        let (intro_text, intro_links) = intro_text(intro, Some(1));
        let mut links: Vec<LinkView> = Vec::new();
        let push_link = |links: &mut Vec<LinkView>, url: String| {
            let number = links.len() + 1;
            links.push(LinkView { number, url });
            number
        };
        for url in intro_links {
            push_link(&mut links, url);
        }
        let mut blogs: Vec<&str> = Vec::new();
        let mut groups = Vec::with_capacity(selection.groups.len());
        let mut position = 0usize;
        for group in &selection.groups {
            let mut stories = Vec::with_capacity(group.stories.len());
            for sel in &group.stories {
                let e = &sel.entry;
                blogs.push(&e.feed_title);
                let local = e.published.with_timezone(&tz);
                let url = e.url.as_deref().and_then(safe_url);
                let number = url.clone().map(|u| push_link(&mut links, u));
                let title = clean_line(&e.title);
                let author = e
                    .author
                    .as_deref()
                    .map(clean_line)
                    .filter(|a| !a.is_empty());
                let blog = clean_line(&e.feed_title);
                let date = local.format("%a %-d %b").to_string();
                let reading_minutes = e.reading_minutes();
                let excerpt = clean_line(&crate::html::excerpt(
                    &e.summary,
                    settings.digest.excerpt_words,
                ));
                let also: Vec<AlsoOnView> = also_on
                    .get(&e.id)
                    .map(|list| {
                        list.iter()
                            .map(|a| {
                                let url = a.url.as_deref().and_then(safe_url);
                                let number = url.clone().map(|u| push_link(&mut links, u));
                                AlsoOnView {
                                    blog: clean_line(&a.feed_title),
                                    url,
                                    number,
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let also_on_wrapped = if also.is_empty() {
                    String::new()
                } else {
                    let names: Vec<String> = also
                        .iter()
                        .map(|a| match a.number {
                            Some(n) => format!("{} [{n}]", a.blog),
                            None => a.blog.clone(),
                        })
                        .collect();
                    wrap(&format!("Also on {}", names.join(", ")), TEXT_WIDTH, "    ")
                };
                let heading = match number {
                    Some(n) => format!("[{n}] {title}"),
                    None => title.clone(),
                };
                let meta = match &author {
                    Some(a) => format!("{a} · {blog} · {date} · {reading_minutes} min read"),
                    None => format!("{blog} · {date} · {reading_minutes} min read"),
                };
                stories.push(StoryView {
                    number,
                    title_wrapped: wrap(&heading, TEXT_WIDTH, ""),
                    title,
                    url,
                    author,
                    meta_wrapped: wrap(&meta, TEXT_WIDTH, "    "),
                    blog,
                    date,
                    date_iso: e.published.to_rfc3339(),
                    reading_minutes,
                    excerpt_wrapped: wrap(&excerpt, TEXT_WIDTH, "    "),
                    excerpt,
                    image_url: e.image_url.as_deref().and_then(safe_url),
                    also_on: also,
                    also_on_wrapped,
                    pinned: sel.pinned,
                    featured: position < settings.digest.featured,
                    in_email: true,
                });
                position += 1;
            }
            groups.push(GroupView {
                name: clean_line(&group.name),
                stories,
            });
        }
        blogs.sort_unstable();
        blogs.dedup();
        let story_count = selection.len();
        let site = &settings.site;
        let week_label = week.label(settings.digest.week_starts.0);
        let subject = format!("{} · Week {} ({})", site.title, week, week_label);
        let first_title = groups
            .iter()
            .flat_map(|g| g.stories.first())
            .next()
            .map(|s| s.title.clone())
            .unwrap_or_default();
        let preheader = if !intro.is_empty() {
            // The note without its link numbers, on one line.
            let (plain, _) = super::text::intro_text(intro, None);
            clip(&plain.split_whitespace().collect::<Vec<_>>().join(" "), 140)
        } else {
            match story_count {
                0 => "A quiet week: no new posts.".to_string(),
                1 => format!("1 new post: {first_title}"),
                n => format!(
                    "{n} new posts from {} blog{}, starting with “{first_title}”",
                    blogs.len(),
                    if blogs.len() == 1 { "" } else { "s" }
                ),
            }
        };
        Self {
            site_title: site.title.clone(),
            site_description: site.description.clone(),
            site_url: site.link(""),
            archive_url: site.link(&format!("digests/{week}")),
            week: week.to_string(),
            week_label,
            subject,
            preheader,
            intro_markdown: intro.to_string(),
            intro_html: if intro.is_empty() {
                String::new()
            } else {
                intro_html(intro).into_string()
            },
            intro_text,
            story_count,
            email_more: 0,
            blog_count: blogs.len(),
            grouped: settings.digest.group_by != crate::config::GroupBy::None,
            groups,
            links,
            contact: site.contact.clone(),
            unsubscribe_url: UNSUBSCRIBE_PLACEHOLDER.to_string(),
        }
    }
}

impl DigestView {
    /// Shows only the first `shown` stories (in reading order) in the HTML e-mail.
    pub fn show_in_email(&mut self, shown: usize) {
        let stories = self.groups.iter_mut().flat_map(|g| g.stories.iter_mut());
        for (position, story) in stories.enumerate() {
            story.in_email = position < shown;
        }
        self.email_more = self.story_count.saturating_sub(shown);
    }
}

/// At most `max` characters, cut at a word and ending with `…` when cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a);
    format!("{cut}…")
}
