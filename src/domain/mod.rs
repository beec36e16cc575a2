//! Pure types shared by every stage: no I/O, no SQL, no HTTP.
//!
//! Values here are parsed once at the edge ("parse, don't validate"): code that receives a
//! [`FeedUrl`], a [`SubscriberEmail`], a [`SanitizedHtml`] or a [`DigestWeek`] cannot receive bad
//! data.

mod delivery;
mod email;
mod entry;
mod feed_url;
mod html;
mod story;
mod token;
mod week;

pub use delivery::{Claimed, Outcome};
pub use email::{EmailError, SubscriberEmail, shown};
pub use entry::{Entry, FeedRecord, NewEntry, ParsedFeed, Subscriber, SubscriberStatus};
pub use feed_url::{FeedUrl, FeedUrlError};
pub use html::SanitizedHtml;
pub use story::{SKETCH_SIZE, Sketch, StoryLink, StoryOverride, StoryRecord, StoryRule};
pub use token::Token;
pub use week::{DigestWeek, WeekError};
