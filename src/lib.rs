//! Chronicle turns a community's blogs into a weekly newsletter: it polls RSS/Atom feeds,
//! stores clean, deduplicated posts in SQLite, renders a weekly digest and e-mails it.
//!
//! The data's path: `config` → `ingest` (fetch, parse, sanitise) → `store` → `digest` (select,
//! render) → `mail` (ledger, SMTP). `web` and `daemon` drive the stages; `app` wires the jobs
//! and `serve` runs the web server beside the scheduler.
//! `html` (sanitiser, text of HTML, excerpts) serves both `ingest` and `digest`.

/// mimalloc for every binary built on this crate (the service, tests, benchmarks), so that
/// what the benchmarks measure is what ships.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod app;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod digest;
pub mod domain;
pub mod html;
pub mod ingest;
pub mod mail;
pub mod monitor;
pub mod serve;
pub mod store;
pub mod stories;
pub mod telemetry;
pub mod web;
