//! The token endpoint (RFC 6749 §3.2): client authentication, then one grant.

mod authorization_code;
mod client_auth;
mod client_credentials;
mod device_code;
mod refresh_token;
mod token_exchange;
mod trusted;

use chrono::{DateTime, Utc};
use idp_core::{
    AccessToken, Client, Grant, GrantId, GrantType, GroupRef, NewTokens, RefreshToken, Scope,
    ScopeSet, Subject, User,
};
use serde::Serialize;

use crate::access_token::JwtAccessTokenInput;
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
    /// The type of the issued token, in a token exchange response (RFC 8693 §2.2.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<&'static str>,
}

/// The expiry of a refresh token that does not expire (`refresh_token_lifetime` 0 or
/// `none`): the last second of year 9999, which every backend stores and no purge reaches.
fn never() -> DateTime<Utc> {
    DateTime::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
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
    /// The resources the token request chose (RFC 8707), when it chose some.
    audience: Option<&'a [String]>,
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
            GrantType::ClientCredentials => self.client_credentials(&client, params),
            GrantType::TokenExchange => self.token_exchange(&client, params),
            GrantType::DeviceCode => self.redeem_device_code(&client, params),
        }
    }

    /// Makes the tokens for a grant and signs the ID token — everything short of storing
    /// them, which the caller does in the same transaction that redeems the code or
    /// refresh token. Nothing here writes, so a failure leaves the grant untouched.
    ///
    /// A client restricted to some groups gets tokens only for their members, checked
    /// here on every grant, so leaving the group ends refreshes too.
    fn prepare_tokens(
        &self,
        issue: &Issue<'_>,
    ) -> Result<(TokenResponse, NewTokens), ProtocolError> {
        let now = self.now();
        let groups = self.groups_for(issue.client, issue.user, issue.scope)?;
        if !issue
            .client
            .options
            .admits(&groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>())
        {
            return Err(ProtocolError::json(
                ErrorCode::InvalidGrant,
                "the user may not use this client",
            ));
        }
        let lifetimes = self.client_lifetimes(issue.client)?;
        let (access_token, access) = self.new_access_token(
            issue.client,
            Some(issue.user),
            issue.grant,
            issue.scope,
            issue.audience,
            now,
            now + lifetimes.access_token,
        )?;
        let (refresh_token, refresh) = match issue.refresh_scope {
            None => (None, None),
            Some(scope) => {
                let (token, digest) = new_secret()?;
                let record = RefreshToken {
                    digest,
                    grant_id: issue.grant.id.clone(),
                    scope: scope.clone(),
                    created_at: now,
                    expires_at: lifetimes.refresh_token.map_or_else(never, |d| now + d),
                    used_at: None,
                    revoked: false,
                };
                (Some(token), Some(record))
            }
        };
        let id_token = if issue.scope.contains(Scope::OPENID) {
            Some(self.sign_id_token(&IdTokenInput {
                client: issue.client,
                user: issue.user,
                scope: issue.scope,
                groups: &groups,
                nonce: issue.nonce,
                auth_time: issue.grant.auth_time,
                access_token: Some(&access_token),
                code: None,
                lifetime: lifetimes.id_token,
                // The grant's session: a refreshed ID token keeps the sid of the first.
                sid: issue.grant.sid.as_deref(),
            })?)
        } else {
            None
        };
        let response = TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: lifetimes.access_token.num_seconds(),
            refresh_token,
            id_token,
            scope: issue.scope.to_string(),
            user_id: issue
                .client
                .include_user_id
                .then(|| issue.user.username.clone()),
            issued_token_type: None,
        };
        Ok((response, NewTokens { access, refresh }))
    }

    /// A new access token of `grant` for `scope`, issued `now` and valid until
    /// `expires_at`, with its record: opaque, or for clients that ask for one and for
    /// named resources an RFC 9068 JWT whose `jti` is what is stored and checked. The token endpoint and the
    /// authorization endpoint (implicit and hybrid flows) issue them alike.
    ///
    /// Token hooks see it before it is issued (`user` is what they are told of the
    /// user); a hook's refusal is `invalid_grant`. `audience` is what the request chose
    /// with `resource` (RFC 8707), recorded so that introspection answers with it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new_access_token(
        &self,
        client: &Client,
        user: Option<&User>,
        grant: &Grant,
        scope: &ScopeSet,
        audience: Option<&[String]>,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(String, AccessToken), ProtocolError> {
        // A token for resources the request named (RFC 8707) is read by those resource
        // servers, not by the client: an RFC 9068 JWT they can validate themselves,
        // whatever the client's own format.
        let (access_token, digest) = if client.options.jwt_access_token || audience.is_some() {
            // RFC 9068: the JWT is handed out; its jti is what is stored and checked.
            let (jti, digest) = new_secret()?;
            let subject = match &grant.subject {
                Subject::User(user) => user.as_str(),
                Subject::Client(client) => client.as_str(),
            };
            let token = self.sign_jwt_access_token(&JwtAccessTokenInput {
                client,
                subject,
                scope,
                auth_time: Some(grant.auth_time),
                issued_at: now,
                expires_at,
                jti: &jti,
                user,
                audience,
                act: grant.act.as_ref(),
            })?;
            (token, digest)
        } else {
            if let Some(hooks) = self.hooks() {
                // No claims to edit, but the hook may refuse.
                Self::before_issue(
                    hooks,
                    crate::TokenKind::AccessToken(crate::AccessTokenFormat::Opaque),
                    client,
                    user,
                    scope,
                    serde_json::Map::new(),
                )?;
            }
            new_secret()?
        };
        let record = AccessToken {
            digest,
            grant_id: grant.id.clone(),
            scope: scope.clone(),
            created_at: now,
            expires_at,
            revoked: false,
            audience: audience.map(<[String]>::to_vec),
        };
        Ok((access_token, record))
    }

    /// The user's groups when the client is restricted to some or the scope releases
    /// them; otherwise none are loaded.
    pub(crate) fn groups_for(
        &self,
        client: &Client,
        user: &User,
        scope: &ScopeSet,
    ) -> Result<Vec<GroupRef>, ProtocolError> {
        if client.options.allowed_groups.is_empty() && !crate::claims::wants_groups(scope) {
            return Ok(Vec::new());
        }
        Ok(self.store.groups_of(&user.id)?)
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
