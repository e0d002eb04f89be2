//! Password hashing with argon2id (RFC 9106), the OWASP-recommended default, under a
//! concurrency limit: each hash holds about 19 MiB for tens of milliseconds, so hundreds of
//! parallel logins must wait their turn (or be told to come back) rather than exhaust
//! memory.

use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError, TryLockError};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::PasswordHasher;
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::{constant_time_eq, CryptoError};

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
/// `None`, taking about the same time either way. Allocates the hash's working memory
/// for this one call; a [`HashingPermit`] reuses its own.
pub fn verify_password(password: &str, stored: Option<&str>) -> PasswordCheck {
    verify_with_memory(password, stored, &mut Vec::new())
}

fn verify_with_memory(
    password: &str,
    stored: Option<&str>,
    memory: &mut Vec<Block>,
) -> PasswordCheck {
    let (hash, real) = match (stored, decoy_hash()) {
        (Some(h), _) => (h, true),
        (None, Some(decoy)) => (decoy, false),
        (None, None) => return PasswordCheck::Mismatch,
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return PasswordCheck::Mismatch;
    };
    // The parameters are read from the stored hash, so old hashes still verify.
    let ok = recompute_matches(password, &parsed, memory);
    match (ok && real, is_current(&parsed)) {
        (true, true) => PasswordCheck::Match,
        (true, false) => PasswordCheck::MatchNeedsRehash,
        (false, _) => PasswordCheck::Mismatch,
    }
}

/// Hashes `password` with the stored hash's algorithm, version, parameters and salt into
/// `memory`, and compares the result with the stored output in constant time. (The
/// crate's own verifier does the same but allocates the working memory every time; glibc
/// then keeps a 19 MiB heap per thread that ever hashed, hundreds of MiB after a login
/// storm.)
fn recompute_matches(password: &str, parsed: &PasswordHash, memory: &mut Vec<Block>) -> bool {
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::new(parsed.algorithm.as_str()) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(parsed) else {
        return false;
    };
    memory.resize(params.block_count(), Block::default());
    let mut out = vec![0u8; expected.as_bytes().len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt.as_ref(),
            &mut out,
            &mut memory[..],
        )
        .is_ok()
        && constant_time_eq(&out, expected.as_bytes())
}

/// A bound on how many password hashes run at once in this process, each with working
/// memory that is kept and reused, so memory stays at `max` × 19 MiB however many logins
/// arrive.
#[derive(Debug)]
pub struct HashingLimit {
    slots: Vec<Mutex<Vec<Block>>>,
}

/// One running hash's place under a [`HashingLimit`], with its working memory; freed when
/// dropped.
#[derive(Debug)]
pub struct HashingPermit<'a>(MutexGuard<'a, Vec<Block>>);

impl HashingPermit<'_> {
    /// [`verify_password`] in this place's memory.
    pub fn verify_password(&mut self, password: &str, stored: Option<&str>) -> PasswordCheck {
        verify_with_memory(password, stored, &mut self.0)
    }
}

impl HashingLimit {
    /// At most `max` hashes at once (at least one).
    pub fn new(max: usize) -> Self {
        HashingLimit {
            slots: (0..max.max(1)).map(|_| Mutex::new(Vec::new())).collect(),
        }
    }

    /// A place, if one is free now. Callers that get none answer "busy, retry later"
    /// instead of queueing without bound.
    pub fn try_acquire(&self) -> Option<HashingPermit<'_>> {
        self.slots.iter().find_map(|slot| match slot.try_lock() {
            Ok(guard) => Some(HashingPermit(guard)),
            // A panic while hashing leaves only scratch memory behind.
            Err(TryLockError::Poisoned(p)) => Some(HashingPermit(PoisonError::into_inner(p))),
            Err(TryLockError::WouldBlock) => None,
        })
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
    fn a_permit_verifies_in_reused_memory_like_the_free_function() {
        let h = hash_password("correct horse").unwrap();
        let limit = HashingLimit::new(1);
        for _ in 0..2 {
            let mut permit = limit.try_acquire().unwrap();
            assert_eq!(
                permit.verify_password("correct horse", Some(&h)),
                PasswordCheck::Match
            );
            assert_eq!(
                permit.verify_password("wrong", Some(&h)),
                PasswordCheck::Mismatch
            );
            assert_eq!(permit.verify_password("x", None), PasswordCheck::Mismatch);
        }
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
