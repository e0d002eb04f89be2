//! Dynamic client registration: the registration endpoint (RFC 7591 §3, OpenID Connect
//! Dynamic Client Registration 1.0 §3) and the client configuration endpoint (RFC 7592
//! §2: read, update, delete), under the operator's policy (settings
//! `dynamic_registration*`), with initial access tokens (RFC 7591 §3) and a throttle per
//! client address.

mod metadata;

use std::net::IpAddr;

use idp_core::{Client, ClientId, ClientType, RegistrationRecord, SecretDigest, SelfRegistration};
use serde::Serialize;

use crate::manage::{self, ClientUpdate, NewClient};
use crate::provider::digest_of;
use crate::throttle::{registration_key, Standing};
use crate::{paths, Delivery, ErrorCode, ProtocolError, Provider};

use metadata::{as_metadata_error, metadata_error};

/// The name a client that sends no `client_name` is shown under on the consent page.
const UNNAMED: &str = "Unnamed application";

/// A registration as answered (RFC 7591 §3.2.1, RFC 7592 §3): the credentials, and every
/// metadata value as stored. Secrets appear only when just issued.
#[derive(Clone, Debug, Serialize)]
pub struct RegistrationResponse {
    /// The client identifier.
    pub client_id: String,
    /// The secret, right after it was issued (confidential clients).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// When the client registered (seconds since the epoch).
    pub client_id_issued_at: i64,
    /// When the secret expires: the registration's expiry, or 0 for never
    /// (confidential clients).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    /// The registration access token, right after it was issued (RFC 7592 §3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_access_token: Option<String>,
    /// The client configuration endpoint (RFC 7592 §2).
    pub registration_client_uri: String,
    /// Redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Grant types.
    pub grant_types: Vec<String>,
    /// Response types.
    pub response_types: Vec<String>,
    /// `client_secret_basic`, `client_secret_post` or `none`.
    pub token_endpoint_auth_method: String,
    /// `web` or `native`.
    pub application_type: String,
    /// The name shown on the consent page.
    pub client_name: String,
    /// The scopes the client may be granted, space-separated.
    pub scope: String,
    /// The ID token signing algorithm.
    pub id_token_signed_response_alg: String,
    /// Where RP-initiated logout may return.
    pub post_logout_redirect_uris: Vec<String>,
    /// Back-channel logout URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    /// `sid` required in logout tokens.
    pub backchannel_logout_session_required: bool,
    /// Front-channel logout URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frontchannel_logout_uri: Option<String>,
    /// `iss` and `sid` required on the front-channel logout URI.
    pub frontchannel_logout_session_required: bool,
}

fn invalid_token() -> ProtocolError {
    // RFC 7592 §3: the same answer whether the client exists or not.
    ProtocolError::bearer(
        ErrorCode::InvalidToken,
        "the registration access token is not valid for this client",
    )
}

impl Provider {
    /// The scopes a self-registered client may be granted: those it registered, or,
    /// when it named none, every scope the provider knows — the standard ones and those
    /// the operator defined (RFC 7591 §2 leaves the default to the server). An MCP client
    /// often registers before it knows the server's scopes; the person still consents to
    /// each scope, as for every self-registered client.
    fn registered_scopes(&self, registered: &[String]) -> Result<Vec<String>, ProtocolError> {
        if !registered.is_empty() {
            return Ok(registered.to_vec());
        }
        let mut scopes: Vec<String> = idp_core::Scope::SUPPORTED.map(str::to_owned).to_vec();
        scopes.extend(self.store.scope_definitions()?.into_iter().map(|d| d.name));
        Ok(scopes)
    }
}

impl Provider {
    /// `POST /register` (RFC 7591 §3.1): registers a client from its JSON metadata.
    /// `bearer` is an initial access token, if the caller sent one; `address` the
    /// caller's address, for the throttle.
    ///
    /// # Errors
    /// `access_denied` (403) while registration is off or the limit of self-registered
    /// clients is reached; `invalid_token` (401) for a bad or missing (when required)
    /// initial access token; [`ProtocolError::Throttled`] past the attempts allowed per
    /// address; [`ProtocolError::InvalidMetadata`] for metadata that breaks a rule.
    pub fn register(
        &self,
        body: &[u8],
        bearer: Option<&str>,
        address: Option<IpAddr>,
    ) -> Result<RegistrationResponse, ProtocolError> {
        let policy = self.registration_policy()?;
        if !policy.enabled {
            return Err(ProtocolError::json(
                ErrorCode::AccessDenied,
                "dynamic client registration is not enabled on this provider",
            ));
        }
        self.count_registration(address)?;
        let now = self.now();
        match bearer {
            Some(token) => {
                let live = self
                    .store
                    .initial_access_token(&digest_of(token))?
                    .is_some_and(|t| t.is_live(now));
                if !live {
                    return Err(ProtocolError::bearer(
                        ErrorCode::InvalidToken,
                        "the initial access token is not valid",
                    ));
                }
            }
            None if policy.requires_token => {
                return Err(ProtocolError::bearer(
                    ErrorCode::InvalidToken,
                    "registration requires an initial access token",
                ))
            }
            None => {}
        }
        let m = metadata::parse(body)?;
        if m.client_id.is_some() || m.client_secret.is_some() {
            return Err(metadata_error(
                "client_id and client_secret are issued by the provider, not chosen",
            ));
        }
        let new = NewClient {
            client_type: m.client_type(),
            scopes: self.registered_scopes(&m.scopes)?,
            grant_types: m.grant_types.clone(),
            options: m.options(),
            ..NewClient::new(
                m.client_name.clone().unwrap_or_else(|| UNNAMED.to_owned()),
                m.redirect_uris.clone(),
            )
        };
        let kek = &self.config.key_encryption_key;
        let created = manage::build_client(&*self.store, &*self.clock, Some(kek), new)
            .map_err(as_metadata_error)?;
        let mut client = created.client;
        let (access_token, access_token_digest) = crate::provider::new_secret()?;
        let registration = SelfRegistration {
            registered_at: now,
            expires_at: policy.lifetime.map(|l| now + l),
        };
        client.self_registered = Some(registration);
        let record = RegistrationRecord {
            registration,
            access_token_digest,
            application_type: m.application_type.as_str().to_owned(),
            token_endpoint_auth_method: m.token_endpoint_auth_method.to_owned(),
        };
        if !self
            .store
            .insert_registered_client(&client, &record, policy.max_clients, now)?
        {
            // RFC 7591 has no error for a full registry: the metadata is fine and
            // retrying soon will not help, so 403 rather than 400 or 429.
            return Err(ProtocolError::json(
                ErrorCode::AccessDenied,
                "the provider's limit of self-registered clients is reached; try again later or ask its operator",
            ));
        }
        Ok(self.registration_response(&client, &record, created.secret, Some(access_token)))
    }

    /// Counts a registration attempt from `address` (every attempt, not only failures);
    /// refused past the limit.
    fn count_registration(&self, address: Option<IpAddr>) -> Result<(), ProtocolError> {
        let Some(address) = address else {
            return Ok(());
        };
        let policy = self.config.registration_backoff;
        let key = registration_key(address);
        let throttled = |retry_after| ProtocolError::Throttled {
            retry_after,
            delivery: Delivery::Json {
                basic_challenge: false,
            },
        };
        if let Standing::Wait(secs) = self.standing(&key, &policy)? {
            return Err(throttled(secs));
        }
        match self.note_failure(&key, &policy)? {
            Some(secs) => Err(throttled(secs)),
            None => Ok(()),
        }
    }

    /// The client and its registration record if `bearer` is its registration access
    /// token (constant-time comparison of digests); `invalid_token` otherwise, whether
    /// or not the client exists.
    fn managed_client(
        &self,
        client_id: &str,
        bearer: Option<&str>,
    ) -> Result<(Client, RegistrationRecord), ProtocolError> {
        let Some(bearer) = bearer.filter(|b| !b.is_empty()) else {
            return Err(invalid_token());
        };
        let id = ClientId::new(client_id);
        let presented = digest_of(bearer);
        let record = self.store.registration_record(&id)?;
        let expected = record.as_ref().map_or_else(
            || SecretDigest::from_hex("0".repeat(64)),
            |r| r.access_token_digest.clone(),
        );
        let matches = idp_crypto::constant_time_eq(
            presented.as_hex().as_bytes(),
            expected.as_hex().as_bytes(),
        );
        match (record, matches) {
            (Some(record), true) => {
                let client = self.client(&id)?.ok_or_else(invalid_token)?;
                Ok((client, record))
            }
            _ => Err(invalid_token()),
        }
    }

    /// `GET /register/{client_id}` (RFC 7592 §2.1).
    ///
    /// # Errors
    /// `invalid_token` (401) for a bad registration access token.
    pub fn read_registration(
        &self,
        client_id: &str,
        bearer: Option<&str>,
    ) -> Result<RegistrationResponse, ProtocolError> {
        let (client, record) = self.managed_client(client_id, bearer)?;
        Ok(self.registration_response(&client, &record, None, None))
    }

    /// `PUT /register/{client_id}` (RFC 7592 §2.2): replaces every metadata value with
    /// the request's (omitted ones return to their defaults). `client_id` must be sent
    /// and match; `client_secret`, if sent, must be the client's. The application type
    /// and authentication method cannot change (register a new client instead).
    ///
    /// # Errors
    /// As [`Provider::register`], and `invalid_token` (401).
    pub fn update_registration(
        &self,
        client_id: &str,
        bearer: Option<&str>,
        body: &[u8],
    ) -> Result<RegistrationResponse, ProtocolError> {
        let (client, record) = self.managed_client(client_id, bearer)?;
        let m = metadata::parse(body)?;
        if m.client_id.as_deref() != Some(client.id.as_str()) {
            return Err(metadata_error(
                "client_id must be sent and be this client's (RFC 7592 §2.2)",
            ));
        }
        if let Some(secret) = &m.client_secret {
            let ok = client.secret_digest.as_ref().is_some_and(|d| {
                idp_crypto::constant_time_eq(
                    digest_of(secret).as_hex().as_bytes(),
                    d.as_hex().as_bytes(),
                )
            });
            if !ok {
                return Err(metadata_error("client_secret does not match"));
            }
        }
        if m.application_type.as_str() != record.application_type
            || m.token_endpoint_auth_method != record.token_endpoint_auth_method
        {
            return Err(metadata_error(
                "application_type and token_endpoint_auth_method cannot change; register a new client",
            ));
        }
        let options = m.options();
        let update = ClientUpdate {
            name: Some(m.client_name.clone().unwrap_or_else(|| UNNAMED.to_owned())),
            redirect_uris: Some(m.redirect_uris.clone()),
            scopes: Some(self.registered_scopes(&m.scopes)?),
            default_scopes: Some(Vec::new()),
            grant_types: Some(m.grant_types),
            id_token_alg: Some(options.id_token_alg),
            post_logout_redirect_uris: Some(
                options
                    .post_logout_redirect_uris
                    .iter()
                    .map(|u| u.as_str().to_owned())
                    .collect(),
            ),
            backchannel_logout_uri: Some(options.backchannel_logout_uri),
            backchannel_logout_session_required: Some(options.backchannel_logout_session_required),
            frontchannel_logout_uri: Some(options.frontchannel_logout_uri),
            frontchannel_logout_session_required: Some(
                options.frontchannel_logout_session_required,
            ),
            ..ClientUpdate::default()
        };
        let kek = &self.config.key_encryption_key;
        let updated =
            manage::update_client(&*self.store, &*self.clock, Some(kek), &client.id, update)
                .map_err(as_metadata_error)?;
        let mut updated_client = updated.client;
        updated_client.self_registered = client.self_registered;
        Ok(self.registration_response(&updated_client, &record, updated.secret, None))
    }

    /// `DELETE /register/{client_id}` (RFC 7592 §2.3): the client and everything issued
    /// to it go.
    ///
    /// # Errors
    /// `invalid_token` (401) for a bad registration access token.
    pub fn delete_registration(
        &self,
        client_id: &str,
        bearer: Option<&str>,
    ) -> Result<(), ProtocolError> {
        let (client, _) = self.managed_client(client_id, bearer)?;
        if !self.store.delete_client(&client.id)? {
            return Err(invalid_token());
        }
        Ok(())
    }

    fn registration_response(
        &self,
        c: &Client,
        record: &RegistrationRecord,
        secret: Option<String>,
        access_token: Option<String>,
    ) -> RegistrationResponse {
        let o = &c.options;
        let confidential = c.client_type == ClientType::Confidential;
        let expires_at = record.registration.expires_at.map_or(0, |t| t.timestamp());
        RegistrationResponse {
            client_id: c.id.to_string(),
            client_secret: secret,
            client_id_issued_at: record.registration.registered_at.timestamp(),
            client_secret_expires_at: confidential.then_some(expires_at),
            registration_access_token: access_token,
            registration_client_uri: format!("{}/{}", self.config.endpoint(paths::REGISTER), c.id),
            redirect_uris: c
                .redirect_uris
                .iter()
                .map(|u| u.as_str().to_owned())
                .collect(),
            grant_types: c
                .grant_types
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
            response_types: vec!["code".to_owned()],
            token_endpoint_auth_method: record.token_endpoint_auth_method.clone(),
            application_type: record.application_type.clone(),
            client_name: c.name.clone(),
            scope: c.scopes.to_string(),
            id_token_signed_response_alg: o.id_token_alg.as_str().to_owned(),
            post_logout_redirect_uris: o
                .post_logout_redirect_uris
                .iter()
                .map(|u| u.as_str().to_owned())
                .collect(),
            backchannel_logout_uri: o.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: o.backchannel_logout_session_required,
            frontchannel_logout_uri: o.frontchannel_logout_uri.clone(),
            frontchannel_logout_session_required: o.frontchannel_logout_session_required,
        }
    }
}
