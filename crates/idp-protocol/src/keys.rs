//! Signing keys: creation on first start, rotation, the JWKS, and a cache of parsed keys.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use idp_core::{Clock, KeyRepo, SigningKey};
use idp_crypto::{generate_rsa_pkcs8, JwsSigningKey, RSA_KEY_BITS};
use openidconnect::core::CoreJsonWebKeySet;

use crate::{ProtocolError, Provider};

/// Parsed keys by kid. Derived from the database, which stays the only source of truth: a
/// key rotated by another process is picked up at the next signature.
#[derive(Default)]
pub(crate) struct KeyCache {
    parsed: RwLock<HashMap<String, Arc<JwsSigningKey>>>,
}

impl KeyCache {
    fn get(&self, stored: &SigningKey) -> Result<Arc<JwsSigningKey>, ProtocolError> {
        if let Some(k) = self
            .parsed
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&stored.kid)
        {
            return Ok(Arc::clone(k));
        }
        let key = Arc::new(JwsSigningKey::from_pkcs8(
            &stored.alg,
            &stored.private_key_pkcs8,
        )?);
        self.parsed
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(stored.kid.clone(), Arc::clone(&key));
        Ok(key)
    }
}

/// Makes an RS256 key and its stored record.
fn new_rs256_key(clock: &dyn Clock) -> Result<SigningKey, ProtocolError> {
    let der = generate_rsa_pkcs8(RSA_KEY_BITS)?;
    let parsed = JwsSigningKey::from_pkcs8("RS256", &der)?;
    Ok(SigningKey {
        kid: parsed.kid().to_owned(),
        alg: "RS256".to_owned(),
        private_key_pkcs8: der,
        created_at: clock.now(),
        active: true,
    })
}

/// Creates an active RS256 key if the store has no active key; returns the key made.
///
/// # Errors
/// [`ProtocolError::Internal`] if storage or key generation fails.
pub fn ensure_signing_key(
    store: &dyn KeyRepo,
    clock: &dyn Clock,
) -> Result<Option<SigningKey>, ProtocolError> {
    if store.signing_keys()?.iter().any(|k| k.active) {
        return Ok(None);
    }
    let key = new_rs256_key(clock)?;
    store.insert_signing_key(&key)?;
    Ok(Some(key))
}

/// Makes a new active RS256 key; earlier keys stay published in the JWKS so tokens they
/// signed keep verifying.
///
/// # Errors
/// [`ProtocolError::Internal`] if storage or key generation fails.
pub fn rotate_signing_key(
    store: &dyn KeyRepo,
    clock: &dyn Clock,
) -> Result<SigningKey, ProtocolError> {
    let key = new_rs256_key(clock)?;
    store.insert_signing_key(&key)?;
    Ok(key)
}

impl Provider {
    /// The key that signs new tokens.
    pub(crate) fn active_signing_key(&self) -> Result<Arc<JwsSigningKey>, ProtocolError> {
        let keys = self.store.signing_keys()?;
        let active = keys.iter().find(|k| k.active).ok_or_else(|| {
            ProtocolError::Internal("no active signing key in the database".into())
        })?;
        self.keys.get(active)
    }

    /// The public keys (RFC 7517 §5): every stored key, so tokens signed before a rotation
    /// keep verifying.
    ///
    /// # Errors
    /// [`ProtocolError::Internal`] if storage fails or a stored key is unusable.
    pub fn jwks(&self) -> Result<CoreJsonWebKeySet, ProtocolError> {
        let keys = self
            .store
            .signing_keys()?
            .iter()
            .map(|k| self.keys.get(k).map(|p| p.public_jwk()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CoreJsonWebKeySet::new(keys))
    }
}
