//! Token exchange (RFC 8693): a confidential client — an API that received a user's
//! access token — trades it for an access token to call another resource on the same
//! user's behalf (delegation, §1.1), naming itself as the actor (`act`, §4.1).
//!
//! What this provider accepts:
//! - the subject token is an access token of this provider (opaque or JWT), active, with
//!   a user, and meant for the caller: issued to it, or with an audience among the
//!   caller's own resources (a client cannot exchange a token it was not sent);
//! - the targets (`resource`, `audience`, §2.1) are among the caller's
//!   `exchange_audiences`, and at least one is named;
//! - the scope lies within the subject token's and the caller's scopes, without
//!   `openid` and `offline_access`, which describe the user's sign-in, not an API call;
//! - `actor_token` is refused: the authenticated client is the actor.
//!
//! The new token belongs to a new grant of the caller for the same user and session
//! (`sid`), so ending the session ends it, and linked to the subject token's grant, so
//! revoking that grant (a revoked refresh token, a detected replay) ends it too. It never
//! outlives the subject token, and no refresh token or ID token comes with it.

use idp_core::{
    AccessToken, Actor, Client, ClientType, CoreError, Grant, GrantId, Granted, NewTokens, Scope,
    ScopeSet, Subject, MAX_RESOURCES,
};

use super::TokenResponse;
use crate::{ErrorCode, Params, ProtocolError, Provider};

/// The token type of an access token (RFC 8693 §3): the only subject token type and the
/// only issued token type supported.
pub(crate) const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

fn refused(code: ErrorCode, description: &'static str) -> ProtocolError {
    ProtocolError::json(code, description)
}

fn invalid_request(description: &'static str) -> ProtocolError {
    refused(ErrorCode::InvalidRequest, description)
}

fn invalid_grant(description: &'static str) -> ProtocolError {
    refused(ErrorCode::InvalidGrant, description)
}

fn invalid_scope(description: &'static str) -> ProtocolError {
    refused(ErrorCode::InvalidScope, description)
}

const INVALID_SUBJECT: &str = "the subject token is invalid";

/// The targets a request names with `resource` and `audience` (RFC 8693 §2.1; both may
/// repeat), repeats dropped, each one the caller may exchange for (`allowed`). A
/// `resource` must be an absolute URI without a fragment (RFC 8707 §2).
fn exchange_targets(params: &Params, allowed: &[String]) -> Result<Vec<String>, ProtocolError> {
    let audiences = params.all("audience");
    if params.all("resource").is_empty() && audiences.is_empty() {
        return Err(invalid_request(
            "name the target of the token with resource or audience",
        ));
    }
    // §2.2.2: invalid_target when the server will not issue a token for a target.
    let invalid_target = |d| refused(ErrorCode::InvalidTarget, d);
    // The resources checked as for RFC 8707 everywhere, then the logical names.
    let mut targets = crate::resource::named_resources(params).map_err(invalid_target)?;
    for audience in audiences {
        if !targets.contains(audience) {
            targets.push(audience.clone());
        }
    }
    if targets.len() > MAX_RESOURCES {
        return Err(invalid_target("too many targets"));
    }
    if !targets.iter().all(|t| allowed.contains(t)) {
        return Err(invalid_target(
            "the client may not exchange tokens for this target",
        ));
    }
    Ok(targets)
}

/// Whether a scope describes the user's sign-in rather than access to an API.
fn describes_session(scope: &str) -> bool {
    scope == Scope::OPENID || scope == Scope::OFFLINE_ACCESS
}

/// The scope of the exchanged token: the one requested, which must lie within both the
/// subject token's scope and the caller's scopes (RFC 8693 §2.1, RFC 6749 §3.3), or by
/// default everything they share — never `openid` or `offline_access`.
fn exchange_scope(
    requested: Option<&str>,
    subject: &ScopeSet,
    caller: &ScopeSet,
) -> Result<ScopeSet, ProtocolError> {
    let within = subject.intersection(caller);
    let scope = match requested {
        Some(s) => {
            let requested =
                ScopeSet::parse(s).map_err(|_| invalid_scope("the scope is malformed"))?;
            if requested.iter().any(describes_session) {
                return Err(invalid_scope(
                    "openid and offline_access describe the user's sign-in and are not exchanged",
                ));
            }
            if !requested.is_subset(&within) {
                return Err(invalid_scope(
                    "the scope exceeds the subject token's scope or the client's scopes",
                ));
            }
            requested
        }
        None => ScopeSet::from_tokens(within.iter().filter(|s| !describes_session(s))),
    };
    if scope.is_empty() {
        return Err(invalid_scope(
            "the subject token and the client share no scope to exchange",
        ));
    }
    Ok(scope)
}

impl Provider {
    /// Exchanges the request's subject token for an access token of `client` (the actor)
    /// for the named targets (RFC 8693 §2).
    pub(super) fn token_exchange(
        &self,
        client: &Client,
        params: &Params,
    ) -> Result<TokenResponse, ProtocolError> {
        // The caller is the actor: it must prove who it is (RFC 6749 §3.2.1).
        if client.client_type != ClientType::Confidential {
            return Err(refused(
                ErrorCode::UnauthorizedClient,
                "token exchange is for confidential clients",
            ));
        }
        // §2.1: actor_token is optional; the authenticated client is the actor here.
        if params.get("actor_token").is_some() || params.get("actor_token_type").is_some() {
            return Err(invalid_request(
                "actor_token is not supported: the authenticated client is the actor",
            ));
        }
        let presented = params
            .get("subject_token")
            .ok_or_else(|| invalid_request("subject_token is missing"))?;
        match params.get("subject_token_type") {
            None => return Err(invalid_request("subject_token_type is missing")),
            Some(ACCESS_TOKEN_TYPE) => {}
            Some(_) => {
                return Err(invalid_request(
                    "only access tokens of this provider may be exchanged",
                ))
            }
        }
        if params
            .get("requested_token_type")
            .is_some_and(|t| t != ACCESS_TOKEN_TYPE)
        {
            return Err(invalid_request("only access tokens are issued"));
        }
        let targets = exchange_targets(params, &client.options.exchange_audiences)?;
        let subject = self.subject_token(presented)?;
        let Subject::User(user_id) = &subject.grant.subject else {
            // A client_credentials token: its grant's subject is the client itself, and
            // there is no user to act for.
            return Err(invalid_request(
                "the subject token has no user: a client acting for itself cannot be delegated",
            ));
        };
        let user = subject
            .user
            .as_ref()
            .ok_or_else(|| invalid_grant(INVALID_SUBJECT))?;
        self.check_meant_for(client, &subject)?;
        let scope = exchange_scope(params.get("scope"), &subject.record.scope, &client.scopes)?;
        // A scope the operator removed since is no longer granted.
        let scope = self.known_scopes(&scope)?;
        let act = Actor::new(&client.id, subject.grant.act.as_ref());
        if act.depth() > Actor::MAX_DEPTH {
            return Err(invalid_grant("the chain of actors is too long"));
        }
        let groups = self.groups_for(client, user, &scope)?;
        if !client
            .options
            .admits(&groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>())
        {
            return Err(invalid_grant("the user may not use this client"));
        }
        let now = self.now();
        let lifetimes = self.client_lifetimes(client)?;
        // Never longer than the subject token: the delegation ends with it.
        let expires_at = (now + lifetimes.access_token).min(subject.record.expires_at);
        let grant = Grant {
            id: GrantId::new(idp_crypto::random_id(16)?),
            client_id: client.id.clone(),
            subject: Subject::User(user_id.clone()),
            // The user's session: ending it ends the exchanged token too.
            sid: subject.grant.sid.clone(),
            resources: targets.clone(),
            scope: scope.clone(),
            auth_time: subject.grant.auth_time,
            created_at: now,
            revoked_at: None,
            act: Some(act),
            parent: Some(subject.grant.id.clone()),
        };
        let (access_token, access) = self.new_access_token(
            client,
            Some(user),
            &grant,
            &scope,
            Some(&targets),
            now,
            expires_at,
        )?;
        // Stored only while the subject grant is unrevoked, checked in the insert's own
        // transaction, so a concurrent revocation of it cannot miss the new grant.
        match self.store.insert_grant_with_issued_tokens(
            &grant,
            &NewTokens {
                access,
                refresh: None,
            },
        ) {
            Ok(()) => {}
            Err(CoreError::Conflict(_)) => return Err(invalid_grant(INVALID_SUBJECT)),
            Err(e) => return Err(e.into()),
        }
        tracing::info!(client = %client.id, from = %subject.grant.client_id, "token exchanged");
        // §2.2.1: issued_token_type is required; no refresh token, no ID token.
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: (expires_at - now).num_seconds(),
            refresh_token: None,
            id_token: None,
            scope: scope.to_string(),
            user_id: None,
            issued_token_type: Some(ACCESS_TOKEN_TYPE),
        })
    }

    /// The active access token `presented` is (opaque or JWT): unexpired, not revoked,
    /// of an unrevoked grant and accepted by the token hooks; else `invalid_grant`
    /// (§2.2.2: the subject token is the grant).
    fn subject_token(&self, presented: &str) -> Result<Granted<AccessToken>, ProtocolError> {
        self.active_access_token(presented)?
            .ok_or_else(|| invalid_grant(INVALID_SUBJECT))
    }

    /// Refuses a subject token the caller did not receive: one neither issued to it nor
    /// for an audience among its own resources (a client may only exchange what was
    /// sent to it).
    fn check_meant_for(
        &self,
        client: &Client,
        subject: &Granted<AccessToken>,
    ) -> Result<(), ProtocolError> {
        if subject.grant.client_id == client.id {
            return Ok(());
        }
        let not_meant = || invalid_grant("the subject token is not meant for this client");
        if client.options.resources.is_empty() {
            return Err(not_meant());
        }
        // The stored client (never a fetch of a metadata document) is read only for the
        // default audience of a token that named no resource.
        let audience = match subject.record.audience.as_deref() {
            Some(chosen) if !chosen.is_empty() => crate::Audience::of(chosen.to_vec()),
            _ => {
                let issued_to = self
                    .stored_client(&subject.grant.client_id)?
                    .ok_or_else(|| invalid_grant(INVALID_SUBJECT))?;
                self.access_token_audience(&issued_to, None)
            }
        };
        if client
            .options
            .resources
            .iter()
            .any(|r| audience.contains(r))
        {
            Ok(())
        } else {
            Err(not_meant())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(s: &str) -> ScopeSet {
        ScopeSet::parse(s).unwrap()
    }

    fn code(e: ProtocolError) -> &'static str {
        match e {
            ProtocolError::Rejected { code, .. } => code.as_str(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_scope_defaults_to_what_subject_and_caller_share_without_the_session_scopes() {
        let subject = scopes("openid offline_access profile files:read files:write");
        let caller = scopes("openid profile files:read calendar");
        assert_eq!(
            exchange_scope(None, &subject, &caller).unwrap(),
            scopes("profile files:read")
        );
        assert_eq!(
            exchange_scope(Some("files:read"), &subject, &caller).unwrap(),
            scopes("files:read")
        );
        for wider in [
            "files:write",
            "calendar",
            "files:read openid",
            "offline_access",
        ] {
            assert_eq!(
                code(exchange_scope(Some(wider), &subject, &caller).unwrap_err()),
                "invalid_scope",
                "{wider}"
            );
        }
        assert_eq!(
            code(exchange_scope(None, &scopes("openid"), &caller).unwrap_err()),
            "invalid_scope"
        );
    }

    #[test]
    fn targets_must_be_named_and_allowed() {
        let allowed = vec!["https://b.example/".to_owned(), "urn:c".to_owned()];
        let p = |body: &str| Params::parse_urlencoded(body.as_bytes());
        assert_eq!(
            exchange_targets(
                &p("resource=https%3A%2F%2Fb.example%2F&audience=urn%3Ac&audience=urn%3Ac"),
                &allowed
            )
            .unwrap(),
            allowed
        );
        assert_eq!(
            code(exchange_targets(&p("scope=x"), &allowed).unwrap_err()),
            "invalid_request"
        );
        for refused in [
            "audience=urn%3Ad",
            "resource=https%3A%2F%2Fb.example%2F%23f",
            "resource=https%3A%2F%2Fb.example%2F&audience=https%3A%2F%2Fa.example%2F",
        ] {
            assert_eq!(
                code(exchange_targets(&p(refused), &allowed).unwrap_err()),
                "invalid_target",
                "{refused}"
            );
        }
        assert_eq!(
            code(exchange_targets(&p("audience=urn%3Ac"), &[]).unwrap_err()),
            "invalid_target"
        );
    }
}
