//! feedparser's expectations translated into checks on the fields Chronicle keeps (the rules
//! are in the parent module's docs).

use serde_json::Value;

use crate::helpers::fixtures;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Category {
    Core,
    Dates,
    Base,
    Security,
    Entities,
}

impl Category {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Core => "core mapping (title, link, id, author, summary, content, tags)",
            Self::Dates => "entry dates (published/updated instant, UTC)",
            Self::Base => "relative URLs (xml:base, document URI, Content-Location)",
            Self::Security => "sanitising entry summary/content (security + safe text)",
            Self::Entities => "HTML entities in ill-formed documents (feed title)",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Field {
    FeedTitle,
    FeedLink,
    Title(usize),
    Link(usize),
    Id(usize),
    Author(usize),
    Published(usize),
    Updated(usize),
    Summary(usize),
    Content(usize),
    Tag(usize, usize),
}

#[derive(Debug, Clone)]
pub(super) struct Check {
    pub(super) field: Field,
    pub(super) want: Value,
}

#[derive(Debug)]
pub(super) struct Case {
    pub(super) file: String,
    pub(super) category: Category,
    pub(super) checks: Vec<Check>,
}

pub(super) fn key(v: &Value) -> Option<&str> {
    v.as_str()
}

/// Translates one upstream check into a check on a field Chronicle keeps, if it is one.
pub(super) fn translate(path: &[Value], want: &Value, security: bool) -> Option<Check> {
    let root = key(path.first()?)?;
    let field = match root {
        "feed" | "channel" if !security => {
            let k = key(path.get(1)?)?;
            match (k, path.len()) {
                ("title", 2) => Field::FeedTitle,
                ("title_detail", 3) if key(&path[2])? == "value" => Field::FeedTitle,
                ("link", 2) => Field::FeedLink,
                _ => return None,
            }
        }
        "entries" | "items" => {
            let i = path.get(1)?.as_u64()? as usize;
            let k = key(path.get(2)?)?;
            let rest = &path[3..];
            let sub = |name: &str| rest.len() == 1 && key(&rest[0]) == Some(name);
            let field = match k {
                "title" if rest.is_empty() => Field::Title(i),
                "title_detail" if sub("value") => Field::Title(i),
                "link" if rest.is_empty() => Field::Link(i),
                "id" | "guid" if rest.is_empty() => Field::Id(i),
                "author" if rest.is_empty() => Field::Author(i),
                "author_detail" if sub("name") => Field::Author(i),
                "published_parsed" | "issued_parsed" if rest.is_empty() => Field::Published(i),
                "updated_parsed" | "modified_parsed" | "date_parsed" if rest.is_empty() => {
                    Field::Updated(i)
                }
                "summary" | "description" if rest.is_empty() => Field::Summary(i),
                "summary_detail" if sub("value") => Field::Summary(i),
                "content" if rest.is_empty() => Field::Content(i),
                "content" if rest.len() == 2 && key(&rest[1]) == Some("value") => Field::Content(i),
                "tags" if rest.len() == 2 && key(&rest[1]) == Some("term") => {
                    Field::Tag(i, rest[0].as_u64()? as usize)
                }
                "category" if rest.is_empty() => Field::Tag(i, 0),
                _ => return None,
            };
            if security && !matches!(field, Field::Summary(_) | Field::Content(_)) {
                return None;
            }
            field
        }
        _ => return None,
    };
    // `content` compares a list of content dicts: the first one's value.
    let want = match (&field, want) {
        (Field::Content(_), Value::Array(items)) => items.first()?.get("value")?.clone(),
        (_, Value::Object(o)) => o.get("value").or_else(|| o.get("name"))?.clone(),
        _ => want.clone(),
    };
    if want.is_null() {
        return None;
    }
    Some(Check { field, want })
}

pub(super) fn load_cases() -> Vec<Case> {
    let text = std::fs::read_to_string(fixtures().join("feedparser/expectations.jsonl"))
        .expect("expectations.jsonl");
    let mut cases = Vec::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("expectation line");
        let file = v["file"].as_str().expect("file").to_string();
        let Some(checks) = v["checks"].as_array() else {
            continue;
        };
        let security = file.starts_with("wellformed/sanitize/");
        let translated: Vec<Check> = checks
            .iter()
            .filter(|c| c["op"] == "eq")
            .filter_map(|c| translate(c["path"].as_array()?, c.get("value")?, security))
            .collect();
        if translated.is_empty() {
            continue;
        }
        let dates = translated
            .iter()
            .any(|c| matches!(c.field, Field::Published(_) | Field::Updated(_)));
        let category = if security {
            Category::Security
        } else if file.starts_with("entities/") {
            Category::Entities
        } else if file.starts_with("wellformed/base/") {
            Category::Base
        } else if dates {
            Category::Dates
        } else {
            Category::Core
        };
        cases.push(Case {
            file,
            category,
            checks: translated,
        });
    }
    cases
}
