//! The text side of story grouping: a [`Sketch`] of a post's whole text, from which two posts'
//! overlap can be estimated without their bodies.
//!
//! A text is cut into tokens: words (runs of letters and digits, folded to lower case) in
//! scripts that put spaces between words, and single characters in scripts that do not
//! (Chinese, Japanese kana, Thai, Lao, Khmer, Myanmar), so a Japanese post has as many tokens as
//! a reader sees characters. Every run of [`SHINGLE`] consecutive tokens is hashed to 32 bits,
//! and the sketch keeps the [`SKETCH_SIZE`] smallest distinct hashes ("bottom-k"). Two sketches
//! compared below the smaller of their largest kept hashes are two uniform samples, at the same
//! rate, of the two texts' shingle sets: so the share of one text found in the other
//! (containment) and the share of both that they have in common (resemblance) can be
//! estimated from them, for any length of text.
//!
//! The hashes are fixed (FNV-1a and SplitMix64, no per-process seed), so stored sketches stay
//! comparable across builds and restarts.

use crate::domain::{SKETCH_SIZE, Sketch};

/// Tokens per shingle: four words, or four characters of a script without spaces.
pub const SHINGLE: usize = 4;

/// Shingles a text needs for a sketch: shorter texts (a one-line note) agree by chance.
pub const MIN_SHINGLES: usize = 12;

/// Sketches `text`: its shingles' [`SKETCH_SIZE`] smallest hashes; empty when it has fewer
/// than [`MIN_SHINGLES`] shingles.
pub fn sketch(text: &str) -> Sketch {
    let mut window = [0u64; SHINGLE];
    let mut tokens = 0usize;
    let mut hashes: Vec<u32> = Vec::new();
    for_each_token(text, |h| {
        window[tokens % SHINGLE] = h;
        tokens += 1;
        if tokens >= SHINGLE {
            // Order matters: rotate each token's hash by its place in the shingle.
            let mut x = 0u64;
            for k in 0..SHINGLE {
                x ^= window[(tokens + k) % SHINGLE].rotate_left(17 * k as u32);
            }
            hashes.push((mix(x) >> 32) as u32);
        }
    });
    hashes.sort_unstable();
    hashes.dedup();
    if hashes.len() < MIN_SHINGLES {
        return Sketch::default();
    }
    hashes.truncate(SKETCH_SIZE);
    Sketch::from_sorted(hashes)
}

/// SplitMix64's finaliser: spreads every input bit over the output.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

fn fnv(h: u64, byte: u8) -> u64 {
    (h ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
}

/// A letter of a script written without spaces between words ([`crate::html::script`]): each
/// is a token by itself.
pub fn is_unspaced(c: char) -> bool {
    crate::html::script::class(c) == crate::html::script::Class::Letter
}

/// Calls `emit` with the hash of each token of `text`, in order.
fn for_each_token(text: &str, mut emit: impl FnMut(u64)) {
    let mut word: Option<u64> = None;
    let mut buf = [0u8; 4];
    for c in text.chars() {
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                let b = c.to_ascii_lowercase() as u8;
                word = Some(fnv(word.unwrap_or(FNV_OFFSET), b));
            } else if let Some(h) = word.take() {
                emit(mix(h));
            }
        } else if is_unspaced(c) {
            if let Some(h) = word.take() {
                emit(mix(h));
            }
            emit(mix(c.encode_utf8(&mut buf).bytes().fold(FNV_OFFSET, fnv)));
        } else if c.is_alphanumeric() {
            let mut h = word.unwrap_or(FNV_OFFSET);
            for lc in c.to_lowercase() {
                h = lc.encode_utf8(&mut buf).bytes().fold(h, fnv);
            }
            word = Some(h);
        } else if let Some(h) = word.take() {
            emit(mix(h));
        }
    }
    if let Some(h) = word {
        emit(mix(h));
    }
}

/// What two sketches say of two texts' overlap, below both horizons and leaving out the hashes
/// in `ignore` (boilerplate shared by unrelated posts).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overlap {
    /// Sampled shingles both texts have.
    pub shared: usize,
    /// Sampled shingles of the first text.
    pub left: usize,
    /// Sampled shingles of the second text.
    pub right: usize,
}

impl Overlap {
    /// Compares two sketches; `ignore` tells boilerplate hashes.
    pub fn of(a: &Sketch, b: &Sketch, ignore: impl Fn(u32) -> bool) -> Self {
        let keep = |s: &Sketch| {
            s.hashes()
                .iter()
                .copied()
                .filter(|&h| !ignore(h))
                .collect::<Vec<u32>>()
        };
        Self::of_kept(&keep(a), a.horizon(), &keep(b), b.horizon())
    }

    /// Compares two ascending hash lists (sketches with boilerplate already left out), each
    /// with the horizon of the sketch it came from.
    pub fn of_kept(a: &[u32], a_horizon: u32, b: &[u32], b_horizon: u32) -> Self {
        let horizon = a_horizon.min(b_horizon);
        let x = &a[..a.partition_point(|&h| h <= horizon)];
        let y = &b[..b.partition_point(|&h| h <= horizon)];
        let (mut i, mut j, mut shared) = (0, 0, 0);
        while i < x.len() && j < y.len() {
            match x[i].cmp(&y[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    shared += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        Self {
            shared,
            left: x.len(),
            right: y.len(),
        }
    }

    /// Share of both texts they have in common (Jaccard), 0 to 1.
    pub fn resemblance(&self) -> f64 {
        let union = self.left + self.right - self.shared;
        if union == 0 {
            0.0
        } else {
            self.shared as f64 / union as f64
        }
    }

    /// Share of the shorter text found in the other, 0 to 1.
    pub fn containment(&self) -> f64 {
        let smaller = self.left.min(self.right);
        if smaller == 0 {
            0.0
        } else {
            self.shared as f64 / smaller as f64
        }
    }
}

#[cfg(test)]
mod tests;
