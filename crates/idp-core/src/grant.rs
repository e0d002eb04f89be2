//! What an authorization produces: codes, access tokens and refresh tokens, all tied to a
//! grant so that a detected replay can revoke everything issued from it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ClientId, RedirectUri, ScopeSet, UserId};

/// The SHA-256 digest of a secret (code, token, session id or client secret), as lowercase
/// hex. Only digests are stored; a leaked database reveals no usable secret.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SecretDigest(String);

impl SecretDigest {
    /// Wraps a hex digest computed by the crypto layer.
    pub fn from_hex(hex: impl Into<String>) -> Self {
        SecretDigest(hex.into())
    }

    /// The digest as lowercase hex.
    pub fn as_hex(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A digest is not a secret, but printing a prefix is enough to correlate logs.
        write!(f, "SecretDigest({}…)", self.0.get(..8).unwrap_or(""))
    }
}

/// Identifies one authorization: the code and every token issued from it share it
/// (the "token family" of RFC 9700 §4.14.2).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GrantId(String);

impl GrantId {
    /// Wraps an identifier.
    pub fn new(id: impl Into<String>) -> Self {
        GrantId(id.into())
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An issued authorization code (RFC 6749 §4.1.2), bound to everything the token request
/// must repeat or prove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationCode {
    /// Digest of the code.
    pub digest: SecretDigest,
    /// The grant it starts.
    pub grant_id: GrantId,
    /// The client it was issued to.
    pub client_id: ClientId,
    /// The user who authorized it.
    pub user_id: UserId,
    /// The redirect URI of the request when the request named one (RFC 6749 §4.1.3).
    pub redirect_uri: Option<RedirectUri>,
    /// Granted scopes.
    pub scope: ScopeSet,
    /// The OIDC `nonce` to put in the ID token.
    pub nonce: Option<String>,
    /// The encoded PKCE challenge (RFC 7636 §4.4), when one was given.
    pub code_challenge: Option<String>,
    /// When the user authenticated.
    pub auth_time: DateTime<Utc>,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops being redeemable.
    pub expires_at: DateTime<Utc>,
}

/// An issued access token (RFC 6749 §1.4), stored by digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessToken {
    /// Digest of the token.
    pub digest: SecretDigest,
    /// The grant it belongs to.
    pub grant_id: GrantId,
    /// The client it was issued to.
    pub client_id: ClientId,
    /// The user it acts for.
    pub user_id: UserId,
    /// Granted scopes.
    pub scope: ScopeSet,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// An issued refresh token (RFC 6749 §1.5), single use: each use rotates it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshToken {
    /// Digest of the token.
    pub digest: SecretDigest,
    /// The grant (token family) it belongs to.
    pub grant_id: GrantId,
    /// The client it was issued to.
    pub client_id: ClientId,
    /// The user it acts for.
    pub user_id: UserId,
    /// Granted scopes.
    pub scope: ScopeSet,
    /// When the user authenticated for the original grant (for `auth_time` in refreshed
    /// ID tokens, OIDC Core §12.2).
    pub auth_time: DateTime<Utc>,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// The outcome of redeeming a single-use secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsumeOutcome<T> {
    /// This call marked it used; it is returned for the caller to check further.
    Consumed(T),
    /// It had been used before: a replay.
    AlreadyUsed(T),
    /// No such secret.
    Unknown,
}
