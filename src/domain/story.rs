//! What story grouping works on: an entry's grouping keys ([`StoryRecord`]), its text
//! [`Sketch`], the organiser's [`StoryOverride`]s, and the outcome ([`StoryLink`]: which story an
//! entry belongs to, and by which [`StoryRule`]).

/// Hashes a [`Sketch`] keeps at most: a post of up to ~260 words keeps all of its shingles, a
/// longer one a uniform sample of them. 256 × 4 bytes = 1 KiB per entry at most.
pub const SKETCH_SIZE: usize = 256;

/// A text's bottom-k shingle hashes, ascending and distinct (see `stories::sketch`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sketch(Vec<u32>);

impl Sketch {
    /// A sketch from hashes already sorted, distinct and at most [`SKETCH_SIZE`].
    pub(crate) fn from_sorted(hashes: Vec<u32>) -> Self {
        debug_assert!(hashes.len() <= SKETCH_SIZE && hashes.windows(2).all(|w| w[0] < w[1]));
        Self(hashes)
    }

    /// A sketch from stored bytes (little-endian `u32`s, ascending); None when they are not one.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if !bytes.len().is_multiple_of(4) || bytes.len() / 4 > SKETCH_SIZE {
            return None;
        }
        let v: Vec<u32> = bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        v.windows(2).all(|w| w[0] < w[1]).then_some(Self(v))
    }

    /// The bytes to store.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|h| h.to_le_bytes()).collect()
    }

    /// The kept hashes, ascending.
    pub fn hashes(&self) -> &[u32] {
        &self.0
    }

    /// Whether the text was too short to sketch.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The largest hash this sketch speaks for: every shingle of the text hashing at or below
    /// it is in the sketch. A text with fewer shingles than [`SKETCH_SIZE`] kept them all.
    pub fn horizon(&self) -> u32 {
        if self.0.len() < SKETCH_SIZE {
            u32::MAX
        } else {
            self.0.last().copied().unwrap_or(u32::MAX)
        }
    }
}

/// What grouping needs to know of an entry.
#[derive(Debug, Clone, Default)]
pub struct StoryRecord {
    /// Entry id.
    pub id: i64,
    /// Its feed.
    pub feed_id: i64,
    /// Normalised link.
    pub norm_url: Option<String>,
    /// Normalised canonical / "originally published at" link.
    pub canonical_url: Option<String>,
    /// Plain-text title.
    pub title: String,
    /// Author's name, if known.
    pub author: Option<String>,
    /// Sketch of the whole text (empty when too short).
    pub sketch: Sketch,
    /// Publication time (Unix seconds).
    pub published: i64,
    /// First-seen time (Unix seconds).
    pub first_seen: i64,
    /// When a frozen digest holding it went out, if one did.
    pub sent_at: Option<i64>,
    /// Its current story, as stored.
    pub link: StoryLink,
}

/// Why an entry is a copy of another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoryRule {
    /// Both links are the same once normalised.
    SameLink,
    /// One names the other (or both name one page) as the original: `rel=canonical` or an
    /// "originally published at" link.
    Canonical,
    /// Their texts are the same article (see `stories::rules`); `distance` says how far apart.
    Text,
    /// The organiser merged them (`chronicle entries merge`).
    Manual,
}

impl StoryRule {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SameLink => "same-link",
            Self::Canonical => "canonical",
            Self::Text => "text",
            Self::Manual => "manual",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "same-link" => Self::SameLink,
            "canonical" => Self::Canonical,
            "text" => Self::Text,
            "manual" => Self::Manual,
            _ => return None,
        })
    }

    /// Plain words for the organiser.
    pub fn describe(self) -> &'static str {
        match self {
            Self::SameLink => "the same link",
            Self::Canonical => "its canonical / \"originally published at\" link",
            Self::Text => "the same text",
            Self::Manual => "merged by hand",
        }
    }
}

/// An entry's place in its story.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StoryLink {
    /// The story's original entry, when this entry is a copy.
    pub original: Option<i64>,
    /// The member of the story it matched (the original itself, or another copy).
    pub via: Option<i64>,
    /// The rule that joined it to the story (to the member it matched).
    pub rule: Option<StoryRule>,
    /// For [`StoryRule::Text`]: 1 − the similarity that matched (0 = identical texts).
    pub distance: Option<f64>,
}

/// The organiser's word on two entries, which regrouping always respects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoryOverride {
    /// The entry the organiser named.
    pub entry_id: i64,
    /// The other entry.
    pub other_id: i64,
    /// True: one story (`entries merge`); false: never one story (`entries split`).
    pub together: bool,
}
