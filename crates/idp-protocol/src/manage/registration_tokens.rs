//! Initial access tokens for dynamic client registration (RFC 7591 §3):
//! `idp-admin registration-token create|list|revoke`. A token is shown once; only its
//! digest is stored. It may be used for any number of registrations until it expires or
//! is revoked.

use chrono::Duration;
use idp_core::{Clock, InitialAccessToken, Store};

use super::{invalid, not_found, refused};
use crate::provider::digest_of;
use crate::ProtocolError;

/// The longest expiry an initial access token may have (ten years).
const MAX_EXPIRY_SECS: u64 = 10 * 366 * 86_400;

/// A new initial access token and the token itself, shown once.
#[derive(Debug)]
pub struct NewRegistrationToken {
    /// As stored (id, digest, times).
    pub token: InitialAccessToken,
    /// The bearer token in clear.
    pub secret: String,
}

/// Makes an initial access token that expires after `expires_in_secs` (never if `None`).
///
/// # Errors
/// [`ProtocolError::Refused`] for an expiry of 0 or more than ten years.
pub fn create_registration_token(
    store: &dyn Store,
    clock: &dyn Clock,
    expires_in_secs: Option<u64>,
) -> Result<NewRegistrationToken, ProtocolError> {
    let now = clock.now();
    let expires_at = match expires_in_secs {
        None => None,
        Some(s) if s == 0 || s > MAX_EXPIRY_SECS => {
            return Err(invalid(
                "expiry",
                format!("must be between 1 and {MAX_EXPIRY_SECS} seconds"),
            ))
        }
        Some(s) => Some(now + Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000))),
    };
    let secret = idp_crypto::random_secret()?;
    let token = InitialAccessToken {
        id: idp_crypto::random_id(9)?,
        digest: digest_of(&secret),
        created_at: now,
        expires_at,
    };
    store.insert_initial_access_token(&token).map_err(refused)?;
    Ok(NewRegistrationToken { token, secret })
}

/// Every initial access token (ids and times; never the tokens).
///
/// # Errors
/// Storage failures.
pub fn registration_tokens(store: &dyn Store) -> Result<Vec<InitialAccessToken>, ProtocolError> {
    store.initial_access_tokens().map_err(refused)
}

/// Revokes an initial access token by id.
///
/// # Errors
/// [`ProtocolError::Refused`] for an unknown id.
pub fn revoke_registration_token(store: &dyn Store, id: &str) -> Result<(), ProtocolError> {
    if !store.delete_initial_access_token(id).map_err(refused)? {
        return Err(not_found(format!("registration token {id}")));
    }
    Ok(())
}
