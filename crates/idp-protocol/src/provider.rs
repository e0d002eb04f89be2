//! The provider object that ties configuration, storage, clock and keys together.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use idp_core::{Clock, SecretDigest, Store};

use crate::keys::KeyCache;
use crate::{ProtocolError, ProviderConfig};

/// An OpenID Provider over a [`Store`]. Holds no state of its own beyond a cache of parsed
/// keys, so any number of instances may serve the same database.
pub struct Provider {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: ProviderConfig,
    pub(crate) keys: KeyCache,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("issuer", &self.config.issuer)
            .finish_non_exhaustive()
    }
}

impl Provider {
    /// A provider over `store`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: ProviderConfig) -> Self {
        Provider {
            store,
            clock,
            config,
            keys: KeyCache::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    /// Deletes expired sessions, parked requests and tokens, and codes a day after they
    /// expired; returns how many rows went.
    ///
    /// # Errors
    /// [`ProtocolError::Internal`] on storage failure.
    pub fn purge_expired(&self) -> Result<u64, ProtocolError> {
        let now = self.now();
        Ok(self
            .store
            .purge_expired(now, now - chrono::Duration::days(1))?)
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

/// A new random secret and its digest.
pub(crate) fn new_secret() -> Result<(String, SecretDigest), ProtocolError> {
    let secret = idp_crypto::random_secret()?;
    let digest = digest_of(&secret);
    Ok((secret, digest))
}

/// The stored form of a presented secret.
pub(crate) fn digest_of(secret: &str) -> SecretDigest {
    SecretDigest::from_hex(idp_crypto::sha256_hex(secret.as_bytes()))
}
