//! Our ring keys as `openidconnect` signs with them and publishes them: the
//! `PrivateSigningKey` of each provider key (RS256, ES256, EdDSA) and of a client secret
//! (HS256), and their public JWKs.

use idp_core::{IdTokenAlg, JwsAlgorithm};
use idp_crypto::{hs256_sign, JwsSigningKey, KeyAlgorithm, PublicJwk};
use openidconnect::core::{CoreJsonCurveType, CoreJsonWebKey, CoreJwsSigningAlgorithm};
use openidconnect::{JsonWebKey, JsonWebKeyId, PrivateSigningKey, SigningError};

use crate::ProtocolError;

/// The ring key kind of a stored key's algorithm.
pub(crate) fn key_algorithm(alg: JwsAlgorithm) -> KeyAlgorithm {
    match alg {
        JwsAlgorithm::Rs256 => KeyAlgorithm::Rs256,
        JwsAlgorithm::Es256 => KeyAlgorithm::Es256,
        JwsAlgorithm::EdDsa => KeyAlgorithm::EdDsa,
    }
}

/// The JOSE algorithm of a stored key's algorithm.
pub(crate) fn jose_algorithm(alg: JwsAlgorithm) -> CoreJwsSigningAlgorithm {
    match alg {
        JwsAlgorithm::Rs256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        JwsAlgorithm::Es256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        JwsAlgorithm::EdDsa => CoreJwsSigningAlgorithm::EdDsa,
    }
}

/// The JOSE algorithm of a client's ID tokens.
pub(crate) fn id_token_algorithm(alg: IdTokenAlg) -> CoreJwsSigningAlgorithm {
    match JwsAlgorithm::for_id_tokens(alg) {
        Some(alg) => jose_algorithm(alg),
        None => CoreJwsSigningAlgorithm::HmacSha256,
    }
}

/// A parsed provider key as `openidconnect` signs with it.
#[derive(Debug)]
pub(crate) struct OidcSigningKey {
    key: JwsSigningKey,
    alg: JwsAlgorithm,
    /// The public JWK, built once: every signature asks for it (for the header's kid).
    jwk: CoreJsonWebKey,
}

impl OidcSigningKey {
    /// Parses a PKCS#8 document of `alg`.
    pub(crate) fn parse(alg: JwsAlgorithm, pkcs8: &[u8]) -> Result<Self, ProtocolError> {
        let key = JwsSigningKey::from_pkcs8(key_algorithm(alg), pkcs8)?;
        let kid = Some(JsonWebKeyId::new(key.kid().to_owned()));
        // RFC 7518 §6.2 (EC, crv P-256) and §6.3 (RSA), RFC 8037 §2 (OKP, crv Ed25519);
        // each with `use` "sig" and its `alg` (RFC 7517 §4.2, §4.4).
        let jwk = match key.public_jwk() {
            PublicJwk::Rsa { n, e } => CoreJsonWebKey::new_rsa(n.to_vec(), e.to_vec(), kid),
            PublicJwk::P256 { x, y } => {
                CoreJsonWebKey::new_ec(x.to_vec(), y.to_vec(), CoreJsonCurveType::P256, kid)
            }
            PublicJwk::Ed25519 { x } => {
                CoreJsonWebKey::new_okp(x.to_vec(), CoreJsonCurveType::Ed25519, kid)
            }
        };
        Ok(OidcSigningKey {
            jwk: with_alg(jwk, alg.as_str()),
            key,
            alg,
        })
    }

    /// The key id (the RFC 7638 thumbprint).
    pub(crate) fn kid(&self) -> &str {
        self.key.kid()
    }

    /// The JOSE algorithm this key signs with.
    pub(crate) fn algorithm(&self) -> CoreJwsSigningAlgorithm {
        jose_algorithm(self.alg)
    }

    pub(crate) fn jws_algorithm(&self) -> JwsAlgorithm {
        self.alg
    }

    /// Whether `signature` is this key's signature of `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify(message, signature)
    }

    /// The public key as a JWK with `kid`, `use` and `alg` (RFC 7517 §4).
    pub(crate) fn public_jwk(&self) -> &CoreJsonWebKey {
        &self.jwk
    }
}

impl PrivateSigningKey for OidcSigningKey {
    type VerificationKey = CoreJsonWebKey;

    fn sign(
        &self,
        signature_alg: &CoreJwsSigningAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, SigningError> {
        if *signature_alg != self.algorithm() {
            return Err(SigningError::UnsupportedAlg(format!("{signature_alg:?}")));
        }
        self.key
            .sign(message)
            .map_err(|_| SigningError::CryptoError)
    }

    fn as_verification_key(&self) -> CoreJsonWebKey {
        self.jwk.clone()
    }
}

/// A client secret as the HS256 key of that client's ID tokens (OIDC Core §10.1: the
/// octets of the secret's UTF-8 form). It signs HS256 and nothing else.
pub(crate) struct HmacSigningKey {
    secret: Vec<u8>,
}

impl std::fmt::Debug for HmacSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HmacSigningKey").finish_non_exhaustive()
    }
}

impl HmacSigningKey {
    /// The key of this secret.
    pub(crate) fn new(secret: Vec<u8>) -> Self {
        HmacSigningKey { secret }
    }

    /// Whether `tag` is the HS256 MAC of `message` (compared in constant time).
    pub(crate) fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
        idp_crypto::hs256_verify(&self.secret, message, tag)
    }
}

impl PrivateSigningKey for HmacSigningKey {
    type VerificationKey = CoreJsonWebKey;

    fn sign(
        &self,
        signature_alg: &CoreJwsSigningAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, SigningError> {
        if *signature_alg != CoreJwsSigningAlgorithm::HmacSha256 {
            return Err(SigningError::UnsupportedAlg(format!("{signature_alg:?}")));
        }
        Ok(hs256_sign(&self.secret, message))
    }

    /// A symmetric JWK (no kid: the header then has none, as a MAC key is never
    /// published), which `openidconnect` uses for `at_hash`/`c_hash`.
    fn as_verification_key(&self) -> CoreJsonWebKey {
        CoreJsonWebKey::new_symmetric(self.secret.clone())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_kind_publishes_kty_crv_use_alg_and_kid() {
        for (alg, kty, crv) in [
            (JwsAlgorithm::Es256, "EC", Some("P-256")),
            (JwsAlgorithm::EdDsa, "OKP", Some("Ed25519")),
        ] {
            let der = idp_crypto::generate_pkcs8(key_algorithm(alg)).unwrap();
            let key = OidcSigningKey::parse(alg, &der).unwrap();
            let json = serde_json::to_value(key.public_jwk()).unwrap();
            assert_eq!(json["kty"], kty, "{alg}");
            assert_eq!(json["crv"].as_str(), crv, "{alg}");
            assert_eq!(json["use"], "sig", "{alg}");
            assert_eq!(json["alg"], alg.as_str(), "{alg}");
            assert_eq!(json["kid"].as_str().map(str::len), Some(43), "{alg}");
            assert!(json.get("d").is_none());
            // What it signs, its published JWK verifies (as a relying party would).
            let sig = key.sign(&key.algorithm(), b"message").unwrap();
            key.public_jwk()
                .verify_signature(&key.algorithm(), b"message", &sig)
                .unwrap();
            assert!(key
                .sign(&CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, b"m")
                .is_err());
            assert!(key.sign(&CoreJwsSigningAlgorithm::None, b"m").is_err());
        }
    }

    #[test]
    fn an_hmac_key_signs_only_hs256_and_its_symmetric_jwk_verifies() {
        let key = HmacSigningKey::new(b"a client secret".to_vec());
        let tag = key
            .sign(&CoreJwsSigningAlgorithm::HmacSha256, b"message")
            .unwrap();
        assert!(key.verify(b"message", &tag));
        key.as_verification_key()
            .verify_signature(&CoreJwsSigningAlgorithm::HmacSha256, b"message", &tag)
            .unwrap();
        for other in [
            CoreJwsSigningAlgorithm::None,
            CoreJwsSigningAlgorithm::HmacSha512,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        ] {
            assert!(key.sign(&other, b"message").is_err(), "{other:?}");
        }
        assert!(!format!("{key:?}").contains("secret"));
    }
}
