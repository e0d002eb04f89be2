//! Row types and their conversion to and from the domain model.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use idp_core::{
    AccessToken, AuthorizationCode, BrowserSession, Client, ClientId, ClientType, Grant, GrantId,
    GrantType, Granted, InitialAccessToken, KeySummary, LogoutDelivery, PendingAuthorization,
    RedirectUri, RefreshToken, RegistrationRecord, ScopeSet, SecretDigest, SelfRegistration,
    SigningKey, Subject, User, UserId,
};

use crate::schema::{
    access_tokens, authorization_codes, browser_sessions, client_registrations, clients, grants,
    initial_access_tokens, logout_deliveries, pending_authorizations, refresh_tokens, signing_keys,
    users,
};
use crate::StoreError;

/// Unix seconds of an instant.
pub(crate) fn to_unix(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// The instant of stored Unix seconds.
pub(crate) fn from_unix(secs: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp(secs, 0).ok_or(StoreError::Corrupt("timestamp"))
}

/// A space-separated list of URIs (which contain no spaces, RFC 3986 §2), as stored.
fn uris(s: &str) -> Vec<String> {
    s.split(' ')
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect()
}

fn scope(s: &str) -> Result<ScopeSet, StoreError> {
    ScopeSet::parse(s).map_err(|_| StoreError::Corrupt("scope"))
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub created_at: i64,
    pub profile: String,
    pub updated_at: i64,
}

impl UserRow {
    pub fn from_domain(u: &User) -> Result<Self, StoreError> {
        Ok(UserRow {
            id: u.id.as_str().to_owned(),
            username: u.username.clone(),
            password_hash: u.password_hash.clone(),
            email: u.email.clone(),
            email_verified: u.email_verified,
            name: u.name.clone(),
            created_at: to_unix(u.created_at),
            profile: serde_json::to_string(&u.profile)
                .map_err(|_| StoreError::Corrupt("user profile"))?,
            updated_at: to_unix(u.updated_at),
        })
    }

    pub fn into_domain(self) -> Result<User, StoreError> {
        Ok(User {
            id: UserId::new(self.id),
            username: self.username,
            password_hash: self.password_hash,
            email: self.email,
            email_verified: self.email_verified,
            name: self.name,
            profile: serde_json::from_str(&self.profile)
                .map_err(|_| StoreError::Corrupt("user profile"))?,
            created_at: from_unix(self.created_at)?,
            updated_at: from_unix(self.updated_at)?,
        })
    }
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = clients)]
pub(crate) struct ClientRow {
    pub client_id: String,
    pub name: String,
    pub client_type: String,
    pub secret_digest: Option<String>,
    pub redirect_uris: String,
    pub grant_types: String,
    pub scopes: String,
    pub first_party: bool,
    pub refresh_without_offline_access: bool,
    pub include_user_id: bool,
    pub created_at: i64,
    pub default_scopes: String,
    pub options: String,
    pub secret_sealed: Option<Vec<u8>>,
    pub updated_at: i64,
}

impl ClientRow {
    pub fn from_domain(c: &Client) -> Result<Self, StoreError> {
        let uris: Vec<&str> = c.redirect_uris.iter().map(RedirectUri::as_str).collect();
        let grants: Vec<&str> = c.grant_types.iter().map(|g| g.as_str()).collect();
        Ok(ClientRow {
            client_id: c.id.as_str().to_owned(),
            name: c.name.clone(),
            client_type: c.client_type.as_str().to_owned(),
            secret_digest: c.secret_digest.as_ref().map(|d| d.as_hex().to_owned()),
            redirect_uris: serde_json::to_string(&uris)
                .map_err(|_| StoreError::Corrupt("redirect URIs"))?,
            grant_types: grants.join(" "),
            scopes: c.scopes.to_string(),
            first_party: c.first_party,
            refresh_without_offline_access: c.refresh_without_offline_access,
            include_user_id: c.include_user_id,
            created_at: to_unix(c.created_at),
            default_scopes: c.default_scopes.to_string(),
            options: serde_json::to_string(&c.options)
                .map_err(|_| StoreError::Corrupt("client options"))?,
            secret_sealed: c.secret_sealed.clone(),
            updated_at: to_unix(c.updated_at),
        })
    }

    pub fn into_domain(self) -> Result<Client, StoreError> {
        let uris: Vec<String> = serde_json::from_str(&self.redirect_uris)
            .map_err(|_| StoreError::Corrupt("redirect URIs"))?;
        let grant_types = self
            .grant_types
            .split(' ')
            .filter(|g| !g.is_empty())
            .map(str::parse::<GrantType>)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| StoreError::Corrupt("grant types"))?;
        Ok(Client {
            id: ClientId::new(self.client_id),
            name: self.name,
            client_type: self
                .client_type
                .parse::<ClientType>()
                .map_err(|_| StoreError::Corrupt("client type"))?,
            secret_digest: self.secret_digest.map(SecretDigest::from_hex),
            redirect_uris: uris.into_iter().map(RedirectUri::from_trusted).collect(),
            grant_types,
            scopes: scope(&self.scopes)?,
            default_scopes: scope(&self.default_scopes)?,
            first_party: self.first_party,
            refresh_without_offline_access: self.refresh_without_offline_access,
            include_user_id: self.include_user_id,
            options: serde_json::from_str(&self.options)
                .map_err(|_| StoreError::Corrupt("client options"))?,
            secret_sealed: self.secret_sealed,
            created_at: from_unix(self.created_at)?,
            updated_at: from_unix(self.updated_at)?,
            self_registered: None,
        })
    }

    /// The client with its self-registration record, if it has one (a left join).
    pub fn with_registration(
        self,
        registration: Option<RegistrationRow>,
    ) -> Result<Client, StoreError> {
        let mut client = self.into_domain()?;
        client.self_registered = registration
            .map(|r| r.into_domain().map(|r| r.registration))
            .transpose()?;
        Ok(client)
    }
}

/// The record beside a self-registered client.
#[derive(Queryable, Insertable)]
#[diesel(table_name = client_registrations)]
pub(crate) struct RegistrationRow {
    pub client_id: String,
    pub registered_at: i64,
    pub expires_at: Option<i64>,
    pub access_token_digest: String,
    pub application_type: String,
    pub token_endpoint_auth_method: String,
}

impl RegistrationRow {
    pub fn from_domain(id: &ClientId, r: &RegistrationRecord) -> Self {
        RegistrationRow {
            client_id: id.as_str().to_owned(),
            registered_at: to_unix(r.registration.registered_at),
            expires_at: r.registration.expires_at.map(to_unix),
            access_token_digest: r.access_token_digest.as_hex().to_owned(),
            application_type: r.application_type.clone(),
            token_endpoint_auth_method: r.token_endpoint_auth_method.clone(),
        }
    }

    pub fn into_domain(self) -> Result<RegistrationRecord, StoreError> {
        Ok(RegistrationRecord {
            registration: SelfRegistration {
                registered_at: from_unix(self.registered_at)?,
                expires_at: self.expires_at.map(from_unix).transpose()?,
            },
            access_token_digest: SecretDigest::from_hex(self.access_token_digest),
            application_type: self.application_type,
            token_endpoint_auth_method: self.token_endpoint_auth_method,
        })
    }
}

/// An initial access token (RFC 7591 §3), by digest.
#[derive(Queryable, Insertable)]
#[diesel(table_name = initial_access_tokens)]
pub(crate) struct InitialAccessTokenRow {
    pub id: String,
    pub token_digest: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

impl InitialAccessTokenRow {
    pub fn from_domain(t: &InitialAccessToken) -> Self {
        InitialAccessTokenRow {
            id: t.id.clone(),
            token_digest: t.digest.as_hex().to_owned(),
            created_at: to_unix(t.created_at),
            expires_at: t.expires_at.map(to_unix),
        }
    }

    pub fn into_domain(self) -> Result<InitialAccessToken, StoreError> {
        Ok(InitialAccessToken {
            id: self.id,
            digest: SecretDigest::from_hex(self.token_digest),
            created_at: from_unix(self.created_at)?,
            expires_at: self.expires_at.map(from_unix).transpose()?,
        })
    }
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = grants)]
pub(crate) struct GrantRow {
    pub id: String,
    pub client_id: String,
    pub user_id: Option<String>,
    pub scope: String,
    pub auth_time: i64,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub sid: Option<String>,
    pub resources: String,
}

impl GrantRow {
    pub fn from_domain(g: &Grant) -> Self {
        GrantRow {
            id: g.id.as_str().to_owned(),
            client_id: g.client_id.as_str().to_owned(),
            user_id: g.subject.user_id().map(|u| u.as_str().to_owned()),
            scope: g.scope.to_string(),
            auth_time: to_unix(g.auth_time),
            created_at: to_unix(g.created_at),
            revoked_at: g.revoked_at.map(to_unix),
            sid: g.sid.clone(),
            resources: g.resources.join(" "),
        }
    }

    pub fn into_domain(self) -> Result<Grant, StoreError> {
        let client_id = ClientId::new(self.client_id);
        Ok(Grant {
            id: GrantId::new(self.id),
            subject: match self.user_id {
                Some(u) => Subject::User(UserId::new(u)),
                None => Subject::Client(client_id.clone()),
            },
            client_id,
            scope: scope(&self.scope)?,
            auth_time: from_unix(self.auth_time)?,
            created_at: from_unix(self.created_at)?,
            revoked_at: self.revoked_at.map(from_unix).transpose()?,
            sid: self.sid,
            resources: uris(&self.resources),
        })
    }
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = authorization_codes)]
pub(crate) struct CodeRow {
    pub code_digest: String,
    pub grant_id: String,
    pub redirect_uri: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl CodeRow {
    pub fn from_domain(c: &AuthorizationCode) -> Self {
        CodeRow {
            code_digest: c.digest.as_hex().to_owned(),
            grant_id: c.grant_id.as_str().to_owned(),
            redirect_uri: c.redirect_uri.as_ref().map(|r| r.as_str().to_owned()),
            nonce: c.nonce.clone(),
            code_challenge: c.code_challenge.clone(),
            created_at: to_unix(c.created_at),
            expires_at: to_unix(c.expires_at),
            used_at: c.used_at.map(to_unix),
        }
    }

    pub fn into_domain(self) -> Result<AuthorizationCode, StoreError> {
        Ok(AuthorizationCode {
            digest: SecretDigest::from_hex(self.code_digest),
            grant_id: GrantId::new(self.grant_id),
            redirect_uri: self.redirect_uri.map(RedirectUri::from_trusted),
            nonce: self.nonce,
            code_challenge: self.code_challenge,
            created_at: from_unix(self.created_at)?,
            expires_at: from_unix(self.expires_at)?,
            used_at: self.used_at.map(from_unix).transpose()?,
        })
    }
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = access_tokens)]
pub(crate) struct AccessTokenRow {
    pub token_digest: String,
    pub grant_id: String,
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked: bool,
    pub audience: Option<String>,
}

impl AccessTokenRow {
    pub fn from_domain(t: &AccessToken) -> Self {
        AccessTokenRow {
            token_digest: t.digest.as_hex().to_owned(),
            grant_id: t.grant_id.as_str().to_owned(),
            scope: t.scope.to_string(),
            created_at: to_unix(t.created_at),
            expires_at: to_unix(t.expires_at),
            revoked: t.revoked,
            audience: t.audience.as_ref().map(|a| a.join(" ")),
        }
    }

    pub fn into_domain(self) -> Result<AccessToken, StoreError> {
        Ok(AccessToken {
            digest: SecretDigest::from_hex(self.token_digest),
            grant_id: GrantId::new(self.grant_id),
            scope: scope(&self.scope)?,
            created_at: from_unix(self.created_at)?,
            expires_at: from_unix(self.expires_at)?,
            revoked: self.revoked,
            audience: self.audience.as_deref().map(uris),
        })
    }
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub(crate) struct RefreshTokenRow {
    pub token_digest: String,
    pub grant_id: String,
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked: bool,
}

impl RefreshTokenRow {
    pub fn from_domain(t: &RefreshToken) -> Self {
        RefreshTokenRow {
            token_digest: t.digest.as_hex().to_owned(),
            grant_id: t.grant_id.as_str().to_owned(),
            scope: t.scope.to_string(),
            created_at: to_unix(t.created_at),
            expires_at: to_unix(t.expires_at),
            used_at: t.used_at.map(to_unix),
            revoked: t.revoked,
        }
    }

    pub fn into_domain(self) -> Result<RefreshToken, StoreError> {
        Ok(RefreshToken {
            digest: SecretDigest::from_hex(self.token_digest),
            grant_id: GrantId::new(self.grant_id),
            scope: scope(&self.scope)?,
            created_at: from_unix(self.created_at)?,
            expires_at: from_unix(self.expires_at)?,
            used_at: self.used_at.map(from_unix).transpose()?,
            revoked: self.revoked,
        })
    }
}

/// A code or token row joined with its grant and the grant's user.
pub(crate) type JoinedRow<R> = (R, GrantRow, Option<UserRow>);

/// The domain form of a [`JoinedRow`].
pub(crate) fn granted<R, T>(
    (record, grant, user): JoinedRow<R>,
    record_into: impl FnOnce(R) -> Result<T, StoreError>,
) -> Result<Granted<T>, StoreError> {
    Ok(Granted {
        record: record_into(record)?,
        grant: grant.into_domain()?,
        user: user.map(UserRow::into_domain).transpose()?,
    })
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = signing_keys)]
pub(crate) struct SigningKeyRow {
    pub kid: String,
    pub alg: String,
    pub private_key_pkcs8: Vec<u8>,
    pub created_at: i64,
    pub activate_at: i64,
    pub retired_at: Option<i64>,
}

/// The columns of a key without its private part.
pub(crate) type KeySummaryRow = (String, String, i64, i64, Option<i64>);

pub(crate) fn key_summary(
    (kid, alg, created_at, activate_at, retired_at): KeySummaryRow,
) -> Result<KeySummary, StoreError> {
    Ok(KeySummary {
        kid,
        alg: alg
            .parse()
            .map_err(|_| StoreError::Corrupt("key algorithm"))?,
        created_at: from_unix(created_at)?,
        activate_at: from_unix(activate_at)?,
        retired_at: retired_at.map(from_unix).transpose()?,
    })
}

impl SigningKeyRow {
    pub fn from_domain(k: &SigningKey) -> Self {
        SigningKeyRow {
            kid: k.summary.kid.clone(),
            alg: k.summary.alg.as_str().to_owned(),
            private_key_pkcs8: k.private_key_pkcs8.clone(),
            created_at: to_unix(k.summary.created_at),
            activate_at: to_unix(k.summary.activate_at),
            retired_at: k.summary.retired_at.map(to_unix),
        }
    }

    pub fn into_domain(self) -> Result<SigningKey, StoreError> {
        Ok(SigningKey {
            summary: key_summary((
                self.kid,
                self.alg,
                self.created_at,
                self.activate_at,
                self.retired_at,
            ))?,
            private_key_pkcs8: self.private_key_pkcs8,
        })
    }
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = browser_sessions)]
pub(crate) struct SessionRow {
    pub session_digest: String,
    pub user_id: Option<String>,
    pub auth_time: Option<i64>,
    pub csrf_token: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub sid: String,
}

impl SessionRow {
    pub fn from_domain(s: &BrowserSession) -> Self {
        SessionRow {
            session_digest: s.digest.as_hex().to_owned(),
            user_id: s.user_id.as_ref().map(|u| u.as_str().to_owned()),
            auth_time: s.auth_time.map(to_unix),
            csrf_token: s.csrf_token.clone(),
            created_at: to_unix(s.created_at),
            expires_at: to_unix(s.expires_at),
            sid: s.sid.clone(),
        }
    }

    pub fn into_domain(self) -> Result<BrowserSession, StoreError> {
        Ok(BrowserSession {
            digest: SecretDigest::from_hex(self.session_digest),
            sid: self.sid,
            user_id: self.user_id.map(UserId::new),
            auth_time: self.auth_time.map(from_unix).transpose()?,
            csrf_token: self.csrf_token,
            created_at: from_unix(self.created_at)?,
            expires_at: from_unix(self.expires_at)?,
        })
    }
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = pending_authorizations)]
pub(crate) struct PendingRow {
    pub id: String,
    pub client_id: String,
    pub request: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub browser_sid: String,
}

impl PendingRow {
    pub fn from_domain(p: &PendingAuthorization) -> Result<Self, StoreError> {
        Ok(PendingRow {
            id: p.id.clone(),
            client_id: p.request.client_id.as_str().to_owned(),
            request: serde_json::to_string(&p.request)
                .map_err(|_| StoreError::Corrupt("authorization request"))?,
            created_at: to_unix(p.created_at),
            expires_at: to_unix(p.expires_at),
            browser_sid: p.browser_sid.clone(),
        })
    }

    pub fn into_domain(self) -> Result<PendingAuthorization, StoreError> {
        Ok(PendingAuthorization {
            id: self.id,
            request: serde_json::from_str(&self.request)
                .map_err(|_| StoreError::Corrupt("authorization request"))?,
            created_at: from_unix(self.created_at)?,
            expires_at: from_unix(self.expires_at)?,
            browser_sid: self.browser_sid,
        })
    }
}

/// A back-channel logout token waiting to be delivered.
#[derive(Queryable, Insertable)]
#[diesel(table_name = logout_deliveries)]
pub(crate) struct LogoutDeliveryRow {
    pub id: String,
    pub client_id: String,
    pub uri: String,
    pub claims: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub created_at: i64,
}

impl LogoutDeliveryRow {
    pub fn from_domain(d: &LogoutDelivery) -> Result<Self, StoreError> {
        Ok(LogoutDeliveryRow {
            id: d.id.clone(),
            client_id: d.client_id.as_str().to_owned(),
            uri: d.uri.clone(),
            claims: serde_json::to_string(&d.claims)
                .map_err(|_| StoreError::Corrupt("logout claims"))?,
            attempts: i64::from(d.attempts),
            next_attempt_at: to_unix(d.next_attempt_at),
            created_at: to_unix(d.created_at),
        })
    }

    pub fn into_domain(self) -> Result<LogoutDelivery, StoreError> {
        Ok(LogoutDelivery {
            id: self.id,
            client_id: ClientId::new(self.client_id),
            uri: self.uri,
            claims: serde_json::from_str(&self.claims)
                .map_err(|_| StoreError::Corrupt("logout claims"))?,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            next_attempt_at: from_unix(self.next_attempt_at)?,
            created_at: from_unix(self.created_at)?,
        })
    }
}
