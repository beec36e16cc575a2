//! CSS inlining of the HTML e-mail with css-inline (built without its network features, and
//! told not to load remote stylesheets). Mail clients drop or ignore `<style>`, so every rule is
//! moved into `style` attributes; the `@media` rules (dark mode, narrow screens) stay in a
//! `<style>` block of their own, where the clients that read them (Apple Mail, Outlook for Mac,
//! iOS) apply them.
//!
//! **Once per template, not once per digest.** Inlining a rendered 500-story digest costs about
//! 16 ms, and almost all of it is html5ever parsing and serialising 600 KB of HTML (with the CSS
//! commented out it takes as long), not matching the rules. So the e-mail *template* is inlined
//! once, when templates are loaded: its tera tags are swapped for opaque markers (block tags
//! inside HTML comments, which the parser keeps in place even between table rows), css-inline
//! runs on that skeleton, and the tags are put back. Rendering then costs tera alone. Rules are
//! therefore matched against the template's elements: style the template with classes (as the
//! built-in one does), not with selectors that depend on the data (`:first-child`, or elements
//! inside the intro note), and write `<tbody>` in tables (the parser adds a missing one, which
//! could move a loop tag across it). If a template cannot be inlined this way — a tag the parser
//! moved (text directly inside a `<table>`), lost or repeated, or a `<tbody>` it had to add —
//! the renderer falls back to inlining each rendered digest.

use std::fmt::Write as _;

/// Marks the start and end of a tera tag's number in the skeleton (Unicode private use).
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// Moves the `<style>` rules of `html` into `style` attributes; `@media` rules stay in a
/// `<style>` block. Never loads anything.
pub fn inline_css(html: &str) -> Result<String, css_inline::InlineError> {
    css_inline::CSSInliner::options()
        .inline_style_tags(true)
        .keep_style_tags(false)
        .keep_at_rules(true)
        .keep_link_tags(false)
        .load_remote_stylesheets(false)
        .apply_width_attributes(true)
        // `color:#111` rather than `color: #111;`: Gmail clips a message above 102 KB.
        .minify_css(true)
        .build()
        .inline(html)
}

/// The tera template `source` with its CSS inlined, or `None` when its tags do not survive
/// the HTML parser intact (the caller then inlines each rendering instead).
pub fn inline_template(source: &str) -> Option<String> {
    let (skeleton, tags) = to_skeleton(source)?;
    let inlined = inline_css(&skeleton).ok()?;
    if inlined.matches("<tbody").count() != skeleton.matches("<tbody").count() {
        return None;
    }
    from_skeleton(&inlined, &tags)
}

/// Swaps `{{ … }}` for `⟨n⟩` and `{% … %}` for `<!--⟨n⟩-->`; drops `{# … #}` comments.
fn to_skeleton(source: &str) -> Option<(String, Vec<&str>)> {
    if source.contains(OPEN) || source.contains(CLOSE) {
        return None;
    }
    let mut out = String::with_capacity(source.len());
    let mut tags = Vec::new();
    let mut rest = source;
    while let Some(i) = rest.find('{') {
        let after = &rest[i..];
        let close = match after.get(..2) {
            Some("{{") => "}}",
            Some("{%") => "%}",
            Some("{#") => "#}",
            _ => {
                out.push_str(&rest[..=i]);
                rest = &rest[i + 1..];
                continue;
            }
        };
        let end = after.find(close)? + close.len();
        out.push_str(&rest[..i]);
        let tag = &after[..end];
        match &tag[..2] {
            "{{" => {
                let _ = write!(out, "{OPEN}{}{CLOSE}", tags.len());
                tags.push(tag);
            }
            "{%" => {
                let _ = write!(out, "<!--{OPEN}{}{CLOSE}-->", tags.len());
                tags.push(tag);
            }
            _ => {}
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    Some((out, tags))
}

/// Puts the tags back; `None` unless every tag comes back exactly once and in place: block tags
/// in their order, and each `{{ … }}` between the same block tags as before (the serialiser may
/// reorder the attributes of one element, never move text across a comment).
fn from_skeleton(inlined: &str, tags: &[&str]) -> Option<String> {
    let mut out = String::with_capacity(inlined.len() + tags.len() * 16);
    let mut seen = vec![false; tags.len()];
    let mut highest: Option<usize> = None;
    let mut last_block: Option<usize> = None;
    let mut rest = inlined;
    while let Some(i) = rest.find(OPEN) {
        let after = &rest[i + OPEN.len_utf8()..];
        let j = after.find(CLOSE)?;
        let n: usize = after[..j].parse().ok()?;
        let tag = tags.get(n)?;
        if std::mem::replace(seen.get_mut(n)?, true) {
            return None;
        }
        let is_block = tag.starts_with("{%");
        let floor = if is_block { highest } else { last_block };
        if floor.is_some_and(|f| n <= f) {
            return None;
        }
        highest = highest.max(Some(n));
        if is_block {
            last_block = Some(n);
        }
        let mut before = &rest[..i];
        let mut after = &after[j + CLOSE.len_utf8()..];
        if is_block {
            before = before.strip_suffix("<!--")?;
            after = after.strip_prefix("-->")?;
        }
        out.push_str(before);
        out.push_str(tag);
        rest = after;
    }
    out.push_str(rest);
    seen.iter().all(|s| *s).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_is_inlined_with_its_tags_intact() {
        let source = "<!DOCTYPE html><html><head><style>.a { color: red; } \
            @media (prefers-color-scheme: dark) { .a { color: white !important; } }</style></head>\
            <body>{# note #}<table><tbody>{% for s in stories %}<tr><td class=\"a\">{{ s.title }}</td></tr>\
            {% endfor %}</tbody></table>{% if x %}<a class=\"a\" href=\"{{ url }}\">{% endif %}x\
            {% if x %}</a>{% endif %}</body></html>";
        let out = inline_template(source).unwrap();
        assert!(out.contains("{% for s in stories %}<tr><td class=\"a\" style=\"color:red\">{{ s.title }}</td></tr>{% endfor %}"), "{out}");
        assert!(out.contains("href=\"{{ url }}\""), "{out}");
        assert!(out.contains("@media (prefers-color-scheme: dark)"), "{out}");
        assert!(
            !out.contains("note") && !out.contains(".a { color: red; }"),
            "{out}"
        );
        let mut tera = tera::Tera::default();
        tera.add_raw_template("t.html", &out).unwrap();
    }

    #[test]
    fn templates_the_parser_would_rearrange_are_refused() {
        assert_eq!(inline_template("<p>\u{E000}0\u{E001}</p>"), None);
        // A missing <tbody>: the parser adds one.
        assert_eq!(
            inline_template(
                "<table>{% for r in rows %}<tr><td>{{ r }}</td></tr>{% endfor %}</table>"
            ),
            None
        );
        // Text directly in a table is moved out of it by the parser.
        assert_eq!(
            inline_template(
                "<table><tbody>{% if x %}<tr><td>a</td></tr>{% endif %}{{ rows }}</tbody></table>"
            ),
            None
        );
    }
}
