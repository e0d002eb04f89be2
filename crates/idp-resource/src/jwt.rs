//! The rules of RFC 9068 §4 for a JWT access token, without I/O: split and decode the
//! compact JWS (RFC 7515 §7.1), check its header, then its claims, then its signature.
//!
//! Written by hand rather than with a JOSE crate: the checks are few and each is a rule
//! this crate must be seen to apply (the `typ`, the algorithm allow-list, no key from the
//! token itself), and the signature is ring's, through `idp-crypto`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use idp_crypto::KeyAlgorithm;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::jwks::VerificationKey;
use crate::{Principal, ResourceError};

/// Longest token read: anything longer is refused before any decoding.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

#[derive(Deserialize)]
struct Header {
    alg: String,
    typ: Option<String>,
    kid: Option<String>,
    /// Present only to be refused: keys come from the provider's JWKS, never from the
    /// token (RFC 8725 §3.10).
    jku: Option<Value>,
    jwk: Option<Value>,
    x5u: Option<Value>,
    crit: Option<Value>,
}

/// A token whose header is acceptable, before its signature is checked.
pub(crate) struct Unverified<'t> {
    pub kid: String,
    pub alg: KeyAlgorithm,
    signed: &'t [u8],
    signature: Vec<u8>,
    claims: Map<String, Value>,
}

fn invalid(why: &'static str) -> ResourceError {
    ResourceError::InvalidToken(why)
}

fn decode<T: DeserializeOwned>(part: &str) -> Option<T> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}

/// Splits `token` and checks its header: `typ` `at+jwt` (RFC 9068 §4 step 1), an
/// algorithm in `allowed` (never `none` or HMAC, RFC 8725 §3.1), a `kid`, and no key or
/// critical extension carried in the token.
pub(crate) fn parse<'t>(
    token: &'t str,
    allowed: &[KeyAlgorithm],
) -> Result<Unverified<'t>, ResourceError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(invalid("the token is too long"));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid("the token is not a JWT"));
    };
    let h: Header = decode(header).ok_or_else(|| invalid("the token's header is malformed"))?;
    let typ_ok = h.typ.as_deref().is_some_and(|t| {
        t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt")
    });
    if !typ_ok {
        return Err(invalid("the token is not a JWT access token (typ at+jwt)"));
    }
    let alg = KeyAlgorithm::from_name(&h.alg)
        .filter(|a| allowed.contains(a))
        .ok_or_else(|| invalid("the token's signing algorithm is not accepted"))?;
    if h.jku.is_some() || h.jwk.is_some() || h.x5u.is_some() || h.crit.is_some() {
        return Err(invalid(
            "the token names its own key or critical extensions",
        ));
    }
    let kid = h
        .kid
        .ok_or_else(|| invalid("the token names no key (kid)"))?;
    let claims: Map<String, Value> =
        decode(payload).ok_or_else(|| invalid("the token's claims are malformed"))?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| invalid("the token's signature is malformed"))?;
    Ok(Unverified {
        kid,
        alg,
        signed: &token.as_bytes()[..header.len() + 1 + payload.len()],
        signature,
        claims,
    })
}

/// What the claims must say.
pub(crate) struct Expected<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    /// Seconds since the epoch.
    pub now: i64,
    /// Clock skew tolerated, seconds.
    pub leeway: i64,
}

fn string<'m>(claims: &'m Map<String, Value>, name: &str) -> Option<&'m str> {
    claims.get(name).and_then(Value::as_str)
}

fn number(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, ResourceError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            // NumericDate may carry a fraction (RFC 7519 §2); whole seconds suffice.
            .or_else(|| v.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| invalid("a time claim is not a number")),
    }
}

impl Unverified<'_> {
    /// RFC 9068 §4 steps 2–5 without the signature: `iss` exactly the issuer, `aud`
    /// containing this resource, `exp` not passed, `nbf` and `iat` not ahead (each within
    /// the leeway), and the claims §2.2 requires.
    pub(crate) fn check_claims(&self, expected: &Expected<'_>) -> Result<(), ResourceError> {
        let c = &self.claims;
        if string(c, "iss") != Some(expected.issuer) {
            return Err(invalid("the token is from another issuer"));
        }
        let for_us = match c.get("aud") {
            Some(Value::String(a)) => a == expected.audience,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(expected.audience)),
            _ => false,
        };
        if !for_us {
            return Err(invalid("the token is for another audience"));
        }
        let exp = number(c, "exp")?.ok_or_else(|| invalid("the token has no expiry"))?;
        if expected.now >= exp.saturating_add(expected.leeway) {
            return Err(invalid("the token has expired"));
        }
        if number(c, "nbf")?.is_some_and(|nbf| nbf > expected.now.saturating_add(expected.leeway)) {
            return Err(invalid("the token is not valid yet"));
        }
        if number(c, "iat")?.is_some_and(|iat| iat > expected.now.saturating_add(expected.leeway)) {
            return Err(invalid("the token was issued in the future"));
        }
        if string(c, "sub").is_none() || string(c, "client_id").is_none() {
            return Err(invalid("the token lacks sub or client_id"));
        }
        Ok(())
    }

    /// Checks the signature with `key`, which must sign with the token's algorithm
    /// (RFC 8725 §3.1), and gives what the token says.
    pub(crate) fn verify(self, key: &VerificationKey) -> Result<Principal, ResourceError> {
        if key.alg() != self.alg || !key.verify(self.signed, &self.signature) {
            return Err(invalid("the token's signature does not verify"));
        }
        Principal::from_claims(self.claims)
            .ok_or_else(|| invalid("the token lacks sub or client_id"))
    }
}
