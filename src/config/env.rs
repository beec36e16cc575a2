//! `CHRONICLE_<SECTION>__<KEY>` overrides, and one-line error messages.

use std::collections::BTreeMap;

use super::{ConfigError, ENV_PREFIX, Settings};

/// toml's error as one line: `line 3, column 1: unknown field ...`.
pub(super) fn one_line(e: &toml::de::Error, text: &str) -> String {
    let message = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            // Name the key when toml's message does not (e.g. "invalid type: ...").
            let line_text = text.lines().nth(line - 1).unwrap_or_default();
            let key = line_text
                .split_once('=')
                .map(|(k, _)| k.trim().trim_matches('"'))
                .filter(|k| !k.is_empty() && !k.starts_with('#') && !message.contains(*k));
            match key {
                Some(key) => format!("line {line}, column {column}, key `{key}`: {message}"),
                None => format!("line {line}, column {column}: {message}"),
            }
        }
        None => message,
    }
}

/// Applies `CHRONICLE_SECTION__KEY=value` overrides by editing the serialized settings and reading
/// them back, so the same types and checks apply as for the file.
pub(super) fn apply_env(
    settings: Settings,
    overrides: &BTreeMap<String, String>,
) -> Result<Settings, ConfigError> {
    let toml::Value::Table(mut table) = toml::Value::try_from(&settings)
        .map_err(|e| ConfigError::Invalid(format!("cannot apply overrides: {e}")))?
    else {
        return Err(ConfigError::Invalid(
            "settings do not serialize to a table".into(),
        ));
    };
    for (var, raw) in overrides {
        let env_err = |message: String| ConfigError::Env {
            var: var.clone(),
            message,
        };
        let path = &var[ENV_PREFIX.len()..];
        let mut parts = path.split("__");
        let (Some(section), Some(key), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(env_err(
                "expected CHRONICLE_<SECTION>__<KEY>, e.g. CHRONICLE_SMTP__PORT".into(),
            ));
        };
        let (section, key) = (section.to_ascii_lowercase(), key.to_ascii_lowercase());
        let Some(toml::Value::Table(sect)) = table.get_mut(&section) else {
            return Err(env_err(format!("unknown section `{section}`")));
        };
        let value = match sect.get(&key) {
            Some(toml::Value::Integer(_)) => raw
                .trim()
                .parse::<i64>()
                .map(toml::Value::Integer)
                .map_err(|_| {
                    env_err(format!(
                        "{section}.{key} expects a whole number, got `{raw}`"
                    ))
                })?,
            Some(toml::Value::Boolean(_)) => match raw.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => toml::Value::Boolean(true),
                "false" | "0" | "no" | "off" => toml::Value::Boolean(false),
                _ => {
                    return Err(env_err(format!(
                        "{section}.{key} expects true or false, got `{raw}`"
                    )));
                }
            },
            Some(toml::Value::Array(_)) => toml::Value::Array(
                raw.split(',')
                    .map(|s| toml::Value::String(s.trim().into()))
                    .collect(),
            ),
            _ => toml::Value::String(raw.clone()),
        };
        sect.insert(key.clone(), value);
        // Read back after each override so an error names this variable.
        toml::Value::Table(table.clone())
            .try_into::<Settings>()
            .map_err(|e| env_err(e.message().trim().replace('\n', " ")))?;
    }
    toml::Value::Table(table)
        .try_into::<Settings>()
        .map_err(|e| ConfigError::Invalid(e.to_string()))
}

/// Hides a password in a connection URL before it is printed.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("redacted"));
            u.to_string()
        }
        _ => raw.to_string(),
    }
}
