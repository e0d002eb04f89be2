//! Password hashing with argon2id (RFC 9106), the OWASP-recommended default.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;

use crate::CryptoError;

/// A PHC string for a password nobody has, verified against when a username is unknown so
/// that the response time does not reveal which usernames exist.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5H6Jt5AQ0UnRbg6M3cQ8pCsmzEfoFYhVgcXDsYoUTs4";

/// Hashes a password to an argon2id PHC string with a fresh random salt.
///
/// # Errors
/// [`CryptoError::PasswordHash`] if hashing fails (e.g. the generator fails).
pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| CryptoError::PasswordHash(e.to_string()))
}

/// The result of checking a password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The password matches.
    Match,
    /// It does not (or the stored hash is unusable).
    Mismatch,
}

/// Checks `password` against a stored PHC string, or against a decoy when `stored` is
/// `None`, taking the same time either way.
pub fn verify_password(password: &str, stored: Option<&str>) -> PasswordCheck {
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (DECOY_HASH, false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return PasswordCheck::Mismatch;
    };
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    if ok && real {
        PasswordCheck::Match
    } else {
        PasswordCheck::Mismatch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_passwords_verify_and_wrong_ones_do_not() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert_eq!(
            verify_password("correct horse", Some(&h)),
            PasswordCheck::Match
        );
        assert_eq!(verify_password("wrong", Some(&h)), PasswordCheck::Mismatch);
    }

    #[test]
    fn unknown_users_and_garbage_hashes_never_match() {
        assert_eq!(verify_password("", None), PasswordCheck::Mismatch);
        assert_eq!(
            verify_password("x", Some("not a hash")),
            PasswordCheck::Mismatch
        );
    }

    #[test]
    fn the_decoy_hash_parses() {
        assert!(PasswordHash::new(DECOY_HASH).is_ok());
    }
}
