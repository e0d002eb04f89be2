//! Dynamic client registration (RFC 7591, RFC 7592): initial access tokens the operator
//! hands out, and the record kept beside a client that registered itself.

use chrono::{DateTime, Utc};

use crate::{SecretDigest, SelfRegistration};

/// An initial access token (RFC 7591 §3): lets its holder register clients, as many as
/// they like until it expires or is revoked. Only its digest is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitialAccessToken {
    /// A short public id to list and revoke it by.
    pub id: String,
    /// SHA-256 digest of the token.
    pub digest: SecretDigest,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working; `None`: never (until revoked).
    pub expires_at: Option<DateTime<Utc>>,
}

impl InitialAccessToken {
    /// Whether it works at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|at| now < at)
    }
}

/// What is stored beside a self-registered client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrationRecord {
    /// When it registered and when it expires.
    pub registration: SelfRegistration,
    /// SHA-256 digest of its registration access token (RFC 7592 §1).
    pub access_token_digest: SecretDigest,
    /// `application_type` as registered: `web` or `native` (OIDC Registration §2).
    pub application_type: String,
    /// `token_endpoint_auth_method` as registered (RFC 7591 §2).
    pub token_endpoint_auth_method: String,
}
