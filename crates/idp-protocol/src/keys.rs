//! Signing keys: creation on first start, rotation with delayed activation, the JWKS, and
//! a per-process cache of parsed keys and of the serialised JWKS.
//!
//! The database stays the only source of truth. The cache re-reads the list of keys (a
//! cheap query without private parts) at most once per [`KEY_RECHECK`], so a key that
//! another process (`idp-admin key rotate`, another instance) added shows up within that
//! time; rotation publishes a key well before it signs, so that is never too late.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};
use idp_core::{Clock, JwsAlgorithm, KeyRepo, KeySummary, SealedKeyChange, SigningKey};
use idp_crypto::{
    generate_rsa_pkcs8, is_sealed, CryptoError, JwsSigningKey, KeyEncryptionKey, RSA_KEY_BITS,
};
use openidconnect::core::{CoreJsonWebKey, CoreJsonWebKeySet, CoreJwsSigningAlgorithm};
use openidconnect::{JsonWebKeyId, PrivateSigningKey, SigningError};

use crate::document::Document;
use crate::{ProtocolError, Provider};

/// How long a process trusts its cached list of keys before reading it again.
pub const KEY_RECHECK: Duration = Duration::seconds(1);

/// A parsed key as `openidconnect` signs with it.
#[derive(Debug)]
pub(crate) struct OidcSigningKey {
    key: JwsSigningKey,
    alg: JwsAlgorithm,
    /// The public JWK, built once: every signature asks for it (for the header's kid).
    jwk: CoreJsonWebKey,
}

/// The PKCS#8 document of a stored key: unsealed with `kek` (the kid is the sealing
/// context), or as stored if it predates sealing.
fn private_pkcs8(stored: &SigningKey, kek: &KeyEncryptionKey) -> Result<Vec<u8>, CryptoError> {
    if is_sealed(&stored.private_key_pkcs8) {
        kek.open(&stored.private_key_pkcs8, stored.summary.kid.as_bytes())
    } else {
        Ok(stored.private_key_pkcs8.clone())
    }
}

/// A key to store: the private part sealed under `kek`, bound to its kid.
fn sealed(
    summary: KeySummary,
    pkcs8: &[u8],
    kek: &KeyEncryptionKey,
) -> Result<SigningKey, ProtocolError> {
    let private_key_pkcs8 = kek.seal(pkcs8, summary.kid.as_bytes())?;
    Ok(SigningKey {
        summary,
        private_key_pkcs8,
    })
}

impl OidcSigningKey {
    fn load(stored: &SigningKey, kek: &KeyEncryptionKey) -> Result<Self, ProtocolError> {
        let pkcs8 = private_pkcs8(stored, kek)?;
        let key = match stored.summary.alg {
            JwsAlgorithm::Rs256 => JwsSigningKey::rs256_from_pkcs8(&pkcs8)?,
        };
        let (n, e) = key.rsa_public();
        let jwk = with_alg(
            CoreJsonWebKey::new_rsa(
                n.to_vec(),
                e.to_vec(),
                Some(JsonWebKeyId::new(key.kid().to_owned())),
            ),
            stored.summary.alg.as_str(),
        );
        Ok(OidcSigningKey {
            key,
            alg: stored.summary.alg,
            jwk,
        })
    }

    /// The JOSE algorithm this key signs with.
    pub(crate) fn algorithm(&self) -> CoreJwsSigningAlgorithm {
        match self.alg {
            JwsAlgorithm::Rs256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        }
    }

    pub(crate) fn jws_algorithm(&self) -> JwsAlgorithm {
        self.alg
    }

    /// Whether `signature` is this key's signature of `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify(message, signature)
    }

    /// The public key as a JWK with `kid`, `use` and `alg` (RFC 7517 §4).
    pub(crate) fn public_jwk(&self) -> &CoreJsonWebKey {
        &self.jwk
    }
}

impl PrivateSigningKey for OidcSigningKey {
    type VerificationKey = CoreJsonWebKey;

    fn sign(
        &self,
        signature_alg: &CoreJwsSigningAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, SigningError> {
        if *signature_alg != self.algorithm() {
            return Err(SigningError::UnsupportedAlg(format!("{signature_alg:?}")));
        }
        self.key
            .sign(message)
            .map_err(|_| SigningError::CryptoError)
    }

    fn as_verification_key(&self) -> CoreJsonWebKey {
        self.jwk.clone()
    }
}

/// `CoreJsonWebKey` has no setter for `alg`, but it is plain serde data: add the member
/// through its JSON form (falling back to the key without `alg`, which stays valid).
fn with_alg(jwk: CoreJsonWebKey, alg: &str) -> CoreJsonWebKey {
    let Ok(serde_json::Value::Object(mut map)) = serde_json::to_value(&jwk) else {
        return jwk;
    };
    map.insert("alg".into(), serde_json::Value::String(alg.into()));
    serde_json::from_value(serde_json::Value::Object(map)).unwrap_or(jwk)
}

/// The keys as this process last read them.
#[derive(Debug)]
pub(crate) struct KeySet {
    summaries: Vec<KeySummary>,
    parsed: HashMap<String, Arc<OidcSigningKey>>,
    jwks: Arc<Document>,
    checked_at: DateTime<Utc>,
}

impl KeySet {
    /// The parsed key with this kid.
    pub(crate) fn get(&self, kid: &str) -> Option<&Arc<OidcSigningKey>> {
        self.parsed.get(kid)
    }

    /// Every published key.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Arc<OidcSigningKey>> {
        self.summaries
            .iter()
            .filter_map(|s| self.parsed.get(&s.kid))
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

/// Makes an RS256 key that activates at `activate_at`, sealed under `kek`.
fn new_rs256_key(
    now: DateTime<Utc>,
    activate_at: DateTime<Utc>,
    kek: &KeyEncryptionKey,
) -> Result<SigningKey, ProtocolError> {
    let der = generate_rsa_pkcs8(RSA_KEY_BITS)?;
    let parsed = JwsSigningKey::rs256_from_pkcs8(&der)?;
    let summary = KeySummary {
        kid: parsed.kid().to_owned(),
        alg: JwsAlgorithm::Rs256,
        created_at: now,
        activate_at,
        retired_at: None,
    };
    sealed(summary, &der, kek)
}

/// Creates an RS256 key, active at once, if no key is active; returns the key made. (On
/// first start nobody has cached a JWKS yet, so there is nothing to wait for.)
///
/// # Errors
/// [`ProtocolError::Internal`] if storage or key generation fails.
pub fn ensure_signing_key(
    store: &dyn KeyRepo,
    clock: &dyn Clock,
    kek: &KeyEncryptionKey,
) -> Result<Option<SigningKey>, ProtocolError> {
    let now = clock.now();
    if KeySummary::active(&store.key_summaries()?, now).is_some() {
        return Ok(None);
    }
    let key = new_rs256_key(now, now, kek)?;
    store.insert_signing_key(&key)?;
    Ok(Some(key))
}

/// Stores an existing RS256 private key (PKCS#8 DER), signing from `activate_at`; returns
/// the stored key. For keys kept elsewhere (a migration, a test fixture).
///
/// # Errors
/// [`ProtocolError::Internal`] if the document is not a usable RSA key;
/// [`ProtocolError::Refused`] if a key with its kid is already stored.
pub fn import_signing_key(
    store: &dyn KeyRepo,
    clock: &dyn Clock,
    kek: &KeyEncryptionKey,
    pkcs8: &[u8],
    activate_at: DateTime<Utc>,
) -> Result<SigningKey, ProtocolError> {
    let parsed = JwsSigningKey::rs256_from_pkcs8(pkcs8)?;
    let summary = KeySummary {
        kid: parsed.kid().to_owned(),
        alg: JwsAlgorithm::Rs256,
        created_at: clock.now(),
        activate_at,
        retired_at: None,
    };
    let key = sealed(summary, pkcs8, kek)?;
    store.insert_signing_key(&key)?;
    Ok(key)
}

/// Makes a new RS256 key that is published in the JWKS now and signs from `delay` on
/// (longer than relying parties cache the JWKS, so none meets an unknown `kid`). Earlier
/// keys stay published so tokens they signed keep verifying.
///
/// # Errors
/// [`ProtocolError::Internal`] if storage or key generation fails.
pub fn rotate_signing_key(
    store: &dyn KeyRepo,
    clock: &dyn Clock,
    kek: &KeyEncryptionKey,
    delay: Duration,
) -> Result<SigningKey, ProtocolError> {
    let now = clock.now();
    // Times are whole seconds: a key that would activate in the same second as an
    // existing one activates a second later, so the newer key wins without a tie.
    let existing = store.key_summaries()?;
    let mut secs = (now + delay.max(Duration::zero())).timestamp();
    while existing.iter().any(|k| k.activate_at.timestamp() == secs) {
        secs += 1;
    }
    let activate_at = DateTime::from_timestamp(secs, 0).unwrap_or(now);
    let key = new_rs256_key(now, activate_at, kek)?;
    store.insert_signing_key(&key)?;
    Ok(key)
}

/// What [`check_signing_keys`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SealedKeysCheck {
    /// Keys that open under the key-encryption key.
    pub sealed: usize,
    /// Keys stored before sealing (plaintext); [`seal_plaintext_keys`] seals them.
    pub plaintext: usize,
    /// Kids of keys sealed under a different key-encryption key.
    pub wrong_key: Vec<String>,
    /// Kids of keys that are damaged.
    pub damaged: Vec<String>,
}

/// Tries every stored key's private part against `kek` (at start-up, so a wrong
/// key-encryption key is one clear error rather than failing requests).
///
/// # Errors
/// [`ProtocolError::Internal`] if storage fails.
pub fn check_signing_keys(
    store: &dyn KeyRepo,
    kek: &KeyEncryptionKey,
) -> Result<SealedKeysCheck, ProtocolError> {
    let mut check = SealedKeysCheck::default();
    for summary in store.key_summaries()? {
        let Some(stored) = store.signing_key(&summary.kid)? else {
            continue;
        };
        if !is_sealed(&stored.private_key_pkcs8) {
            check.plaintext += 1;
            continue;
        }
        match private_pkcs8(&stored, kek) {
            Ok(_) => check.sealed += 1,
            Err(CryptoError::WrongKey) => check.wrong_key.push(summary.kid),
            Err(_) => check.damaged.push(summary.kid),
        }
    }
    Ok(check)
}

/// Seals, under `kek`, every private key still stored in plaintext (keys made before
/// private keys were sealed); returns how many. One transaction.
///
/// # Errors
/// [`ProtocolError::Internal`] if storage or sealing fails.
pub fn seal_plaintext_keys(
    store: &dyn KeyRepo,
    kek: &KeyEncryptionKey,
) -> Result<usize, ProtocolError> {
    reseal(store, |stored| {
        if is_sealed(&stored.private_key_pkcs8) {
            return Ok(None);
        }
        Ok(Some(kek.seal(
            &stored.private_key_pkcs8,
            stored.summary.kid.as_bytes(),
        )?))
    })
}

/// Re-encrypts every private key from `current` to `new`, all in one transaction (keys
/// still in plaintext are sealed under `new` too); returns how many keys.
///
/// # Errors
/// [`ProtocolError::Internal`] if a key does not open under `current` (nothing is
/// changed then) or storage fails.
pub fn rewrap_signing_keys(
    store: &dyn KeyRepo,
    current: &KeyEncryptionKey,
    new: &KeyEncryptionKey,
) -> Result<usize, ProtocolError> {
    reseal(store, |stored| {
        let pkcs8 = private_pkcs8(stored, current)?;
        Ok(Some(new.seal(&pkcs8, stored.summary.kid.as_bytes())?))
    })
}

/// Replaces the private part of each key for which `f` gives a new value, all at once.
fn reseal(
    store: &dyn KeyRepo,
    f: impl Fn(&SigningKey) -> Result<Option<Vec<u8>>, ProtocolError>,
) -> Result<usize, ProtocolError> {
    let mut changes = Vec::new();
    for summary in store.key_summaries()? {
        let Some(stored) = store.signing_key(&summary.kid)? else {
            continue;
        };
        if let Some(new) = f(&stored)? {
            changes.push(SealedKeyChange {
                kid: summary.kid,
                old: stored.private_key_pkcs8,
                new,
            });
        }
    }
    if !changes.is_empty() {
        store.replace_sealed_private_keys(&changes)?;
    }
    Ok(changes.len())
}

impl Provider {
    /// The key set, from the cache while it is fresh, else re-read (parsing only keys not
    /// seen before, and loading only their private parts).
    pub(crate) fn key_set(&self) -> Result<Arc<KeySet>, ProtocolError> {
        let now = self.now();
        let cached = self.keys.cached();
        if let Some(set) = cached.as_ref().filter(|s| s.is_fresh(now)) {
            return Ok(Arc::clone(set));
        }
        let summaries = self.store.key_summaries()?;
        let mut parsed = HashMap::with_capacity(summaries.len());
        for summary in &summaries {
            let known = cached.as_ref().and_then(|s| s.parsed.get(&summary.kid));
            let key = match known {
                Some(k) => Arc::clone(k),
                None => {
                    let Some(stored) = self.store.signing_key(&summary.kid)? else {
                        continue; // deleted since the list was read
                    };
                    match OidcSigningKey::load(&stored, &self.config.key_encryption_key) {
                        Ok(key) => Arc::new(key),
                        Err(e) => {
                            // One bad key must not take the others (and the JWKS) down;
                            // if it is the active one, signing fails until a good key
                            // takes over.
                            tracing::error!(kid = %summary.kid, error = %idp_core::error_chain(&e), "stored signing key is unusable; skipped");
                            continue;
                        }
                    }
                }
            };
            parsed.insert(summary.kid.clone(), key);
        }
        let unchanged = cached.as_ref().is_some_and(|s| s.summaries == summaries);
        let jwks = match cached.as_ref() {
            Some(s) if unchanged => Arc::clone(&s.jwks),
            _ => {
                let keys = summaries
                    .iter()
                    .filter_map(|s| parsed.get(&s.kid).map(|k| k.public_jwk().clone()))
                    .collect();
                Arc::new(Document::json(&CoreJsonWebKeySet::new(keys))?)
            }
        };
        let set = Arc::new(KeySet {
            summaries,
            parsed,
            jwks,
            checked_at: now,
        });
        self.keys.store(Arc::clone(&set));
        Ok(set)
    }

    /// The key that signs new tokens now.
    pub(crate) fn active_signing_key(&self) -> Result<Arc<OidcSigningKey>, ProtocolError> {
        let set = self.key_set()?;
        KeySummary::active(&set.summaries, self.now())
            .and_then(|s| set.parsed.get(&s.kid))
            .cloned()
            .ok_or_else(|| ProtocolError::Internal("no active signing key in the database".into()))
    }

    /// The JWKS document (RFC 7517 §5) with every published key, so tokens signed before
    /// a rotation keep verifying and keys about to sign are known in advance.
    ///
    /// # Errors
    /// [`ProtocolError::Internal`] if storage fails or a stored key is unusable.
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
