//! ID tokens (OIDC Core §2), signed with the active key.

use chrono::{DateTime, Utc};
use idp_core::{ClientId, ScopeSet, User};
use openidconnect::core::{CoreIdToken, CoreIdTokenClaims};
use openidconnect::{AccessToken, Audience, EmptyAdditionalClaims, Nonce};

use crate::claims::standard_claims;
use crate::{ProtocolError, Provider};

/// What an ID token says.
pub(crate) struct IdTokenInput<'a> {
    pub client_id: &'a ClientId,
    pub user: &'a User,
    pub scope: &'a ScopeSet,
    pub nonce: Option<&'a str>,
    pub auth_time: DateTime<Utc>,
    /// The access token issued with it, for `at_hash` (OIDC Core §3.1.3.6).
    pub access_token: &'a str,
}

impl Provider {
    /// Signs an ID token with `iss`, `sub`, `aud`, `azp`, `exp`, `iat`, `auth_time`, `nonce`,
    /// `at_hash` and the claims the scope releases.
    pub(crate) fn sign_id_token(&self, input: &IdTokenInput<'_>) -> Result<String, ProtocolError> {
        let now = self.now();
        let issuer = self.issuer_url()?;
        let client = openidconnect::ClientId::new(input.client_id.as_str().to_owned());
        let claims = CoreIdTokenClaims::new(
            issuer,
            vec![Audience::new(input.client_id.as_str().to_owned())],
            now + self.config.access_token_lifetime,
            now,
            standard_claims(input.user, input.scope),
            EmptyAdditionalClaims {},
        )
        .set_auth_time(Some(input.auth_time))
        .set_nonce(input.nonce.map(|n| Nonce::new(n.to_owned())))
        .set_authorized_party(Some(client));
        let key = self.active_signing_key()?;
        let token = CoreIdToken::new(
            claims,
            &*key,
            key.algorithm(),
            Some(&AccessToken::new(input.access_token.to_owned())),
            None,
        )
        .map_err(|e| ProtocolError::Internal(Box::new(e)))?;
        Ok(token.to_string())
    }
}
