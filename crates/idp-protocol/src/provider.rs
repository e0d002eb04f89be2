//! The provider object that ties configuration, storage, clock and keys together.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use idp_core::{Client, ClientId, Clock, PurgeBefore, SecretDigest, Store};
use idp_crypto::HashingLimit;

use crate::cors::OriginCache;
use crate::document::Document;
use crate::keys::KeyCache;
use crate::settings::SettingsCache;
use crate::{ProtocolError, ProviderConfig};

/// An OpenID Provider over a [`Store`]. Holds no state of its own beyond caches derived
/// from the database and configuration (parsed keys, serialised documents, allowed CORS
/// origins) and a bound on concurrent password hashing, so any number of instances may
/// serve the same database.
pub struct Provider {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: ProviderConfig,
    pub(crate) keys: KeyCache,
    pub(crate) origins: OriginCache,
    pub(crate) hashing: HashingLimit,
    /// The metadata in each of its forms: indexed by whether dynamic registration is on
    /// (with `registration_endpoint`, +1) and whether Client ID Metadata Documents are
    /// (`client_id_metadata_document_supported`, +2).
    pub(crate) metadata: [OnceLock<Arc<Document>>; 4],
    pub(crate) settings: SettingsCache,
    /// Token lifecycle hooks of the embedding application ([`Provider::with_hooks`]).
    pub(crate) hooks: Option<Arc<dyn crate::TokenHooks>>,
    /// Fetches Client ID Metadata Documents ([`Provider::with_client_document_fetcher`]);
    /// without one, URL client ids are never fetched.
    pub(crate) document_fetcher: Option<Arc<dyn crate::ClientDocumentFetcher>>,
    issuer_url: OnceLock<openidconnect::IssuerUrl>,
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
        let hashing = HashingLimit::new(config.password_hashing_concurrency);
        let origins = OriginCache::new(&config.cors_allowed_origins);
        Provider {
            store,
            clock,
            config,
            keys: KeyCache::default(),
            origins,
            hashing,
            metadata: Default::default(),
            settings: SettingsCache::default(),
            hooks: None,
            document_fetcher: None,
            issuer_url: OnceLock::new(),
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

    /// Whether this instance can serve: the database answers and its schema is current
    /// (another instance may have migrated it further, or not yet).
    ///
    /// # Errors
    /// [`ProtocolError::Busy`] if the database cannot be reached in time,
    /// [`ProtocolError::Internal`] on other storage failures.
    pub fn is_ready(&self) -> Result<bool, ProtocolError> {
        Ok(self.store.schema_is_current()?)
    }

    /// Deletes expired sessions, parked requests and tokens, self-registered clients past
    /// their lifetime (with everything issued to them), expired initial access tokens,
    /// codes a day after they expired, rotated-out refresh tokens once reuse detection no longer needs them,
    /// stale failure counters, and grants left with nothing; returns how many rows went.
    ///
    /// # Errors
    /// [`ProtocolError::Internal`] on storage failure.
    pub fn purge_expired(&self) -> Result<u64, ProtocolError> {
        let now = self.now();
        let c = &self.config;
        let longest_window = [
            c.login_backoff_per_user.window,
            c.login_backoff_per_address.window,
            c.client_auth_backoff.window,
            c.registration_backoff.window,
            c.client_document_fetch_backoff.window,
            c.user_code_backoff.window,
        ]
        .into_iter()
        .max()
        .unwrap_or_default();
        Ok(self.store.purge_expired(&PurgeBefore {
            now,
            codes: now - chrono::Duration::days(1),
            used_refresh_tokens: now - c.refresh_reuse_detection,
            failures: now - longest_window,
        })?)
    }

    /// The client with this id, as every protocol endpoint looks it up: a self-registered
    /// client whose registration has expired is unknown from that instant on (the purge
    /// deletes it later); a Client ID Metadata Document's client only while the setting is
    /// on and its document is cached or can be fetched again (never a new document:
    /// only the authorization endpoint fetches those, [`Provider::resolve_client`]).
    ///
    /// # Errors
    /// [`ProtocolError::Busy`] or [`ProtocolError::Internal`] if storage fails.
    pub(crate) fn client(&self, id: &ClientId) -> Result<Option<Client>, ProtocolError> {
        Ok(self
            .resolve_client(id, crate::client_document::DocumentFetch::RefreshOnly)?
            .ok())
    }

    /// The stored client with this id, unless its self-registration has expired.
    ///
    /// # Errors
    /// [`ProtocolError::Busy`] or [`ProtocolError::Internal`] if storage fails.
    pub(crate) fn stored_client(&self, id: &ClientId) -> Result<Option<Client>, ProtocolError> {
        let now = self.now();
        Ok(self
            .store
            .client(id)?
            .filter(|c| !c.self_registered.is_some_and(|r| r.is_expired(now))))
    }

    /// The issuer as `openidconnect` takes it, parsed once.
    pub(crate) fn issuer_url(&self) -> Result<openidconnect::IssuerUrl, ProtocolError> {
        if let Some(url) = self.issuer_url.get() {
            return Ok(url.clone());
        }
        let url = openidconnect::IssuerUrl::new(self.config.issuer.clone())
            .map_err(|e| ProtocolError::Internal(Box::new(e)))?;
        Ok(self.issuer_url.get_or_init(|| url).clone())
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
