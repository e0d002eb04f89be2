//! Row types and their conversion to and from the domain model.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use idp_core::{
    AccessToken, AuthorizationCode, BrowserSession, Client, ClientId, ClientType, GrantId,
    GrantType, PendingAuthorization, RedirectUri, RefreshToken, ScopeSet, SecretDigest, SigningKey,
    User, UserId,
};

use crate::schema::{
    access_tokens, authorization_codes, browser_sessions, clients, pending_authorizations,
    refresh_tokens, signing_keys, users,
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
}

impl UserRow {
    pub fn from_domain(u: &User) -> Self {
        UserRow {
            id: u.id.as_str().to_owned(),
            username: u.username.clone(),
            password_hash: u.password_hash.clone(),
            email: u.email.clone(),
            email_verified: u.email_verified,
            name: u.name.clone(),
            created_at: to_unix(u.created_at),
        }
    }

    pub fn into_domain(self) -> Result<User, StoreError> {
        Ok(User {
            id: UserId::new(self.id),
            username: self.username,
            password_hash: self.password_hash,
            email: self.email,
            email_verified: self.email_verified,
            name: self.name,
            created_at: from_unix(self.created_at)?,
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
            first_party: self.first_party,
            refresh_without_offline_access: self.refresh_without_offline_access,
            include_user_id: self.include_user_id,
            created_at: from_unix(self.created_at)?,
        })
    }
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = authorization_codes)]
pub(crate) struct CodeRow {
    pub code_digest: String,
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: Option<String>,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl CodeRow {
    pub fn from_domain(c: &AuthorizationCode) -> Self {
        CodeRow {
            code_digest: c.digest.as_hex().to_owned(),
            grant_id: c.grant_id.as_str().to_owned(),
            client_id: c.client_id.as_str().to_owned(),
            user_id: c.user_id.as_str().to_owned(),
            redirect_uri: c.redirect_uri.as_ref().map(|r| r.as_str().to_owned()),
            scope: c.scope.to_string(),
            nonce: c.nonce.clone(),
            code_challenge: c.code_challenge.clone(),
            auth_time: to_unix(c.auth_time),
            created_at: to_unix(c.created_at),
            expires_at: to_unix(c.expires_at),
            used_at: None,
        }
    }

    pub fn into_domain(self) -> Result<AuthorizationCode, StoreError> {
        Ok(AuthorizationCode {
            digest: SecretDigest::from_hex(self.code_digest),
            grant_id: GrantId::new(self.grant_id),
            client_id: ClientId::new(self.client_id),
            user_id: UserId::new(self.user_id),
            redirect_uri: self.redirect_uri.map(RedirectUri::from_trusted),
            scope: scope(&self.scope)?,
            nonce: self.nonce,
            code_challenge: self.code_challenge,
            auth_time: from_unix(self.auth_time)?,
            created_at: from_unix(self.created_at)?,
            expires_at: from_unix(self.expires_at)?,
        })
    }
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = access_tokens)]
pub(crate) struct AccessTokenRow {
    pub token_digest: String,
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked: bool,
}

impl AccessTokenRow {
    pub fn from_domain(t: &AccessToken) -> Self {
        AccessTokenRow {
            token_digest: t.digest.as_hex().to_owned(),
            grant_id: t.grant_id.as_str().to_owned(),
            client_id: t.client_id.as_str().to_owned(),
            user_id: t.user_id.as_str().to_owned(),
            scope: t.scope.to_string(),
            created_at: to_unix(t.created_at),
            expires_at: to_unix(t.expires_at),
            revoked: t.revoked,
        }
    }

    pub fn into_domain(self) -> Result<AccessToken, StoreError> {
        Ok(AccessToken {
            digest: SecretDigest::from_hex(self.token_digest),
            grant_id: GrantId::new(self.grant_id),
            client_id: ClientId::new(self.client_id),
            user_id: UserId::new(self.user_id),
            scope: scope(&self.scope)?,
            created_at: from_unix(self.created_at)?,
            expires_at: from_unix(self.expires_at)?,
            revoked: self.revoked,
        })
    }
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub(crate) struct RefreshTokenRow {
    pub token_digest: String,
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub auth_time: i64,
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
            client_id: t.client_id.as_str().to_owned(),
            user_id: t.user_id.as_str().to_owned(),
            scope: t.scope.to_string(),
            auth_time: to_unix(t.auth_time),
            created_at: to_unix(t.created_at),
            expires_at: to_unix(t.expires_at),
            used_at: None,
            revoked: t.revoked,
        }
    }

    pub fn into_domain(self) -> Result<RefreshToken, StoreError> {
        Ok(RefreshToken {
            digest: SecretDigest::from_hex(self.token_digest),
            grant_id: GrantId::new(self.grant_id),
            client_id: ClientId::new(self.client_id),
            user_id: UserId::new(self.user_id),
            scope: scope(&self.scope)?,
            auth_time: from_unix(self.auth_time)?,
            created_at: from_unix(self.created_at)?,
            expires_at: from_unix(self.expires_at)?,
            revoked: self.revoked,
        })
    }
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = signing_keys)]
pub(crate) struct SigningKeyRow {
    pub kid: String,
    pub alg: String,
    pub private_key_pkcs8: Vec<u8>,
    pub created_at: i64,
    pub active: bool,
}

impl SigningKeyRow {
    pub fn from_domain(k: &SigningKey) -> Self {
        SigningKeyRow {
            kid: k.kid.clone(),
            alg: k.alg.clone(),
            private_key_pkcs8: k.private_key_pkcs8.clone(),
            created_at: to_unix(k.created_at),
            active: k.active,
        }
    }

    pub fn into_domain(self) -> Result<SigningKey, StoreError> {
        Ok(SigningKey {
            kid: self.kid,
            alg: self.alg,
            private_key_pkcs8: self.private_key_pkcs8,
            created_at: from_unix(self.created_at)?,
            active: self.active,
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
        }
    }

    pub fn into_domain(self) -> Result<BrowserSession, StoreError> {
        Ok(BrowserSession {
            digest: SecretDigest::from_hex(self.session_digest),
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
        })
    }

    pub fn into_domain(self) -> Result<PendingAuthorization, StoreError> {
        Ok(PendingAuthorization {
            id: self.id,
            request: serde_json::from_str(&self.request)
                .map_err(|_| StoreError::Corrupt("authorization request"))?,
            created_at: from_unix(self.created_at)?,
            expires_at: from_unix(self.expires_at)?,
        })
    }
}
