//! Signing keys as stored, and the JWS algorithms they sign with.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::CoreError;

/// A JWS signing algorithm (RFC 7518 §3.1) the provider can hold keys for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JwsAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256: the OpenID Connect default (OIDC Core §15.1).
    Rs256,
}

impl JwsAlgorithm {
    /// Every algorithm the provider supports.
    pub const SUPPORTED: [JwsAlgorithm; 1] = [JwsAlgorithm::Rs256];

    /// The registered name (`alg` header value).
    pub fn as_str(self) -> &'static str {
        match self {
            JwsAlgorithm::Rs256 => "RS256",
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
                CoreError::invalid("signing algorithm", format!("{s:?} (supported: RS256)"))
            })
    }
}

/// Where a key is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// In the JWKS, not yet signing: relying parties fetch it before they meet it.
    Published,
    /// The key that signs new tokens: the newest activated one.
    Active,
    /// Superseded by a newer active key; still in the JWKS so that tokens it signed verify.
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
    /// From when it signs new tokens (until a newer key activates). Rotation sets this
    /// in the future, so the key is published in the JWKS before it is used.
    pub activate_at: DateTime<Utc>,
    /// When the operator retired it (`idp-admin key retire`): it signs nothing from then
    /// on, and leaves the JWKS after the retired-key grace period.
    pub retired_at: Option<DateTime<Utc>>,
}

impl KeySummary {
    /// The states of `keys` at `now`: the newest activated key is active, older activated
    /// keys are retired, keys not yet activated are published.
    pub fn states(keys: &[KeySummary], now: DateTime<Utc>) -> Vec<KeyState> {
        let active = Self::active(keys, now).map(|k| k.kid.as_str());
        keys.iter()
            .map(|k| {
                if Some(k.kid.as_str()) == active {
                    KeyState::Active
                } else if k.activate_at > now {
                    KeyState::Published
                } else {
                    KeyState::Retired
                }
            })
            .collect()
    }

    /// The key that signs at `now`: the activated key with the latest activation time
    /// (ties broken by the later creation, then the kid, so every instance picks the same).
    pub fn active(keys: &[KeySummary], now: DateTime<Utc>) -> Option<&KeySummary> {
        keys.iter().filter(|k| k.activate_at <= now).max_by(|a, b| {
            (a.activate_at, a.created_at, &a.kid).cmp(&(b.activate_at, b.created_at, &b.kid))
        })
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

    fn key(kid: &str, activate: i64) -> KeySummary {
        KeySummary {
            kid: kid.into(),
            alg: JwsAlgorithm::Rs256,
            created_at: DateTime::from_timestamp(0, 0).unwrap_or_default(),
            activate_at: DateTime::from_timestamp(activate, 0).unwrap_or_default(),
            retired_at: None,
        }
    }

    #[test]
    fn the_newest_activated_key_is_active_and_future_ones_only_published() {
        let keys = [key("old", 10), key("cur", 20), key("next", 30)];
        let at = |t| DateTime::from_timestamp(t, 0).unwrap_or_default();
        assert_eq!(
            KeySummary::states(&keys, at(25)),
            [KeyState::Retired, KeyState::Active, KeyState::Published]
        );
        assert_eq!(
            KeySummary::active(&keys, at(30)).map(|k| k.kid.as_str()),
            Some("next")
        );
        assert_eq!(KeySummary::active(&keys, at(5)), None);
    }

    #[test]
    fn algorithms_parse_by_registered_name() {
        assert_eq!(
            "RS256".parse::<JwsAlgorithm>().ok(),
            Some(JwsAlgorithm::Rs256)
        );
        assert!("none".parse::<JwsAlgorithm>().is_err());
        assert!("HS256".parse::<JwsAlgorithm>().is_err());
    }
}
