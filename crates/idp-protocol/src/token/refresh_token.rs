//! The `refresh_token` grant (RFC 6749 §6) with rotation and replay detection
//! (RFC 9700 §4.14.2).

use idp_core::{Client, ConsumeOutcome, ScopeSet};

use super::Issue;
use crate::provider::digest_of;
use crate::{ErrorCode, Params, ProtocolError, Provider};

fn invalid_grant(description: &'static str) -> ProtocolError {
    ProtocolError::json(ErrorCode::InvalidGrant, description)
}

impl Provider {
    pub(super) fn refresh(
        &self,
        client: &Client,
        params: &Params,
    ) -> Result<super::TokenResponse, ProtocolError> {
        let presented = params.get("refresh_token").ok_or_else(|| {
            ProtocolError::json(ErrorCode::InvalidRequest, "refresh_token is missing")
        })?;
        let digest = digest_of(presented);
        // RFC 6749 §6: a narrower scope may be asked for; the new refresh token keeps the
        // original one. A bad scope is refused before the token is spent.
        let requested = match params.get("scope") {
            None => None,
            Some(raw) => {
                let requested = ScopeSet::parse(raw).map_err(|_| {
                    ProtocolError::json(ErrorCode::InvalidScope, "the scope is malformed")
                })?;
                if let Some(known) = self.store.refresh_token(&digest)? {
                    if !requested.is_subset(&known.scope) {
                        return Err(ProtocolError::json(
                            ErrorCode::InvalidScope,
                            "the scope exceeds what was granted",
                        ));
                    }
                }
                Some(requested)
            }
        };
        let now = self.now();
        let token = match self.store.consume_refresh_token(&digest, now)? {
            ConsumeOutcome::Consumed(token) => token,
            ConsumeOutcome::AlreadyUsed(token) => {
                // A rotated-out token came back: either the client or an attacker holds a
                // stolen copy. Revoke the whole family.
                self.store.revoke_grant(&token.grant_id)?;
                tracing::warn!(client = %client.id, "refresh token reused; grant revoked");
                return Err(invalid_grant("the refresh token was already used"));
            }
            ConsumeOutcome::Unknown => return Err(invalid_grant("the refresh token is invalid")),
        };
        if token.client_id != client.id {
            self.store.revoke_grant(&token.grant_id)?;
            return Err(invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        if token.revoked || token.expires_at <= now {
            return Err(invalid_grant("the refresh token is invalid"));
        }
        // A requested scope was checked against this very token above.
        let scope = requested.unwrap_or_else(|| token.scope.clone());
        let user = self
            .store
            .user_by_id(&token.user_id)?
            .ok_or_else(|| invalid_grant("the user no longer exists"))?;
        self.issue_tokens(&Issue {
            client,
            user: &user,
            grant_id: &token.grant_id,
            scope: &scope,
            refresh_scope: Some(&token.scope),
            auth_time: token.auth_time,
            // OIDC Core §12.2: a refreshed ID token carries no nonce.
            nonce: None,
        })
    }
}
