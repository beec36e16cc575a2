//! Links for telling one article from another (its text is told by [`crate::stories`]).
//!
//! * [`clean_link`]: the link we store and show: absolute, http(s), with tracking parameters
//!   removed and everything else (including the fragment) kept.
//! * [`normalize_url`]: the dedup key: the same article reached by `http://www.Example.org/a/`,
//!   `https://example.org/a?utm_source=x` or `https://example.org/a#comments` gives one key.

use url::Url;

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
}

/// URL normalisation is idempotent on generated URLs (proptest).
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

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
