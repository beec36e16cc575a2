//! `[serve]`, `[log]` and `[store]`: how the unattended service stops, logs and keeps its data.

use serde::{Deserialize, Serialize};

/// `[serve]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeSettings {
    /// Seconds that in-flight messages and transactions get to finish after SIGTERM/SIGINT.
    pub shutdown_secs: u64,
}

impl Default for ServeSettings {
    fn default() -> Self {
        Self { shutdown_secs: 20 }
    }
}

impl ServeSettings {
    /// The shutdown bound.
    pub fn shutdown(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.shutdown_secs)
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (coloured on a terminal).
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// `[log]`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `text` or `json` (`--log-json` forces JSON).
    pub format: LogFormat,
}

/// `[store]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSettings {
    /// Entries first seen and published more than this many days ago are pruned by the daily
    /// housekeeping job, except those a digest carried; 0 keeps every entry.
    pub keep_days: u32,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self { keep_days: 365 }
    }
}
