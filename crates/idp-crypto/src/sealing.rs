//! Secrets at rest: AES-256-GCM (ring) under a key-encryption key.
//!
//! A sealed value is `"idps1" ‖ fingerprint(8) ‖ nonce(12) ‖ ciphertext ‖ tag(16)`. The
//! fingerprint (the first 8 bytes of SHA-256 over a label and the key) tells "sealed under
//! another key" apart from "damaged", so a wrong key is reported as such; the associated
//! data (e.g. a signing key's kid) binds each ciphertext to its row, so sealed values
//! cannot be swapped between rows. Nonces are random: 96 bits, and far fewer than 2^32
//! values are ever sealed under one key (NIST SP 800-38D §8.3).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

use crate::CryptoError;

/// Marks sealed values (and their format version).
const MAGIC: &[u8; 5] = b"idps1";
const FINGERPRINT_LEN: usize = 8;
/// Bytes of a key-encryption key.
pub const KEY_ENCRYPTION_KEY_LEN: usize = 32;

/// A 256-bit key that encrypts other secrets for storage.
pub struct KeyEncryptionKey {
    key: LessSafeKey,
    fingerprint: [u8; FINGERPRINT_LEN],
}

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEncryptionKey")
            .field("fingerprint", &self.fingerprint_hex())
            .finish_non_exhaustive()
    }
}

impl KeyEncryptionKey {
    /// The key of these 32 bytes.
    ///
    /// # Errors
    /// [`CryptoError::KeyRejected`] unless `bytes` is 32 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != KEY_ENCRYPTION_KEY_LEN {
            return Err(CryptoError::KeyRejected(format!(
                "a key-encryption key is {KEY_ENCRYPTION_KEY_LEN} bytes, not {}",
                bytes.len()
            )));
        }
        let unbound = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| CryptoError::KeyRejected("not an AES-256 key".into()))?;
        let digest = ring::digest::digest(
            &ring::digest::SHA256,
            &[b"idp key-encryption-key fingerprint\0".as_slice(), bytes].concat(),
        );
        let mut fingerprint = [0u8; FINGERPRINT_LEN];
        fingerprint.copy_from_slice(&digest.as_ref()[..FINGERPRINT_LEN]);
        Ok(KeyEncryptionKey {
            key: LessSafeKey::new(unbound),
            fingerprint,
        })
    }

    /// The key from standard base64 (as `IDP_KEY_ENCRYPTION_KEY` holds it; surrounding
    /// whitespace ignored).
    ///
    /// # Errors
    /// [`CryptoError::KeyRejected`] if it is not base64 of 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| {
            CryptoError::KeyRejected("a key-encryption key must be base64 of 32 bytes".into())
        })?;
        Self::from_bytes(&bytes)
    }

    /// A new random key, and its base64 form (to store or hand to the operator).
    ///
    /// # Errors
    /// [`CryptoError::Random`] if the system generator fails.
    pub fn generate() -> Result<(Self, String), CryptoError> {
        let mut bytes = [0u8; KEY_ENCRYPTION_KEY_LEN];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| CryptoError::Random)?;
        let key = Self::from_bytes(&bytes)?;
        Ok((key, STANDARD.encode(bytes)))
    }

    /// A short public identifier of the key (hex), safe to log.
    pub fn fingerprint_hex(&self) -> String {
        self.fingerprint
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Encrypts `plaintext`, bound to `context` (which must be given again to open it).
    ///
    /// # Errors
    /// [`CryptoError::Random`] if no nonce can be drawn, [`CryptoError::Sealing`] if
    /// encryption fails.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| CryptoError::Random)?;
        let mut in_out = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                &mut in_out,
            )
            .map_err(|_| CryptoError::Sealing)?;
        let mut sealed =
            Vec::with_capacity(MAGIC.len() + FINGERPRINT_LEN + NONCE_LEN + in_out.len());
        sealed.extend_from_slice(MAGIC);
        sealed.extend_from_slice(&self.fingerprint);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&in_out);
        Ok(sealed)
    }

    /// Decrypts what [`KeyEncryptionKey::seal`] made with the same `context`.
    ///
    /// # Errors
    /// [`CryptoError::WrongKey`] if another key sealed it, [`CryptoError::Unsealing`] if
    /// it is damaged, not sealed, or sealed for another context.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let rest = sealed
            .strip_prefix(MAGIC.as_slice())
            .ok_or(CryptoError::Unsealing)?;
        if rest.len() < FINGERPRINT_LEN + NONCE_LEN {
            return Err(CryptoError::Unsealing);
        }
        let (fingerprint, rest) = rest.split_at(FINGERPRINT_LEN);
        if fingerprint != self.fingerprint {
            return Err(CryptoError::WrongKey);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Unsealing)?;
        let mut in_out = ciphertext.to_vec();
        let plaintext = self
            .key
            .open_in_place(nonce, Aad::from(context), &mut in_out)
            .map_err(|_| CryptoError::Unsealing)?;
        Ok(plaintext.to_vec())
    }
}

/// Whether `value` is in the sealed format (rather than a plaintext stored before
/// secrets were sealed).
pub fn is_sealed(value: &[u8]) -> bool {
    value.starts_with(MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let (kek, b64) = KeyEncryptionKey::generate().unwrap();
        let same = KeyEncryptionKey::from_base64(&format!(" {b64}\n")).unwrap();
        let sealed = kek.seal(b"private key", b"kid-1").unwrap();
        assert!(is_sealed(&sealed));
        assert!(!sealed.windows(11).any(|w| w == b"private key"));
        assert_eq!(same.open(&sealed, b"kid-1").unwrap(), b"private key");
        assert!(matches!(
            kek.open(&sealed, b"kid-2"),
            Err(CryptoError::Unsealing)
        ));
        let (other, _) = KeyEncryptionKey::generate().unwrap();
        assert!(matches!(
            other.open(&sealed, b"kid-1"),
            Err(CryptoError::WrongKey)
        ));
        let mut damaged = sealed;
        *damaged.last_mut().unwrap() ^= 1;
        assert!(matches!(
            kek.open(&damaged, b"kid-1"),
            Err(CryptoError::Unsealing)
        ));
        // Two seals of one value differ (random nonces).
        assert_ne!(kek.seal(b"x", b"c").unwrap(), kek.seal(b"x", b"c").unwrap());
        assert!(!format!("{kek:?}").contains(&b64));
    }

    #[test]
    fn keys_must_be_base64_of_32_bytes() {
        assert!(KeyEncryptionKey::from_base64("not base64!").is_err());
        assert!(KeyEncryptionKey::from_base64(&STANDARD.encode([0u8; 16])).is_err());
        assert!(KeyEncryptionKey::from_base64(&STANDARD.encode([7u8; 32])).is_ok());
    }
}
