//! Signing keys as stored, and the JWS algorithms they sign with.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};

use serde::{Deserialize, Serialize};

use crate::CoreError;

/// A JWS signing algorithm (RFC 7518 §3.1, RFC 8037 §3.1) the provider holds keys for.
/// (HS256 needs no key of the provider's: it is keyed with each client's secret.)
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub enum JwsAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256: the OpenID Connect default (OIDC Core §15.1).
    #[default]
    #[serde(rename = "RS256")]
    Rs256,
    /// ECDSA on P-256 with SHA-256 (RFC 7518 §3.4).
    #[serde(rename = "ES256")]
    Es256,
    /// EdDSA on Ed25519 (RFC 8037 §3.1).
    #[serde(rename = "EdDSA")]
    EdDsa,
}

impl JwsAlgorithm {
    /// Every algorithm the provider holds keys for.
    pub const SUPPORTED: [JwsAlgorithm; 3] = [
        JwsAlgorithm::Rs256,
        JwsAlgorithm::Es256,
        JwsAlgorithm::EdDsa,
    ];

    /// The registered name (`alg` header value).
    pub fn as_str(self) -> &'static str {
        match self {
            JwsAlgorithm::Rs256 => "RS256",
            JwsAlgorithm::Es256 => "ES256",
            JwsAlgorithm::EdDsa => "EdDSA",
        }
    }

    /// The algorithm whose keys sign a client's ID tokens, or `None` for HS256 (keyed
    /// with the client secret, not with a key of the provider's).
    pub fn for_id_tokens(alg: crate::IdTokenAlg) -> Option<Self> {
        match alg {
            crate::IdTokenAlg::Rs256 => Some(JwsAlgorithm::Rs256),
            crate::IdTokenAlg::Es256 => Some(JwsAlgorithm::Es256),
            crate::IdTokenAlg::EdDsa => Some(JwsAlgorithm::EdDsa),
            crate::IdTokenAlg::Hs256 => None,
        }
    }
}

impl fmt::Display for JwsAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JwsAlgorithm {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        JwsAlgorithm::SUPPORTED
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                CoreError::invalid(
                    "signing algorithm",
                    format!("{s:?} (supported: RS256, ES256, EdDSA)"),
                )
            })
    }
}

/// Where a key is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// In the JWKS, not yet signing: relying parties fetch it before they meet it.
    Published,
    /// The key of its algorithm that signs new tokens.
    Active,
    /// Signs nothing any more: retired by the operator, or superseded by a newer key of
    /// its algorithm. It stays in the JWKS for the retired-key grace period, so that
    /// tokens it signed keep verifying, then leaves.
    Retired,
}

impl KeyState {
    /// The state's name as `idp-admin key list` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Published => "published",
            KeyState::Active => "active",
            KeyState::Retired => "retired",
        }
    }
}

/// What is known of a key without its private part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySummary {
    /// Key id, published in the JWKS and in token headers.
    pub kid: String,
    /// JWS algorithm.
    pub alg: JwsAlgorithm,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// From when it signs new tokens of its algorithm (until a newer key of the algorithm
    /// activates). Rotation sets this in the future, so the key is published in the JWKS
    /// before it is used.
    pub activate_at: DateTime<Utc>,
    /// When the operator retired it (`idp-admin key retire`): it signs nothing from then
    /// on, and leaves the JWKS after the retired-key grace period.
    pub retired_at: Option<DateTime<Utc>>,
}

/// A key's life, as every instance computes it alike from the stored keys alone.
///
/// The keys of one algorithm form a line ordered by activation time (ties broken by the
/// later creation, then the kid). A key retired before it ever activated is not in the
/// line: it never signed, so it supersedes nothing. The newest key of the line that has
/// activated signs; keys before it are superseded for good. If the operator retired that
/// newest key, the next key of the line (published, not yet due) signs at once — retiring
/// a key must not leave its algorithm without one, and waiting for the successor's
/// activation time would.
impl KeySummary {
    /// Whether the operator retired it at or before `now`.
    pub fn is_retired_at(&self, now: DateTime<Utc>) -> bool {
        self.retired_at.is_some_and(|r| r <= now)
    }

    /// Whether it was retired before it activated (so it never signed). Times are
    /// stored in whole seconds: a key retired in the second it activated did activate.
    fn retired_unused(&self) -> bool {
        self.retired_at.is_some_and(|r| r < self.activate_at)
    }

    fn order(&self) -> (DateTime<Utc>, DateTime<Utc>, &str) {
        (self.activate_at, self.created_at, &self.kid)
    }

    /// The line of `alg` (see the type's documentation), oldest first.
    fn line(keys: &[KeySummary], alg: JwsAlgorithm) -> Vec<&KeySummary> {
        let mut line: Vec<&KeySummary> = keys
            .iter()
            .filter(|k| k.alg == alg && !k.retired_unused())
            .collect();
        line.sort_by(|a, b| a.order().cmp(&b.order()));
        line
    }

    /// The key of `alg` that signs at `now`: the newest activated key of its line, or —
    /// if the operator retired that one — the next key of the line not retired. `None`
    /// if no key of `alg` can sign.
    pub fn active(
        keys: &[KeySummary],
        alg: JwsAlgorithm,
        now: DateTime<Utc>,
    ) -> Option<&KeySummary> {
        let line = Self::line(keys, alg);
        let newest = line.iter().rposition(|k| k.activate_at <= now)?;
        line[newest..]
            .iter()
            .copied()
            .find(|k| !k.is_retired_at(now))
    }

    /// When this key stops (or stopped) signing: at its retirement, or when the next key
    /// of its line activates, whichever is first; `None` while neither is known. From
    /// then on it stays published for the grace period only.
    pub fn signs_until(&self, keys: &[KeySummary]) -> Option<DateTime<Utc>> {
        let superseded = if self.retired_unused() {
            None
        } else {
            let line = Self::line(keys, self.alg);
            line.iter()
                .position(|k| k.kid == self.kid)
                .and_then(|i| line.get(i + 1))
                .map(|next| next.activate_at)
        };
        match (self.retired_at, superseded) {
            (Some(r), Some(s)) => Some(r.min(s)),
            (r, s) => r.or(s),
        }
    }

    /// Whether the key is in the JWKS at `now`: until [`KeySummary::signs_until`] plus
    /// `grace` (so tokens it signed verify for that long), and always before.
    pub fn is_published(&self, keys: &[KeySummary], now: DateTime<Utc>, grace: Duration) -> bool {
        self.signs_until(keys).is_none_or(|end| now < end + grace)
    }

    /// The states of `keys` at `now`: the key of each algorithm that signs is active,
    /// keys retired or superseded are retired, keys not yet due are published.
    pub fn states(keys: &[KeySummary], now: DateTime<Utc>) -> Vec<KeyState> {
        keys.iter()
            .map(|k| {
                let active = Self::active(keys, k.alg, now).is_some_and(|a| a.kid == k.kid);
                if active {
                    KeyState::Active
                } else if k.is_retired_at(now) || k.activate_at <= now {
                    KeyState::Retired
                } else {
                    KeyState::Published
                }
            })
            .collect()
    }
}

/// A JWS signing key pair.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// Everything but the private key.
    pub summary: KeySummary,
    /// Private key, PKCS#8 DER, as stored: sealed (AES-256-GCM) under the key-encryption
    /// key, or — for a key stored by a release before sealing, until the server seals it
    /// at start — plain.
    pub private_key_pkcs8: Vec<u8>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(t, 0).unwrap_or_default()
    }

    fn key(kid: &str, activate: i64) -> KeySummary {
        keyed(kid, JwsAlgorithm::Rs256, activate, None)
    }

    fn keyed(kid: &str, alg: JwsAlgorithm, activate: i64, retired: Option<i64>) -> KeySummary {
        KeySummary {
            kid: kid.into(),
            alg,
            created_at: at(0),
            activate_at: at(activate),
            retired_at: retired.map(at),
        }
    }

    fn active_kid(keys: &[KeySummary], alg: JwsAlgorithm, now: i64) -> Option<&str> {
        KeySummary::active(keys, alg, at(now)).map(|k| k.kid.as_str())
    }

    #[test]
    fn the_newest_activated_key_is_active_and_future_ones_only_published() {
        let keys = [key("old", 10), key("cur", 20), key("next", 30)];
        assert_eq!(
            KeySummary::states(&keys, at(25)),
            [KeyState::Retired, KeyState::Active, KeyState::Published]
        );
        assert_eq!(active_kid(&keys, JwsAlgorithm::Rs256, 30), Some("next"));
        assert_eq!(active_kid(&keys, JwsAlgorithm::Rs256, 5), None);
        assert_eq!(active_kid(&keys, JwsAlgorithm::Es256, 30), None);
    }

    #[test]
    fn each_algorithm_has_its_own_active_key() {
        let keys = [
            keyed("rsa", JwsAlgorithm::Rs256, 10, None),
            keyed("ec1", JwsAlgorithm::Es256, 10, None),
            keyed("ec2", JwsAlgorithm::Es256, 20, None),
            keyed("ed", JwsAlgorithm::EdDsa, 15, None),
        ];
        assert_eq!(active_kid(&keys, JwsAlgorithm::Rs256, 25), Some("rsa"));
        assert_eq!(active_kid(&keys, JwsAlgorithm::Es256, 25), Some("ec2"));
        assert_eq!(active_kid(&keys, JwsAlgorithm::EdDsa, 25), Some("ed"));
        assert_eq!(
            KeySummary::states(&keys, at(25)),
            [
                KeyState::Active,
                KeyState::Retired,
                KeyState::Active,
                KeyState::Active
            ]
        );
        // A newer ES256 key supersedes only ES256 keys.
        assert_eq!(keys[1].signs_until(&keys), Some(at(20)));
        assert_eq!(keys[0].signs_until(&keys), None);
    }

    #[test]
    fn a_retired_key_signs_nothing_and_leaves_the_jwks_after_the_grace() {
        let grace = Duration::seconds(100);
        // The active key retired at 50 while a successor waits for 1000: it signs at once.
        let keys = [
            key("old", 10),
            keyed("cur", JwsAlgorithm::Rs256, 20, Some(50)),
            key("next", 1000),
        ];
        assert_eq!(active_kid(&keys, JwsAlgorithm::Rs256, 49), Some("cur"));
        assert_eq!(active_kid(&keys, JwsAlgorithm::Rs256, 50), Some("next"));
        assert_eq!(
            KeySummary::states(&keys, at(60)),
            [KeyState::Retired, KeyState::Retired, KeyState::Active]
        );
        assert_eq!(keys[0].signs_until(&keys), Some(at(20)));
        assert_eq!(keys[1].signs_until(&keys), Some(at(50)));
        assert!(!keys[0].is_published(&keys, at(120), grace));
        assert!(keys[1].is_published(&keys, at(149), grace));
        assert!(!keys[1].is_published(&keys, at(150), grace));
        assert!(keys[2].is_published(&keys, at(5000), grace));
    }

    #[test]
    fn the_only_key_retired_leaves_no_active_key_and_superseded_keys_never_return() {
        let keys = [
            key("old", 10),
            keyed("cur", JwsAlgorithm::Rs256, 20, Some(50)),
        ];
        assert_eq!(active_kid(&keys, JwsAlgorithm::Rs256, 60), None);
    }

    #[test]
    fn a_key_retired_before_it_activated_supersedes_nothing() {
        let keys = [
            key("cur", 10),
            keyed("next", JwsAlgorithm::Rs256, 100, Some(50)),
        ];
        assert_eq!(active_kid(&keys, JwsAlgorithm::Rs256, 200), Some("cur"));
        assert_eq!(keys[0].signs_until(&keys), None);
        assert_eq!(keys[1].signs_until(&keys), Some(at(50)));
        assert_eq!(
            KeySummary::states(&keys, at(60)),
            [KeyState::Active, KeyState::Retired]
        );
    }

    #[test]
    fn a_key_retired_in_the_second_it_activated_did_activate() {
        // Stored times are whole seconds: retired at its activation second, it still
        // superseded the older key, so nothing signs unless a successor is published.
        let keys = [
            key("old", 10),
            keyed("cur", JwsAlgorithm::Rs256, 20, Some(20)),
        ];
        assert_eq!(active_kid(&keys, JwsAlgorithm::Rs256, 30), None);
        let keys = [
            keyed("cur", JwsAlgorithm::Rs256, 20, Some(20)),
            key("next", 1000),
        ];
        assert_eq!(active_kid(&keys, JwsAlgorithm::Rs256, 20), Some("next"));
    }

    #[test]
    fn algorithms_parse_by_registered_name() {
        for alg in JwsAlgorithm::SUPPORTED {
            assert_eq!(alg.as_str().parse::<JwsAlgorithm>().ok(), Some(alg));
        }
        assert_eq!(
            "EdDSA".parse::<JwsAlgorithm>().ok(),
            Some(JwsAlgorithm::EdDsa)
        );
        assert!("none".parse::<JwsAlgorithm>().is_err());
        assert!("HS256".parse::<JwsAlgorithm>().is_err());
        assert!("es256".parse::<JwsAlgorithm>().is_err());
        assert_eq!(JwsAlgorithm::for_id_tokens(crate::IdTokenAlg::Hs256), None);
    }
}
