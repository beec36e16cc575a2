//! Character references and truncation: what makes a feed that is almost XML refuse to parse.

/// `text` with its character references made well-formed XML, or `None` when nothing needed
/// fixing (the common case: no allocation):
/// * an HTML named entity that XML does not predefine becomes a numeric reference;
/// * a bare `&` (an unescaped ampersand in a URL: `?a=1&b=2`) becomes `&amp;`;
/// * `&#X41;` (upper-case X, which XML refuses) becomes `&#x41;`.
///
/// A document with an internal DTD subset (which may declare its own entities) is left alone.
pub(super) fn fix_references(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'&', &bytes[i..]) {
        let start = i + p;
        i = start + 1;
        let numeric = bytes.get(i) == Some(&b'#');
        let name_start = i + usize::from(numeric);
        let name_len = bytes[name_start..]
            .iter()
            .take(32)
            .position(|b| !b.is_ascii_alphanumeric())
            .unwrap_or(0);
        let terminated = name_len > 0 && bytes.get(name_start + name_len) == Some(&b';');
        let name = &text[name_start..name_start + name_len];
        let replacement: Option<String> = if !terminated {
            Some("&amp;".to_string())
        } else if numeric {
            match name.strip_prefix('X') {
                Some(hex) => Some(format!("&#x{hex};")),
                None => {
                    let valid = match name.strip_prefix('x') {
                        Some(hex) => u32::from_str_radix(hex, 16).is_ok(),
                        None => name.parse::<u32>().is_ok(),
                    };
                    (!valid).then(|| "&amp;".to_string())
                }
            }
        } else if matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") {
            None
        } else {
            Some(match crate::html::text::html_entity(name) {
                Some(ch) => ch.chars().map(|c| format!("&#{};", u32::from(c))).collect(),
                // An unknown name: keep it visible as text.
                None => "&amp;".to_string(),
            })
        };
        let Some(replacement) = replacement else {
            continue;
        };
        if out.is_none() && text.contains("<!ENTITY") {
            return None;
        }
        let buf = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
        buf.push_str(&text[copied..start]);
        buf.push_str(&replacement);
        // `&amp;` stands for the lone `&`; other replacements stand for the whole reference.
        if replacement != "&amp;" {
            i = name_start + name_len + 1;
        }
        copied = i;
    }
    let mut out = out?;
    out.push_str(&text[copied..]);
    Some(out)
}

/// A document cut inside its last tag (`...</rss`) gets its `>` back.
pub(super) fn close_truncated(text: &str) -> Option<String> {
    let trimmed = text.trim_end();
    let last_open = trimmed.rfind('<')?;
    if trimmed[last_open..].contains('>') || !trimmed[last_open..].starts_with("</") {
        return None;
    }
    Some(format!("{trimmed}>"))
}
