//! Repository traits: what the protocol needs from storage, and nothing about how.
//!
//! Methods are synchronous; callers on an async runtime run them on a blocking pool.
//! Single-use secrets are redeemed atomically by the implementation (a conditional update,
//! never a read followed by a write).

use chrono::{DateTime, Utc};

use crate::{
    AccessToken, AuthorizationCode, BrowserSession, Client, ClientId, ConsumeOutcome, GrantId,
    Group, PendingAuthorization, RefreshToken, Result, ScopeSet, SecretDigest, SigningKey, User,
    UserId,
};

/// Registered clients.
pub trait ClientRepo {
    /// The client with this id.
    fn client(&self, id: &ClientId) -> Result<Option<Client>>;
    /// Registers a client; [`crate::CoreError::Conflict`] if the id is taken.
    fn insert_client(&self, client: &Client) -> Result<()>;
    /// All clients, by id.
    fn clients(&self) -> Result<Vec<Client>>;
    /// Removes a client and everything issued to it; whether it existed.
    fn delete_client(&self, id: &ClientId) -> Result<bool>;
    /// Replaces a confidential client's secret digest; whether the client existed.
    fn set_client_secret(&self, id: &ClientId, digest: &SecretDigest) -> Result<bool>;
}

/// User accounts.
pub trait UserRepo {
    /// The user with this username.
    fn user_by_username(&self, username: &str) -> Result<Option<User>>;
    /// The user with this id.
    fn user_by_id(&self, id: &UserId) -> Result<Option<User>>;
    /// Creates a user and makes it a member of `groups`, all or nothing;
    /// [`crate::CoreError::Conflict`] if the username is taken,
    /// [`crate::CoreError::NotFound`] if a group does not exist.
    fn insert_user(&self, user: &User, groups: &[String]) -> Result<()>;
    /// All users, by username.
    fn users(&self) -> Result<Vec<User>>;
    /// Removes a user and everything issued for them; whether they existed.
    fn delete_user(&self, username: &str) -> Result<bool>;
    /// Replaces a password hash; whether the user existed.
    fn set_password_hash(&self, username: &str, password_hash: &str) -> Result<bool>;
    /// Names of the groups the user belongs to, sorted.
    fn groups_of(&self, id: &UserId) -> Result<Vec<String>>;
}

/// Groups of users.
pub trait GroupRepo {
    /// Creates a group; [`crate::CoreError::Conflict`] if the name is taken.
    fn insert_group(&self, name: &str, now: DateTime<Utc>) -> Result<()>;
    /// All groups with their members, by name.
    fn groups(&self) -> Result<Vec<Group>>;
    /// Adds a member; [`crate::CoreError::NotFound`] if group or user is missing.
    /// Adding an existing member changes nothing.
    fn add_member(&self, group: &str, username: &str) -> Result<()>;
    /// Removes a member; whether they were one.
    fn remove_member(&self, group: &str, username: &str) -> Result<bool>;
}

/// Consent a user gave a client, remembered per user and client.
pub trait ConsentRepo {
    /// The scopes the user has consented to for the client.
    fn consent(&self, user: &UserId, client: &ClientId) -> Result<Option<ScopeSet>>;
    /// Records consent to `scope`, adding to what was consented before.
    fn save_consent(
        &self,
        user: &UserId,
        client: &ClientId,
        scope: &ScopeSet,
        now: DateTime<Utc>,
    ) -> Result<()>;
}

/// Authorization codes.
pub trait CodeRepo {
    /// Stores a new code.
    fn insert_code(&self, code: &AuthorizationCode) -> Result<()>;
    /// Marks the code used, atomically, and returns it; a second call reports
    /// [`ConsumeOutcome::AlreadyUsed`].
    fn consume_code(
        &self,
        digest: &SecretDigest,
        now: DateTime<Utc>,
    ) -> Result<ConsumeOutcome<AuthorizationCode>>;
}

/// Access and refresh tokens.
pub trait TokenRepo {
    /// Stores a new access token.
    fn insert_access_token(&self, token: &AccessToken) -> Result<()>;
    /// The access token with this digest.
    fn access_token(&self, digest: &SecretDigest) -> Result<Option<AccessToken>>;
    /// Stores a new refresh token.
    fn insert_refresh_token(&self, token: &RefreshToken) -> Result<()>;
    /// The refresh token with this digest, used or not (a read only: redemption is
    /// [`TokenRepo::consume_refresh_token`]).
    fn refresh_token(&self, digest: &SecretDigest) -> Result<Option<RefreshToken>>;
    /// Marks the refresh token used, atomically, and returns it; a second call reports
    /// [`ConsumeOutcome::AlreadyUsed`].
    fn consume_refresh_token(
        &self,
        digest: &SecretDigest,
        now: DateTime<Utc>,
    ) -> Result<ConsumeOutcome<RefreshToken>>;
    /// Revokes every access and refresh token of the grant.
    fn revoke_grant(&self, grant: &GrantId) -> Result<()>;
}

/// JWS signing keys.
pub trait KeyRepo {
    /// All keys, newest first.
    fn signing_keys(&self) -> Result<Vec<SigningKey>>;
    /// Stores a key; if it is active, every other key becomes inactive in the same
    /// transaction.
    fn insert_signing_key(&self, key: &SigningKey) -> Result<()>;
}

/// Browser sessions.
pub trait SessionRepo {
    /// Stores a session.
    fn insert_session(&self, session: &BrowserSession) -> Result<()>;
    /// The unexpired session with this digest.
    fn session(&self, digest: &SecretDigest, now: DateTime<Utc>) -> Result<Option<BrowserSession>>;
    /// Ends a session.
    fn delete_session(&self, digest: &SecretDigest) -> Result<()>;
    /// Ends every session of a user; returns how many there were.
    fn delete_sessions_of(&self, user: &UserId) -> Result<u64>;
}

/// Authorization requests waiting for login or consent.
pub trait AuthorizationRequestRepo {
    /// Parks a request.
    fn insert_pending(&self, pending: &PendingAuthorization) -> Result<()>;
    /// The unexpired parked request with this id.
    fn pending(&self, id: &str, now: DateTime<Utc>) -> Result<Option<PendingAuthorization>>;
    /// Forgets a parked request; whether it was there (only one caller gets `true`).
    fn delete_pending(&self, id: &str) -> Result<bool>;
}

/// Housekeeping.
pub trait MaintenanceRepo {
    /// Deletes expired sessions, parked requests and tokens, and codes that expired
    /// before `codes_before` (kept longer than their lifetime so a late replay is still
    /// recognised and revokes its grant); returns how many rows went.
    fn purge_expired(&self, now: DateTime<Utc>, codes_before: DateTime<Utc>) -> Result<u64>;
}

/// Everything the provider stores, as one object.
pub trait Store:
    ClientRepo
    + UserRepo
    + GroupRepo
    + ConsentRepo
    + CodeRepo
    + TokenRepo
    + KeyRepo
    + SessionRepo
    + AuthorizationRequestRepo
    + MaintenanceRepo
    + Send
    + Sync
{
}

impl<T> Store for T where
    T: ClientRepo
        + UserRepo
        + GroupRepo
        + ConsentRepo
        + CodeRepo
        + TokenRepo
        + KeyRepo
        + SessionRepo
        + AuthorizationRequestRepo
        + MaintenanceRepo
        + Send
        + Sync
{
}
