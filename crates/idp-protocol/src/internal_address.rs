//! Addresses the provider must never be made to call on someone else's behalf (server-side
//! request forgery): shared by dynamic registration's URI rules and the fetching of
//! Client ID Metadata Documents.

use std::net::IpAddr;

/// Whether an IP address is internal: loopback, private (RFC 1918, RFC 4193), link-local,
/// shared (RFC 6598), unspecified, multicast, broadcast or "this network" (0.0.0.0/8); an
/// IPv4-mapped IPv6 address is judged as its IPv4 address.
pub fn is_internal_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b))
                || a == 0
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_internal_ip(IpAddr::V4(v4)),
            None => {
                v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || v6.is_unique_local()
                    || v6.is_unicast_link_local()
            }
        },
    }
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
        check("93.184.216.34", false);
        check("2606:4700::1111", false);
    }
}
