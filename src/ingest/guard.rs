//! The SSRF guard: by default feed hosts must be public. Owns the tables of non-public address
//! ranges and the resolver that applies them at connect time; knows nothing of HTTP.
//!
//! Anyone who can edit a blogroll chooses the URLs Chronicle fetches, so an address is refused
//! however it is written: as a name, as an IPv4 literal in any of the forms URL parsing accepts
//! (`0x7f.1`, `2130706433`), or inside an IPv6 address that embeds an IPv4 one (mapped,
//! compatible, NAT64, 6to4, Teredo), which is judged by the IPv4 address it carries. The tables
//! follow the IANA special-purpose address registries; every range is declared once, below.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnet::{Ipv4Net, Ipv6Net};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// IPv4 ranges a feed may not live on, with the words a refusal shows. Broadcast comes before
/// the reserved 240/4 that holds it so that its message names it.
pub const FORBIDDEN_V4: &[(Ipv4Net, &str)] = &[
    (v4(0, 0, 0, 0, 8), "\"this network\" (0.0.0.0/8)"),
    (v4(10, 0, 0, 0, 8), "private (10.0.0.0/8)"),
    (
        v4(100, 64, 0, 0, 10),
        "shared address space, CGNAT (100.64.0.0/10)",
    ),
    (v4(127, 0, 0, 0, 8), "loopback (127.0.0.0/8)"),
    (
        v4(169, 254, 0, 0, 16),
        "link-local, cloud metadata (169.254.0.0/16)",
    ),
    (v4(172, 16, 0, 0, 12), "private (172.16.0.0/12)"),
    (
        v4(192, 0, 0, 0, 24),
        "IETF protocol assignments (192.0.0.0/24)",
    ),
    (v4(192, 0, 2, 0, 24), "documentation (192.0.2.0/24)"),
    (
        v4(192, 88, 99, 0, 24),
        "6to4 relay anycast, deprecated (192.88.99.0/24)",
    ),
    (v4(192, 168, 0, 0, 16), "private (192.168.0.0/16)"),
    (v4(198, 18, 0, 0, 15), "benchmarking (198.18.0.0/15)"),
    (v4(198, 51, 100, 0, 24), "documentation (198.51.100.0/24)"),
    (v4(203, 0, 113, 0, 24), "documentation (203.0.113.0/24)"),
    (v4(224, 0, 0, 0, 4), "multicast (224.0.0.0/4)"),
    (v4(255, 255, 255, 255, 32), "broadcast (255.255.255.255)"),
    (v4(240, 0, 0, 0, 4), "reserved (240.0.0.0/4)"),
];

/// IPv6 ranges a feed may not live on. Checked before the embedding forms, so `::` and `::1`
/// are named for what they are rather than as IPv4-compatible forms of 0.0.0.0 and 0.0.0.1.
pub const FORBIDDEN_V6: &[(Ipv6Net, &str)] = &[
    (v6([0, 0, 0, 0, 0, 0, 0, 0], 128), "unspecified (::)"),
    (v6([0, 0, 0, 0, 0, 0, 0, 1], 128), "loopback (::1)"),
    // RFC 8215: local-use NAT64. IANA lists it as not globally reachable, and where the IPv4
    // address sits depends on the prefix length a network picked, so the whole block is refused.
    (
        v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48),
        "local-use NAT64 (64:ff9b:1::/48)",
    ),
    (
        v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64),
        "discard-only (100::/64)",
    ),
    (
        v6([0x2001, 2, 0, 0, 0, 0, 0, 0], 48),
        "benchmarking (2001:2::/48)",
    ),
    (
        v6([0x2001, 0x10, 0, 0, 0, 0, 0, 0], 28),
        "ORCHID, deprecated (2001:10::/28)",
    ),
    (
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32),
        "documentation (2001:db8::/32)",
    ),
    (
        v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20),
        "documentation (3fff::/20)",
    ),
    (
        v6([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16),
        "SRv6 SIDs (5f00::/16)",
    ),
    (
        v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7),
        "unique local (fc00::/7)",
    ),
    (
        v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10),
        "link-local (fe80::/10)",
    ),
    (
        v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10),
        "site-local, deprecated (fec0::/10)",
    ),
    (v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8), "multicast (ff00::/8)"),
];

/// Where an IPv6 form keeps the IPv4 address it embeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embedding {
    /// The last 32 bits (mapped, translated, compatible, NAT64).
    Last32,
    /// Bits 16..48 (6to4).
    SixToFour,
    /// Teredo: the server in bits 32..64, the client as the inverted last 32 bits.
    Teredo,
}

/// IPv6 forms that embed an IPv4 address, judged by what they embed.
pub const EMBEDDING_V6: &[(Ipv6Net, &str, Embedding)] = &[
    (
        v6([0, 0, 0, 0, 0, 0xffff, 0, 0], 96),
        "IPv4-mapped (::ffff:0:0/96)",
        Embedding::Last32,
    ),
    (
        v6([0, 0, 0, 0, 0xffff, 0, 0, 0], 96),
        "IPv4-translated (::ffff:0:0:0/96)",
        Embedding::Last32,
    ),
    (
        v6([0, 0, 0, 0, 0, 0, 0, 0], 96),
        "IPv4-compatible (::/96)",
        Embedding::Last32,
    ),
    (
        v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96),
        "NAT64 (64:ff9b::/96)",
        Embedding::Last32,
    ),
    (
        v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16),
        "6to4 (2002::/16)",
        Embedding::SixToFour,
    ),
    (
        v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32),
        "Teredo (2001::/32)",
        Embedding::Teredo,
    ),
];

/// Global unicast, the only IPv6 space allocated for public hosts; the rest is reserved.
pub const GLOBAL_UNICAST_V6: Ipv6Net = v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3);

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

const fn v6(s: [u16; 8], len: u8) -> Ipv6Net {
    let ip = Ipv6Addr::new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
    Ipv6Net::new_assert(ip, len)
}

/// Whether an address is one a feed may not live on.
pub fn is_forbidden(ip: IpAddr) -> bool {
    why_forbidden(ip).is_some()
}

/// Why `ip` is not public (the range it falls in, and for embedding forms the IPv4 address they
/// carry), or `None` for a public address.
pub fn why_forbidden(ip: IpAddr) -> Option<String> {
    match ip {
        IpAddr::V4(v4) => range_v4(v4).map(str::to_string),
        IpAddr::V6(v6) => why_forbidden_v6(v6),
    }
}

fn range_v4(ip: Ipv4Addr) -> Option<&'static str> {
    FORBIDDEN_V4
        .iter()
        .find(|(net, _)| net.contains(&ip))
        .map(|(_, name)| *name)
}

fn why_forbidden_v6(ip: Ipv6Addr) -> Option<String> {
    if let Some((_, name)) = FORBIDDEN_V6.iter().find(|(net, _)| net.contains(&ip)) {
        return Some((*name).to_string());
    }
    if let Some((_, name, how)) = EMBEDDING_V6.iter().find(|(net, _, _)| net.contains(&ip)) {
        return embedded(ip, *how)
            .into_iter()
            .find_map(|v4| range_v4(v4).map(|why| format!("{name} form of {v4}: {why}")));
    }
    (!GLOBAL_UNICAST_V6.contains(&ip)).then(|| "reserved (outside 2000::/3)".to_string())
}

/// The IPv4 addresses an embedding form carries.
pub fn embedded(ip: Ipv6Addr, how: Embedding) -> Vec<Ipv4Addr> {
    let bits = ip.to_bits();
    // Truncating casts pick the 32 bits shifted down to the bottom.
    let at = |shift: u32| Ipv4Addr::from_bits((bits >> shift) as u32);
    match how {
        Embedding::Last32 => vec![at(0)],
        Embedding::SixToFour => vec![at(80)],
        Embedding::Teredo => vec![at(64), Ipv4Addr::from_bits(!(bits as u32))],
    }
}

/// The refusal a resolver or a literal address check shows.
pub fn refusal(host: &str, ip: IpAddr, why: &str) -> String {
    let shown = if host == ip.to_string() {
        format!("{ip}")
    } else {
        format!("{host} resolves to {ip}, which")
    };
    format!(
        "refused: {shown} is not a public address ({why}); \
         set fetch.allow_private_networks = true to allow it"
    )
}

/// A resolver that refuses names resolving to any forbidden address. reqwest connects only to
/// the addresses a resolver returns, so what is checked here is what is connected to: a name
/// with one public and one private address is refused whole (DNS rebinding).
#[derive(Debug, Clone, Copy)]
pub struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            check_resolved(&host, &addrs)?;
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Refuses `addrs` if any of them is not public.
pub fn check_resolved(host: &str, addrs: &[SocketAddr]) -> Result<(), String> {
    for a in addrs {
        if let Some(why) = why_forbidden(a.ip()) {
            return Err(refusal(host, a.ip(), &why));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
