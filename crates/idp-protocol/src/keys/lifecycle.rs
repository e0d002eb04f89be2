//! A key's life, per algorithm: created on first start, rotated with delayed activation,
//! retired by the operator, and listed with its state (the rules are
//! [`KeySummary`]'s).

use chrono::{DateTime, Duration, Utc};
use idp_core::{Clock, CoreError, JwsAlgorithm, KeyRepo, KeyState, KeySummary, SigningKey};
use idp_crypto::{generate_pkcs8, KeyEncryptionKey};

use super::oidc::{key_algorithm, OidcSigningKey};
use crate::ProtocolError;

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

/// Makes a key of `alg` that activates at `activate_at`, sealed under `kek`.
fn new_key(
    alg: JwsAlgorithm,
    now: DateTime<Utc>,
    activate_at: DateTime<Utc>,
    kek: &KeyEncryptionKey,
) -> Result<SigningKey, ProtocolError> {
    let der = generate_pkcs8(key_algorithm(alg))?;
    let parsed = OidcSigningKey::parse(alg, &der)?;
    let summary = KeySummary {
        kid: parsed.kid().to_owned(),
        alg,
        created_at: now,
        activate_at,
        retired_at: None,
    };
    sealed(summary, &der, kek)
}

/// Creates a key, active at once, for each algorithm ([`JwsAlgorithm::SUPPORTED`]: RS256,
/// ES256, EdDSA) that has no key able to sign; returns the keys made. So discovery can
/// list every algorithm and any client may switch to any of them. (On first start nobody
/// has cached a JWKS yet, so there is nothing to wait for; an algorithm that lost its
/// last key gets one at the next start.)
///
/// # Errors
/// [`ProtocolError::Internal`] if storage or key generation fails.
pub fn ensure_signing_key(
    store: &dyn KeyRepo,
    clock: &dyn Clock,
    kek: &KeyEncryptionKey,
) -> Result<Vec<SigningKey>, ProtocolError> {
    let now = clock.now();
    let keys = store.key_summaries()?;
    let mut made = Vec::new();
    for alg in JwsAlgorithm::SUPPORTED {
        if KeySummary::active(&keys, alg, now).is_some() {
            continue;
        }
        let key = new_key(alg, now, now, kek)?;
        store.insert_signing_key(&key)?;
        made.push(key);
    }
    Ok(made)
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
    let parsed = OidcSigningKey::parse(JwsAlgorithm::Rs256, pkcs8)?;
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

/// Makes a new key of `alg` that is published in the JWKS now and signs from `delay` on
/// (longer than relying parties cache the JWKS, so none meets an unknown `kid`). Earlier
/// keys of `alg` sign until then, and stay published for the retired-key grace period
/// after, so tokens they signed keep verifying.
///
/// # Errors
/// [`ProtocolError::Internal`] if storage or key generation fails.
pub fn rotate_signing_key(
    store: &dyn KeyRepo,
    clock: &dyn Clock,
    kek: &KeyEncryptionKey,
    delay: Duration,
    alg: JwsAlgorithm,
) -> Result<SigningKey, ProtocolError> {
    let now = clock.now();
    // Times are whole seconds: a key that would activate in the same second as an
    // existing one of its algorithm activates a second later, so the newer key wins
    // without a tie.
    let existing = store.key_summaries()?;
    let mut secs = (now + delay.max(Duration::zero())).timestamp();
    while existing
        .iter()
        .any(|k| k.alg == alg && k.activate_at.timestamp() == secs)
    {
        secs += 1;
    }
    let activate_at = DateTime::from_timestamp(secs, 0).unwrap_or(now);
    let key = new_key(alg, now, activate_at, kek)?;
    store.insert_signing_key(&key)?;
    Ok(key)
}

fn refused(what: &'static str, reason: String) -> ProtocolError {
    ProtocolError::Refused(CoreError::Invalid { what, reason })
}

/// Retires a key now: it signs nothing from now on (every instance notices within
/// [`super::KEY_RECHECK`]) and leaves the JWKS after the retired-key grace period. If it
/// was the key signing for its algorithm, the newer key already published for that
/// algorithm signs at once. Returns the key as retired.
///
/// # Errors
/// [`ProtocolError::Refused`] for an unknown or already retired key, or when the key is
/// the only one of its algorithm that can sign (rotate first, then retire).
pub fn retire_signing_key(
    store: &dyn KeyRepo,
    clock: &dyn Clock,
    kid: &str,
) -> Result<KeySummary, ProtocolError> {
    // Whole seconds, as stored, so the check below sees what every instance will.
    let now = clock.now();
    let now = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let keys = store.key_summaries()?;
    let Some(index) = keys.iter().position(|k| k.kid == kid) else {
        return Err(ProtocolError::Refused(CoreError::NotFound(format!(
            "key {kid}"
        ))));
    };
    let alg = keys[index].alg;
    if let Some(at) = keys[index].retired_at {
        return Err(refused(
            "key",
            format!("{kid} was already retired at {}", timestamp(at)),
        ));
    }
    let mut after = keys.clone();
    after[index].retired_at = Some(now);
    if KeySummary::active(&keys, alg, now).is_some()
        && KeySummary::active(&after, alg, now).is_none()
    {
        return Err(refused(
            "key",
            format!(
                "{kid} is the only {alg} key that can sign, and no newer {alg} key is \
                 published: rotate first (idp-admin key rotate --alg {alg}), then retire it \
                 (the newer key then signs at once)"
            ),
        ));
    }
    if !store.retire_key(kid, now)? {
        return Err(refused("key", format!("{kid} was already retired")));
    }
    Ok(after.swap_remove(index))
}

/// A key and where it is in its life.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyStatus {
    /// The key, without its private part.
    pub summary: KeySummary,
    /// Published, active or retired.
    pub state: KeyState,
    /// When it stops (or stopped) signing, if known: retirement, or the activation of
    /// the next key of its algorithm.
    pub signs_until: Option<DateTime<Utc>>,
    /// Whether the JWKS publishes it (until `signs_until` plus the grace period).
    pub in_jwks: bool,
}

/// Every stored key, newest first, with its state at `now` and whether the JWKS
/// publishes it given the retired-key `grace` period.
///
/// # Errors
/// [`ProtocolError::Internal`] if storage fails.
pub fn key_statuses(
    store: &dyn KeyRepo,
    now: DateTime<Utc>,
    grace: Duration,
) -> Result<Vec<KeyStatus>, ProtocolError> {
    let keys = store.key_summaries()?;
    let states = KeySummary::states(&keys, now);
    Ok(keys
        .iter()
        .zip(states)
        .map(|(k, state)| KeyStatus {
            summary: k.clone(),
            state,
            signs_until: k.signs_until(&keys),
            in_jwks: k.is_published(&keys, now, grace),
        })
        .collect())
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
