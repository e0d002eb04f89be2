//! Token introspection (RFC 7662) and revocation (RFC 7009): what a presented token is,
//! and ending it. Both endpoints authenticate the calling client as the token endpoint
//! does (RFC 7662 §2.1, RFC 7009 §2.1).

use idp_core::{AccessToken, ClientType, Granted, RefreshToken, Subject};
use serde::Serialize;

use crate::access_token::looks_like_jwt;
use crate::provider::digest_of;
use crate::userinfo::validated_access_token;
use crate::{ErrorCode, Params, ProtocolError, Provider};

/// An introspection response (RFC 7662 §2.2). An inactive token is exactly
/// `{"active": false}`: nothing else about it is said.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Introspection {
    /// Whether the token is currently usable.
    pub active: bool,
    /// Its scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client it was issued to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The user's username, when there is a user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// `Bearer` for an access token; `refresh_token` for a refresh token (RFC 7662 §2.2
    /// leaves the value for other tokens to the server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    /// Expiry, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issue time, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// The subject: the user's id, or the client's for a token without a user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The audience an access token is for (as its JWT form carries it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<crate::Audience>,
    /// This issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The client acting for the subject, for a token made by token exchange
    /// (RFC 8693 §4.1, §2.2 of RFC 7662 allows any claim of the token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub act: Option<idp_core::Actor>,
}

/// A token found by its presented value.
enum Found {
    Access(idp_core::SecretDigest, Granted<AccessToken>),
    Refresh(Granted<RefreshToken>),
}

impl Found {
    fn grant(&self) -> &idp_core::Grant {
        match self {
            Found::Access(_, g) => &g.grant,
            Found::Refresh(g) => &g.grant,
        }
    }
}

fn subject_of(subject: &Subject) -> String {
    match subject {
        Subject::User(u) => u.as_str().to_owned(),
        Subject::Client(c) => c.as_str().to_owned(),
    }
}

impl Provider {
    /// The `token` parameter, once (RFC 7662 §2.1, RFC 7009 §2.1).
    fn presented_token(params: &Params) -> Result<&str, ProtocolError> {
        if params.has_duplicates() {
            return Err(ProtocolError::json(
                ErrorCode::InvalidRequest,
                "a parameter was sent more than once",
            ));
        }
        params
            .get("token")
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ProtocolError::json(ErrorCode::InvalidRequest, "token is missing"))
    }

    /// The access or refresh token `token` is, looked for first as the hint says
    /// (RFC 7009 §2.1: the hint only speeds the search up; an unknown hint is ignored).
    fn find_token(&self, token: &str, hint: Option<&str>) -> Result<Option<Found>, ProtocolError> {
        let access = || -> Result<Option<Found>, ProtocolError> {
            let digest = if looks_like_jwt(token) {
                match self.jti_of_jwt(token)? {
                    Some(jti) => digest_of(&jti),
                    None => return Ok(None),
                }
            } else {
                digest_of(token)
            };
            Ok(self
                .store
                .access_token(&digest)?
                .map(|found| Found::Access(digest, found)))
        };
        let refresh = || -> Result<Option<Found>, ProtocolError> {
            if looks_like_jwt(token) {
                return Ok(None);
            }
            Ok(self
                .store
                .refresh_token(&digest_of(token))?
                .map(Found::Refresh))
        };
        if hint == Some("refresh_token") {
            if let Some(found) = refresh()? {
                return Ok(Some(found));
            }
            access()
        } else {
            if let Some(found) = access()? {
                return Ok(Some(found));
            }
            refresh()
        }
    }

    /// Introspects `params`' `token` for the authenticated caller (RFC 7662 §2). A
    /// client flagged as a resource server learns about any token; any other client
    /// only about its own — another client's token is reported inactive, exactly as an
    /// unknown one (§2.2: a caller may not learn what it is not allowed to).
    ///
    /// # Errors
    /// `invalid_client` (401) when the caller does not authenticate; `invalid_request`
    /// without a token; internal failures.
    pub fn introspect(
        &self,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<Introspection, ProtocolError> {
        let caller = self.authenticate_client(params, authorization)?;
        // RFC 7662 §2.1: the caller must be authorized; a public client proves nothing
        // by naming its id, so only confidential clients introspect (discovery lists
        // no `none` method for this endpoint).
        if caller.client_type != ClientType::Confidential {
            return Err(ProtocolError::Rejected {
                code: ErrorCode::InvalidClient,
                description: "only confidential clients may introspect tokens",
                delivery: crate::Delivery::Json {
                    basic_challenge: true,
                },
            });
        }
        let token = Self::presented_token(params)?;
        let inactive = Introspection::default();
        let Some(found) = self.find_token(token, params.get("token_type_hint"))? else {
            return Ok(inactive);
        };
        let grant = found.grant();
        if !caller.options.resource_server && grant.client_id != caller.id {
            return Ok(inactive);
        }
        let now = self.now();
        let user_gone = matches!(grant.subject, Subject::User(_))
            && match &found {
                Found::Access(_, g) => g.user.is_none(),
                Found::Refresh(g) => g.user.is_none(),
            };
        if grant.is_revoked() || user_gone {
            return Ok(inactive);
        }
        let response = match &found {
            Found::Access(_, g) => {
                if g.record.revoked || g.record.expires_at <= now {
                    return Ok(inactive);
                }
                // A token hook may refuse it, as it may at UserInfo.
                if self.hooks().is_some()
                    && !self.accepted_by_hooks(&validated_access_token(g, token))
                {
                    return Ok(inactive);
                }
                Introspection {
                    active: true,
                    scope: Some(g.record.scope.to_string()),
                    token_type: Some("Bearer"),
                    exp: Some(g.record.expires_at.timestamp()),
                    iat: Some(g.record.created_at.timestamp()),
                    username: g.user.as_ref().map(|u| u.username.clone()),
                    // Only an access token has an audience: the one its request chose,
                    // else the client's default (one more read, here alone).
                    aud: match (&g.record.audience, self.stored_client(&grant.client_id)?) {
                        (_, None) => return Ok(inactive),
                        (chosen, Some(client)) => {
                            Some(self.access_token_audience(&client, chosen.as_deref()))
                        }
                    },
                    ..Introspection::default()
                }
            }
            Found::Refresh(g) => {
                if g.record.revoked || g.record.used_at.is_some() || g.record.expires_at <= now {
                    return Ok(inactive);
                }
                Introspection {
                    active: true,
                    scope: Some(g.record.scope.to_string()),
                    token_type: Some("refresh_token"),
                    exp: Some(g.record.expires_at.timestamp()),
                    iat: Some(g.record.created_at.timestamp()),
                    username: g.user.as_ref().map(|u| u.username.clone()),
                    ..Introspection::default()
                }
            }
        };
        Ok(Introspection {
            client_id: Some(grant.client_id.as_str().to_owned()),
            sub: Some(subject_of(&grant.subject)),
            iss: Some(self.config.issuer.clone()),
            act: grant.act.clone(),
            ..response
        })
    }

    /// Revokes `params`' `token` for the authenticated caller (RFC 7009 §2). A refresh
    /// token ends its whole grant, and so every access token issued from it (§2.1: SHOULD);
    /// an access token ends alone. An unknown, expired or already revoked token is
    /// answered as a success (§2.2). Public clients identify themselves with `client_id`
    /// alone.
    ///
    /// # Errors
    /// `invalid_client` (401) when the caller does not authenticate; `invalid_request`
    /// without a token; `unauthorized_client` for a token issued to another client
    /// (§2.1: the request is refused); internal failures.
    pub fn revoke(
        &self,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<(), ProtocolError> {
        let caller = self.authenticate_client(params, authorization)?;
        let token = Self::presented_token(params)?;
        let Some(found) = self.find_token(token, params.get("token_type_hint"))? else {
            return Ok(());
        };
        if found.grant().client_id != caller.id {
            return Err(ProtocolError::json(
                ErrorCode::UnauthorizedClient,
                "the token was not issued to this client",
            ));
        }
        match found {
            Found::Access(digest, _) => {
                self.store.revoke_access_token(&digest)?;
            }
            Found::Refresh(g) => self.store.revoke_grant(&g.grant.id, self.now())?,
        }
        Ok(())
    }
}
