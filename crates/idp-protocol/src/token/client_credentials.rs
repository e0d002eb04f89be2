//! The `client_credentials` grant (RFC 6749 §4.4): a confidential client, authenticated,
//! gets an access token for itself — no user, so no ID token and no refresh token
//! (§4.4.3), and no scope that describes a person.

use idp_core::{Client, ClientType, Grant, GrantId, NewTokens, Scope, ScopeSet, Subject};

use super::TokenResponse;
use crate::{ErrorCode, Params, ProtocolError, Provider};

fn invalid_scope(description: &'static str) -> ProtocolError {
    ProtocolError::json(ErrorCode::InvalidScope, description)
}

impl Provider {
    /// Issues an access token to `client` acting for itself. The scope is the one
    /// requested, which must lie within the client's scopes (RFC 6749 §3.3), or, when
    /// none is requested, the client's default scopes; the standard OpenID Connect
    /// scopes describe an end-user and are refused here.
    pub(super) fn client_credentials(
        &self,
        client: &Client,
        params: &Params,
    ) -> Result<TokenResponse, ProtocolError> {
        // §4.4.2: the client MUST authenticate; a public client cannot.
        if client.client_type != ClientType::Confidential {
            return Err(ProtocolError::json(
                ErrorCode::UnauthorizedClient,
                "client_credentials is for confidential clients",
            ));
        }
        let scope = match params.get("scope") {
            Some(s) => {
                let requested =
                    ScopeSet::parse(s).map_err(|_| invalid_scope("the scope is malformed"))?;
                if requested.iter().any(Scope::is_standard) {
                    return Err(invalid_scope(
                        "OpenID Connect scopes describe an end-user; client_credentials has none",
                    ));
                }
                if !requested.is_subset(&client.scopes) {
                    return Err(invalid_scope("the scope exceeds the client's scopes"));
                }
                requested
            }
            None => ScopeSet::from_tokens(
                client
                    .default_scopes
                    .iter()
                    .filter(|s| !Scope::is_standard(s)),
            ),
        };
        // A scope the operator removed since is no longer granted.
        let scope = self.known_scopes(&scope)?;
        // RFC 8707 §2: the resources named become the token's audience.
        let audience = self.requested_audience(client, params)?;
        let now = self.now();
        let grant = Grant {
            id: GrantId::new(idp_crypto::random_id(16)?),
            client_id: client.id.clone(),
            subject: Subject::Client(client.id.clone()),
            // No browser session: the client acts for itself.
            sid: None,
            resources: audience.clone().unwrap_or_default(),
            scope: scope.clone(),
            auth_time: now,
            created_at: now,
            revoked_at: None,
        };
        let lifetimes = self.client_lifetimes(client)?;
        let (access_token, access) = self.new_access_token(
            client,
            None,
            &grant,
            &scope,
            audience.as_deref(),
            now,
            now + lifetimes.access_token,
        )?;
        self.store.insert_grant_with_issued_tokens(
            &grant,
            &NewTokens {
                access,
                refresh: None,
            },
        )?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: lifetimes.access_token.num_seconds(),
            refresh_token: None,
            id_token: None,
            scope: scope.to_string(),
            user_id: None,
        })
    }
}
