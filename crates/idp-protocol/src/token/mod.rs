//! The token endpoint (RFC 6749 §3.2): client authentication, then one grant.

mod authorization_code;
mod client_auth;
mod refresh_token;

use idp_core::{
    AccessToken, Client, Grant, GrantId, GrantType, NewTokens, RefreshToken, Scope, ScopeSet, User,
};
use serde::Serialize;

use crate::id_token::IdTokenInput;
use crate::provider::new_secret;
use crate::{ErrorCode, Params, ProtocolError, Provider};

/// A successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3).
#[derive(Clone, Debug, Serialize)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// A refresh token, when the grant includes one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// An ID token, when `openid` was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The granted scope.
    pub scope: String,
    /// The username, for clients flagged to receive it (ownCloud reads `user_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// What to issue for a grant.
struct Issue<'a> {
    client: &'a Client,
    user: &'a User,
    grant: &'a Grant,
    /// Scope of the access token (and ID token claims).
    scope: &'a ScopeSet,
    /// Scope of a new refresh token, when one is due.
    refresh_scope: Option<&'a ScopeSet>,
    nonce: Option<&'a str>,
}

impl Provider {
    /// Handles a token request: `params` is the form body, `authorization` the
    /// `Authorization` header if any.
    ///
    /// # Errors
    /// RFC 6749 §5.2 errors for JSON delivery; internal failures.
    pub fn token(
        &self,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<TokenResponse, ProtocolError> {
        // RFC 6749 §3.2.1: authenticate the client first.
        let client = self.authenticate_client(params, authorization)?;
        if params.has_duplicates() {
            return Err(ProtocolError::json(
                ErrorCode::InvalidRequest,
                "a parameter was sent more than once",
            ));
        }
        let grant = match params.get("grant_type") {
            None => {
                return Err(ProtocolError::json(
                    ErrorCode::InvalidRequest,
                    "grant_type is missing",
                ))
            }
            Some(g) => g.parse::<GrantType>().map_err(|_| {
                ProtocolError::json(
                    ErrorCode::UnsupportedGrantType,
                    "the grant type is not supported",
                )
            })?,
        };
        if !client.allows_grant(grant) {
            return Err(ProtocolError::json(
                ErrorCode::UnauthorizedClient,
                "the client may not use this grant type",
            ));
        }
        match grant {
            GrantType::AuthorizationCode => self.exchange_code(&client, params),
            GrantType::RefreshToken => self.refresh(&client, params),
        }
    }

    /// Makes the tokens for a grant and signs the ID token — everything short of storing
    /// them, which the caller does in the same transaction that redeems the code or
    /// refresh token. Nothing here writes, so a failure leaves the grant untouched.
    fn prepare_tokens(
        &self,
        issue: &Issue<'_>,
    ) -> Result<(TokenResponse, NewTokens), ProtocolError> {
        let now = self.now();
        let (access_token, digest) = new_secret()?;
        let access = AccessToken {
            digest,
            grant_id: issue.grant.id.clone(),
            scope: issue.scope.clone(),
            created_at: now,
            expires_at: now + self.config.access_token_lifetime,
            revoked: false,
        };
        let (refresh_token, refresh) = match issue.refresh_scope {
            None => (None, None),
            Some(scope) => {
                let (token, digest) = new_secret()?;
                let record = RefreshToken {
                    digest,
                    grant_id: issue.grant.id.clone(),
                    scope: scope.clone(),
                    created_at: now,
                    expires_at: now + self.config.refresh_token_lifetime,
                    used_at: None,
                    revoked: false,
                };
                (Some(token), Some(record))
            }
        };
        let id_token = if issue.scope.contains(Scope::OPENID) {
            Some(self.sign_id_token(&IdTokenInput {
                client_id: &issue.client.id,
                user: issue.user,
                scope: issue.scope,
                nonce: issue.nonce,
                auth_time: issue.grant.auth_time,
                access_token: &access_token,
            })?)
        } else {
            None
        };
        let response = TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: self.config.access_token_lifetime.num_seconds(),
            refresh_token,
            id_token,
            scope: issue.scope.to_string(),
            user_id: issue
                .client
                .include_user_id
                .then(|| issue.user.username.clone()),
        };
        Ok((response, NewTokens { access, refresh }))
    }

    /// Answers a replay: the code or refresh token was used before (or its grant was
    /// revoked), so everything issued from the grant is revoked (RFC 6749 §4.1.2,
    /// RFC 9700 §4.14.2) — including tokens a concurrent redemption stores afterwards,
    /// since every token check looks at the grant.
    fn refuse_replay(
        &self,
        client: &Client,
        grant: &GrantId,
        what: &'static str,
        description: &'static str,
    ) -> ProtocolError {
        match self.store.revoke_grant(grant, self.now()) {
            Ok(()) => {
                tracing::warn!(client = %client.id, "{what} reused; grant revoked");
                ProtocolError::json(ErrorCode::InvalidGrant, description)
            }
            Err(e) => e.into(),
        }
    }
}
