//! The crate's one error type.

/// Failures of cryptographic operations. Messages never contain key or secret material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The system random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// A stored key could not be loaded.
    #[error("signing key rejected: {0}")]
    KeyRejected(String),
    /// Key generation failed.
    #[error("key generation failed: {0}")]
    KeyGeneration(String),
    /// The key cannot sign with the requested algorithm.
    #[error("unsupported signing algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// Signing failed.
    #[error("signing failed")]
    Signing,
    /// Encrypting a secret for storage failed.
    #[error("sealing a secret failed")]
    Sealing,
    /// A sealed secret was sealed under a different key-encryption key.
    #[error("the secret was encrypted under a different key-encryption key")]
    WrongKey,
    /// A sealed secret is damaged, or not sealed for this use.
    #[error("a stored secret cannot be decrypted: it is damaged or not what it claims")]
    Unsealing,
    /// Password hashing failed.
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
}
