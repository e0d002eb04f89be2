//! The address of the client behind a request: the socket's peer, or — when that peer is
//! a trusted reverse proxy — the address the proxy says it forwarded for
//! (`Forwarded: for=…`, RFC 7239 §5.2, or `X-Forwarded-For`). Throttling counts failures
//! per client address, so without this every user behind a proxy would share one count.

use std::net::IpAddr;

use actix_web::http::header::HeaderMap;
use actix_web::HttpRequest;
use ipnet::IpNet;

/// Which peers may speak for others.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Proxies at these addresses or networks.
    pub fn new(networks: Vec<IpNet>) -> Self {
        TrustedProxies(networks)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client address of `req`: walking the forwarding chain from the nearest hop
    /// back, the first address that is not a trusted proxy. Headers from an untrusted
    /// peer are ignored, since anyone can write them.
    pub fn client_address(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        Some(self.resolve(peer, req.headers()))
    }

    fn resolve(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let chain = forwarded_chain(headers);
        // Nearest hop last: walk backwards past our own proxies.
        let mut client = peer;
        for hop in chain.iter().rev() {
            client = *hop;
            if !self.trusts(*hop) {
                break;
            }
        }
        client
    }
}

/// The addresses of a `Forwarded` header (RFC 7239), or else of `X-Forwarded-For`, in
/// order (client first). Entries that are not addresses (`unknown`, obfuscated names)
/// end the chain there: nothing before them can be attributed.
fn forwarded_chain(headers: &HeaderMap) -> Vec<IpAddr> {
    let forwarded: Vec<&str> = headers
        .get_all("forwarded")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let entries: Vec<Option<IpAddr>> = if forwarded.is_empty() {
        headers
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|e| e.trim().parse().ok())
            .collect()
    } else {
        forwarded
            .iter()
            .map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.trim().split_once('=')?;
                    name.eq_ignore_ascii_case("for")
                        .then(|| parse_node(value))?
                })
            })
            .collect()
    };
    // Keep only the unbroken tail of parseable addresses.
    let mut chain = Vec::new();
    for entry in entries.into_iter().rev() {
        match entry {
            Some(ip) => chain.push(ip),
            None => break,
        }
    }
    chain.reverse();
    chain
}

/// A `node` of RFC 7239 §6: `192.0.2.43`, `"192.0.2.43:47011"`, `"[2001:db8::1]:4711"`.
fn parse_node(value: &str) -> Option<IpAddr> {
    let v = value.trim().trim_matches('"');
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    v.parse()
        .ok()
        .or_else(|| v.rsplit_once(':').and_then(|(ip, _port)| ip.parse().ok()))
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn check(trusted: &[&str], peer: &str, headers: &[(&str, &str)], expected: &str) {
        let proxies = TrustedProxies::new(trusted.iter().map(|n| n.parse().unwrap()).collect());
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        let got = proxies.resolve(peer.parse().unwrap(), &map);
        assert_eq!(got, expected.parse::<IpAddr>().unwrap(), "{headers:?}");
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let xff = |v| [("x-forwarded-for", v)];
        // No trusted proxies: the peer, whatever the headers say.
        check(&[], "203.0.113.9", &xff("198.51.100.1"), "203.0.113.9");
        // A trusted proxy: the address it forwarded for.
        check(
            &["127.0.0.1/32"],
            "127.0.0.1",
            &xff("198.51.100.1"),
            "198.51.100.1",
        );
        // A client-supplied entry before the real one is skipped: the nearest
        // untrusted hop wins.
        check(
            &["10.0.0.0/8"],
            "10.0.0.2",
            &xff("6.6.6.6, 198.51.100.1, 10.0.0.1"),
            "198.51.100.1",
        );
        // Without a header: the proxy itself.
        check(&["127.0.0.1/32"], "127.0.0.1", &[], "127.0.0.1");
        // RFC 7239 Forwarded wins over X-Forwarded-For; quoted IPv6 with port.
        check(
            &["127.0.0.1/32"],
            "127.0.0.1",
            &[
                ("forwarded", "for=\"[2001:db8:cafe::17]:4711\";proto=https"),
                ("x-forwarded-for", "198.51.100.1"),
            ],
            "2001:db8:cafe::17",
        );
        check(
            &["127.0.0.1/32"],
            "127.0.0.1",
            &[("forwarded", "for=192.0.2.60:443")],
            "192.0.2.60",
        );
        // An unattributable hop ends the chain at the nearest known one.
        check(
            &["127.0.0.1/32"],
            "127.0.0.1",
            &[("forwarded", "for=unknown")],
            "127.0.0.1",
        );
    }
}
