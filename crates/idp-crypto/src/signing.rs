//! JWS signing keys (RFC 7515) on ring: RS256, ES256 and EdDSA (Ed25519).
//!
//! Signing runs on ring, which signs RS256 about three times faster than the `rsa` crate;
//! ring cannot generate RSA keys, so RSA generation uses the `rsa` crate and hands ring
//! the PKCS#8 document (P-256 and Ed25519 keys ring makes itself). This crate knows no
//! JOSE library: the protocol crate wraps these keys for `openidconnect`'s token builders
//! and JWKS types. HS256 (a MAC keyed with a client secret) is in [`crate::hmac`].

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::rsa::PublicKeyComponents;
use ring::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING, ED25519, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256,
};

use crate::CryptoError;

/// Modulus size of generated RSA keys.
pub const RSA_KEY_BITS: usize = 2048;

/// Bytes of a P-256 coordinate, and so of each half of an ES256 signature.
const P256_COORDINATE_LEN: usize = 32;

/// The asymmetric JWS algorithms a [`JwsSigningKey`] signs with (RFC 7518 §3.1,
/// RFC 8037 §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3).
    Rs256,
    /// ECDSA on P-256 with SHA-256, the signature as fixed-width `r ‖ s` (RFC 7518 §3.4).
    Es256,
    /// EdDSA on Ed25519 (RFC 8037 §3.1).
    EdDsa,
}

impl KeyAlgorithm {
    /// The algorithm a registered `alg` name stands for, if it is one of these three
    /// (case-sensitive, RFC 7515 §4.1.1).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(KeyAlgorithm::Rs256),
            "ES256" => Some(KeyAlgorithm::Es256),
            "EdDSA" => Some(KeyAlgorithm::EdDsa),
            _ => None,
        }
    }

    /// The registered `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::Rs256 => "RS256",
            KeyAlgorithm::Es256 => "ES256",
            KeyAlgorithm::EdDsa => "EdDSA",
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The public parameters of a key as a JWK carries them (RFC 7518 §6, RFC 8037 §2),
/// unencoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicJwk<'a> {
    /// `kty` `RSA`: modulus `n` and exponent `e`, big-endian.
    Rsa {
        /// Modulus.
        n: &'a [u8],
        /// Public exponent.
        e: &'a [u8],
    },
    /// `kty` `EC`, `crv` `P-256`: the point's coordinates, 32 bytes each.
    P256 {
        /// x coordinate.
        x: &'a [u8],
        /// y coordinate.
        y: &'a [u8],
    },
    /// `kty` `OKP`, `crv` `Ed25519`: the 32-byte public key.
    Ed25519 {
        /// The public key.
        x: &'a [u8],
    },
}

impl PublicJwk<'_> {
    /// Whether `signature` is this public key's signature of `message`, with the one
    /// algorithm the key type has (RS256 for RSA keys of 2048 to 8192 bits, ES256 for
    /// P-256, EdDSA for Ed25519). A key whose parameters are malformed verifies nothing.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match *self {
            PublicJwk::Rsa { n, e } => ring::signature::RsaPublicKeyComponents { n, e }
                .verify(&RSA_PKCS1_2048_8192_SHA256, message, signature)
                .is_ok(),
            PublicJwk::P256 { x, y } => {
                if x.len() != P256_COORDINATE_LEN || y.len() != P256_COORDINATE_LEN {
                    return false;
                }
                // SEC 1 §2.3.3: the uncompressed point, 0x04 ‖ x ‖ y.
                let mut point = [0u8; 1 + 2 * P256_COORDINATE_LEN];
                point[0] = 4;
                point[1..=P256_COORDINATE_LEN].copy_from_slice(x);
                point[1 + P256_COORDINATE_LEN..].copy_from_slice(y);
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, signature)
                    .is_ok()
            }
            PublicJwk::Ed25519 { x } => UnparsedPublicKey::new(&ED25519, x)
                .verify(message, signature)
                .is_ok(),
        }
    }

    /// The algorithm this kind of key signs with.
    pub fn alg(&self) -> KeyAlgorithm {
        match self {
            PublicJwk::Rsa { .. } => KeyAlgorithm::Rs256,
            PublicJwk::P256 { .. } => KeyAlgorithm::Es256,
            PublicJwk::Ed25519 { .. } => KeyAlgorithm::EdDsa,
        }
    }

    /// RFC 7638 §3.2: the base64url SHA-256 of the required members in lexicographic
    /// order without white space — `{"e","kty","n"}` for RSA, `{"crv","kty","x","y"}`
    /// for EC, `{"crv","kty","x"}` for OKP (RFC 8037 §2).
    pub fn thumbprint(&self) -> String {
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        let json = match self {
            PublicJwk::Rsa { n, e } => {
                format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, b64(e), b64(n))
            }
            PublicJwk::P256 { x, y } => format!(
                r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                b64(x),
                b64(y)
            ),
            PublicJwk::Ed25519 { x } => {
                format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, b64(x))
            }
        };
        let d = ring::digest::digest(&ring::digest::SHA256, json.as_bytes());
        URL_SAFE_NO_PAD.encode(d.as_ref())
    }
}

/// Generates an RSA private key as a PKCS#8 DER document.
///
/// # Errors
/// [`CryptoError::KeyGeneration`] if generation or encoding fails.
pub fn generate_rsa_pkcs8(bits: usize) -> Result<Vec<u8>, CryptoError> {
    use rsa::pkcs8::EncodePrivateKey;
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, bits)
        .map_err(|e| CryptoError::KeyGeneration(e.to_string()))?;
    let doc = key
        .to_pkcs8_der()
        .map_err(|e| CryptoError::KeyGeneration(e.to_string()))?;
    Ok(doc.as_bytes().to_vec())
}

/// Generates a private key for `alg` as a PKCS#8 DER document: RSA-2048
/// ([`RSA_KEY_BITS`]), a P-256 key, or an Ed25519 key (PKCS#8 v2, RFC 8410).
///
/// # Errors
/// [`CryptoError::KeyGeneration`] if generation fails.
pub fn generate_pkcs8(alg: KeyAlgorithm) -> Result<Vec<u8>, CryptoError> {
    let rng = SystemRandom::new();
    let failed = |e: ring::error::Unspecified| CryptoError::KeyGeneration(e.to_string());
    match alg {
        KeyAlgorithm::Rs256 => generate_rsa_pkcs8(RSA_KEY_BITS),
        KeyAlgorithm::Es256 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map(|d| d.as_ref().to_vec())
            .map_err(failed),
        KeyAlgorithm::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng)
            .map(|d| d.as_ref().to_vec())
            .map_err(failed),
    }
}

/// The ring key pair of each kind, with its public parameters.
enum Pair {
    Rsa {
        key_pair: RsaKeyPair,
        public: PublicKeyComponents<Vec<u8>>,
    },
    /// `public` is the uncompressed SEC 1 point `0x04 ‖ x ‖ y`.
    P256 {
        key_pair: EcdsaKeyPair,
        public: Vec<u8>,
    },
    Ed25519 {
        key_pair: Ed25519KeyPair,
        public: Vec<u8>,
    },
}

/// A private JWS signing key, identified by its RFC 7638 thumbprint.
pub struct JwsSigningKey {
    kid: String,
    pair: Pair,
    rng: SystemRandom,
}

impl fmt::Debug for JwsSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwsSigningKey")
            .field("alg", &self.alg())
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl JwsSigningKey {
    /// Loads a key for `alg` from PKCS#8 DER (for Ed25519, v1 or v2; a v2 document's
    /// public key must match its private key).
    ///
    /// # Errors
    /// [`CryptoError::KeyRejected`] if the document is not a usable key for `alg`.
    pub fn from_pkcs8(alg: KeyAlgorithm, pkcs8: &[u8]) -> Result<Self, CryptoError> {
        let rejected = |e: ring::error::KeyRejected| CryptoError::KeyRejected(e.to_string());
        let pair = match alg {
            KeyAlgorithm::Rs256 => {
                let key_pair = RsaKeyPair::from_pkcs8(pkcs8).map_err(rejected)?;
                let public = PublicKeyComponents::<Vec<u8>>::from(key_pair.public());
                Pair::Rsa { key_pair, public }
            }
            KeyAlgorithm::Es256 => {
                let key_pair = EcdsaKeyPair::from_pkcs8(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    pkcs8,
                    &SystemRandom::new(),
                )
                .map_err(rejected)?;
                let public = key_pair.public_key().as_ref().to_vec();
                if public.len() != 1 + 2 * P256_COORDINATE_LEN {
                    return Err(CryptoError::KeyRejected(
                        "not an uncompressed P-256 point".into(),
                    ));
                }
                Pair::P256 { key_pair, public }
            }
            KeyAlgorithm::EdDsa => {
                let key_pair =
                    Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).map_err(rejected)?;
                let public = key_pair.public_key().as_ref().to_vec();
                Pair::Ed25519 { key_pair, public }
            }
        };
        let mut key = JwsSigningKey {
            kid: String::new(),
            pair,
            rng: SystemRandom::new(),
        };
        key.kid = key.public_jwk().thumbprint();
        Ok(key)
    }

    /// Loads an RS256 key from PKCS#8 DER.
    ///
    /// # Errors
    /// [`CryptoError::KeyRejected`] if the document is not a usable RSA key.
    pub fn rs256_from_pkcs8(pkcs8: &[u8]) -> Result<Self, CryptoError> {
        Self::from_pkcs8(KeyAlgorithm::Rs256, pkcs8)
    }

    /// The key id: the RFC 7638 JWK thumbprint, base64url.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm the key signs with.
    pub fn alg(&self) -> KeyAlgorithm {
        self.public_jwk().alg()
    }

    /// The public parameters, as the JWK publishes them.
    pub fn public_jwk(&self) -> PublicJwk<'_> {
        match &self.pair {
            Pair::Rsa { public, .. } => PublicJwk::Rsa {
                n: &public.n,
                e: &public.e,
            },
            Pair::P256 { public, .. } => {
                let (x, y) = public[1..].split_at(P256_COORDINATE_LEN);
                PublicJwk::P256 { x, y }
            }
            Pair::Ed25519 { public, .. } => PublicJwk::Ed25519 { x: public },
        }
    }

    /// Signs `message`: RSASSA-PKCS1-v1_5 with SHA-256 (256 bytes for RSA-2048), ECDSA
    /// P-256 with SHA-256 as `r ‖ s` (64 bytes, RFC 7518 §3.4 — not DER), or Ed25519
    /// (64 bytes, RFC 8037 §3.1).
    ///
    /// # Errors
    /// [`CryptoError::Signing`] if ring fails.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match &self.pair {
            Pair::Rsa { key_pair, .. } => {
                let mut signature = vec![0u8; key_pair.public().modulus_len()];
                key_pair
                    .sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut signature)
                    .map_err(|_| CryptoError::Signing)?;
                Ok(signature)
            }
            Pair::P256 { key_pair, .. } => key_pair
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| CryptoError::Signing),
            Pair::Ed25519 { key_pair, .. } => Ok(key_pair.sign(message).as_ref().to_vec()),
        }
    }

    /// Whether `signature` is this key's signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.public_jwk().verify(message, signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).unwrap()
    }

    #[test]
    fn generated_keys_of_every_algorithm_sign_verifiably() {
        for (alg, sig_len) in [
            (KeyAlgorithm::Rs256, 256),
            (KeyAlgorithm::Es256, 64),
            (KeyAlgorithm::EdDsa, 64),
        ] {
            let der = generate_pkcs8(alg).unwrap();
            let key = JwsSigningKey::from_pkcs8(alg, &der).unwrap();
            assert_eq!(key.alg(), alg);
            let sig = key.sign(b"payload").unwrap();
            assert_eq!(sig.len(), sig_len, "{alg}");
            assert!(key.verify(b"payload", &sig), "{alg}");
            assert!(!key.verify(b"other", &sig), "{alg}");
            assert_eq!(key.kid(), key.public_jwk().thumbprint());
            assert_eq!(key.kid().len(), 43);
            // The same document loads as the same key.
            let again = JwsSigningKey::from_pkcs8(alg, &der).unwrap();
            assert_eq!(again.kid(), key.kid());
            assert!(again.verify(b"payload", &sig));
        }
    }

    #[test]
    fn es256_signatures_are_fixed_width_r_and_s() {
        // RFC 7518 §3.4: 64 octets, not an ASN.1 DER sequence (which starts with 0x30
        // and is 70–72 bytes long).
        let der = generate_pkcs8(KeyAlgorithm::Es256).unwrap();
        let key = JwsSigningKey::from_pkcs8(KeyAlgorithm::Es256, &der).unwrap();
        for _ in 0..8 {
            assert_eq!(key.sign(b"m").unwrap().len(), 2 * P256_COORDINATE_LEN);
        }
        let PublicJwk::P256 { x, y } = key.public_jwk() else {
            panic!("an EC key")
        };
        assert_eq!((x.len(), y.len()), (32, 32));
    }

    #[test]
    fn keys_of_another_algorithm_and_garbage_are_refused() {
        assert!(matches!(
            JwsSigningKey::rs256_from_pkcs8(b"garbage"),
            Err(CryptoError::KeyRejected(_))
        ));
        let ed = generate_pkcs8(KeyAlgorithm::EdDsa).unwrap();
        let ec = generate_pkcs8(KeyAlgorithm::Es256).unwrap();
        assert!(JwsSigningKey::from_pkcs8(KeyAlgorithm::Es256, &ed).is_err());
        assert!(JwsSigningKey::from_pkcs8(KeyAlgorithm::EdDsa, &ec).is_err());
        assert!(JwsSigningKey::from_pkcs8(KeyAlgorithm::Rs256, &ec).is_err());
    }

    /// RFC 8037 Appendix A.1's private key as a PKCS#8 v1 document (RFC 8410 §7).
    fn rfc8037_key() -> JwsSigningKey {
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend(b64("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"));
        JwsSigningKey::from_pkcs8(KeyAlgorithm::EdDsa, &der).unwrap()
    }

    #[test]
    fn ed25519_thumbprint_matches_rfc_8037_appendix_a3() {
        let key = rfc8037_key();
        // A.2: the public key.
        assert_eq!(
            key.public_jwk(),
            PublicJwk::Ed25519 {
                x: &b64("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
            }
        );
        // A.3: its thumbprint.
        assert_eq!(key.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }

    #[test]
    fn ed25519_signature_matches_rfc_8037_appendix_a4() {
        let key = rfc8037_key();
        let input = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
        let sig = key.sign(input).unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(&sig),
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
        );
        assert!(key.verify(input, &sig));
    }

    #[test]
    fn thumbprint_matches_rfc_7638_example() {
        // RFC 7638 §3.1 example key.
        let n = b64("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw");
        let e = b64("AQAB");
        assert_eq!(
            PublicJwk::Rsa { n: &n, e: &e }.thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
