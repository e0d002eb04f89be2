//! Calls for trusted code of the embedding application, as Nextcloud's `oidc` app offers
//! other apps through events: issue tokens for a (client, user) without a browser, and
//! validate a token, learning whose it is.

use idp_core::{ClientId, CoreError, Grant, GrantId, ScopeSet, Subject, UserId};

use super::{Issue, TokenResponse};
use crate::access_token::looks_like_jwt;
use crate::provider::digest_of;
use crate::userinfo::validated_access_token;
use crate::{ErrorCode, ProtocolError, Provider, ValidatedToken};

impl Provider {
    /// Issues tokens to `client_id` for `user_id` as the token endpoint would for a new
    /// grant: an access token, a refresh token when the client may refresh and the scope
    /// (or the client) allows it, and an ID token when the scope has `openid`. The grant
    /// and its tokens are stored together; they are revoked, refreshed and validated
    /// like any others. Token hooks run.
    ///
    /// This is for code the embedding application trusts: no client authentication, no
    /// login and no consent take place. The scope is limited to the client's allowed
    /// scopes (RFC 6749 §3.3) that the provider knows; `auth_time` is the time of the call.
    /// A client restricted to some groups gets tokens only for their members.
    ///
    /// # Errors
    /// [`ProtocolError::Refused`] with [`CoreError::NotFound`] for an unknown client or
    /// user; `invalid_scope` when none of `scope` is allowed for the client;
    /// `invalid_grant` when the user may not use the client or a token hook refused
    /// ([`ProtocolError::RefusedByHook`]); internal failures.
    pub fn issue_tokens_for(
        &self,
        client_id: &ClientId,
        user_id: &UserId,
        scope: &ScopeSet,
    ) -> Result<TokenResponse, ProtocolError> {
        let client = self.store.client(client_id)?.ok_or_else(|| {
            ProtocolError::Refused(CoreError::NotFound(format!("client {client_id}")))
        })?;
        let user = self.store.user_by_id(user_id)?.ok_or_else(|| {
            ProtocolError::Refused(CoreError::NotFound(format!("user {user_id}")))
        })?;
        let scope = self.known_scopes(&scope.intersection(&client.scopes))?;
        if scope.is_empty() {
            return Err(ProtocolError::json(
                ErrorCode::InvalidScope,
                "none of the requested scopes is allowed for this client",
            ));
        }
        let now = self.now();
        let grant = Grant {
            id: GrantId::new(idp_crypto::random_id(16)?),
            client_id: client.id.clone(),
            subject: Subject::User(user.id.clone()),
            scope: scope.clone(),
            auth_time: now,
            created_at: now,
            revoked_at: None,
            // Issued by trusted code, outside any browser session.
            sid: None,
            resources: Vec::new(),
            act: None,
            parent: None,
        };
        // As for a code (RFC 6749 §6, OIDC Core §11): a refresh token only to a client
        // that may refresh, for offline_access or a client flagged to get one anyway.
        let refresh_due = client.refresh_due(&scope);
        let (response, tokens) = self.prepare_tokens(&Issue {
            client: &client,
            user: &user,
            grant: &grant,
            scope: &scope,
            refresh_scope: refresh_due.then_some(&scope),
            nonce: None,
            audience: None,
        })?;
        self.store
            .insert_grant_with_issued_tokens(&grant, &tokens)?;
        Ok(response)
    }

    /// Whose `token` is: an access token of this provider (opaque, or an RFC 9068 JWT)
    /// that is unexpired and whose grant is not revoked, or an unexpired ID token this
    /// provider signed (its signature, issuer and expiry are checked; ID tokens are not
    /// stored, so they cannot be revoked). `None` for anything else — also when the
    /// token's user no longer exists, or a token hook's `after_validate` refused it.
    ///
    /// # Errors
    /// Only internal failures (storage, keys).
    pub fn validate_token(&self, token: &str) -> Result<Option<ValidatedToken>, ProtocolError> {
        let access_digest = if looks_like_jwt(token) {
            self.jti_of_jwt(token)?.map(|jti| digest_of(&jti))
        } else {
            Some(digest_of(token))
        };
        let validated = match access_digest {
            Some(digest) => {
                let now = self.now();
                let Some(found) = self.store.access_token(&digest)? else {
                    return Ok(None);
                };
                let user_gone =
                    matches!(found.grant.subject, Subject::User(_)) && found.user.is_none();
                if found.record.revoked
                    || found.grant.is_revoked()
                    || found.record.expires_at <= now
                    || user_gone
                {
                    return Ok(None);
                }
                validated_access_token(&found, token)
            }
            None => {
                let Some((verified, expires_at)) = self.read_id_token(token)? else {
                    return Ok(None);
                };
                if expires_at <= self.now() {
                    return Ok(None);
                }
                let validated = self.validated_id_token(&verified, expires_at)?;
                if validated.user.is_none() {
                    return Ok(None);
                }
                validated
            }
        };
        if !self.accepted_by_hooks(&validated) {
            return Ok(None);
        }
        Ok(Some(validated))
    }
}
