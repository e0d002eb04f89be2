//! The provider's published keys (RFC 7517 §5), as this crate keeps them: by `kid`, each
//! with the one algorithm its type signs with.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use idp_crypto::{KeyAlgorithm, PublicJwk};
use serde::Deserialize;

/// A public key's parameters, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Parameters {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    P256 { x: Vec<u8>, y: Vec<u8> },
    Ed25519 { x: Vec<u8> },
}

/// One verification key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct VerificationKey {
    parameters: Parameters,
}

impl VerificationKey {
    fn public(&self) -> PublicJwk<'_> {
        match &self.parameters {
            Parameters::Rsa { n, e } => PublicJwk::Rsa { n, e },
            Parameters::P256 { x, y } => PublicJwk::P256 { x, y },
            Parameters::Ed25519 { x } => PublicJwk::Ed25519 { x },
        }
    }

    /// The algorithm the key signs with.
    pub(crate) fn alg(&self) -> KeyAlgorithm {
        self.public().alg()
    }

    /// Whether `signature` over `message` is this key's.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.public().verify(message, signature)
    }
}

/// The keys of a JWKS that this crate can use, by `kid`.
#[derive(Clone, Debug, Default)]
pub(crate) struct KeySet {
    keys: HashMap<String, VerificationKey>,
}

/// A JWK as published; members this crate does not use are ignored (RFC 7517 §4).
#[derive(Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    alg: Option<String>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

#[derive(Deserialize)]
struct Document {
    keys: Vec<serde_json::Value>,
}

fn b64(value: Option<&String>) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(value?).ok()
}

impl Jwk {
    /// The key, when it is a signing key of a type and algorithm this crate verifies
    /// and has a `kid`; `None` for any other (skipped, RFC 7517 §5: "ignore JWKs ... it
    /// does not understand").
    fn into_key(self) -> Option<(String, VerificationKey)> {
        if self.usage.as_deref().is_some_and(|u| u != "sig") {
            return None;
        }
        let parameters = match (self.kty.as_str(), self.crv.as_deref()) {
            ("RSA", _) => Parameters::Rsa {
                n: b64(self.n.as_ref())?,
                e: b64(self.e.as_ref())?,
            },
            ("EC", Some("P-256")) => Parameters::P256 {
                x: b64(self.x.as_ref())?,
                y: b64(self.y.as_ref())?,
            },
            ("OKP", Some("Ed25519")) => Parameters::Ed25519 {
                x: b64(self.x.as_ref())?,
            },
            _ => return None,
        };
        let key = VerificationKey { parameters };
        // A key that names an algorithm signs only with it (RFC 7517 §4.4).
        if let Some(alg) = &self.alg {
            if KeyAlgorithm::from_name(alg) != Some(key.alg()) {
                return None;
            }
        }
        Some((self.kid?, key))
    }
}

impl KeySet {
    /// Reads a JWKS document; `None` when it is not one.
    pub(crate) fn parse(body: &[u8]) -> Option<KeySet> {
        let document: Document = serde_json::from_slice(body).ok()?;
        let keys = document
            .keys
            .into_iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k).ok()?.into_key())
            .collect();
        Some(KeySet { keys })
    }

    /// The key with this `kid`.
    pub(crate) fn get(&self, kid: &str) -> Option<&VerificationKey> {
        self.keys.get(kid)
    }

    /// How many usable keys there are.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusable_keys_are_skipped_and_the_rest_kept() {
        let set = KeySet::parse(
            br#"{"keys":[
                {"kty":"OKP","crv":"Ed25519","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
                {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
                {"kty":"OKP","crv":"Ed25519","kid":"enc","use":"enc","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
                {"kty":"OKP","crv":"Ed25519","kid":"wrong-alg","alg":"RS256","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
                {"kty":"oct","kid":"hmac","k":"c2VjcmV0"},
                {"kty":"EC","crv":"P-384","kid":"p384","x":"AA","y":"AA"},
                {"kty":"RSA","kid":"no-n","e":"AQAB"},
                "not an object"
            ]}"#,
        )
        .unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set.get("ed").unwrap().alg(), KeyAlgorithm::EdDsa);
        assert!(KeySet::parse(b"{}").is_none());
        assert!(KeySet::parse(b"not json").is_none());
    }
}
