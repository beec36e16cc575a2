//! The command tree (clap). Handlers live in `commands`; this file only declares.

mod check;
mod commands;
mod digest;
mod entries;
mod feeds;
mod health;
mod monitor;
mod progress;
mod send;
mod subscribers;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::domain::DigestWeek;

pub use commands::run;
pub use health::HealthcheckArgs;
pub use monitor::{AdminCommand, StatusArgs};
pub use send::{DeliveriesArgs, SendArgs};
pub use subscribers::{ExportFormat, SubscribersCommand, parse_import};

/// Chronicle turns a community's blogs into a weekly newsletter.
///
/// It polls the members' RSS/Atom feeds, stores clean, deduplicated posts in SQLite, renders a
/// weekly digest and e-mails it to subscribers. `chronicle serve` runs it all as a service.
#[derive(Debug, Parser)]
#[command(
    name = "chronicle",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Configuration file (a missing file means "all defaults").
    #[arg(
        long,
        global = true,
        default_value = "config.toml",
        value_name = "PATH"
    )]
    pub config: PathBuf,

    /// Log as JSON lines (for log collectors) instead of human-readable text.
    #[arg(long, global = true)]
    pub log_json: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, add and remove the blogs Chronicle follows.
    #[command(subcommand)]
    Feeds(FeedsCommand),
    /// Poll feeds: the due ones, all of them, or one.
    Fetch(FetchArgs),
    /// Build a week's digest and print it (HTML, plain text or Markdown); edit it before it is
    /// sent (intro note, pinned and excluded stories).
    Digest(DigestArgs),
    /// Send a week's digest to every confirmed subscriber who has not had it yet.
    Send(SendArgs),
    /// Show how a digest's deliveries went: counts by status and the failures.
    Deliveries(DeliveriesArgs),
    /// Manage the readers: add, import, export, list, delete.
    #[command(subcommand)]
    Subscribers(SubscribersCommand),
    /// Read one mail on stdin (an unsubscribe request sent through `List-Unsubscribe`'s
    /// mailto) and unsubscribe the reader it names; for the mail server to pipe
    /// `newsletter.unsubscribe_address`'s mail into.
    UnsubscribeMail,
    /// Inspect stored posts.
    #[command(subcommand)]
    Entries(EntriesCommand),
    /// Run the web site and the scheduler (fetch, digest, send) until stopped.
    Serve,
    /// Validate the configuration and the database, and print what Chronicle would do.
    Check(CheckArgs),
    /// Write a consistent copy of the database to PATH while `serve` goes on running.
    Backup {
        /// Where to write the copy (must not exist yet).
        path: PathBuf,
    },
    /// Show the service's health: feeds by health (and the failing ones), subscribers, the
    /// last send, each job's last success.
    Status(StatusArgs),
    /// The organiser's dashboard (`/admin`).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Ask the running server (on web.bind, or --url) whether it is healthy: exit 0 when it
    /// answers 2xx, 1 otherwise. For container HEALTHCHECKs; opens no database.
    Healthcheck(HealthcheckArgs),
}

/// `feeds ...`
#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Follow a feed, given its URL or the blog's home page (its feed is discovered from
    /// `<link rel="alternate">`).
    Add {
        /// The feed's or the blog's URL (http or https).
        url: String,
        /// Title to show instead of the feed's own.
        #[arg(long)]
        title: Option<String>,
        /// Author to credit when an entry names none.
        #[arg(long)]
        author: Option<String>,
        /// A tag for grouping (repeat for several).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// Add the URL as it is, without fetching it (no check, no discovery).
        #[arg(long)]
        no_check: bool,
    },
    /// Add the feeds of an OPML file (from another reader). Folders and categories become tags;
    /// feeds already followed are skipped; bad outlines are reported and the rest imported.
    Import {
        /// The OPML file.
        file: PathBuf,
    },
    /// Print the followed feeds as OPML 2.0, for other readers.
    Export {
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Show every feed: title, URL, last fetch status, error count, entries.
    List {
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Poll a disabled feed again (one that answered 410 Gone, was disabled by `feeds disable`
    /// or removed from config.toml): due at once, its error count cleared.
    Enable {
        /// The feed's id (from `feeds list`) or URL.
        #[arg(value_name = "ID|URL")]
        feed: String,
    },
    /// Stop polling a feed but keep it and its entries (`feeds enable` undoes it).
    Disable {
        /// The feed's id (from `feeds list`) or URL.
        #[arg(value_name = "ID|URL")]
        feed: String,
    },
    /// Stop following a feed and delete its entries (sent digests keep their copy).
    Remove {
        /// The feed's id (from `feeds list`) or URL.
        #[arg(value_name = "ID|URL")]
        feed: String,
    },
}

/// `fetch`
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Fetch every enabled feed now, ignoring schedules (disabled feeds are skipped and counted).
    #[arg(long, conflicts_with = "feed")]
    pub all: bool,
    /// Fetch only this feed (id or URL), now.
    #[arg(long, value_name = "ID|URL")]
    pub feed: Option<String>,
}

/// Output format of `digest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The HTML e-mail.
    Html,
    /// The plain-text e-mail.
    Text,
    /// Markdown, for posting the digest on a blog.
    Markdown,
}

/// `digest`
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DigestArgs {
    /// Edit the week's digest before it is sent, or list its stories.
    #[command(subcommand)]
    pub command: Option<DigestCommand>,
    /// ISO week, e.g. 2026-W47 (default: the last complete week in digest.timezone).
    #[arg(long, value_name = "YYYY-Www")]
    pub week: Option<DigestWeek>,
    /// What to print.
    #[arg(long, value_enum, default_value_t = Format::Html)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, visible_alias = "output", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `digest edit|pin|unpin|exclude|include|stories`
#[derive(Debug, Subcommand)]
pub enum DigestCommand {
    /// Write, replace or remove the week's intro note: Markdown shown above the stories (as HTML
    /// in the e-mail and on the web, as text in the plain-text part, as is in Markdown).
    #[command(group(clap::ArgGroup::new("note").required(true).args(["intro_file", "intro", "clear_intro"])))]
    Edit {
        /// ISO week (default: the last complete week).
        #[arg(long, value_name = "YYYY-Www")]
        week: Option<DigestWeek>,
        /// Read the note from this Markdown file.
        #[arg(long, value_name = "FILE")]
        intro_file: Option<PathBuf>,
        /// The note itself, as Markdown.
        #[arg(long, value_name = "MARKDOWN")]
        intro: Option<String>,
        /// Remove the note.
        #[arg(long)]
        clear_intro: bool,
    },
    /// Pin stories: they come first and are never cut by a cap (ids from `entries list` or
    /// `digest stories`).
    Pin(PickArgs),
    /// Undo `pin`.
    Unpin(PickArgs),
    /// Keep stories out of the week's digest.
    Exclude(PickArgs),
    /// Undo `exclude`.
    Include(PickArgs),
    /// List the week's stories in order, with their entry ids, pins and exclusions.
    Stories {
        /// ISO week (default: the last complete week).
        #[arg(long, value_name = "YYYY-Www")]
        week: Option<DigestWeek>,
    },
}

/// Arguments of `digest pin|unpin|exclude|include`.
#[derive(Debug, Args)]
pub struct PickArgs {
    /// ISO week (default: the last complete week).
    #[arg(long, value_name = "YYYY-Www")]
    pub week: Option<DigestWeek>,
    /// Entry ids.
    #[arg(required = true, value_name = "ENTRY-ID")]
    pub entries: Vec<i64>,
}

/// `entries ...`
#[derive(Debug, Subcommand)]
pub enum EntriesCommand {
    /// Show stored posts, newest first.
    List {
        /// Only this feed (id or URL).
        #[arg(long, value_name = "ID|URL")]
        feed: Option<String>,
        /// Only posts published on or after this date (YYYY-MM-DD, or RFC 3339).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// One JSON object per line (id, story, feed_id, feed_url, feed_title, guid, url, title,
        /// author, published, updated, first_seen, summary, content, image_url, tags,
        /// reading_minutes; dates in RFC 3339). `story` is the entry's own id for an original,
        /// else the id of the original it is a copy of.
        #[arg(long)]
        json: bool,
    },
    /// Show one entry and its story: the original it is a copy of and by which rule (the same
    /// link, a canonical link, or the same text with the measured distance), or its copies.
    Show {
        /// The entry's id.
        id: i64,
        /// One JSON object (id, story, title, blog, author, url, published, first_seen, words,
        /// rule, via, distance, members, kept_apart_from).
        #[arg(long)]
        json: bool,
    },
    /// Make an entry a story of its own, for good: later regrouping keeps it apart from the
    /// story it was in.
    Split {
        /// The entry's id.
        id: i64,
    },
    /// Join an entry to another's story by hand (it is listed under it as "also on").
    Merge {
        /// The entry to join.
        id: i64,
        /// An entry of the story to join it to (the story's original stays its original).
        #[arg(value_name = "ORIGINAL-ID")]
        original: i64,
    },
}

/// `check`
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Also connect to the SMTP server and check that it answers.
    #[arg(long)]
    pub smtp: bool,
    /// Only check that the running server answers on web.bind (for container health checks).
    #[arg(long)]
    pub health: bool,
}
