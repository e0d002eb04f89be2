//! The UserInfo endpoint (OIDC Core §5.3) and bearer-token checks (RFC 6750).

use idp_core::{AccessToken, Scope};
use openidconnect::core::CoreUserInfoClaims;
use openidconnect::EmptyAdditionalClaims;

use crate::claims::standard_claims;
use crate::provider::digest_of;
use crate::{ErrorCode, ProtocolError, Provider};

impl Provider {
    /// The unexpired, unrevoked access token `token`, or an `invalid_token` challenge.
    ///
    /// # Errors
    /// `invalid_token` for unknown, expired or revoked tokens; internal failures.
    pub fn validate_access_token(&self, token: &str) -> Result<AccessToken, ProtocolError> {
        let invalid =
            || ProtocolError::bearer(ErrorCode::InvalidToken, "the access token is invalid");
        let record = self
            .store
            .access_token(&digest_of(token))?
            .ok_or_else(invalid)?;
        if record.revoked || record.expires_at <= self.now() {
            return Err(invalid());
        }
        Ok(record)
    }

    /// The claims about the token's user that its scope releases (OIDC Core §5.3.2).
    ///
    /// # Errors
    /// `invalid_token` for a bad token, `insufficient_scope` without `openid`
    /// (OIDC Core §5.3: UserInfo needs an OpenID Connect access token).
    pub fn userinfo(&self, token: &str) -> Result<CoreUserInfoClaims, ProtocolError> {
        let record = self.validate_access_token(token)?;
        if !record.scope.contains(Scope::OPENID) {
            return Err(ProtocolError::bearer(
                ErrorCode::InsufficientScope,
                "the access token was not granted the openid scope",
            ));
        }
        let user = self.store.user_by_id(&record.user_id)?.ok_or_else(|| {
            ProtocolError::bearer(ErrorCode::InvalidToken, "the access token is invalid")
        })?;
        Ok(CoreUserInfoClaims::new(
            standard_claims(&user, &record.scope),
            EmptyAdditionalClaims {},
        ))
    }
}
