//! The JWS compact serialisation (RFC 7515 §7.1) of the tokens this provider reads back:
//! ID token hints and JWT access tokens. Written by hand because both must be read with
//! rules `openidconnect`'s relying-party verifier does not have (an expired hint is
//! still a hint; an access token is told apart by its `typ`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::keys::OidcSigningKey;
use crate::{ProtocolError, Provider};

/// A compact JWS split into its parts, the signature decoded.
pub(crate) struct CompactJws<'t> {
    pub header: &'t str,
    pub payload: &'t str,
    pub signature: Vec<u8>,
    /// `header.payload`: the JWS signing input.
    pub signed: &'t [u8],
}

/// Splits `token` into a compact JWS of at most `max` bytes; `None` if it is not one.
pub(crate) fn split(token: &str, max: usize) -> Option<CompactJws<'_>> {
    if token.len() > max {
        return None;
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    Some(CompactJws {
        header,
        payload,
        signature,
        signed: &token.as_bytes()[..header.len() + 1 + payload.len()],
    })
}

/// A base64url JSON part, decoded.
pub(crate) fn decode<T: for<'de> Deserialize<'de>>(part: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A value as a base64url JSON part.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<String, ProtocolError> {
    let json = serde_json::to_vec(value).map_err(|e| ProtocolError::Internal(Box::new(e)))?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

impl Provider {
    /// Whether `jws` was signed with `alg` by a key in the JWKS: the key `kid` names, or
    /// any when there is no `kid`. A key signs only with its own algorithm.
    ///
    /// # Errors
    /// [`ProtocolError::Internal`] only when the keys cannot be loaded.
    pub(crate) fn signed_by_published_key(
        &self,
        jws: &CompactJws<'_>,
        alg: &str,
        kid: Option<&str>,
    ) -> Result<bool, ProtocolError> {
        let keys = self.key_set()?;
        let signed_by = |k: &OidcSigningKey| {
            k.jws_algorithm().as_str() == alg && k.verify(jws.signed, &jws.signature)
        };
        Ok(match kid {
            Some(kid) => keys.get(kid).is_some_and(|k| signed_by(k)),
            None => keys.all().any(|k| signed_by(k)),
        })
    }
}
