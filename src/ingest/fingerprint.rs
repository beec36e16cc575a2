//! Text fingerprints for telling one article from another: [`simhash`], a 64-bit SimHash of a
//! text's word 3-shingles; two copies of a post whose fingerprints differ in at most
//! [`NEAR_DUPLICATE_BITS`] bits are the same article.

/// Two entries are copies of one article when their text fingerprints differ in at most this many
/// bits of 64, whatever their titles (the same text, retitled)...
pub const NEAR_DUPLICATE_BITS: u32 = 3;

/// ...or when their titles are the same (case, punctuation and spacing aside) and their
/// fingerprints differ in at most this many bits (the same text with a cross-post footer or a
/// fixed typo). Unrelated texts differ in 32 bits on average (standard deviation 4), so 12 bits
/// is five deviations away from chance.
pub const SAME_TITLE_BITS: u32 = 12;

/// Fewer words than this and a text is too short to fingerprint: two short notes agree by chance.
pub const MIN_FINGERPRINT_WORDS: usize = 40;

/// SplitMix64's finaliser: spreads every input bit over the output.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// SimHash of `text`'s word 3-shingles. Words are runs of ASCII letters and digits and of
/// non-ASCII characters (so "café" and "naïve" are one word each), ASCII letters folded to lower
/// case, each hashed with FNV-1a and a SplitMix64 finish: a fixed hash, so stored fingerprints
/// stay comparable across builds. One pass over the bytes. Returns `None` for texts shorter
/// than [`MIN_FINGERPRINT_WORDS`] words.
pub fn simhash(text: &str) -> Option<u64> {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut ones = BitCounters::new();
    let (mut a, mut b) = (0u64, 0u64);
    let mut words = 0usize;
    let mut add = |c: u64| {
        words += 1;
        if words >= 3 {
            ones.add(mix(a ^ b.rotate_left(21) ^ c.rotate_left(42)));
        }
        (a, b) = (b, c);
    };
    // Each byte as it enters a word's hash (ASCII letters lower-cased), or 0 between words.
    const FOLD: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut b = 0;
        while b < 256 {
            let byte = b as u8;
            if byte.is_ascii_alphanumeric() || byte >= 0x80 {
                t[b] = byte.to_ascii_lowercase();
            }
            b += 1;
        }
        t
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    loop {
        while i < bytes.len() && FOLD[usize::from(bytes[i])] == 0 {
            i += 1;
        }
        if i == bytes.len() {
            break;
        }
        let mut h = OFFSET;
        while let Some(&folded) = bytes.get(i).map(|b| &FOLD[usize::from(*b)]) {
            if folded == 0 {
                break;
            }
            h = (h ^ u64::from(folded)).wrapping_mul(PRIME);
            i += 1;
        }
        add(mix(h));
    }
    if words < MIN_FINGERPRINT_WORDS {
        return None;
    }
    // A bit of the fingerprint is set when more shingles have it set than clear.
    Some(ones.majority(words - 2))
}

/// Sixty-four counters held bit-sliced: `levels[k]` holds bit `k` of every counter, so adding a
/// 64-bit hash to all of them is eight carry steps of two word operations, without a branch,
/// instead of sixty-four increments. Every 255 hashes the eight-bit counters are moved into
/// `totals`.
struct BitCounters {
    levels: [u64; 8],
    pending: u32,
    totals: [u32; 64],
}

impl BitCounters {
    fn new() -> Self {
        BitCounters {
            levels: [0; 8],
            pending: 0,
            totals: [0; 64],
        }
    }

    fn add(&mut self, mut carry: u64) {
        for level in &mut self.levels {
            let next = *level & carry;
            *level ^= carry;
            carry = next;
        }
        self.pending += 1;
        if self.pending == 255 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        for (bit, total) in self.totals.iter_mut().enumerate() {
            *total += self
                .levels
                .iter()
                .enumerate()
                .fold(0u32, |n, (k, level)| n | ((level >> bit & 1) as u32) << k);
        }
        self.levels = [0; 8];
        self.pending = 0;
    }

    /// The bits whose counter exceeds half of `total` (the number of hashes added).
    fn majority(mut self, total: usize) -> u64 {
        self.flush();
        self.totals
            .iter()
            .enumerate()
            .filter(|(_, n)| **n as usize > total / 2)
            .fold(0u64, |acc, (bit, _)| acc | 1 << bit)
    }
}

/// Bits in which two fingerprints differ.
pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook SimHash (a signed weight per bit), as [`simhash`] computed it before its
    /// counters were bit-sliced: the two must agree on every text.
    pub(super) fn simhash_reference(text: &str) -> Option<u64> {
        let mut weights = [0i64; 64];
        let hashes: Vec<u64> = text
            .split(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| {
                mix(w.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
                    (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3)
                }))
            })
            .collect();
        if hashes.len() < MIN_FINGERPRINT_WORDS {
            return None;
        }
        for w in hashes.windows(3) {
            let s = mix(w[0] ^ w[1].rotate_left(21) ^ w[2].rotate_left(42));
            for (bit, weight) in weights.iter_mut().enumerate() {
                *weight += if s >> bit & 1 == 1 { 1 } else { -1 };
            }
        }
        Some(
            (0..64)
                .filter(|bit| weights[*bit] > 0)
                .fold(0, |acc, bit| acc | 1 << bit),
        )
    }

    #[test]
    fn simhash_matches_the_textbook_definition() {
        let seed = "Chronicle polls the feeds of a community's blogs and turns them into a \
            weekly newsletter, café naïve 2026 ÉTÉ";
        for n in [0, 1, 2, 3, 5, 13, 40, 200] {
            let text = (0..n)
                .map(|i| format!("{seed} {i}"))
                .collect::<Vec<_>>()
                .join("\n");
            assert_eq!(simhash(&text), simhash_reference(&text), "{n}");
        }
    }

    #[test]
    fn fingerprints_tell_copies_from_other_posts() {
        let post = "Chronicle polls the feeds of a community's blogs and turns them into a \
            weekly newsletter. This week we look at how conditional requests keep the load on \
            bloggers' servers low, why ETags beat Last-Modified for static sites, and what a \
            polite client does when a server answers 429 with a Retry-After header. We also \
            measure how long a cold fetch of a thousand feeds takes on two cores.";
        let copy = format!("{post} This post first appeared on my own blog.");
        let retitled = post.replace("cold fetch", "first fetch");
        let other = "Entity Framework migrations can be squashed when the history grows long. \
            This post shows how to generate a fresh baseline migration, how to mark it as \
            applied on existing databases without running it, and how to keep the model \
            snapshot in sync so that the next migration is small. It closes with a checklist \
            for teams that deploy to several environments every week.";
        let a = simhash(post).unwrap();
        let b = simhash(&copy).unwrap();
        let c = simhash(other).unwrap();
        let d = simhash(&retitled).unwrap();
        assert!(distance(a, b) <= SAME_TITLE_BITS, "{}", distance(a, b));
        assert!(distance(a, d) <= SAME_TITLE_BITS, "{}", distance(a, d));
        assert!(distance(a, c) > SAME_TITLE_BITS, "{}", distance(a, c));
        assert_eq!(simhash("too short to tell"), None);
    }
}

/// SimHash agrees with its textbook definition on generated texts (proptest).
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::tests::simhash_reference;
    use super::*;

    proptest! {
        #[test]
        fn simhash_agrees_with_the_reference(words in proptest::collection::vec("[a-zA-Zé0-9]{1,6}", 0..120), sep in "[ ,.\n]{1,2}") {
            let text = words.join(&sep);
            prop_assert_eq!(simhash(&text), simhash_reference(&text));
        }
    }
}
