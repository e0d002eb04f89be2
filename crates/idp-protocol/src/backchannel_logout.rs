//! Logout tokens of OpenID Connect Back-Channel Logout 1.0 (§2.4), signed when a queued
//! delivery is sent (so each attempt carries a fresh `iat` and `exp`; the `jti` stays).
//! Sending them is the HTTP layer's job; this module does no I/O.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Duration;
use idp_core::{JwsAlgorithm, LogoutDelivery};
use openidconnect::{JsonWebKey, PrivateSigningKey};
use serde::Serialize;

use crate::jws::encode;
use crate::{ProtocolError, Provider};

/// The `typ` of a logout token (§2.4, RFC 8725 §3.11: explicit typing, so a logout token
/// is never taken for an ID token).
pub const LOGOUT_JWT: &str = "logout+jwt";

/// The event that makes a JWT a logout token (§2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// How long a logout token is valid: long enough for clock skew, short enough that a
/// captured one is soon useless (§2.4 recommends at most two minutes).
const LIFETIME_SECS: i64 = 120;

#[derive(Serialize)]
struct Header<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: String,
}

/// §2.4 claims. `nonce` is prohibited, so there is no such field.
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: &'a str,
    events: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<&'a str>,
}

impl Provider {
    /// The signed logout token of `delivery`, issued now; `None` if its client is gone.
    ///
    /// Signed like the client's ID tokens, with the provider's active key of the client's
    /// algorithm (RS256, ES256 or EdDSA). A client whose ID tokens are HS256 gets RS256:
    /// a logout token arrives unsolicited at an endpoint that must check it came from us,
    /// which our published keys prove and a MAC made with the client's own secret does
    /// not (the client could have made it); it also keeps the sealed client secret out
    /// of the background sender.
    ///
    /// # Errors
    /// [`ProtocolError::Internal`] when the keys or the client cannot be loaded.
    pub fn logout_token(&self, delivery: &LogoutDelivery) -> Result<Option<String>, ProtocolError> {
        let Some(client) = self.client(&delivery.client_id)? else {
            return Ok(None);
        };
        let alg = JwsAlgorithm::for_id_tokens(client.options.id_token_alg)
            .unwrap_or(JwsAlgorithm::Rs256);
        let key = self.active_signing_key(alg)?;
        let kid = key
            .public_jwk()
            .key_id()
            .map(|k| k.as_str().to_owned())
            .ok_or_else(|| ProtocolError::Internal("signing key without a kid".into()))?;
        let header = Header {
            alg: key.jws_algorithm().as_str(),
            typ: LOGOUT_JWT,
            kid,
        };
        let now = self.now();
        let claims = Claims {
            iss: &self.config.issuer,
            aud: client.id.as_str(),
            iat: now.timestamp(),
            exp: (now + Duration::seconds(LIFETIME_SECS)).timestamp(),
            jti: &delivery.claims.jti,
            events: serde_json::json!({ BACKCHANNEL_LOGOUT_EVENT: {} }),
            sub: delivery.claims.sub.as_deref(),
            sid: delivery.claims.sid.as_deref(),
        };
        let signing_input = format!("{}.{}", encode(&header)?, encode(&claims)?);
        let signature = key
            .sign(&key.algorithm(), signing_input.as_bytes())
            .map_err(|e| ProtocolError::Internal(Box::new(e)))?;
        Ok(Some(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        )))
    }
}
