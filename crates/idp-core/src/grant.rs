//! What an authorization produces: a grant, and the code, access tokens and refresh tokens
//! that reference it, so that a detected replay can revoke everything issued from it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ClientId, RedirectUri, ScopeSet, User, UserId};

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

/// Who an access token acts for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A person who authorized the client.
    User(UserId),
    /// The client itself, acting on its own behalf (no end-user; RFC 6749 §4.4).
    Client(ClientId),
}

impl Subject {
    /// The user, when the subject is one.
    pub fn user_id(&self) -> Option<&UserId> {
        match self {
            Subject::User(u) => Some(u),
            Subject::Client(_) => None,
        }
    }
}

/// One authorization a client holds: the root that its code and every token issued from
/// it reference. Revoking the grant invalidates all of them at once, including tokens a
/// concurrent request inserts after the revocation (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Its identifier.
    pub id: GrantId,
    /// The client it was granted to.
    pub client_id: ClientId,
    /// Whom its tokens act for.
    pub subject: Subject,
    /// The scopes granted; tokens carry this scope or less.
    pub scope: ScopeSet,
    /// When the user authenticated (OIDC Core §2 `auth_time`).
    pub auth_time: DateTime<Utc>,
    /// When it was granted.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The `sid` of the browser session it was issued in (None: issued outside a
    /// session, by trusted code or for a client acting for itself). Ending that session
    /// notifies the client and, unless the grant includes `offline_access`, revokes it
    /// (OIDC Core §11, Back-Channel Logout 1.0 §2.7).
    pub sid: Option<String>,
    /// The resources (RFC 8707) its authorization request named, which bound the
    /// audiences its tokens may be issued for (§2.2); empty when none was named.
    pub resources: Vec<String>,
}

impl Grant {
    /// Whether tokens of this grant may still be used.
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

/// An issued authorization code (RFC 6749 §4.1.2), bound to its grant and to everything
/// the token request must repeat or prove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationCode {
    /// Digest of the code.
    pub digest: SecretDigest,
    /// The grant it starts.
    pub grant_id: GrantId,
    /// The redirect URI of the request when the request named one (RFC 6749 §4.1.3).
    pub redirect_uri: Option<RedirectUri>,
    /// The OIDC `nonce` to put in the ID token.
    pub nonce: Option<String>,
    /// The encoded PKCE challenge (RFC 7636 §4.4), when one was given.
    pub code_challenge: Option<String>,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops being redeemable.
    pub expires_at: DateTime<Utc>,
    /// When it was redeemed, if it was.
    pub used_at: Option<DateTime<Utc>>,
}

/// An issued access token (RFC 6749 §1.4), stored by digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessToken {
    /// Digest of the token.
    pub digest: SecretDigest,
    /// The grant it belongs to (client and subject are the grant's).
    pub grant_id: GrantId,
    /// Its scope: the grant's, or less after a narrowing refresh (RFC 6749 §6).
    pub scope: ScopeSet,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// Whether this one token was revoked.
    pub revoked: bool,
    /// The audience it was issued for when the request chose one with `resource`
    /// (RFC 8707 §2); `None`: the client's default audience.
    pub audience: Option<Vec<String>>,
}

/// An issued refresh token (RFC 6749 §1.5), single use: each use rotates it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshToken {
    /// Digest of the token.
    pub digest: SecretDigest,
    /// The grant (token family) it belongs to.
    pub grant_id: GrantId,
    /// Its scope.
    pub scope: ScopeSet,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// When it was redeemed (rotated out), if it was.
    pub used_at: Option<DateTime<Utc>>,
    /// Whether this one token was revoked.
    pub revoked: bool,
}

/// A stored code or token together with its grant and the grant's user, read in one
/// query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Granted<T> {
    /// The code or token.
    pub record: T,
    /// Its grant.
    pub grant: Grant,
    /// The grant's user, when the subject is a user (and the user still exists).
    pub user: Option<User>,
}

/// The tokens one redemption issues, stored in the same transaction that marks the code
/// or refresh token used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTokens {
    /// The access token.
    pub access: AccessToken,
    /// A new refresh token, when one is due.
    pub refresh: Option<RefreshToken>,
}

/// The outcome of redeeming a single-use secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Redemption {
    /// This call marked it used and stored the new tokens.
    Redeemed,
    /// It had been used already, or its grant was revoked: nothing was stored.
    Refused,
}
