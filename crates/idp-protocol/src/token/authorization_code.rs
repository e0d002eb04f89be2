//! The `authorization_code` grant (RFC 6749 §4.1.3, OIDC Core §3.1.3).

use idp_core::{Client, ConsumeOutcome, GrantType, Scope};

use super::Issue;
use crate::authorize::verify_code_verifier;
use crate::provider::digest_of;
use crate::{ErrorCode, Params, ProtocolError, Provider};

fn invalid_grant(description: &'static str) -> ProtocolError {
    ProtocolError::json(ErrorCode::InvalidGrant, description)
}

impl Provider {
    pub(super) fn exchange_code(
        &self,
        client: &Client,
        params: &Params,
    ) -> Result<super::TokenResponse, ProtocolError> {
        let code = params
            .get("code")
            .ok_or_else(|| ProtocolError::json(ErrorCode::InvalidRequest, "code is missing"))?;
        let now = self.now();
        let code = match self.store.consume_code(&digest_of(code), now)? {
            ConsumeOutcome::Consumed(code) => code,
            ConsumeOutcome::AlreadyUsed(code) => {
                // RFC 6749 §4.1.2: a code used twice revokes what it produced.
                self.store.revoke_grant(&code.grant_id)?;
                tracing::warn!(client = %client.id, "authorization code reused; grant revoked");
                return Err(invalid_grant("the authorization code was already used"));
            }
            ConsumeOutcome::Unknown => {
                return Err(invalid_grant("the authorization code is invalid"))
            }
        };
        if code.client_id != client.id {
            return Err(invalid_grant(
                "the authorization code was issued to another client",
            ));
        }
        if code.expires_at <= now {
            return Err(invalid_grant("the authorization code has expired"));
        }
        // RFC 6749 §4.1.3: the redirect_uri must be repeated exactly when the
        // authorization request carried one.
        match (&code.redirect_uri, params.get("redirect_uri")) {
            (Some(expected), Some(given)) if expected.as_str() == given => {}
            (Some(_), _) => {
                return Err(invalid_grant(
                    "redirect_uri does not match the authorization request",
                ))
            }
            (None, Some(given)) if client.registered_redirect_uri(given).is_none() => {
                return Err(invalid_grant(
                    "redirect_uri does not match the authorization request",
                ))
            }
            (None, _) => {}
        }
        match (&code.code_challenge, params.get("code_verifier")) {
            (Some(challenge), Some(verifier)) => {
                if !verify_code_verifier(challenge, verifier) {
                    return Err(invalid_grant(
                        "the code_verifier does not match the code_challenge",
                    ));
                }
            }
            (Some(_), None) => return Err(invalid_grant("code_verifier is missing")),
            // RFC 9700 §2.1.1: a verifier without a challenge is a downgrade attempt.
            (None, Some(_)) => {
                return Err(invalid_grant(
                    "the authorization request had no code_challenge",
                ))
            }
            (None, None) => {}
        }
        let user = self
            .store
            .user_by_id(&code.user_id)?
            .ok_or_else(|| invalid_grant("the user no longer exists"))?;
        let refresh_due = client.allows_grant(GrantType::RefreshToken)
            && (code.scope.contains(Scope::OFFLINE_ACCESS)
                || client.refresh_without_offline_access);
        self.issue_tokens(&Issue {
            client,
            user: &user,
            grant_id: &code.grant_id,
            scope: &code.scope,
            refresh_scope: refresh_due.then_some(&code.scope),
            auth_time: code.auth_time,
            nonce: code.nonce.as_deref(),
        })
    }
}
