//! Reading back ID tokens this provider issued: the `id_token_hint` of authorization
//! requests (OIDC Core §3.1.2.1) and, later, of RP-Initiated Logout.
//!
//! Written by hand over the JWS compact form (RFC 7515 §7.1) rather than with
//! `openidconnect`'s verifier, because a hint must be accepted after it has expired, which
//! that verifier (rightly, for relying parties) does not allow; the signature itself is
//! checked with the provider's own published keys (RS256, ES256, EdDSA) or, for HS256,
//! with the secret of the client the token was issued to.

use chrono::{DateTime, Utc};
use idp_core::{ClientId, ClientType, UserId};
use serde::Deserialize;

use crate::jws::{decode, split};
use crate::{ProtocolError, Provider, TokenKind, ValidatedToken};

/// Hints longer than this are refused unread.
const MAX_HINT_BYTES: usize = 8 * 1024;

/// What a verified ID token says that hints and logout need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedIdToken {
    /// The subject (`sub`).
    pub subject: UserId,
    /// The audiences (`aud`): the client ids it was issued to.
    pub audiences: Vec<String>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: Audience,
    exp: Option<i64>,
}

impl Provider {
    /// Whether `signature` is the HS256 MAC of `signed` under the secret of the client
    /// the token names as its one audience (OIDC Core §10.1, §3.1.3.7 step 8: the
    /// secret of the `aud` client is the key; several audiences leave it unspecified, so
    /// they are refused). A client without a sealed secret never verifies.
    fn verify_hs256(
        &self,
        aud: &Audience,
        signed: &[u8],
        signature: &[u8],
    ) -> Result<bool, ProtocolError> {
        let client_id = match aud {
            Audience::One(a) => a,
            Audience::Many(a) if a.len() == 1 => &a[0],
            Audience::Many(_) => return Ok(false),
        };
        let Some(client) = self.client(&ClientId::new(client_id.as_str()))? else {
            return Ok(false);
        };
        if client.client_type != ClientType::Confidential || client.secret_sealed.is_none() {
            return Ok(false);
        }
        Ok(self.client_hmac_key(&client)?.verify(signed, signature))
    }

    /// Verifies an ID token issued by this provider: a well-formed JWS signed by one of
    /// the published keys with the key's algorithm, or HS256 with the secret of its
    /// audience client, and `iss` this issuer. Its expiry is deliberately not checked.
    /// `None` if it is not such a token.
    ///
    /// # Errors
    /// [`ProtocolError::Internal`] only when the keys cannot be loaded or a client's
    /// sealed secret does not open.
    ///
    /// Token hooks' `after_validate` sees it (with its user, looked up only when hooks
    /// are registered); a refusal makes it `None`.
    pub fn verify_id_token(&self, token: &str) -> Result<Option<VerifiedIdToken>, ProtocolError> {
        let Some((verified, expires_at)) = self.read_id_token(token)? else {
            return Ok(None);
        };
        if self.hooks().is_some() {
            let validated = self.validated_id_token(&verified, expires_at)?;
            if !self.accepted_by_hooks(&validated) {
                return Ok(None);
            }
        }
        Ok(Some(verified))
    }

    /// What a token hook is told of a verified ID token.
    pub(crate) fn validated_id_token(
        &self,
        verified: &VerifiedIdToken,
        expires_at: DateTime<Utc>,
    ) -> Result<ValidatedToken, ProtocolError> {
        Ok(ValidatedToken {
            kind: TokenKind::IdToken,
            client_id: ClientId::new(verified.audiences.first().map_or("", String::as_str)),
            subject: verified.subject.as_str().to_owned(),
            user: self.store.user_by_id(&verified.subject)?,
            scope: None,
            expires_at,
        })
    }

    /// [`Provider::verify_id_token`] without the hooks, with the token's expiry (the
    /// earliest time there is, if it has no `exp`).
    pub(crate) fn read_id_token(
        &self,
        token: &str,
    ) -> Result<Option<(VerifiedIdToken, DateTime<Utc>)>, ProtocolError> {
        let Some(jws) = split(token, MAX_HINT_BYTES) else {
            return Ok(None);
        };
        let (Some(header), Some(claims)) =
            (decode::<Header>(jws.header), decode::<Claims>(jws.payload))
        else {
            return Ok(None);
        };
        let verified = if header.alg == "HS256" {
            self.verify_hs256(&claims.aud, jws.signed, &jws.signature)?
        } else {
            self.signed_by_published_key(&jws, &header.alg, header.kid.as_deref())?
        };
        if !verified {
            return Ok(None);
        }
        if claims.iss != self.config.issuer {
            return Ok(None);
        }
        let expires_at = claims
            .exp
            .and_then(|exp| DateTime::from_timestamp(exp, 0))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let verified = VerifiedIdToken {
            subject: UserId::new(claims.sub),
            audiences: match claims.aud {
                Audience::One(a) => vec![a],
                Audience::Many(a) => a,
            },
        };
        Ok(Some((verified, expires_at)))
    }
}
