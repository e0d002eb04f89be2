//! JWS signing keys (RFC 7515) for ID tokens, usable by `openidconnect`'s token builders.
//!
//! Signing runs on ring, which signs RS256 about three times faster than the `rsa` crate
//! that `openidconnect`'s own key type uses; ring cannot generate RSA keys, so generation
//! uses the `rsa` crate and hands ring the PKCS#8 document.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openidconnect::core::{CoreJsonWebKey, CoreJwsSigningAlgorithm};
use openidconnect::{JsonWebKeyId, PrivateSigningKey, SigningError};
use ring::rand::SystemRandom;
use ring::rsa::PublicKeyComponents;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};

use crate::CryptoError;

/// Modulus size of generated RSA keys.
pub const RSA_KEY_BITS: usize = 2048;

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

/// A private key that signs JWS with one algorithm, identified by its RFC 7638 thumbprint.
pub struct JwsSigningKey {
    kid: String,
    key_pair: RsaKeyPair,
    public: PublicKeyComponents<Vec<u8>>,
    rng: SystemRandom,
}

impl std::fmt::Debug for JwsSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwsSigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl JwsSigningKey {
    /// Loads a stored key for `alg` (only `RS256` today).
    ///
    /// # Errors
    /// [`CryptoError::UnsupportedAlgorithm`] for other algorithms,
    /// [`CryptoError::KeyRejected`] if the document is not a usable key.
    pub fn from_pkcs8(alg: &str, pkcs8: &[u8]) -> Result<Self, CryptoError> {
        if alg != "RS256" {
            return Err(CryptoError::UnsupportedAlgorithm(alg.to_owned()));
        }
        let key_pair =
            RsaKeyPair::from_pkcs8(pkcs8).map_err(|e| CryptoError::KeyRejected(e.to_string()))?;
        let public = PublicKeyComponents::<Vec<u8>>::from(key_pair.public());
        let kid = rsa_thumbprint(&public.n, &public.e);
        Ok(JwsSigningKey {
            kid,
            key_pair,
            public,
            rng: SystemRandom::new(),
        })
    }

    /// The key id: the RFC 7638 JWK thumbprint, base64url.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The JWS algorithm this key signs with.
    pub fn algorithm(&self) -> CoreJwsSigningAlgorithm {
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256
    }

    /// The public key as a JWK with `kid`, `use` and `alg` (RFC 7517 §4).
    pub fn public_jwk(&self) -> CoreJsonWebKey {
        let jwk = CoreJsonWebKey::new_rsa(
            self.public.n.clone(),
            self.public.e.clone(),
            Some(JsonWebKeyId::new(self.kid.clone())),
        );
        with_alg(jwk, "RS256")
    }
}

/// `CoreJsonWebKey` has no setter for `alg`, but it is plain serde data: add the member
/// through its JSON form (falling back to the key without `alg`, which stays valid).
fn with_alg(jwk: CoreJsonWebKey, alg: &str) -> CoreJsonWebKey {
    let Ok(serde_json::Value::Object(mut map)) = serde_json::to_value(&jwk) else {
        return jwk;
    };
    map.insert("alg".into(), serde_json::Value::String(alg.into()));
    serde_json::from_value(serde_json::Value::Object(map)).unwrap_or(jwk)
}

/// RFC 7638 §3.2: SHA-256 over `{"e":…,"kty":"RSA","n":…}` with members in lexicographic
/// order and no white space.
fn rsa_thumbprint(n: &[u8], e: &[u8]) -> String {
    let json = format!(
        r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(e),
        URL_SAFE_NO_PAD.encode(n)
    );
    let d = ring::digest::digest(&ring::digest::SHA256, json.as_bytes());
    URL_SAFE_NO_PAD.encode(d.as_ref())
}

impl PrivateSigningKey for JwsSigningKey {
    type VerificationKey = CoreJsonWebKey;

    fn sign(
        &self,
        signature_alg: &CoreJwsSigningAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, SigningError> {
        if *signature_alg != CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256 {
            return Err(SigningError::UnsupportedAlg(format!("{signature_alg:?}")));
        }
        let mut signature = vec![0u8; self.key_pair.public().modulus_len()];
        self.key_pair
            .sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut signature)
            .map_err(|_| SigningError::CryptoError)?;
        Ok(signature)
    }

    fn as_verification_key(&self) -> CoreJsonWebKey {
        self.public_jwk()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openidconnect::JsonWebKey;

    #[test]
    fn generated_keys_sign_verifiably_and_publish_kid_use_alg() {
        let der = generate_rsa_pkcs8(RSA_KEY_BITS).unwrap();
        let key = JwsSigningKey::from_pkcs8("RS256", &der).unwrap();
        let alg = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;
        let sig = key.sign(&alg, b"payload").unwrap();
        let jwk = key.public_jwk();
        jwk.verify_signature(&alg, b"payload", &sig).unwrap();
        assert!(jwk.verify_signature(&alg, b"other", &sig).is_err());

        let json = serde_json::to_value(&jwk).unwrap();
        assert_eq!(json["kid"], key.kid());
        assert_eq!(json["use"], "sig");
        assert_eq!(json["alg"], "RS256");
        assert_eq!(json["kty"], "RSA");
    }

    #[test]
    fn other_algorithms_and_garbage_keys_are_refused() {
        assert!(matches!(
            JwsSigningKey::from_pkcs8("HS256", b""),
            Err(CryptoError::UnsupportedAlgorithm(_))
        ));
        assert!(matches!(
            JwsSigningKey::from_pkcs8("RS256", b"garbage"),
            Err(CryptoError::KeyRejected(_))
        ));
    }

    #[test]
    fn thumbprint_matches_rfc_7638_example() {
        // RFC 7638 §3.1 example key.
        let n = URL_SAFE_NO_PAD.decode("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw").unwrap();
        let e = URL_SAFE_NO_PAD.decode("AQAB").unwrap();
        assert_eq!(
            rsa_thumbprint(&n, &e),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
