//! Cryptographic primitives of the identity provider.
//!
//! Random secrets and identifiers, SHA-256 digests, constant-time comparison, argon2id
//! password hashing under a concurrency limit, JWS signing keys on ring (RS256, ES256,
//! EdDSA) and HS256 MACs, and AES-256-GCM sealing of secrets at rest under a
//! key-encryption key.
//!
//! Invariants, stated as absences: this is a leaf crate on ring, argon2 and the `rsa` key
//! generator — it knows nothing of clients, users, storage, HTTP or JOSE libraries; it
//! never logs or returns secret material in errors.

mod compare;
mod digest;
mod error;
mod hmac;
mod password;
mod random;
mod sealing;
mod signing;

pub use compare::constant_time_eq;
pub use digest::sha256_hex;
pub use error::CryptoError;
pub use hmac::{hs256_sign, hs256_verify};
pub use password::{hash_password, verify_password, HashingLimit, HashingPermit, PasswordCheck};
pub use random::{random_from_alphabet, random_id, random_secret};
pub use sealing::{is_sealed, KeyEncryptionKey, KEY_ENCRYPTION_KEY_LEN};
pub use signing::{
    generate_pkcs8, generate_rsa_pkcs8, JwsSigningKey, KeyAlgorithm, PublicJwk, RSA_KEY_BITS,
};
