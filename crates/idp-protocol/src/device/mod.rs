//! The device authorization grant (RFC 8628): the device authorization endpoint (§3.1,
//! §3.2) here, the verification page where the user enters the code and decides (§3.3)
//! in [`verification`], and the token endpoint's polling in `token/device_code.rs`
//! (§3.4, §3.5).
//!
//! Everything lives in the database — codes by digest, the decision, the last poll — so
//! any instance answers any request of a flow.

mod user_code;
mod verification;

use idp_core::{CoreError, DeviceAuthorization, DeviceStatus, GrantType};
use serde::Serialize;

pub(crate) use user_code::{display, normalise, user_code_digest};
pub use verification::{DeviceConsentForm, DeviceInteraction, DeviceNext, UserCodeForm};

use crate::authorize::requested_scope;
use crate::provider::new_secret;
use crate::{paths, ErrorCode, Params, ProtocolError, Provider};

/// A device authorization response (RFC 8628 §3.2).
#[derive(Clone, Debug, Serialize)]
pub struct DeviceAuthorizationResponse {
    /// The code the device polls the token endpoint with.
    pub device_code: String,
    /// The code the user enters at the verification page, as `XXXX-XXXX`.
    pub user_code: String,
    /// The verification page.
    pub verification_uri: String,
    /// The verification page with the user code filled in (for a QR code or a link).
    pub verification_uri_complete: String,
    /// Seconds until both codes expire.
    pub expires_in: i64,
    /// Seconds the device waits between polls.
    pub interval: i64,
}

/// Attempts at a user code no other live authorization holds (a clash is a one in
/// billions event; three in a row means something else is wrong).
const USER_CODE_ATTEMPTS: usize = 3;

impl Provider {
    /// Handles a device authorization request (RFC 8628 §3.1): `params` is the form body,
    /// `authorization` the `Authorization` header if any. The client authenticates as at
    /// the token endpoint (a public client names itself with `client_id`), must be allowed
    /// the device grant, and its `scope` is checked as the authorization endpoint checks
    /// it.
    ///
    /// # Errors
    /// RFC 6749 §5.2 errors for JSON delivery (RFC 8628 §3.2); internal failures.
    pub fn device_authorization(
        &self,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<DeviceAuthorizationResponse, ProtocolError> {
        let client = self.authenticate_client(params, authorization)?;
        if params.has_duplicates() {
            return Err(ProtocolError::json(
                ErrorCode::InvalidRequest,
                "a parameter was sent more than once",
            ));
        }
        if !client.allows_grant(GrantType::DeviceCode) {
            return Err(ProtocolError::json(
                ErrorCode::UnauthorizedClient,
                "the client may not use the device authorization grant",
            ));
        }
        // RFC 6749 §3.3, as at the authorization endpoint: no scope means the client's
        // default scope; scopes the client may not have are dropped.
        let scope = self.granted_scope(requested_scope(params, &client), &client, |d| {
            ProtocolError::json(ErrorCode::InvalidScope, d)
        })?;
        // RFC 8707 §2: the resources the tokens are for, each one the client may use.
        let resources = self.permitted_resources(&client, params, |d| {
            ProtocolError::json(ErrorCode::InvalidTarget, d)
        })?;
        let now = self.now();
        let c = &self.config;
        let interval = c.device_poll_interval.num_seconds().max(1);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (device_code, device_code_digest) = new_secret()?;
            let user_code = user_code::new_user_code()?;
            let record = DeviceAuthorization {
                device_code_digest,
                user_code_digest: user_code_digest(&user_code),
                client_id: client.id.clone(),
                scope: scope.clone(),
                status: DeviceStatus::Pending,
                approval: None,
                created_at: now,
                expires_at: now + c.device_code_lifetime,
                last_polled_at: None,
                interval_secs: interval,
                redeemed_at: None,
                resources: resources.clone(),
            };
            match self.store.insert_device_authorization(&record) {
                Ok(()) => {}
                Err(CoreError::Conflict(_)) if attempts < USER_CODE_ATTEMPTS => continue,
                Err(e) => return Err(e.into()),
            }
            let shown = display(&user_code);
            let verification_uri = c.endpoint(paths::DEVICE);
            let verification_uri_complete = format!("{verification_uri}?user_code={shown}");
            return Ok(DeviceAuthorizationResponse {
                device_code,
                user_code: shown,
                verification_uri,
                verification_uri_complete,
                expires_in: c.device_code_lifetime.num_seconds(),
                interval,
            });
        }
    }
}
