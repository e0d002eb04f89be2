//! The successful authorization response: a code (RFC 6749 §4.1.2), an ID token and/or an
//! access token (implicit flow, RFC 6749 §4.2.2 and OIDC Core §3.2.2.5), or a code with
//! either or both (hybrid flow, OIDC Core §3.3.2.5) — never a refresh token — with `state`
//! and `iss` (RFC 9207 §2), in the request's response mode.

use chrono::{DateTime, Duration, Utc};
use idp_core::{
    AuthorizationCode, AuthorizationRequest, Client, Grant, GrantId, Scope, ScopeSet, Subject,
    User, UserId,
};

use super::interaction::{expired_request, Next};
use super::response::{redirect_error_saying, respond};
use crate::id_token::IdTokenInput;
use crate::provider::new_secret;
use crate::{ErrorCode, ProtocolError, Provider};

impl Provider {
    /// Issues what the request's `response_type` asks for, for `user_id` who
    /// authenticated at `auth_time` in the browser session `sid`, and returns the response
    /// to the client.
    ///
    /// The code and the access token belong to one new grant, stored with them in one
    /// transaction: a replayed code revokes the grant and with it the access token the
    /// authorization endpoint issued (RFC 6749 §4.1.2). `id_token` alone issues nothing
    /// that is stored, but its grant is kept all the same (with no code or token), as the
    /// record that the client took part in the session: ending the session notifies it
    /// (Front-/Back-Channel Logout). Housekeeping keeps such a grant while its session
    /// lives.
    pub(super) fn issue(
        &self,
        request: &AuthorizationRequest,
        client: &Client,
        user_id: UserId,
        auth_time: DateTime<Utc>,
        sid: String,
    ) -> Result<Next, ProtocolError> {
        let response_type = request.response_type;
        let now = self.now();
        let grant = Grant {
            id: GrantId::new(idp_crypto::random_id(16)?),
            client_id: request.client_id.clone(),
            subject: Subject::User(user_id),
            scope: request.scope.clone(),
            auth_time,
            created_at: now,
            revoked_at: None,
            sid: Some(sid),
            resources: request.resources.clone(),
        };
        let code = if response_type.code {
            let (code, digest) = new_secret()?;
            let record = AuthorizationCode {
                digest,
                grant_id: grant.id.clone(),
                redirect_uri: request
                    .redirect_uri_given
                    .then(|| request.redirect_uri.clone()),
                nonce: request.nonce.clone(),
                code_challenge: request.code_challenge.clone(),
                created_at: now,
                expires_at: now + self.lifetimes()?.code,
                used_at: None,
            };
            Some((code, record))
        } else {
            None
        };
        let lifetimes = self.client_lifetimes(client)?;
        // The user, for the ID token's claims and for token hooks.
        let user = if response_type.id_token || (response_type.token && self.hooks().is_some()) {
            let user_id = grant.subject.user_id().ok_or_else(expired_request)?;
            Some(
                self.store
                    .user_by_id(user_id)?
                    .ok_or_else(expired_request)?,
            )
        } else {
            None
        };
        let access = if response_type.token {
            Some(
                self.new_access_token(
                    client,
                    user.as_ref(),
                    &grant,
                    &request.scope,
                    (!request.resources.is_empty()).then_some(request.resources.as_slice()),
                    now,
                    now + lifetimes.access_token,
                )
                .map_err(|e| self.refusal_to_client(request, e))?,
            )
        } else {
            None
        };
        let id_token = match (&user, response_type.id_token) {
            (Some(user), true) => Some(
                self.front_channel_id_token(
                    request,
                    client,
                    user,
                    &grant,
                    code.as_ref().map(|(c, _)| c.as_str()),
                    access.as_ref().map(|(t, _)| t.as_str()),
                    lifetimes.id_token,
                )
                .map_err(|e| self.refusal_to_client(request, e))?,
            ),
            _ => None,
        };
        self.store.insert_grant_with_tokens(
            &grant,
            code.as_ref().map(|(_, r)| r),
            access.as_ref().map(|(_, r)| r),
        )?;

        let access_token = access.as_ref().map(|(t, _)| t.as_str());
        let expires_in = lifetimes.access_token.num_seconds().to_string();
        let scope = request.scope.to_string();
        let with_token = |v: &'static str| access_token.map(|_| v);
        respond(
            &request.redirect_uri,
            request.response_mode,
            &[
                ("code", code.as_ref().map(|(c, _)| c.as_str())),
                ("id_token", id_token.as_deref()),
                // RFC 6749 §4.2.2: the access token with its type and lifetime, and its
                // scope (optional when it is the requested one; always sent here).
                ("access_token", access_token),
                ("token_type", with_token("Bearer")),
                ("expires_in", access_token.map(|_| expires_in.as_str())),
                ("scope", access_token.map(|_| scope.as_str())),
                ("state", request.state.as_deref()),
                ("iss", Some(&self.config.issuer)),
            ],
        )
        .map(super::response::ToClient::into_next)
    }

    /// A token hook's refusal as the authorization endpoint answers it: `access_denied`
    /// redirected to the client (RFC 6749 §4.1.2.1, §4.2.2.1) with the hook's reason;
    /// any other error as it is.
    fn refusal_to_client(
        &self,
        request: &AuthorizationRequest,
        error: ProtocolError,
    ) -> ProtocolError {
        match error {
            ProtocolError::RefusedByHook { reason, .. } => redirect_error_saying(
                &request.redirect_uri,
                request.response_mode,
                request.state.as_deref(),
                &self.config.issuer,
                ErrorCode::AccessDenied,
                "a token hook refused the request",
                &reason,
            ),
            other => other,
        }
    }

    /// The ID token of an authorization response (OIDC Core §3.2.2.10, §3.3.2.11): with
    /// the request's `nonce`, `c_hash` for a code and `at_hash` for an access token
    /// issued with it, valid for `lifetime`.
    #[allow(clippy::too_many_arguments)]
    fn front_channel_id_token(
        &self,
        request: &AuthorizationRequest,
        client: &Client,
        user: &User,
        grant: &Grant,
        code: Option<&str>,
        access_token: Option<&str>,
        lifetime: Duration,
    ) -> Result<String, ProtocolError> {
        let groups = self.groups_for(client, user, &request.scope)?;
        // OIDC Core §5.4: the scope's claims go in the ID token only when the response
        // type issues no access token at all (`id_token`). With a code, an access token
        // follows from the token endpoint, so they are released at UserInfo — unless the
        // client asked for them in the ID token.
        let openid_only = ScopeSet::from_tokens([Scope::OPENID]);
        let claims_scope = if request.response_type.code
            && access_token.is_none()
            && !client.options.claims_in_id_token
        {
            &openid_only
        } else {
            &request.scope
        };
        self.sign_id_token(&IdTokenInput {
            client,
            user,
            scope: claims_scope,
            groups: &groups,
            nonce: request.nonce.as_deref(),
            auth_time: grant.auth_time,
            access_token,
            code,
            lifetime,
            sid: grant.sid.as_deref(),
        })
    }
}
