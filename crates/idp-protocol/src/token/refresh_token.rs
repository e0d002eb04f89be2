//! The `refresh_token` grant (RFC 6749 §6) with rotation and replay detection
//! (RFC 9700 §4.14.2).

use idp_core::{Client, Granted, Redemption, ScopeSet};

use super::Issue;
use crate::provider::digest_of;
use crate::{ErrorCode, Params, ProtocolError, Provider};

fn invalid_grant(description: &'static str) -> ProtocolError {
    ProtocolError::json(ErrorCode::InvalidGrant, description)
}

const REUSED: &str = "the refresh token was already used";

impl Provider {
    /// Reads the refresh token with its grant and user, checks it, makes and signs the
    /// new tokens, then rotates: marks the old token used and stores the new ones in one
    /// transaction.
    pub(super) fn refresh(
        &self,
        client: &Client,
        params: &Params,
    ) -> Result<super::TokenResponse, ProtocolError> {
        let presented = params.get("refresh_token").ok_or_else(|| {
            ProtocolError::json(ErrorCode::InvalidRequest, "refresh_token is missing")
        })?;
        // RFC 6749 §6: a narrower scope may be asked for; the new refresh token keeps the
        // original one. A malformed scope is refused before anything else.
        let requested = params
            .get("scope")
            .map(ScopeSet::parse)
            .transpose()
            .map_err(|_| ProtocolError::json(ErrorCode::InvalidScope, "the scope is malformed"))?;
        let digest = digest_of(presented);
        let now = self.now();
        let Granted {
            record: token,
            grant,
            user,
        } = self
            .store
            .refresh_token(&digest)?
            .ok_or_else(|| invalid_grant("the refresh token is invalid"))?;
        if grant.client_id != client.id {
            // Another client holds this family's token: it leaked. Revoke the family.
            self.store.revoke_grant(&grant.id, now)?;
            return Err(invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        if token.used_at.is_some() {
            // A rotated-out token came back: either the client or an attacker holds a
            // stolen copy.
            return Err(self.refuse_replay(client, &grant.id, "refresh token", REUSED));
        }
        if token.revoked || grant.is_revoked() || token.expires_at <= now {
            return Err(invalid_grant("the refresh token is invalid"));
        }
        let scope = match requested {
            Some(requested) if !requested.is_subset(&token.scope) => {
                return Err(ProtocolError::json(
                    ErrorCode::InvalidScope,
                    "the scope exceeds what was granted",
                ))
            }
            Some(requested) => requested,
            None => token.scope.clone(),
        };
        // A scope the operator removed since is no longer granted.
        let scope = self.known_scopes(&scope)?;
        let user = user.ok_or_else(|| invalid_grant("the user no longer exists"))?;
        let audience = self.token_audience(client, &grant, params)?;
        let (response, tokens) = self.prepare_tokens(&Issue {
            client,
            user: &user,
            grant: &grant,
            scope: &scope,
            refresh_scope: Some(&token.scope),
            // OIDC Core §12.2: a refreshed ID token carries no nonce.
            nonce: None,
            audience: audience.as_deref(),
        })?;
        match self.store.redeem_refresh_token(&digest, now, &tokens)? {
            Redemption::Redeemed => Ok(response),
            Redemption::Refused => {
                Err(self.refuse_replay(client, &grant.id, "refresh token", REUSED))
            }
        }
    }
}
