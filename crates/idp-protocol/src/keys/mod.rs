//! Signing keys: one line of keys per algorithm (RS256, ES256, EdDSA), created on first
//! start, rotated with delayed activation, retired by the operator; the JWKS; HS256 keys
//! from client secrets; and a per-process cache of parsed keys and of the serialised
//! JWKS.
//!
//! The database stays the only source of truth. The cache re-reads the list of keys (a
//! cheap query without private parts) at most once per [`KEY_RECHECK`], so a key that
//! another process (`idp-admin key rotate`, another instance) added or retired shows up
//! within that time; rotation publishes a key well before it signs, so that is never too
//! late.

mod lifecycle;
mod oidc;
mod sealed;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};
use idp_core::{Client, ClientType, JwsAlgorithm, KeySummary};
use openidconnect::core::CoreJsonWebKeySet;

pub use lifecycle::{
    ensure_signing_key, import_signing_key, key_statuses, retire_signing_key, rotate_signing_key,
    KeyStatus,
};
pub(crate) use oidc::{id_token_algorithm, HmacSigningKey, OidcSigningKey};
pub use sealed::{
    check_signing_keys, rewrap_signing_keys, seal_plaintext_keys, Rewrapped, SealedKeysCheck,
};

use crate::document::Document;
use crate::{ProtocolError, Provider};

/// How long a process trusts its cached list of keys before reading it again.
pub const KEY_RECHECK: Duration = Duration::seconds(1);

/// The keys as this process last read them.
#[derive(Debug)]
pub(crate) struct KeySet {
    summaries: Vec<KeySummary>,
    /// The parsed keys the JWKS publishes (which include every key that signs).
    parsed: HashMap<String, Arc<OidcSigningKey>>,
    /// Their kids in JWKS order, to tell whether the JWKS changed.
    published: Vec<String>,
    jwks: Arc<Document>,
    checked_at: DateTime<Utc>,
}

impl KeySet {
    /// The published key with this kid.
    pub(crate) fn get(&self, kid: &str) -> Option<&Arc<OidcSigningKey>> {
        self.parsed.get(kid)
    }

    /// Every published key.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Arc<OidcSigningKey>> {
        self.published.iter().filter_map(|kid| self.parsed.get(kid))
    }

    fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        now >= self.checked_at && now - self.checked_at < KEY_RECHECK
    }
}

/// The cache of the key set.
#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    current: RwLock<Option<Arc<KeySet>>>,
}

impl KeyCache {
    fn cached(&self) -> Option<Arc<KeySet>> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn store(&self, set: Arc<KeySet>) {
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(set);
    }
}

impl Provider {
    /// The key set, from the cache while it is fresh, else re-read (parsing only keys not
    /// seen before, and loading only their private parts). Only keys the JWKS publishes
    /// at this moment are parsed: retired and superseded keys past their grace period
    /// neither sign nor verify anything.
    pub(crate) fn key_set(&self) -> Result<Arc<KeySet>, ProtocolError> {
        let now = self.now();
        let cached = self.keys.cached();
        if let Some(set) = cached.as_ref().filter(|s| s.is_fresh(now)) {
            return Ok(Arc::clone(set));
        }
        let summaries = self.store.key_summaries()?;
        let grace = self.lifetimes()?.retired_key_grace;
        let mut parsed = HashMap::new();
        let mut published = Vec::new();
        for summary in &summaries {
            if !summary.is_published(&summaries, now, grace) {
                continue;
            }
            let known = cached.as_ref().and_then(|s| s.parsed.get(&summary.kid));
            let key = match known {
                Some(k) => Arc::clone(k),
                None => {
                    let Some(stored) = self.store.signing_key(&summary.kid)? else {
                        continue; // deleted since the list was read
                    };
                    let loaded = sealed::private_pkcs8(&stored, &self.config.key_encryption_key)
                        .map_err(ProtocolError::from)
                        .and_then(|der| OidcSigningKey::parse(summary.alg, &der));
                    match loaded {
                        Ok(key) => Arc::new(key),
                        Err(e) => {
                            // One bad key must not take the others (and the JWKS) down;
                            // if it is an active one, signing with its algorithm fails
                            // until a good key takes over.
                            tracing::error!(kid = %summary.kid, error = %idp_core::error_chain(&e), "stored signing key is unusable; skipped");
                            continue;
                        }
                    }
                }
            };
            published.push(summary.kid.clone());
            parsed.insert(summary.kid.clone(), key);
        }
        let jwks = match cached.as_ref() {
            Some(s) if s.published == published => Arc::clone(&s.jwks),
            _ => {
                let keys = published
                    .iter()
                    .filter_map(|kid| parsed.get(kid).map(|k| k.public_jwk().clone()))
                    .collect();
                Arc::new(Document::json(&CoreJsonWebKeySet::new(keys))?)
            }
        };
        let set = Arc::new(KeySet {
            summaries,
            parsed,
            published,
            jwks,
            checked_at: now,
        });
        self.keys.store(Arc::clone(&set));
        Ok(set)
    }

    /// The key that signs new tokens of `alg` now.
    pub(crate) fn active_signing_key(
        &self,
        alg: JwsAlgorithm,
    ) -> Result<Arc<OidcSigningKey>, ProtocolError> {
        let set = self.key_set()?;
        KeySummary::active(&set.summaries, alg, self.now())
            .and_then(|s| set.parsed.get(&s.kid))
            .cloned()
            .ok_or_else(|| {
                ProtocolError::Internal(
                    format!("no usable {alg} signing key in the database").into(),
                )
            })
    }

    /// The HS256 key of `client`'s ID tokens: its secret, opened from the sealed copy
    /// (OIDC Core §10.1). Only confidential clients with a sealed secret have one; for
    /// any other this is an internal error, logged with the client id — never a token
    /// signed some other way, or not at all.
    pub(crate) fn client_hmac_key(&self, client: &Client) -> Result<HmacSigningKey, ProtocolError> {
        let sealed = match (&client.client_type, &client.secret_sealed) {
            (ClientType::Confidential, Some(sealed)) => sealed,
            (ClientType::Public, _) => {
                tracing::error!(client = %client.id, "HS256 ID tokens requested for a public client, which has no secret; no token issued");
                return Err(ProtocolError::Internal(
                    "HS256 ID tokens for a public client".into(),
                ));
            }
            (ClientType::Confidential, None) => {
                tracing::error!(client = %client.id, "HS256 ID tokens requested, but the client's secret is not stored sealed (set a new secret); no token issued");
                return Err(ProtocolError::Internal(
                    "HS256 ID tokens without a sealed client secret".into(),
                ));
            }
        };
        let secret = self
            .config
            .key_encryption_key
            .open(sealed, client.id.as_str().as_bytes())
            .map_err(|e| {
                tracing::error!(client = %client.id, error = %e, "the client's sealed secret does not open; no HS256 token issued");
                ProtocolError::from(e)
            })?;
        Ok(HmacSigningKey::new(secret))
    }

    /// The JWKS document (RFC 7517 §5) with every published key of every algorithm —
    /// keys about to sign, the signing ones, and retired or superseded ones for the
    /// retired-key grace period — each with `kid`, `use` and `alg`.
    ///
    /// # Errors
    /// [`ProtocolError::Internal`] if storage fails.
    pub fn jwks_document(&self) -> Result<Arc<Document>, ProtocolError> {
        Ok(Arc::clone(&self.key_set()?.jwks))
    }

    /// The JWKS document if the cache is fresh, without touching storage (for serving it
    /// straight from an async handler).
    pub fn cached_jwks_document(&self) -> Option<Arc<Document>> {
        let now = self.now();
        self.keys
            .cached()
            .filter(|s| s.is_fresh(now))
            .map(|s| Arc::clone(&s.jwks))
    }
}
