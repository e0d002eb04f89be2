//! The UserInfo endpoint (OIDC Core §5.3) and bearer-token checks (RFC 6750).

use idp_core::{AccessToken, Granted, GroupClaim, Immediate, Scope, Subject};
use openidconnect::core::CoreGenderClaim;
use openidconnect::UserInfoClaims;

use crate::access_token::looks_like_jwt;
use crate::claims::{released_claims, wants_groups, GroupClaims};
use crate::provider::digest_of;
use crate::{AccessTokenFormat, ErrorCode, ProtocolError, Provider, TokenKind, ValidatedToken};

/// The claims UserInfo answers with: standard claims plus `groups`/`roles`.
pub type UserInfo = UserInfoClaims<GroupClaims, CoreGenderClaim>;

/// What a token hook is told of a valid access token.
pub(crate) fn validated_access_token(found: &Granted<AccessToken>, token: &str) -> ValidatedToken {
    ValidatedToken {
        kind: TokenKind::AccessToken(if looks_like_jwt(token) {
            AccessTokenFormat::Jwt
        } else {
            AccessTokenFormat::Opaque
        }),
        client_id: found.grant.client_id.clone(),
        subject: match &found.grant.subject {
            Subject::User(user) => user.as_str().to_owned(),
            Subject::Client(client) => client.as_str().to_owned(),
        },
        user: found.user.clone(),
        scope: Some(found.record.scope.clone()),
        expires_at: found.record.expires_at,
    }
}

fn invalid_token() -> ProtocolError {
    ProtocolError::bearer(ErrorCode::InvalidToken, "the access token is invalid")
}

impl Provider {
    /// The unexpired access token `token` of an unrevoked grant, with its grant and user
    /// (one query), or an `invalid_token` challenge.
    ///
    /// # Errors
    /// `invalid_token` for unknown, expired or revoked tokens; internal failures.
    pub fn validate_access_token(
        &self,
        token: &str,
    ) -> Result<Granted<AccessToken>, ProtocolError> {
        self.active_access_token(token)?.ok_or_else(invalid_token)
    }

    /// The access token `token` (opaque, or an RFC 9068 JWT checked for our signature and
    /// then found by its `jti`, so revocation applies to both alike) with its grant and
    /// user, if it is unexpired, unrevoked, of an unrevoked grant, and accepted by the
    /// token hooks; `None` otherwise. Every endpoint that accepts an access token (UserInfo,
    /// token exchange) asks this.
    ///
    /// # Errors
    /// Internal failures only.
    pub(crate) fn active_access_token(
        &self,
        token: &str,
    ) -> Result<Option<Granted<AccessToken>>, ProtocolError> {
        let digest = if looks_like_jwt(token) {
            match self.jti_of_jwt(token)? {
                Some(jti) => digest_of(&jti),
                None => return Ok(None),
            }
        } else {
            digest_of(token)
        };
        let Some(found) = self.store.access_token(&digest)?.filter(|f| self.usable(f)) else {
            return Ok(None);
        };
        // A token hook may refuse it (RFC 6750 §3.1: then it is invalid).
        if self.hooks().is_some() && !self.accepted_by_hooks(&validated_access_token(&found, token))
        {
            return Ok(None);
        }
        Ok(Some(found))
    }

    /// Whether a stored access token may be used now.
    fn usable(&self, found: &Granted<AccessToken>) -> bool {
        !(found.record.revoked || found.grant.is_revoked() || found.record.expires_at <= self.now())
    }

    /// The claims about the token's user that its scope releases (OIDC Core §5.3.2).
    ///
    /// # Errors
    /// `invalid_token` for a bad token or one with no end-user, `insufficient_scope`
    /// without `openid` (OIDC Core §5.3: UserInfo needs an OpenID Connect access token).
    pub fn userinfo(&self, token: &str) -> Result<UserInfo, ProtocolError> {
        let found = self.validate_access_token(token)?;
        let groups = if wants_groups(&found.record.scope) {
            let Some(user) = &found.user else {
                return Err(invalid_token());
            };
            let naming = self
                .store
                .client(&found.grant.client_id)?
                .map_or(GroupClaim::Names, |c| c.options.group_claim);
            Some((self.store.groups_of(&user.id)?, naming))
        } else {
            None
        };
        Self::claims_for(found, groups)
    }

    /// As [`Provider::userinfo`], but only if it can be answered without waiting for a
    /// database connection or lock — for calling straight from an async executor thread;
    /// `None` means: call [`Provider::userinfo`] where blocking is allowed (also when the
    /// scope releases groups, which takes more queries).
    ///
    /// # Errors
    /// As [`Provider::userinfo`].
    pub fn userinfo_immediate(&self, token: &str) -> Result<Option<UserInfo>, ProtocolError> {
        if looks_like_jwt(token) || self.hooks().is_some() {
            // Checking the signature may need to read the keys; a token hook may block.
            return Ok(None);
        }
        match self.store.access_token_immediate(&digest_of(token))? {
            Immediate::WouldWait => Ok(None),
            Immediate::Ready(found) => {
                let found = found.filter(|f| self.usable(f)).ok_or_else(invalid_token)?;
                if wants_groups(&found.record.scope) {
                    return Ok(None);
                }
                Self::claims_for(found, None).map(Some)
            }
        }
    }

    fn claims_for(
        found: Granted<AccessToken>,
        groups: Option<(Vec<idp_core::GroupRef>, GroupClaim)>,
    ) -> Result<UserInfo, ProtocolError> {
        let Granted { record, user, .. } = found;
        // A client acting for itself (client_credentials) has no user to describe.
        let user = user.ok_or_else(|| {
            ProtocolError::bearer(
                ErrorCode::InvalidToken,
                "the access token has no end-user (UserInfo describes a person)",
            )
        })?;
        if !record.scope.contains(Scope::OPENID) {
            return Err(ProtocolError::bearer(
                ErrorCode::InsufficientScope,
                "the access token was not granted the openid scope",
            ));
        }
        let (groups, naming) = groups.unwrap_or((Vec::new(), GroupClaim::Names));
        let (standard, extra) = released_claims(&user, &record.scope, &groups, naming);
        Ok(UserInfo::new(standard, extra))
    }
}
