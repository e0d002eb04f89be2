//! Password hashing with argon2id (RFC 9106), the OWASP-recommended default, under a
//! concurrency limit: each hash holds about 19 MiB for tens of milliseconds, so hundreds of
//! parallel logins must wait their turn (or be told to come back) rather than exhaust
//! memory.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::CryptoError;

/// The argon2id parameters, in this one place: 19 MiB, 2 passes, 1 lane (OWASP Password
/// Storage Cheat Sheet). The decoy hash derives from them, and a stored hash made with
/// other parameters is rehashed at the next successful login.
const PARAMS: Params = match Params::new(19 * 1024, 2, 1, None) {
    Ok(p) => p,
    Err(_) => Params::DEFAULT,
};

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, PARAMS)
}

/// Hashes a password to an argon2id PHC string with a fresh random salt.
///
/// # Errors
/// [`CryptoError::PasswordHash`] if hashing fails (e.g. the generator fails).
pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| CryptoError::PasswordHash(e.to_string()))
}

/// A hash of a password nobody has, with the current parameters, verified against when a
/// username is unknown so that the response time does not reveal which usernames exist.
fn decoy_hash() -> Option<&'static str> {
    static DECOY: OnceLock<Option<String>> = OnceLock::new();
    DECOY
        .get_or_init(|| hash_password("decoy password that no account has").ok())
        .as_deref()
}

/// The result of checking a password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The password matches, and the stored hash uses the current parameters.
    Match,
    /// The password matches, but the stored hash uses other parameters: store a new
    /// hash of the password ([`hash_password`]).
    MatchNeedsRehash,
    /// It does not (or the stored hash is unusable).
    Mismatch,
}

impl PasswordCheck {
    /// Whether the password matched.
    pub fn matched(self) -> bool {
        matches!(self, PasswordCheck::Match | PasswordCheck::MatchNeedsRehash)
    }
}

/// Whether a parsed hash was made with exactly the current algorithm and parameters.
fn is_current(hash: &PasswordHash) -> bool {
    hash.algorithm.as_str() == "argon2id"
        && hash.version == Some(0x13)
        && Params::try_from(hash).is_ok_and(|p| {
            p.m_cost() == PARAMS.m_cost()
                && p.t_cost() == PARAMS.t_cost()
                && p.p_cost() == PARAMS.p_cost()
        })
}

/// Checks `password` against a stored PHC string, or against a decoy when `stored` is
/// `None`, taking about the same time either way.
pub fn verify_password(password: &str, stored: Option<&str>) -> PasswordCheck {
    let (hash, real) = match (stored, decoy_hash()) {
        (Some(h), _) => (h, true),
        (None, Some(decoy)) => (decoy, false),
        (None, None) => return PasswordCheck::Mismatch,
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return PasswordCheck::Mismatch;
    };
    // The parameters are read from the stored hash, so old hashes still verify.
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    match (ok && real, is_current(&parsed)) {
        (true, true) => PasswordCheck::Match,
        (true, false) => PasswordCheck::MatchNeedsRehash,
        (false, _) => PasswordCheck::Mismatch,
    }
}

/// A bound on how many password hashes run at once in this process.
#[derive(Debug)]
pub struct HashingLimit {
    max: usize,
    running: AtomicUsize,
}

/// One running hash's place under a [`HashingLimit`]; freed when dropped.
#[derive(Debug)]
pub struct HashingPermit<'a>(&'a HashingLimit);

impl Drop for HashingPermit<'_> {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::AcqRel);
    }
}

impl HashingLimit {
    /// At most `max` hashes at once (at least one).
    pub fn new(max: usize) -> Self {
        HashingLimit {
            max: max.max(1),
            running: AtomicUsize::new(0),
        }
    }

    /// One per core: argon2id with one lane keeps a core busy, so more gain nothing.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get))
    }

    /// A place, if one is free now. Callers that get none answer "busy, retry later"
    /// instead of queueing without bound.
    pub fn try_acquire(&self) -> Option<HashingPermit<'_>> {
        self.running
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            })
            .ok()
            .map(|_| HashingPermit(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_passwords_verify_and_wrong_ones_do_not() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert_eq!(
            verify_password("correct horse", Some(&h)),
            PasswordCheck::Match
        );
        assert_eq!(verify_password("wrong", Some(&h)), PasswordCheck::Mismatch);
    }

    #[test]
    fn hashes_with_other_parameters_verify_and_ask_for_a_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"correct horse")
        .unwrap()
        .to_string();
        assert_eq!(
            verify_password("correct horse", Some(&weak)),
            PasswordCheck::MatchNeedsRehash
        );
        assert_eq!(
            verify_password("wrong", Some(&weak)),
            PasswordCheck::Mismatch
        );
    }

    #[test]
    fn unknown_users_and_garbage_hashes_never_match() {
        assert_eq!(verify_password("", None), PasswordCheck::Mismatch);
        assert_eq!(
            verify_password("decoy password that no account has", None),
            PasswordCheck::Mismatch
        );
        assert_eq!(
            verify_password("x", Some("not a hash")),
            PasswordCheck::Mismatch
        );
    }

    #[test]
    fn the_limit_hands_out_at_most_max_permits_and_takes_them_back() {
        let limit = HashingLimit::new(2);
        let a = limit.try_acquire();
        let b = limit.try_acquire();
        assert!(a.is_some() && b.is_some());
        assert!(limit.try_acquire().is_none());
        drop(a);
        assert!(limit.try_acquire().is_some());
    }
}
