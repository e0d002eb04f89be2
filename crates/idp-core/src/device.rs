//! Device authorizations (RFC 8628): a device without a browser asks for one, shows its
//! user a short code, and polls the token endpoint while the user approves or denies it
//! on another device.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::{
    ClientId, CoreError, Grant, NewTokens, Redemption, Result, ScopeSet, SecretDigest, UserId,
};

/// Where a device authorization stands (RFC 8628 §3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceStatus {
    /// Waiting for the user (`authorization_pending` while polled).
    Pending,
    /// The user approved it: the next poll gets tokens.
    Approved,
    /// The user denied it (`access_denied`).
    Denied,
}

impl DeviceStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::Pending => "pending",
            DeviceStatus::Approved => "approved",
            DeviceStatus::Denied => "denied",
        }
    }
}

impl fmt::Display for DeviceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DeviceStatus {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "pending" => Ok(DeviceStatus::Pending),
            "approved" => Ok(DeviceStatus::Approved),
            "denied" => Ok(DeviceStatus::Denied),
            other => Err(CoreError::invalid(
                "device authorization status",
                format!("{other:?}"),
            )),
        }
    }
}

/// Who approved a device authorization, and in which browser session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceApproval {
    /// The user who approved.
    pub user_id: UserId,
    /// When that user authenticated (OIDC Core §2 `auth_time`).
    pub auth_time: DateTime<Utc>,
    /// The `sid` of the browser session the approval came from.
    pub sid: String,
}

/// One device authorization request (RFC 8628 §3.1–3.2), stored under the digests of its
/// device code and of its (normalised) user code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceAuthorization {
    /// Digest of the device code the device polls with.
    pub device_code_digest: SecretDigest,
    /// Digest of the user code in its normalised form (eight letters, no dash).
    pub user_code_digest: SecretDigest,
    /// The client that asked.
    pub client_id: ClientId,
    /// The scope the user is asked to grant.
    pub scope: ScopeSet,
    /// Pending, approved or denied.
    pub status: DeviceStatus,
    /// Who approved it, once approved.
    pub approval: Option<DeviceApproval>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When the device code and user code stop working.
    pub expires_at: DateTime<Utc>,
    /// When the device last polled, if it has.
    pub last_polled_at: Option<DateTime<Utc>>,
    /// Seconds the device must wait between polls; grows on each `slow_down`.
    pub interval_secs: i64,
    /// When tokens were issued for it, if they were.
    pub redeemed_at: Option<DateTime<Utc>>,
    /// The resources (RFC 8707) the request named; its grant's resources.
    pub resources: Vec<String>,
}

/// Whether a poll came after the interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PollTiming {
    /// At least the interval after the previous poll (or the first poll).
    OnTime,
    /// Too soon: the interval grew by the penalty (RFC 8628 §3.5 `slow_down`).
    TooSoon,
    /// No pending authorization with this device code.
    Unknown,
}

/// Device authorizations (RFC 8628). Every decision and redemption is one conditional
/// update, so concurrent requests — on any instance — see exactly one winner.
pub trait DeviceRepo {
    /// Stores a new device authorization; [`crate::CoreError::Conflict`] if its user code
    /// (or device code) digest is taken.
    fn insert_device_authorization(&self, authorization: &DeviceAuthorization) -> Result<()>;
    /// The device authorization with this device code digest.
    fn device_authorization(&self, digest: &SecretDigest) -> Result<Option<DeviceAuthorization>>;
    /// The unexpired, still pending device authorization with this user code digest.
    fn pending_device_authorization(
        &self,
        user_code: &SecretDigest,
        now: DateTime<Utc>,
    ) -> Result<Option<DeviceAuthorization>>;
    /// Approves (with `approval`) or denies (`None`) the pending, unexpired device
    /// authorization with this user code digest; whether this call decided it.
    fn decide_device_authorization(
        &self,
        user_code: &SecretDigest,
        approval: Option<&DeviceApproval>,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Records a poll of a pending device authorization at `now`: on time if its interval
    /// has passed since the previous poll; otherwise the interval grows by
    /// `penalty_secs`. Either way `now` becomes the last poll.
    fn record_device_poll(
        &self,
        digest: &SecretDigest,
        now: DateTime<Utc>,
        penalty_secs: i64,
    ) -> Result<PollTiming>;
    /// In one transaction: marks the approved, unexpired, unredeemed device authorization
    /// with this device code digest redeemed, and stores `grant` and `tokens`. Of
    /// concurrent calls exactly one gets [`Redemption::Redeemed`].
    fn redeem_device_code(
        &self,
        digest: &SecretDigest,
        now: DateTime<Utc>,
        grant: &Grant,
        tokens: &NewTokens,
    ) -> Result<Redemption>;
}
