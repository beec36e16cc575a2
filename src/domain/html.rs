//! [`SanitizedHtml`]: HTML that went through the sanitiser.

use serde::Serialize;

/// HTML that is safe to print unescaped in a template or an e-mail.
///
/// Only the sanitiser (`html::sanitize`) makes one from untrusted input; the store makes one
/// back from a column it wrote itself ([`SanitizedHtml::from_trusted_store`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(transparent)]
pub struct SanitizedHtml(String);

impl SanitizedHtml {
    /// Wraps the sanitiser's output. Crate-private so that nothing else can mint one.
    pub(crate) fn new_unchecked(html: String) -> Self {
        Self(html)
    }

    /// Reads back a value the store wrote after sanitising it.
    pub(crate) fn from_trusted_store(html: String) -> Self {
        Self(html)
    }

    /// The HTML.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes the wrapper.
    pub fn into_string(self) -> String {
        self.0
    }
}
