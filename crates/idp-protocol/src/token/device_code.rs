//! The device code grant (RFC 8628 §3.4, §3.5): the device polls with its device code
//! until the user has decided; once approved, one poll gets the tokens the code flow
//! would issue (there is no nonce).

use idp_core::{Client, DeviceStatus, Grant, GrantId, PollTiming, Redemption, Subject};

use super::{Issue, TokenResponse};
use crate::provider::digest_of;
use crate::{ErrorCode, Params, ProtocolError, Provider};

fn error(code: ErrorCode, description: &'static str) -> ProtocolError {
    ProtocolError::json(code, description)
}

/// RFC 8628 §3.5: a device polling too fast waits 5 seconds longer from then on.
const SLOW_DOWN_SECS: i64 = 5;

const REDEEMED: &str = "the device code was already used";

impl Provider {
    /// Answers one poll: `authorization_pending` (or `slow_down` when it came before the
    /// interval), `access_denied`, `expired_token`, or the tokens — once: the redemption
    /// is one conditional update, so of two concurrent polls only one gets them and a
    /// later one is `invalid_grant`.
    pub(super) fn redeem_device_code(
        &self,
        client: &Client,
        params: &Params,
    ) -> Result<TokenResponse, ProtocolError> {
        let presented = params
            .get("device_code")
            .ok_or_else(|| error(ErrorCode::InvalidRequest, "device_code is missing"))?;
        let digest = digest_of(presented);
        let now = self.now();
        let authorization = self
            .store
            .device_authorization(&digest)?
            .ok_or_else(|| error(ErrorCode::InvalidGrant, "the device code is invalid"))?;
        // RFC 8628 §3.4: the device code was issued to the client polling with it.
        if authorization.client_id != client.id {
            return Err(error(
                ErrorCode::InvalidGrant,
                "the device code was issued to another client",
            ));
        }
        if authorization.redeemed_at.is_some() {
            return Err(error(ErrorCode::InvalidGrant, REDEEMED));
        }
        if authorization.expires_at <= now {
            return Err(error(
                ErrorCode::ExpiredToken,
                "the device code has expired; start again",
            ));
        }
        let approval = match (authorization.status, authorization.approval) {
            (DeviceStatus::Denied, _) => {
                return Err(error(
                    ErrorCode::AccessDenied,
                    "the user denied the request",
                ))
            }
            (DeviceStatus::Pending, _) => {
                return Err(
                    match self
                        .store
                        .record_device_poll(&digest, now, SLOW_DOWN_SECS)?
                    {
                        PollTiming::TooSoon => error(
                            ErrorCode::SlowDown,
                            "polling too fast; wait 5 seconds longer between polls",
                        ),
                        // Unknown: decided meanwhile; the next poll learns how.
                        PollTiming::OnTime | PollTiming::Unknown => error(
                            ErrorCode::AuthorizationPending,
                            "the user has not decided yet",
                        ),
                    },
                );
            }
            (DeviceStatus::Approved, Some(approval)) => approval,
            (DeviceStatus::Approved, None) => {
                return Err(error(ErrorCode::InvalidGrant, "the device code is invalid"))
            }
        };
        let user = self
            .store
            .user_by_id(&approval.user_id)?
            .ok_or_else(|| error(ErrorCode::InvalidGrant, "the user no longer exists"))?;
        // A scope the operator removed since the request is no longer granted.
        let scope = self.known_scopes(&authorization.scope)?;
        let grant = Grant {
            id: GrantId::new(idp_crypto::random_id(16)?),
            client_id: client.id.clone(),
            subject: Subject::User(user.id.clone()),
            scope: scope.clone(),
            auth_time: approval.auth_time,
            created_at: now,
            revoked_at: None,
            // The browser session the user approved in, as for the code flow.
            sid: Some(approval.sid),
            // The device authorization request's resources bound what a poll may name
            // (RFC 8707 §2.2), as an authorization request's do.
            resources: authorization.resources,
            act: None,
            parent: None,
        };
        let audience = self.token_audience(client, &grant, params)?;
        // The code flow's rule for refresh tokens.
        let refresh_due = client.refresh_due(&scope);
        let (response, tokens) = self.prepare_tokens(&Issue {
            client,
            user: &user,
            grant: &grant,
            scope: &scope,
            refresh_scope: refresh_due.then_some(&scope),
            nonce: None,
            audience: audience.as_deref(),
        })?;
        match self
            .store
            .redeem_device_code(&digest, now, &grant, &tokens)?
        {
            Redemption::Redeemed => Ok(response),
            // A concurrent poll got the tokens first.
            Redemption::Refused => Err(error(ErrorCode::InvalidGrant, REDEEMED)),
        }
    }
}
