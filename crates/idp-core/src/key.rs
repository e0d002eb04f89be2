//! Signing keys as stored.

use std::fmt;

use chrono::{DateTime, Utc};

/// A JWS signing key pair.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// Key id, published in the JWKS and in token headers.
    pub kid: String,
    /// JWS algorithm (RFC 7518 §3.1), e.g. `RS256`.
    pub alg: String,
    /// Private key, PKCS#8 DER.
    pub private_key_pkcs8: Vec<u8>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Whether it signs new tokens. Exactly one key is active; the others stay published
    /// so tokens they signed keep verifying.
    pub active: bool,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("created_at", &self.created_at)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}
