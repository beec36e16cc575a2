//! Integration tests: one binary, real parts. A real SQLite file, a real HTTP server on
//! 127.0.0.1 serving fixture feeds, a real SMTP server (aiosmtpd) over TCP, and the real
//! `chronicle` binary.

mod abuse;
mod browser;
mod browser_journey;
mod busy_database;
mod busy_week;
mod cli;
mod conformance;
mod dashboard;
mod dashboard_browser;
mod dashboard_pages;
mod delivery;
mod delivery_crash;
mod delivery_message;
mod delivery_relay;
mod delivery_tls;
mod digest;
mod end_to_end;
mod entries;
mod feed_sources;
mod fetch_guard;
mod fetch_rules;
mod fetching;
mod golden;
mod healthcheck;
mod helpers;
mod hostile;
mod hostile_raw;
mod housekeeping;
mod machine;
mod politeness;
mod readers;
mod real_feeds;
mod schedule;
mod scheduled_weeks;
mod scripts;
mod sealed;
mod selection;
mod shutdown;
mod site_pages;
mod site_security;
mod stories;
mod subscriber_tools;
mod unsubscribe_exact;
mod web;
