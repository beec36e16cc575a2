//! `config.toml` text (and, after a NUL byte, `CHRONICLE_SECTION__KEY=value` lines for the
//! environment) → `Settings::from_parts`: TOML, typed values, env overrides, validation.
//!
//! Invariant: a refused configuration gets a one-line error (the organiser reads it in a
//! terminal or a service log).
#![no_main]

use std::path::Path;

use chronicle::config::Settings;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = chronicle_fuzz::text(data);
    let (file, env) = text.split_once('\0').unwrap_or((&text, ""));
    let env: Vec<(String, String)> = env
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            (
                format!("CHRONICLE_{}", k.trim_start_matches("CHRONICLE_")),
                v.into(),
            )
        })
        .collect();
    if let Err(e) = Settings::from_parts(Path::new("config.toml"), file, env) {
        let msg = e.to_string();
        assert!(!msg.contains('\n'), "error on more than one line: {msg:?}");
    }
});
