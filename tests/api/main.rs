//! Integration tests: one binary, real parts. A real SQLite file, a real HTTP server on
//! 127.0.0.1 serving fixture feeds, a real SMTP server (aiosmtpd) over TCP, and the real
//! `chronicle` binary.

mod abuse;
mod browser;
mod browser_journey;
mod busy_week;
mod cli;
mod conformance;
mod delivery;
mod delivery_crash;
mod delivery_message;
mod delivery_tls;
mod digest;
mod end_to_end;
mod entries;
mod feed_sources;
mod fetching;
mod golden;
mod healthcheck;
mod helpers;
mod politeness;
mod readers;
mod real_feeds;
mod scripts;
mod selection;
mod site_pages;
mod stories;
mod subscriber_tools;
mod web;
