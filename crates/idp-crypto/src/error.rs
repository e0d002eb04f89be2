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
    /// Password hashing failed.
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
}
