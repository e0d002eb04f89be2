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

/// `len` characters drawn uniformly from `alphabet` (at most 256 distinct bytes), by
/// rejection sampling so that no character is more likely than another.
///
/// # Errors
/// [`CryptoError::Random`] if the system generator fails or `alphabet` is empty or
/// longer than 256.
pub fn random_from_alphabet(alphabet: &[u8], len: usize) -> Result<String, CryptoError> {
    let size = alphabet.len();
    if size == 0 || size > 256 {
        return Err(CryptoError::Random);
    }
    // The largest multiple of `size` that fits in a byte: bytes at or above it are drawn
    // again, so every remainder is equally likely.
    let limit = 256 - 256 % size;
    let rng = SystemRandom::new();
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 32];
    while out.len() < len {
        rng.fill(&mut buf).map_err(|_| CryptoError::Random)?;
        for &b in &buf {
            if usize::from(b) < limit && out.len() < len {
                out.push(char::from(alphabet[usize::from(b) % size]));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_strings_use_only_the_alphabet() {
        let s = random_from_alphabet(b"BCDFGHJKLMNPQRSTVWXZ", 8).unwrap();
        assert_eq!(s.len(), 8);
        assert!(s.bytes().all(|c| b"BCDFGHJKLMNPQRSTVWXZ".contains(&c)));
        assert!(random_from_alphabet(b"", 8).is_err());
    }

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
