//! Links and fingerprints for telling one article from another.
//!
//! * [`clean_link`]: the link we store and show: absolute, http(s), with tracking parameters
//!   removed and everything else (including the fragment) kept.
//! * [`normalize_url`]: the dedup key: the same article reached by `http://www.Example.org/a/`,
//!   `https://example.org/a?utm_source=x` or `https://example.org/a#comments` gives one key.
//! * [`simhash`]: a 64-bit SimHash of a text's word 3-shingles; two copies of a post whose
//!   fingerprints differ in at most [`NEAR_DUPLICATE_BITS`] bits are the same article.

use url::Url;

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

/// Query parameters that only track the reader: removed from stored links and dedup keys.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "twclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "wt_mc",
    "_ga",
    "_gl",
    "ck_subscriber_id",
    "ocid",
    "cmpid",
    "rss",
    "sc_cid",
];

/// Whether a query parameter name is a tracking parameter (`utm_*`, `fbclid`, `gclid`, ...).
pub fn is_tracking_param(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("utm_") || lower.starts_with("pk_") || TRACKING_PARAMS.contains(&&*lower)
}

/// Removes tracking parameters from `url`'s query, leaving the other parameters in order. An
/// emptied query is removed entirely (no dangling `?`).
pub fn strip_tracking(url: &mut Url) {
    let Some(query) = url.query() else { return };
    if query.is_empty() {
        url.set_query(None);
        return;
    }
    let pairs: Vec<&str> = query.split('&').collect();
    let kept: Vec<&str> = pairs
        .iter()
        .copied()
        .filter(|p| {
            let name = p.split('=').next().unwrap_or("");
            !p.is_empty() && !is_tracking_param(name)
        })
        .collect();
    if kept.len() == pairs.len() {
        return;
    }
    if kept.is_empty() {
        url.set_query(None);
    } else {
        let joined = kept.join("&");
        url.set_query(Some(&joined));
    }
}

/// The link to store for a post: `href` resolved against `base`, http(s) only, tracking removed.
pub fn clean_link(href: &str, base: &Url) -> Option<Url> {
    let mut url = base.join(href.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return None;
    }
    strip_tracking(&mut url);
    Some(url)
}

/// The dedup key of a link: scheme folded to `https`, host lower-cased without `www.`, default
/// port, fragment and tracking parameters dropped, remaining parameters sorted, and the path
/// without a trailing slash or a trailing `index.html`. Idempotent: the key parses as a URL
/// whose key is itself.
pub fn normalize_url(url: &Url) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.trim_end_matches('.');
    let host = host.strip_prefix("www.").unwrap_or(host);
    if host.is_empty() {
        return None;
    }
    let mut path = url.path().to_string();
    for suffix in ["/index.html", "/index.htm", "/index.php"] {
        if path.ends_with(suffix) {
            path.truncate(path.len() - suffix.len() + 1);
        }
    }
    while path.len() > 1 && path.ends_with('/') {
        path.pop();
    }
    let mut params: Vec<&str> = url
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && !is_tracking_param(p.split('=').next().unwrap_or("")))
        .collect();
    params.sort_unstable();
    params.dedup();
    let mut key = format!("https://{host}");
    if let Some(port) = url.port().filter(|p| *p != 80 && *p != 443) {
        key.push_str(&format!(":{port}"));
    }
    key.push_str(if path.is_empty() { "/" } else { &path });
    if !params.is_empty() {
        key.push('?');
        key.push_str(&params.join("&"));
    }
    Some(key)
}

/// [`normalize_url`] of a string.
pub fn normalize_str(url: &str) -> Option<String> {
    normalize_url(&Url::parse(url.trim()).ok()?)
}

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

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn tracking_parameters_are_removed_and_others_kept() {
        let base = u("https://blog.example.org/feed.xml");
        let l = clean_link(
            "/p/1?utm_source=rss&id=7&fbclid=x&UTM_Medium=y&gclid=z&mc_cid=a&mc_eid=b#top",
            &base,
        )
        .unwrap();
        assert_eq!(l.as_str(), "https://blog.example.org/p/1?id=7#top");
        let l = clean_link("/p/1?utm_source=rss", &base).unwrap();
        assert_eq!(l.as_str(), "https://blog.example.org/p/1");
        assert!(clean_link("javascript:alert(1)", &base).is_none());
        assert!(clean_link("mailto:a@b.c", &base).is_none());
    }

    #[test]
    fn one_article_one_key() {
        let keys: Vec<_> = [
            "http://www.Example.org/posts/hello/",
            "https://example.org/posts/hello",
            "https://EXAMPLE.org:443/posts/hello?utm_source=feed#comments",
            "https://example.org/posts/hello/index.html",
        ]
        .iter()
        .map(|s| normalize_str(s).unwrap())
        .collect();
        assert!(
            keys.iter().all(|k| k == "https://example.org/posts/hello"),
            "{keys:?}"
        );
        assert_eq!(
            normalize_str("https://example.org/?b=2&a=1").unwrap(),
            "https://example.org/?a=1&b=2"
        );
        assert_ne!(
            normalize_str("https://example.org/p?id=1"),
            normalize_str("https://example.org/p?id=2")
        );
        assert_eq!(
            normalize_str("http://example.org:8080/x/").unwrap(),
            "https://example.org:8080/x"
        );
    }

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

/// URL normalisation is idempotent on generated URLs (proptest).
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

    fn url() -> impl Strategy<Value = String> {
        (
            prop_oneof![Just("http"), Just("https"), Just("HTTP")],
            prop_oneof![Just(""), Just("www."), Just("WWW.")],
            "[a-zA-Z0-9-]{1,12}\\.(org|com|example)",
            prop_oneof![Just(""), Just(":80"), Just(":443"), Just(":8080")],
            proptest::collection::vec("[a-zA-Z0-9._~%-]{0,8}", 0..4),
            prop_oneof![Just(""), Just("/"), Just("/index.html")],
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("utm_source".to_string()),
                        Just("fbclid".to_string()),
                        Just("id".to_string()),
                        "[a-z]{1,5}",
                    ],
                    "[a-zA-Z0-9%+]{0,6}",
                ),
                0..4,
            ),
            prop_oneof![Just(""), Just("#top"), Just("#")],
        )
            .prop_map(
                |(scheme, www, host, port, segments, tail, query, fragment)| {
                    let mut u =
                        format!("{scheme}://{www}{host}{port}/{}{tail}", segments.join("/"));
                    if !query.is_empty() {
                        let q: Vec<String> =
                            query.iter().map(|(k, v)| format!("{k}={v}")).collect();
                        u.push('?');
                        u.push_str(&q.join("&"));
                    }
                    u.push_str(fragment);
                    u
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn normalising_is_idempotent(input in url()) {
            if let Some(once) = normalize_str(&input) {
                let twice = normalize_str(&once);
                prop_assert_eq!(Some(once.clone()), twice, "input {}", input);
                prop_assert!(!once.contains("utm_") && !once.contains("fbclid") && !once.contains('#'));
            }
        }

        #[test]
        fn cleaning_a_link_is_idempotent(input in url()) {
            let base = Url::parse("https://blog.example.org/").unwrap();
            if let Some(once) = clean_link(&input, &base) {
                let twice = clean_link(once.as_str(), &base);
                prop_assert_eq!(Some(once.clone()), twice);
            }
        }
    }
}
