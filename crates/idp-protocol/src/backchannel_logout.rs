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
        let alg =
            JwsAlgorithm::for_id_tokens(client.options.id_token_alg).unwrap_or(JwsAlgorithm::Rs256);
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

/// How often and how patiently a logout token is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogoutRetry {
    /// Wait before the first retry; each further retry waits twice as long.
    pub first_delay: std::time::Duration,
    /// Attempts in all before the token is given up.
    pub attempts: u32,
}

impl Default for LogoutRetry {
    /// Five attempts, 30 s before the first retry (then 1, 2, 4 minutes).
    fn default() -> Self {
        LogoutRetry {
            first_delay: std::time::Duration::from_secs(30),
            attempts: 5,
        }
    }
}

/// A claimed delivery with its freshly signed logout token.
#[derive(Debug)]
pub struct DueLogout {
    /// The delivery (its `attempts` counts the one now under way).
    pub delivery: LogoutDelivery,
    /// The logout token to POST (a secret of sorts: never log it).
    pub token: String,
}

impl Provider {
    /// Claims up to `limit` logout deliveries that are due, leased for `lease` (another
    /// instance takes one over only after its lease ran out: an instance that died
    /// mid-send delays it, never loses it), and signs their tokens. A delivery whose
    /// client has gone is dropped.
    ///
    /// # Errors
    /// [`ProtocolError::Internal`] on storage or key failure.
    pub fn claim_due_logouts(
        &self,
        lease: std::time::Duration,
        limit: u32,
    ) -> Result<Vec<DueLogout>, ProtocolError> {
        let now = self.now();
        let lease = Duration::from_std(lease).unwrap_or(Duration::minutes(1));
        let claimed = self
            .store
            .claim_logout_deliveries(now, now + lease, limit)?;
        let mut due = Vec::with_capacity(claimed.len());
        for delivery in claimed {
            match self.logout_token(&delivery)? {
                Some(token) => due.push(DueLogout { delivery, token }),
                None => {
                    self.store.delete_logout_delivery(&delivery.id)?;
                }
            }
        }
        Ok(due)
    }

    /// Records the outcome of one attempt: delivered (forgotten), or failed — retried
    /// after `retry`'s back-off, or given up (and forgotten, logged) after its last
    /// attempt. Returns whether it will be retried.
    ///
    /// # Errors
    /// [`ProtocolError::Internal`] on storage failure.
    pub fn record_logout_attempt(
        &self,
        delivery: &LogoutDelivery,
        delivered: bool,
        retry: LogoutRetry,
    ) -> Result<bool, ProtocolError> {
        if delivered {
            self.store.delete_logout_delivery(&delivery.id)?;
            tracing::info!(client_id = %delivery.client_id, "back-channel logout delivered");
            return Ok(false);
        }
        if delivery.attempts >= retry.attempts {
            self.store.delete_logout_delivery(&delivery.id)?;
            tracing::warn!(
                client_id = %delivery.client_id,
                uri = %delivery.uri,
                attempts = delivery.attempts,
                "back-channel logout given up: the client never accepted the logout token"
            );
            return Ok(false);
        }
        let doublings = delivery.attempts.saturating_sub(1).min(20);
        let first = Duration::from_std(retry.first_delay).unwrap_or(Duration::minutes(1));
        let wait = first * (1i32 << doublings);
        self.store
            .retry_logout_delivery(&delivery.id, self.now() + wait)?;
        Ok(true)
    }
}
