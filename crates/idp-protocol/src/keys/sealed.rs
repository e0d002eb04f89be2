//! What is sealed under the key-encryption key — the private parts of signing keys
//! (bound to their kid) and the secrets of HS256 clients (bound to their client id) —
//! checked at start, sealed when stored before sealing existed, and re-encrypted under a
//! new key-encryption key.

use idp_core::{KeyRepo, SealedKeyChange, SealedSecretChange, SigningKey, Store};
use idp_crypto::{is_sealed, CryptoError, KeyEncryptionKey};

use crate::ProtocolError;

/// The PKCS#8 document of a stored key: unsealed with `kek` (the kid is the sealing
/// context), or as stored if it predates sealing.
pub(crate) fn private_pkcs8(
    stored: &SigningKey,
    kek: &KeyEncryptionKey,
) -> Result<Vec<u8>, CryptoError> {
    if is_sealed(&stored.private_key_pkcs8) {
        kek.open(&stored.private_key_pkcs8, stored.summary.kid.as_bytes())
    } else {
        Ok(stored.private_key_pkcs8.clone())
    }
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
    /// Sealed client secrets (HS256 clients) that open under the key-encryption key.
    pub client_secrets: usize,
    /// Ids of clients whose sealed secret was sealed under a different key.
    pub client_secrets_wrong_key: Vec<String>,
    /// Ids of clients whose sealed secret is damaged.
    pub client_secrets_damaged: Vec<String>,
}

impl SealedKeysCheck {
    /// Whether anything is sealed under another key.
    pub fn has_wrong_key(&self) -> bool {
        !self.wrong_key.is_empty() || !self.client_secrets_wrong_key.is_empty()
    }

    /// Whether anything is damaged.
    pub fn has_damage(&self) -> bool {
        !self.damaged.is_empty() || !self.client_secrets_damaged.is_empty()
    }
}

/// Tries every stored key's private part, and every client's sealed secret, against
/// `kek` (at start-up, so a wrong key-encryption key is one clear error rather than
/// failing requests).
///
/// # Errors
/// [`ProtocolError::Internal`] if storage fails.
pub fn check_signing_keys(
    store: &dyn Store,
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
    for client in store.clients()? {
        let Some(sealed) = &client.secret_sealed else {
            continue;
        };
        match kek.open(sealed, client.id.as_str().as_bytes()) {
            Ok(_) => check.client_secrets += 1,
            Err(CryptoError::WrongKey) => {
                check.client_secrets_wrong_key.push(client.id.to_string())
            }
            Err(_) => check.client_secrets_damaged.push(client.id.to_string()),
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
    let changes = key_changes(store, |stored| {
        if is_sealed(&stored.private_key_pkcs8) {
            return Ok(None);
        }
        Ok(Some(kek.seal(
            &stored.private_key_pkcs8,
            stored.summary.kid.as_bytes(),
        )?))
    })?;
    if !changes.is_empty() {
        store.replace_sealed_private_keys(&changes)?;
    }
    Ok(changes.len())
}

/// How many values [`rewrap_signing_keys`] re-encrypted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rewrapped {
    /// Private keys of signing keys.
    pub keys: usize,
    /// Client secrets (of HS256 clients).
    pub client_secrets: usize,
}

/// Re-encrypts every private key and every sealed client secret from `current` to
/// `new`, all in one transaction (keys still in plaintext are sealed under `new` too).
///
/// # Errors
/// [`ProtocolError::Internal`] if a value does not open under `current` (nothing is
/// changed then) or storage fails.
pub fn rewrap_signing_keys(
    store: &dyn Store,
    current: &KeyEncryptionKey,
    new: &KeyEncryptionKey,
) -> Result<Rewrapped, ProtocolError> {
    let keys = key_changes(store, |stored| {
        let pkcs8 = private_pkcs8(stored, current)?;
        Ok(Some(new.seal(&pkcs8, stored.summary.kid.as_bytes())?))
    })?;
    let mut secrets = Vec::new();
    for client in store.clients()? {
        let Some(old) = client.secret_sealed else {
            continue;
        };
        let context = client.id.as_str().as_bytes();
        let secret = current.open(&old, context)?;
        secrets.push(SealedSecretChange {
            new: new.seal(&secret, context)?,
            client_id: client.id,
            old,
        });
    }
    store.replace_sealed(&keys, &secrets)?;
    Ok(Rewrapped {
        keys: keys.len(),
        client_secrets: secrets.len(),
    })
}

/// The new private part of each key for which `f` gives one.
fn key_changes(
    store: &dyn KeyRepo,
    f: impl Fn(&SigningKey) -> Result<Option<Vec<u8>>, ProtocolError>,
) -> Result<Vec<SealedKeyChange>, ProtocolError> {
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
    Ok(changes)
}
