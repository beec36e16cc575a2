//! Links for telling one article from another (its text is told by [`crate::stories`]).
//!
//! * [`clean_link`]: the link we store and show: absolute, http(s), with tracking parameters
//!   removed and everything else (including the fragment) kept.
//! * [`normalize_url`]: the dedup key: the same article reached by `http://www.Example.org/a/`,
//!   `https://example.org/a?utm_source=x` or `https://example.org/a#comments` gives one key.

use url::Url;

/// Query parameters that only track the reader: removed from stored links and dedup keys.
///
/// Only parameters a maintained list names as tracking are here, so that a site's real
/// parameters (`rss=`, `page=`, `id=`, `q=`, `ref=` naming a branch or a source) stay. The list
/// is Miniflux's `trackingParams` (miniflux/v2 `internal/reader/urlcleaner/urlcleaner.go`, last
/// changed in commit 7fa38aaf of 2026-02-15, read at 106cdd09 of 2026-08-11), which draws on
/// Firefox's query-stripping list and AdGuard's tracking-parameter filter. Names are compared in
/// lower case (Miniflux's `__readwiseLocation` is written so, and so never matched there).
/// Chronicle's earlier extras that no such list names (`rss`, `ocid`, `cmpid`, `igshid`, `_ga`,
/// `_gl`, `wt_mc`, `ck_subscriber_id`, `pk_*`) were dropped: `rss=1` selects a page on many sites.
const TRACKING_PARAMS: &[&str] = &[
    // Facebook click identifiers.
    "fbclid",
    "_openstat",
    "fb_action_ids",
    "fb_action_types",
    "fb_ref",
    "fb_source",
    "fb_comment_id",
    // Humble Bundle.
    "hmb_campaign",
    "hmb_medium",
    "hmb_source",
    "itm_campaign",
    "itm_medium",
    "itm_source",
    // Google click identifiers and Analytics campaigns.
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "gclsrc",
    "campaign_id",
    "campaign_medium",
    "campaign_name",
    "campaign_source",
    "campaign_term",
    "campaign_content",
    "srsltid",
    // Yandex, Twitter, Microsoft.
    "yclid",
    "ysclid",
    "twclid",
    "msclkid",
    // Mailchimp.
    "mc_cid",
    "mc_eid",
    "mc_tc",
    "wickedid",
    // HubSpot.
    "hsa_cam",
    "_hsenc",
    "__hssc",
    "__hstc",
    "__hsfp",
    "_hsmi",
    "hsctatracking",
    // Olytics, Vero, Marketo, Adobe, Beehiiv, Branch.io, Readwise.
    "rb_clickid",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "vero_conv",
    "mkt_tok",
    "sc_cid",
    "_bhlid",
    "_branch_match_id",
    "_branch_referrer",
    "__readwiselocation",
];

/// Prefixes of tracking parameters (Miniflux's `trackingParamsPrefixes`, same source): Google's
/// UTM campaign parameters and Matomo's.
const TRACKING_PREFIXES: &[&str] = &["utm_", "mtm_"];

/// Whether a query parameter name is a tracking parameter (`utm_*`, `fbclid`, `gclid`, ...).
pub fn is_tracking_param(name: &str) -> bool {
    // Names are short; comparing case-insensitively needs no allocation.
    TRACKING_PREFIXES.iter().any(|p| {
        name.len() >= p.len() && name.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
    }) || TRACKING_PARAMS.iter().any(|t| t.eq_ignore_ascii_case(name))
}

/// Whether a `name=value` pair tracks: a listed name, or Ghost's outbound `ref=<site>`, which
/// names the linking site's host (Miniflux's `trackingParamsOutbound`: `ref` is removed only
/// when its value is the feed's or the site's host name). `hosts` are the host names that count
/// as the linking site. Any other `ref` (a branch, a source, an affiliate code) is a real
/// parameter and stays.
fn is_tracking_pair(pair: &str, hosts: &[&str]) -> bool {
    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
    if is_tracking_param(name) {
        return true;
    }
    name.eq_ignore_ascii_case("ref")
        && !value.is_empty()
        && hosts.iter().any(|h| {
            let bare = |s: &str| s.strip_prefix("www.").unwrap_or(s).to_ascii_lowercase();
            bare(value) == bare(h)
        })
}

/// Removes tracking parameters from `url`'s query, leaving the other parameters in order. An
/// emptied query is removed entirely (no dangling `?`). `site` is the host of the page or feed
/// the link was found on (for Ghost's `ref=<site>`); the link's own host counts too.
pub fn strip_tracking(url: &mut Url, site: Option<&str>) {
    let Some(query) = url.query() else { return };
    if query.is_empty() {
        url.set_query(None);
        return;
    }
    let own = url.host_str().unwrap_or("");
    let hosts: Vec<&str> = [Some(own), site].into_iter().flatten().collect();
    let pairs: Vec<&str> = query.split('&').collect();
    let kept: Vec<&str> = pairs
        .iter()
        .copied()
        .filter(|p| !p.is_empty() && !is_tracking_pair(p, &hosts))
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
    strip_tracking(&mut url, base.host_str());
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
    let mut host = url.host_str()?.trim_end_matches('.');
    // `www.` goes, as often as it is repeated, but never down to a bare suffix: `www.org` is a
    // site of its own. (Stripping one `www.` a pass made `www.www.org` → `www.org` → `org`:
    // found by the idempotence property.)
    while let Some(rest) = host.strip_prefix("www.").filter(|r| r.contains('.')) {
        host = rest;
    }
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
        .filter(|p| !p.is_empty() && !is_tracking_pair(p, &[host]))
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

    /// Regression (found by the idempotence property): `www.` repeated, and `www.` before a
    /// bare suffix.
    #[test]
    fn www_goes_as_often_as_repeated_but_not_down_to_a_suffix() {
        let once = normalize_str("http://www.wWW.org/").unwrap();
        assert_eq!(once, normalize_str(&once).unwrap());
        assert_eq!(
            normalize_str("https://www.org/a").unwrap(),
            normalize_str("https://WWW.org/a").unwrap()
        );
        assert!(
            normalize_str("https://www.org/a")
                .unwrap()
                .contains("//www.org/")
        );
        assert!(
            normalize_str("http://www.www.example.org/a")
                .unwrap()
                .contains("//example.org/")
        );
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
    fn real_parameters_survive() {
        let base = u("https://blog.example.org/feed.xml");
        for link in [
            "https://news.example.com/story?rss=1",
            "https://example.com/search?q=rust+async&page=2",
            "https://example.com/item.php?id=42&lang=ja",
            "https://github.com/org/repo/tree/main?ref=v1.2.0",
            "https://shop.example.com/p?ref=partner42",
            "https://example.com/watch?v=abc&t=30s",
            "https://example.com/p?pk_campaign=spring&ocid=7&cmpid=3&igshid=x&_ga=1",
        ] {
            assert_eq!(clean_link(link, &base).unwrap().as_str(), link);
            let key = normalize_str(link).unwrap();
            let query = link.split_once('?').unwrap().1;
            for pair in query.split('&') {
                assert!(key.contains(pair), "{pair} kept in the key {key}");
            }
        }
    }

    #[test]
    fn listed_trackers_go() {
        let base = u("https://blog.example.org/feed.xml");
        let all = "utm_source=rss&utm_medium=feed&UTM_CAMPAIGN=x&mtm_campaign=m&fbclid=a&gclid=b\
                   &dclid=c&gbraid=d&wbraid=e&msclkid=f&yclid=g&twclid=h&mc_cid=i&mc_eid=j\
                   &_hsenc=k&_hsmi=l&__hstc=m&mkt_tok=n&oly_anon_id=o&vero_id=p&sc_cid=q\
                   &srsltid=r&_bhlid=s&__readwiseLocation=t";
        let l = clean_link(&format!("/p/1?page=3&{all}&id=9"), &base).unwrap();
        assert_eq!(l.as_str(), "https://blog.example.org/p/1?page=3&id=9");
        assert_eq!(
            normalize_str(&format!("https://blog.example.org/p/1?{all}")).unwrap(),
            "https://blog.example.org/p/1"
        );
        // Ghost's outbound `ref=<site>`: tracking when it names the linking site (or the
        // link's own host), a real parameter otherwise.
        let l = clean_link(
            "https://other.example.net/a?ref=blog.example.org&x=1",
            &base,
        );
        assert_eq!(l.unwrap().as_str(), "https://other.example.net/a?x=1");
        let l = clean_link("https://blog.example.org/a?ref=www.blog.example.org", &base);
        assert_eq!(l.unwrap().as_str(), "https://blog.example.org/a");
        assert_eq!(
            normalize_str("https://www.example.org/a?ref=example.org").unwrap(),
            "https://example.org/a"
        );
        assert_eq!(
            normalize_str("https://example.org/a?ref=newsletter").unwrap(),
            "https://example.org/a?ref=newsletter"
        );
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
