//! HTML and its text, shared by the stages that read posts (`ingest`) and the one that writes
//! digests (`digest`): the one sanitiser ([`sanitize`], one ammonia `Builder`), the plain text of
//! HTML ([`text`]), excerpts ([`excerpt()`]) and how scripts without spaces count, for word counts
//! and reading time ([`script`]). Pure code, no I/O; it knows no stage.

pub mod excerpt;
pub mod sanitize;
pub mod script;
pub mod text;

pub use excerpt::excerpt;
