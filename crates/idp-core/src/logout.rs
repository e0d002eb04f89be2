//! Ending browser sessions and telling the clients that took part (OpenID Connect
//! Back-Channel Logout 1.0, Front-Channel Logout 1.0): what a store returns when sessions
//! end, and the back-channel deliveries waiting to be sent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ClientId, Grant, Result, SecretDigest, UserId};

/// A browser session that was just ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndedSession {
    /// Its `sid` (Front-Channel Logout §3, Back-Channel Logout §2.1).
    pub sid: String,
    /// The user who was signed in, if anyone was.
    pub user_id: Option<UserId>,
}

/// What a back-channel logout token says about whom it logs out (Back-Channel Logout
/// §2.4). `iss`, `aud`, `iat`, `exp` and `events` are added when it is signed, so a retry
/// carries a fresh `iat`/`exp`; `jti` stays the same across retries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutClaims {
    /// The user's subject identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The session's `sid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Unique identifier of the token.
    pub jti: String,
}

/// A logout token to POST to a client's `backchannel_logout_uri` (§2.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogoutDelivery {
    /// Random identifier.
    pub id: String,
    /// The receiving client (the token's `aud`).
    pub client_id: ClientId,
    /// Where to POST it: the client's `backchannel_logout_uri` when the session ended.
    pub uri: String,
    /// What the token says.
    pub claims: LogoutClaims,
    /// Attempts made (or under way) so far.
    pub attempts: u32,
    /// When it may next be tried; while an attempt is under way, the end of its lease.
    pub next_attempt_at: DateTime<Utc>,
    /// When the session ended.
    pub created_at: DateTime<Utc>,
}

/// Ending sessions and queueing back-channel logout tokens, shared by every instance
/// through the database.
pub trait LogoutRepo {
    /// Ends the session with this digest; its `sid` and user, or `None` if there was no
    /// such session (already ended: only one caller gets it).
    fn end_session(&self, digest: &SecretDigest) -> Result<Option<EndedSession>>;
    /// Ends every session of `user`, returning them.
    fn end_sessions_of(&self, user: &UserId) -> Result<Vec<EndedSession>>;
    /// The unrevoked grants issued for `user` in the session `sid`: the clients that
    /// took part in it.
    fn session_grants(&self, sid: &str, user: &UserId) -> Result<Vec<Grant>>;
    /// Queues deliveries.
    fn insert_logout_deliveries(&self, deliveries: &[LogoutDelivery]) -> Result<()>;
    /// Claims up to `limit` deliveries due at `now` for one attempt each, leased until
    /// `lease_until` (their `next_attempt_at` moves there and `attempts` grows by one),
    /// with a conditional update per row, so that of several instances claiming at once
    /// exactly one gets each delivery. Returns what this caller claimed.
    fn claim_logout_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<LogoutDelivery>>;
    /// Sets when a delivery is next tried (after a failed attempt); whether it exists.
    fn retry_logout_delivery(&self, id: &str, at: DateTime<Utc>) -> Result<bool>;
    /// Forgets a delivery (delivered, or given up); whether it existed.
    fn delete_logout_delivery(&self, id: &str) -> Result<bool>;
    /// Every queued delivery, oldest first (for operators and tests).
    fn logout_deliveries(&self) -> Result<Vec<LogoutDelivery>>;
}
