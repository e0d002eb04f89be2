//! RFC 9068 JWT access tokens, for clients that ask for them (`--jwt-access-token`).
//!
//! The token is a JWS (RFC 7515 compact form) signed with the provider's active RS256
//! key; its `jti` is stored (as a digest) the way an opaque token is, so wherever this provider
//! validates a token — signature and issuer first, then the stored record — a revoked
//! grant or an expired record refuses it, exactly as for opaque tokens.
//!
//! Encoded by hand: `openidconnect` builds only ID tokens and UserInfo JWTs, and an access
//! token JWT is two base64url JSON documents and a signature.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use idp_core::{Client, ScopeSet, User};
use openidconnect::{JsonWebKey, PrivateSigningKey};
use serde::{Deserialize, Serialize};

use crate::jws::{decode, encode, split};
use crate::resource::Audience;
use crate::{ProtocolError, Provider};

/// The media type of JWT access tokens (RFC 9068 §2.1), as the header's `typ`.
const AT_JWT: &str = "at+jwt";

/// Longest token read: anything longer is not ours.
const MAX_JWT_BYTES: usize = 8 * 1024;

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    typ: String,
    kid: String,
}

/// RFC 9068 §2.2 claims.
#[derive(Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: Audience,
    client_id: String,
    scope: String,
    jti: String,
    exp: i64,
    iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_time: Option<i64>,
}

/// What a JWT access token is made of.
pub(crate) struct JwtAccessTokenInput<'a> {
    pub client: &'a Client,
    /// The user's id, or the client's own for a grant without a user.
    pub subject: &'a str,
    pub scope: &'a ScopeSet,
    pub auth_time: Option<DateTime<Utc>>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The stored identifier (its digest is what the database keeps).
    pub jti: &'a str,
    /// The user, for token hooks (`None` when not loaded or there is none).
    pub user: Option<&'a User>,
    /// The resources the request chose (RFC 8707), when it chose some.
    pub audience: Option<&'a [String]>,
}

/// Whether `token` has the shape of a compact JWS (opaque tokens are base64url without
/// dots).
pub(crate) fn looks_like_jwt(token: &str) -> bool {
    token.contains('.')
}

impl Provider {
    /// Signs a JWT access token (RFC 9068 §2).
    pub(crate) fn sign_jwt_access_token(
        &self,
        input: &JwtAccessTokenInput<'_>,
    ) -> Result<String, ProtocolError> {
        // The client's access-token algorithm (RS256 unless the operator chose another),
        // independent of its ID token algorithm.
        let key = self.active_signing_key(input.client.options.access_token_alg)?;
        let kid = key
            .public_jwk()
            .key_id()
            .map(|k| k.as_str().to_owned())
            .ok_or_else(|| ProtocolError::Internal("signing key without a kid".into()))?;
        let header = Header {
            alg: key.jws_algorithm().as_str().to_owned(),
            typ: AT_JWT.to_owned(),
            kid,
        };
        let claims = Claims {
            iss: self.config.issuer.clone(),
            sub: input.subject.to_owned(),
            aud: self.access_token_audience(input.client, input.audience),
            client_id: input.client.id.as_str().to_owned(),
            scope: input.scope.to_string(),
            jti: input.jti.to_owned(),
            exp: input.expires_at.timestamp(),
            iat: input.issued_at.timestamp(),
            auth_time: input.auth_time.map(|t| t.timestamp()),
        };
        let payload = match self.hooks() {
            None => encode(&claims)?,
            // RFC 9068 §2.2 claims are protected; a hook may add others.
            Some(hooks) => encode(&Self::before_issue(
                hooks,
                crate::TokenKind::AccessToken(crate::AccessTokenFormat::Jwt),
                input.client,
                input.user,
                input.scope,
                crate::hooks::to_claims(&claims)?,
            )?)?,
        };
        let signing_input = format!("{}.{payload}", encode(&header)?);
        let signature = key
            .sign(&key.algorithm(), signing_input.as_bytes())
            .map_err(|e| ProtocolError::Internal(Box::new(e)))?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }

    /// The `jti` of a JWT access token this provider signed: `typ` `at+jwt`, a published
    /// key with its own algorithm, `iss` this issuer. `None` for anything else. Expiry and
    /// revocation are left to the stored record the `jti` names.
    ///
    /// # Errors
    /// [`ProtocolError::Internal`] only when the keys cannot be loaded.
    pub(crate) fn jti_of_jwt(&self, token: &str) -> Result<Option<String>, ProtocolError> {
        let Some(jws) = split(token, MAX_JWT_BYTES) else {
            return Ok(None);
        };
        let Some(header) = decode::<Header>(jws.header) else {
            return Ok(None);
        };
        // RFC 9068 §4: the typ must be at+jwt, so an ID token is never taken for one.
        if !header.typ.eq_ignore_ascii_case(AT_JWT)
            && !header.typ.eq_ignore_ascii_case("application/at+jwt")
        {
            return Ok(None);
        }
        if !self.signed_by_published_key(&jws, &header.alg, Some(&header.kid))? {
            return Ok(None);
        }
        let Some(claims) = decode::<Claims>(jws.payload) else {
            return Ok(None);
        };
        if claims.iss != self.config.issuer {
            return Ok(None);
        }
        Ok(Some(claims.jti))
    }
}
