//! Addresses the provider must never be made to call on someone else's behalf (server-side
//! request forgery): shared by dynamic registration's URI rules and the fetching of
//! Client ID Metadata Documents.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether an IP address is internal: loopback, private (RFC 1918, RFC 4193), link-local,
/// shared (RFC 6598), unspecified, multicast, broadcast, "this network" (0.0.0.0/8), IETF
/// protocol assignments (192.0.0.0/24), benchmarking (198.18.0.0/15) or reserved
/// (240.0.0.0/4). An IPv6 address that embeds an IPv4 address — IPv4-mapped, the NAT64
/// well-known prefix 64:ff9b::/96 (RFC 6052), 6to4 2002::/16 (RFC 3056) — is judged by the
/// IPv4 address it reaches.
pub fn is_internal_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b))
                || a == 0
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_ipv4(v6) {
                return is_internal_ip(IpAddr::V4(v4));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
        }
    }
}

/// The IPv4 address an IPv6 address leads to, for the forms that embed one.
fn embedded_ipv4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    let o = v6.octets();
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ip: &str, internal: bool) {
        assert_eq!(is_internal_ip(ip.parse().unwrap()), internal, "{ip}");
    }

    #[test]
    fn internal_addresses_are_recognised_in_both_families() {
        check("127.0.0.1", true);
        check("10.1.2.3", true);
        check("192.168.0.1", true);
        check("169.254.169.254", true);
        check("100.64.0.1", true);
        check("0.0.0.0", true);
        check("::1", true);
        check("fd00::1", true);
        check("fe80::1", true);
        check("::ffff:127.0.0.1", true);
        check("64:ff9b::10.0.0.1", true);
        check("64:ff9b::93.184.216.34", false);
        check("2002:c0a8:0101::1", true);
        check("198.18.0.1", true);
        check("192.0.0.8", true);
        check("240.0.0.1", true);
        check("93.184.216.34", false);
        check("2606:4700::1111", false);
    }
}
