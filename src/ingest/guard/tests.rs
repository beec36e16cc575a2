//! The classifier, range by range. Nothing here opens a connection: the addresses are only
//! parsed and judged (end-to-end refusals run in a network namespace, tests/api/guard.rs).

use super::*;

fn refused(s: &str) -> String {
    let ip: IpAddr = s.parse().expect("an address");
    assert!(is_forbidden(ip), "{s} should be refused");
    why_forbidden(ip).unwrap_or_else(|| panic!("{s} should be refused"))
}

fn allowed(s: &str) {
    let ip: IpAddr = s.parse().expect("an address");
    assert!(!is_forbidden(ip), "{s} should be allowed");
    assert_eq!(why_forbidden(ip), None, "{s} should be allowed");
}

/// One test per range: the range's first and last address and one inside are refused with the
/// range's name, and where the neighbours just outside are public, they are allowed.
macro_rules! range_tests {
    ($($name:ident: [$($inside:literal),+] => $why:literal, outside [$($out:literal),*];)+) => {
        $(
            #[test]
            fn $name() {
                $(assert_eq!(refused($inside), $why, "{}", $inside);)+
                $(allowed($out);)*
            }
        )+
    };
}

range_tests! {
    v4_this_network: ["0.0.0.0", "0.1.2.3", "0.255.255.255"] => "\"this network\" (0.0.0.0/8)", outside ["1.0.0.0"];
    v4_private_10: ["10.0.0.0", "10.1.2.3", "10.255.255.255"] => "private (10.0.0.0/8)", outside ["9.255.255.255", "11.0.0.0"];
    v4_cgnat: ["100.64.0.0", "100.100.100.200", "100.127.255.255"] => "shared address space, CGNAT (100.64.0.0/10)", outside ["100.63.255.255", "100.128.0.0"];
    v4_loopback: ["127.0.0.0", "127.0.0.1", "127.255.255.255"] => "loopback (127.0.0.0/8)", outside ["126.255.255.255", "128.0.0.0"];
    v4_link_local: ["169.254.0.0", "169.254.169.254", "169.254.255.255"] => "link-local, cloud metadata (169.254.0.0/16)", outside ["169.253.255.255", "169.255.0.0"];
    v4_private_172: ["172.16.0.0", "172.20.1.1", "172.31.255.255"] => "private (172.16.0.0/12)", outside ["172.15.255.255", "172.32.0.0"];
    v4_ietf: ["192.0.0.0", "192.0.0.8", "192.0.0.255"] => "IETF protocol assignments (192.0.0.0/24)", outside ["191.255.255.255", "192.0.1.0"];
    v4_test_net_1: ["192.0.2.0", "192.0.2.1", "192.0.2.255"] => "documentation (192.0.2.0/24)", outside ["192.0.3.0"];
    v4_6to4_relay: ["192.88.99.0", "192.88.99.1", "192.88.99.255"] => "6to4 relay anycast, deprecated (192.88.99.0/24)", outside ["192.88.98.255", "192.88.100.0"];
    v4_private_192: ["192.168.0.0", "192.168.1.1", "192.168.255.255"] => "private (192.168.0.0/16)", outside ["192.167.255.255", "192.169.0.0"];
    v4_benchmark: ["198.18.0.0", "198.19.1.1", "198.19.255.255"] => "benchmarking (198.18.0.0/15)", outside ["198.17.255.255", "198.20.0.0"];
    v4_test_net_2: ["198.51.100.0", "198.51.100.7", "198.51.100.255"] => "documentation (198.51.100.0/24)", outside ["198.51.99.255", "198.51.101.0"];
    v4_test_net_3: ["203.0.113.0", "203.0.113.9", "203.0.113.255"] => "documentation (203.0.113.0/24)", outside ["203.0.112.255", "203.0.114.0"];
    v4_multicast: ["224.0.0.0", "224.0.0.1", "239.255.255.255"] => "multicast (224.0.0.0/4)", outside ["223.255.255.255"];
    v4_broadcast: ["255.255.255.255"] => "broadcast (255.255.255.255)", outside [];
    v4_reserved: ["240.0.0.0", "250.1.2.3", "255.255.255.254"] => "reserved (240.0.0.0/4)", outside [];
    v6_unspecified: ["::"] => "unspecified (::)", outside [];
    v6_loopback: ["::1"] => "loopback (::1)", outside [];
    v6_local_nat64: ["64:ff9b:1::", "64:ff9b:1::808:808", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff"] => "local-use NAT64 (64:ff9b:1::/48)", outside [];
    v6_discard: ["100::", "100::1", "100::ffff:ffff:ffff:ffff"] => "discard-only (100::/64)", outside [];
    v6_benchmark: ["2001:2::", "2001:2:0:ffff::1"] => "benchmarking (2001:2::/48)", outside ["2001:3::1"];
    v6_orchid: ["2001:10::", "2001:1f:ffff::1"] => "ORCHID, deprecated (2001:10::/28)", outside ["2001:20::1"];
    v6_documentation: ["2001:db8::", "2001:db8::1", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"] => "documentation (2001:db8::/32)", outside ["2001:db7:ffff::1", "2001:db9::1"];
    v6_documentation_3fff: ["3fff::", "3fff::1", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff"] => "documentation (3fff::/20)", outside ["3fff:1000::1", "3ffe:ffff::1"];
    v6_srv6: ["5f00::", "5f00:1::1", "5f00:ffff::1"] => "SRv6 SIDs (5f00::/16)", outside [];
    v6_unique_local: ["fc00::", "fd00::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"] => "unique local (fc00::/7)", outside [];
    v6_link_local: ["fe80::", "fe80::1", "febf:ffff::1"] => "link-local (fe80::/10)", outside [];
    v6_site_local: ["fec0::", "fec0::1", "feff:ffff::1"] => "site-local, deprecated (fec0::/10)", outside [];
    v6_multicast: ["ff00::", "ff02::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"] => "multicast (ff00::/8)", outside [];
    v6_reserved_below_2000: ["1::1", "1fff:ffff::1", "4000::1", "e000::1", "::2:0:0:0:1"] => "reserved (outside 2000::/3)", outside ["2000::1", "2606:4700:4700::1111"];
}

/// Embedding forms, one test each, with the examples: judged by the IPv4 address they
/// carry, and allowed when that address is public.
macro_rules! embedding_tests {
    ($($name:ident: [$($inside:literal => $why:literal),+], public [$($ok:literal),*];)+) => {
        $(
            #[test]
            fn $name() {
                $(assert_eq!(refused($inside), $why, "{}", $inside);)+
                $(allowed($ok);)*
            }
        )+
    };
}

embedding_tests! {
    v6_mapped: [
        "::ffff:127.0.0.1" => "IPv4-mapped (::ffff:0:0/96) form of 127.0.0.1: loopback (127.0.0.0/8)",
        "::ffff:a9fe:a9fe" => "IPv4-mapped (::ffff:0:0/96) form of 169.254.169.254: link-local, cloud metadata (169.254.0.0/16)"
    ], public ["::ffff:93.184.216.34"];
    v6_translated: [
        "::ffff:0:10.0.0.1" => "IPv4-translated (::ffff:0:0:0/96) form of 10.0.0.1: private (10.0.0.0/8)"
    ], public ["::ffff:0:93.184.216.34"];
    v6_compatible: [
        "::127.0.0.1" => "IPv4-compatible (::/96) form of 127.0.0.1: loopback (127.0.0.0/8)",
        "::192.168.0.1" => "IPv4-compatible (::/96) form of 192.168.0.1: private (192.168.0.0/16)",
        "::2" => "IPv4-compatible (::/96) form of 0.0.0.2: \"this network\" (0.0.0.0/8)"
    ], public ["::93.184.216.34"];
    v6_nat64: [
        "64:ff9b::7f00:1" => "NAT64 (64:ff9b::/96) form of 127.0.0.1: loopback (127.0.0.0/8)",
        "64:ff9b::a9fe:a9fe" => "NAT64 (64:ff9b::/96) form of 169.254.169.254: link-local, cloud metadata (169.254.0.0/16)",
        "64:ff9b::" => "NAT64 (64:ff9b::/96) form of 0.0.0.0: \"this network\" (0.0.0.0/8)"
    ], public ["64:ff9b::808:808", "64:ff9b::93.184.216.34"];
    v6_6to4: [
        "2002:7f00:1::1" => "6to4 (2002::/16) form of 127.0.0.1: loopback (127.0.0.0/8)",
        "2002:a9fe:a9fe::" => "6to4 (2002::/16) form of 169.254.169.254: link-local, cloud metadata (169.254.0.0/16)",
        "2002:c0a8:101:ffff:ffff:ffff:ffff:ffff" => "6to4 (2002::/16) form of 192.168.1.1: private (192.168.0.0/16)"
    ], public ["2002:5db8:d822::1"];
    v6_teredo_client: [
        // The client is the inverted last 32 bits: !0x80ffff_fe = 127.0.0.1.
        "2001:0:5db8:d822:0:0:80ff:fffe" => "Teredo (2001::/32) form of 127.0.0.1: loopback (127.0.0.0/8)",
        "2001:0:5db8:d822::5601:5601" => "Teredo (2001::/32) form of 169.254.169.254: link-local, cloud metadata (169.254.0.0/16)"
    ], public ["2001:0:5db8:d822::a247:27dd"];
    v6_teredo_server: [
        "2001:0:a00:1::a247:27dd" => "Teredo (2001::/32) form of 10.0.0.1: private (10.0.0.0/8)"
    ], public [];
}

#[test]
fn embedded_addresses_sit_where_each_form_puts_them() {
    let ip = |s: &str| s.parse::<Ipv6Addr>().unwrap();
    let v4 = |s: &str| s.parse::<Ipv4Addr>().unwrap();
    assert_eq!(
        embedded(ip("::ffff:1.2.3.4"), Embedding::Last32),
        [v4("1.2.3.4")]
    );
    assert_eq!(
        embedded(ip("2002:102:304:5::6"), Embedding::SixToFour),
        [v4("1.2.3.4")]
    );
    assert_eq!(
        embedded(ip("2001:0:102:304::fefd:fcfb"), Embedding::Teredo),
        [v4("1.2.3.4"), v4("1.2.3.4")]
    );
}

#[test]
fn every_table_range_is_refused_at_both_ends() {
    for (net, why) in FORBIDDEN_V4 {
        for ip in [net.network(), net.broadcast()] {
            assert!(is_forbidden(IpAddr::V4(ip)), "{ip} in {why}");
        }
    }
    for (net, why) in FORBIDDEN_V6 {
        for ip in [net.network(), net.broadcast()] {
            assert_eq!(why_forbidden(IpAddr::V6(ip)).as_deref(), Some(*why), "{ip}");
        }
    }
}

#[test]
fn public_addresses_pass() {
    for ok in [
        "93.184.216.34",
        "1.1.1.1",
        "8.8.8.8",
        "223.255.255.255",
        "2606:4700:4700::1111",
        "2a00:1450:4001::200e",
        "3fff:1000::1",
    ] {
        allowed(ok);
    }
}

#[test]
fn a_resolved_name_is_refused_when_any_address_is_not_public() {
    let sock = |s: &str| SocketAddr::new(s.parse().unwrap(), 0);
    assert_eq!(
        check_resolved(
            "feeds.example",
            &[sock("93.184.216.34"), sock("2606:4700::1")]
        ),
        Ok(())
    );
    assert_eq!(
        check_resolved(
            "rebind.example",
            &[sock("93.184.216.34"), sock("64:ff9b::7f00:1")]
        ),
        Err(
            "refused: rebind.example resolves to 64:ff9b::7f00:1, which is not a public address \
             (NAT64 (64:ff9b::/96) form of 127.0.0.1: loopback (127.0.0.0/8)); \
             set fetch.allow_private_networks = true to allow it"
                .to_string()
        )
    );
    assert_eq!(
        refusal(
            "10.0.0.1",
            "10.0.0.1".parse().unwrap(),
            "private (10.0.0.0/8)"
        ),
        "refused: 10.0.0.1 is not a public address (private (10.0.0.0/8)); \
         set fetch.allow_private_networks = true to allow it"
    );
}
