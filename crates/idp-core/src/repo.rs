//! Repository traits: what the protocol needs from storage, and nothing about how.
//!
//! Methods are synchronous; callers on an async runtime run them on a blocking pool.
//! Single-use secrets are redeemed atomically by the implementation (a conditional update,
//! never a read followed by a write).

use chrono::{DateTime, Utc};

use crate::{
    AccessToken, AuthorizationCode, BrowserSession, Client, ClientId, DeclaredChanges,
    DeclaredItem, Failures, Grant, GrantId, Granted, Group, GroupRef, InitialAccessToken,
    KeySummary, NewTokens, PendingAuthorization, Redemption, RefreshToken, RegistrationRecord,
    Result, ScopeDefinition, ScopeSet, SecretDigest, SigningKey, User, UserId,
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
    /// Replaces everything about a client but its id, type, secret and creation time;
    /// whether it existed.
    fn update_client(&self, client: &Client) -> Result<bool>;
    /// Replaces a confidential client's secret digest, and its sealed copy (kept only for
    /// clients whose ID tokens are signed with the secret); whether the client existed.
    fn set_client_secret(
        &self,
        id: &ClientId,
        digest: &SecretDigest,
        sealed: Option<&[u8]>,
    ) -> Result<bool>;
}

/// Dynamic client registration (RFC 7591, RFC 7592): self-registered clients and
/// initial access tokens. A self-registered client is an ordinary client plus a record
/// beside it; [`ClientRepo::client`] reports it in [`Client::self_registered`].
pub trait RegistrationRepo {
    /// Registers `client` with `record` beside it, in one transaction, unless `max_live`
    /// self-registered clients are already live at `now` (then `Ok(false)` and nothing
    /// stored). Concurrent registrations are counted one after the other.
    /// [`crate::CoreError::Conflict`] if the id is taken.
    fn insert_registered_client(
        &self,
        client: &Client,
        record: &RegistrationRecord,
        max_live: u64,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// The record beside a self-registered client (live or expired), or `None` (no such
    /// client, or an operator-managed one).
    fn registration_record(&self, id: &ClientId) -> Result<Option<RegistrationRecord>>;
    /// Makes a self-registered client operator-managed: its record (and so its expiry
    /// and registration access token) goes; whether there was one.
    fn end_registration(&self, id: &ClientId) -> Result<bool>;
    /// Stores an initial access token; [`crate::CoreError::Conflict`] if the id is taken.
    fn insert_initial_access_token(&self, token: &InitialAccessToken) -> Result<()>;
    /// The initial access token with this digest.
    fn initial_access_token(&self, digest: &SecretDigest) -> Result<Option<InitialAccessToken>>;
    /// Every initial access token, by creation time.
    fn initial_access_tokens(&self) -> Result<Vec<InitialAccessToken>>;
    /// Revokes (deletes) an initial access token by id; whether it existed.
    fn delete_initial_access_token(&self, id: &str) -> Result<bool>;
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
    /// Replaces a user's username, e-mail, name, profile and `updated_at` (found by id);
    /// whether the user existed; [`crate::CoreError::Conflict`] if the new username is
    /// taken.
    fn update_user(&self, user: &User) -> Result<bool>;
    /// The groups the user belongs to, by name.
    fn groups_of(&self, id: &UserId) -> Result<Vec<GroupRef>>;
}

/// Groups of users.
pub trait GroupRepo {
    /// Creates a group with a new stable id; [`crate::CoreError::Conflict`] if the name
    /// (or id) is taken.
    fn insert_group(&self, id: &str, name: &str, now: DateTime<Utc>) -> Result<()>;
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

/// Grants and their authorization codes.
pub trait CodeRepo {
    /// Stores a new grant and its authorization code, together.
    fn insert_code(&self, grant: &Grant, code: &AuthorizationCode) -> Result<()>;
    /// Stores a new grant with what the authorization endpoint issued from it — a code,
    /// an access token (implicit and hybrid flows, OIDC Core §3.2, §3.3), or both — in
    /// one transaction, so the tokens are revoked with their grant like those of the
    /// token endpoint.
    fn insert_grant_with_tokens(
        &self,
        grant: &Grant,
        code: Option<&AuthorizationCode>,
        access: Option<&AccessToken>,
    ) -> Result<()>;
    /// The code with this digest, used or not, with its grant and user (one query).
    fn code(&self, digest: &SecretDigest) -> Result<Option<Granted<AuthorizationCode>>>;
    /// In one transaction: marks the code used — only if it is unused and its grant is
    /// not revoked — and stores `tokens`. A failure anywhere stores nothing and leaves
    /// the code redeemable.
    fn redeem_code(
        &self,
        digest: &SecretDigest,
        now: DateTime<Utc>,
        tokens: &NewTokens,
    ) -> Result<Redemption>;
}

/// The answer of a lookup that must not wait (for a connection, or for a lock): the
/// caller may be an async executor thread, and asks again where waiting is allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Immediate<T> {
    /// The answer.
    Ready(T),
    /// Answering now would mean waiting.
    WouldWait,
}

/// Access and refresh tokens, and grant revocation.
pub trait TokenRepo {
    /// The access token with this digest, with its grant and user (one query).
    fn access_token(&self, digest: &SecretDigest) -> Result<Option<Granted<AccessToken>>>;
    /// As [`TokenRepo::access_token`], but only if the store can answer without waiting
    /// at all. The default never can.
    fn access_token_immediate(
        &self,
        digest: &SecretDigest,
    ) -> Result<Immediate<Option<Granted<AccessToken>>>> {
        let _ = digest;
        Ok(Immediate::WouldWait)
    }
    /// The refresh token with this digest, used or not, with its grant and user.
    fn refresh_token(&self, digest: &SecretDigest) -> Result<Option<Granted<RefreshToken>>>;
    /// In one transaction: marks the refresh token used — only if it is unused,
    /// unrevoked and its grant is not revoked — and stores `tokens` (rotation).
    fn redeem_refresh_token(
        &self,
        digest: &SecretDigest,
        now: DateTime<Utc>,
        tokens: &NewTokens,
    ) -> Result<Redemption>;
    /// Revokes the grant, and so every code and token that references it, including
    /// ones stored after this call by a redemption already under way — and the grants
    /// made by exchanging its tokens ([`crate::Grant::parent`]), down the chain.
    fn revoke_grant(&self, grant: &GrantId, now: DateTime<Utc>) -> Result<()>;

    /// Revokes one access token (RFC 7009 §2.1), leaving its grant and the grant's other
    /// tokens alone. `false` if no such token exists.
    fn revoke_access_token(&self, digest: &SecretDigest) -> Result<bool>;
    /// Stores a new grant with tokens issued for it directly — no code, nothing redeemed
    /// (tokens that trusted code of the embedding application asks for) — in one
    /// transaction: all or nothing. A grant exchanged from another (`parent`) is stored
    /// only while the parent is unrevoked, checked in the same transaction so that a
    /// concurrent revocation of the parent either sees the new grant or is seen by it;
    /// [`crate::CoreError::Conflict`] otherwise.
    fn insert_grant_with_issued_tokens(&self, grant: &Grant, tokens: &NewTokens) -> Result<()>;
}

/// JWS signing keys.
pub trait KeyRepo {
    /// Every key without its private part, newest first (a cheap query).
    fn key_summaries(&self) -> Result<Vec<KeySummary>>;
    /// One key with its private part.
    fn signing_key(&self, kid: &str) -> Result<Option<SigningKey>>;
    /// Stores a key; [`crate::CoreError::Conflict`] if the kid exists.
    fn insert_signing_key(&self, key: &SigningKey) -> Result<()>;
    /// Replaces the sealed private parts of keys, all or none, in one transaction;
    /// [`crate::CoreError::NotFound`], changing nothing, if any key's stored value is no
    /// longer the `old` one.
    fn replace_sealed_private_keys(&self, changes: &[SealedKeyChange]) -> Result<()> {
        self.replace_sealed(changes, &[])
    }
    /// Replaces the sealed private parts of keys and the sealed client secrets, all or
    /// none, in one transaction (a re-encryption of everything sealed under the
    /// key-encryption key, so that no moment has some values under the old key and some
    /// under the new); [`crate::CoreError::NotFound`], changing nothing, if any stored
    /// value is no longer the `old` one.
    fn replace_sealed(
        &self,
        keys: &[SealedKeyChange],
        client_secrets: &[SealedSecretChange],
    ) -> Result<()>;
    /// Marks a key retired at `at` unless it already is; whether it was changed.
    fn retire_key(&self, kid: &str, at: DateTime<Utc>) -> Result<bool>;
}

/// Scopes the operator defined.
pub trait ScopeRepo {
    /// Defines a scope; [`crate::CoreError::Conflict`] if it exists.
    fn insert_scope(&self, scope: &ScopeDefinition) -> Result<()>;
    /// Every defined scope, by name.
    fn scope_definitions(&self) -> Result<Vec<ScopeDefinition>>;
    /// Removes a definition; whether it existed. Clients keep the scope in their lists
    /// (it is then no longer granted: the provider grants only known scopes).
    fn delete_scope(&self, name: &str) -> Result<bool>;
}

/// Settings stored in the database (see [`crate::SettingKey`]).
pub trait SettingsRepo {
    /// Every stored setting as (name, value), by name.
    fn settings(&self) -> Result<Vec<(String, String)>>;
    /// Stores a setting, replacing its value.
    fn set_setting(&self, name: &str, value: &str, now: DateTime<Utc>) -> Result<()>;
    /// Removes a setting (the configuration's value applies again); whether it was set.
    fn unset_setting(&self, name: &str) -> Result<bool>;
}

/// One key's private part, sealed anew.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedKeyChange {
    /// The key.
    pub kid: String,
    /// The stored value being replaced.
    pub old: Vec<u8>,
    /// The new value.
    pub new: Vec<u8>,
}

impl std::fmt::Debug for SealedKeyChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedKeyChange")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// One client's sealed secret, sealed anew.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecretChange {
    /// The client.
    pub client_id: ClientId,
    /// The stored value being replaced.
    pub old: Vec<u8>,
    /// The new value.
    pub new: Vec<u8>,
}

impl std::fmt::Debug for SealedSecretChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedSecretChange")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Browser sessions.
pub trait SessionRepo {
    /// Stores a session.
    fn insert_session(&self, session: &BrowserSession) -> Result<()>;
    /// The unexpired session with this digest.
    fn session(&self, digest: &SecretDigest, now: DateTime<Utc>) -> Result<Option<BrowserSession>>;
    /// Ends a session.
    fn delete_session(&self, digest: &SecretDigest) -> Result<()>;
    /// Replaces the session's CSRF token (after a failed login, so a token seen once is
    /// not reusable); whether the session exists.
    fn set_csrf_token(&self, digest: &SecretDigest, csrf_token: &str) -> Result<bool>;
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

/// Failure counters for abuse limits, kept in the database so that every instance sees
/// them.
pub trait ThrottleRepo {
    /// Records a failure for `key` and returns the failures counted so far, counting from
    /// zero again when the last one was before `window_start`.
    fn note_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window_start: DateTime<Utc>,
    ) -> Result<Failures>;
    /// The failures counted for `key` since `window_start`, if any.
    fn failures(&self, key: &str, window_start: DateTime<Utc>) -> Result<Option<Failures>>;
    /// Forgets the failures of `key` (after a success).
    fn clear_failures(&self, key: &str) -> Result<()>;
}

/// What to purge, as instants before which rows are no longer needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PurgeBefore {
    /// Now: sessions, parked requests, device authorizations and tokens that expired
    /// before it go.
    pub now: DateTime<Utc>,
    /// Codes that expired before this go (kept past their lifetime so that a late replay
    /// is still recognised and revokes its grant).
    pub codes: DateTime<Utc>,
    /// Refresh tokens rotated out before this go (kept only as long as reuse detection
    /// needs them).
    pub used_refresh_tokens: DateTime<Utc>,
    /// Failure counters last touched before this go.
    pub failures: DateTime<Utc>,
}

/// Housekeeping.
pub trait MaintenanceRepo {
    /// Deletes what `before` says is no longer needed, and grants left with no code or
    /// token; returns how many rows went.
    ///
    /// Self-registered clients whose registration expired before `before.now` go too,
    /// with everything issued to them, and so do expired initial access tokens.
    fn purge_expired(&self, before: &PurgeBefore) -> Result<u64>;

    /// Whether the storage answers and its schema is the one this program expects (no
    /// migration pending): what a readiness probe asks.
    fn schema_is_current(&self) -> Result<bool>;
}

/// Ownership of what configuration files declared (`idp-admin config apply`, and
/// `idp-server` at start).
pub trait DeclaredRepo {
    /// The items a declaration created (and that a later `--prune` may delete).
    fn declared_items(&self) -> Result<Vec<DeclaredItem>>;
    /// Writes `changes` in one write transaction, one application at a time across
    /// instances; all or nothing. [`crate::CoreError::Conflict`] if an item to insert
    /// exists (another instance applied it first: plan again).
    fn apply_declared(&self, changes: &DeclaredChanges, now: DateTime<Utc>) -> Result<()>;
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
    + ThrottleRepo
    + MaintenanceRepo
    + ScopeRepo
    + SettingsRepo
    + RegistrationRepo
    + crate::LogoutRepo
    + DeclaredRepo
    + crate::ClientDocumentRepo
    + crate::DeviceRepo
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
        + ThrottleRepo
        + MaintenanceRepo
        + ScopeRepo
        + SettingsRepo
        + RegistrationRepo
        + crate::LogoutRepo
        + DeclaredRepo
        + crate::ClientDocumentRepo
        + crate::DeviceRepo
        + Send
        + Sync
{
}
