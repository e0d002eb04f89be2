//! Random secrets and identifiers from the operating system's CSPRNG.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

use crate::CryptoError;

/// A 256-bit random secret, base64url without padding (43 characters of
/// `A–Z a–z 0–9 - _`, all unreserved in URLs, so it survives form-encoding unchanged).
///
/// # Errors
/// [`CryptoError::Random`] if the system generator fails.
pub fn random_secret() -> Result<String, CryptoError> {
    random_id(32)
}

/// `bytes` random bytes, base64url without padding.
///
/// # Errors
/// [`CryptoError::Random`] if the system generator fails.
pub fn random_id(bytes: usize) -> Result<String, CryptoError> {
    let mut buf = vec![0u8; bytes];
    SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| CryptoError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_43_unreserved_characters_and_differ() {
        let a = random_secret().unwrap();
        let b = random_secret().unwrap();
        assert_eq!(a.len(), 43);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a, b);
    }
}
