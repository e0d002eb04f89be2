//! The `authorization_code` grant (RFC 6749 §4.1.3, OIDC Core §3.1.3).

use idp_core::{Client, Granted, Redemption};

use super::Issue;
use crate::authorize::verify_code_verifier;
use crate::provider::digest_of;
use crate::{ErrorCode, Params, ProtocolError, Provider};

fn invalid_grant(description: &'static str) -> ProtocolError {
    ProtocolError::json(ErrorCode::InvalidGrant, description)
}

const REUSED: &str = "the authorization code was already used";

impl Provider {
    /// Reads the code with its grant and user (one query), checks every binding, makes
    /// and signs the tokens, then redeems the code and stores the tokens in one
    /// transaction. A failure before that transaction commits leaves the code redeemable.
    pub(super) fn exchange_code(
        &self,
        client: &Client,
        params: &Params,
    ) -> Result<super::TokenResponse, ProtocolError> {
        let presented = params
            .get("code")
            .ok_or_else(|| ProtocolError::json(ErrorCode::InvalidRequest, "code is missing"))?;
        let digest = digest_of(presented);
        let now = self.now();
        let Granted {
            record: code,
            grant,
            user,
        } = self
            .store
            .code(&digest)?
            .ok_or_else(|| invalid_grant("the authorization code is invalid"))?;
        // RFC 6749 §4.1.3: the code must have been issued to this client. Another
        // client holding it means it leaked: its grant is revoked, so neither client
        // gets tokens from it.
        if grant.client_id != client.id {
            self.store.revoke_grant(&grant.id, now)?;
            return Err(invalid_grant(
                "the authorization code was issued to another client",
            ));
        }
        if code.used_at.is_some() || grant.is_revoked() {
            return Err(self.refuse_replay(client, &grant.id, "authorization code", REUSED));
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
        let user = user.ok_or_else(|| invalid_grant("the user no longer exists"))?;
        let audience = self.token_audience(client, &grant, params)?;
        let refresh_due = client.refresh_due(&grant.scope);
        let (response, tokens) = self.prepare_tokens(&Issue {
            client,
            user: &user,
            grant: &grant,
            scope: &grant.scope,
            refresh_scope: refresh_due.then_some(&grant.scope),
            nonce: code.nonce.as_deref(),
            audience: audience.as_deref(),
        })?;
        match self.store.redeem_code(&digest, now, &tokens)? {
            Redemption::Redeemed => Ok(response),
            // A concurrent request redeemed it first: a replay after all.
            Redemption::Refused => {
                Err(self.refuse_replay(client, &grant.id, "authorization code", REUSED))
            }
        }
    }
}
