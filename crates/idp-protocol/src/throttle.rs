//! Abuse limits over the store's failure counters: exponential back-off per username,
//! per client address and per client id (RFC 6749 §10.10 asks for protection against
//! guessing credentials).

use std::net::IpAddr;

use idp_core::Backoff;

use crate::{ProtocolError, Provider};

/// The counter key of a username: case-folded, so variants share one counter, and
/// digested, so the key has a fixed size whatever is typed and the table holds no list
/// of attempted usernames.
pub(crate) fn user_key(username: &str) -> String {
    format!(
        "login-user:{}",
        idp_crypto::sha256_hex(username.to_lowercase().as_bytes())
    )
}

/// The counter key of a client address: IPv4 addresses one by one, IPv6 by their /64,
/// since one host usually holds a whole /64.
pub(crate) fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => format!("login-addr:{v4}"),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!(
                "login-addr:{:x}:{:x}:{:x}:{:x}::/64",
                s[0], s[1], s[2], s[3]
            )
        }
    }
}

/// The counter key of a client address at the registration endpoint (IPv6 by /64, as
/// for logins).
pub(crate) fn registration_key(address: IpAddr) -> String {
    format!(
        "register-{}",
        address_key(address).trim_start_matches("login-")
    )
}

/// The counter key of a client id at the token endpoint.
pub(crate) fn client_key(client_id: &str) -> String {
    format!("client-auth:{client_id}")
}

/// What the counter of one key says now.
pub(crate) enum Standing {
    /// No failures on record.
    Clean,
    /// Some failures, but attempts are allowed.
    Failed,
    /// Wait this many seconds.
    Wait(u64),
}

impl Provider {
    /// The standing of `key` under `policy`.
    pub(crate) fn standing(&self, key: &str, policy: &Backoff) -> Result<Standing, ProtocolError> {
        let now = self.now();
        let Some(failures) = self.store.failures(key, now - policy.window)? else {
            return Ok(Standing::Clean);
        };
        Ok(match policy.retry_at(&failures, now) {
            Some(at) => Standing::Wait(wait_secs(at - now)),
            None => Standing::Failed,
        })
    }

    /// Records a failure for `key`; returns how long the next attempt must wait, if at all.
    pub(crate) fn note_failure(
        &self,
        key: &str,
        policy: &Backoff,
    ) -> Result<Option<u64>, ProtocolError> {
        let now = self.now();
        let failures = self.store.note_failure(key, now, now - policy.window)?;
        Ok(policy
            .retry_at(&failures, now)
            .map(|at| wait_secs(at - now)))
    }
}

/// Whole seconds to wait, rounded up, at least one.
fn wait_secs(d: chrono::Duration) -> u64 {
    let ms = d.num_milliseconds().max(1);
    u64::try_from((ms + 999) / 1000).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_share_a_counter_per_64_and_usernames_per_case() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        assert_eq!(
            address_key("192.0.2.7".parse().unwrap()),
            "login-addr:192.0.2.7"
        );
        assert_eq!(user_key("Alice"), user_key("alice"));
        assert_ne!(user_key("alice"), user_key("bob"));
        assert_eq!(
            user_key(&"x".repeat(60_000)).len(),
            "login-user:".len() + 64
        );
    }
}
