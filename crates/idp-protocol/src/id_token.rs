//! ID tokens (OIDC Core §2), signed as the client chose: with the provider's active key
//! of RS256, ES256 or EdDSA, or HS256 with the client secret.

use chrono::{DateTime, Duration, Utc};
use idp_core::{Client, GroupRef, JwsAlgorithm, ScopeSet, User};
use openidconnect::core::{
    CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
};
use openidconnect::{AccessToken, Audience, AuthorizationCode, IdToken, IdTokenClaims, Nonce};

use crate::claims::{released_claims, GroupClaims};
use crate::{ProtocolError, Provider};

/// The ID tokens this provider signs: standard claims plus `groups`/`roles`.
pub(crate) type OurIdToken = IdToken<
    GroupClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// The claims of [`OurIdToken`].
type OurIdTokenClaims = IdTokenClaims<GroupClaims, CoreGenderClaim>;

/// What an ID token says.
pub(crate) struct IdTokenInput<'a> {
    pub client: &'a Client,
    pub user: &'a User,
    pub scope: &'a ScopeSet,
    /// The user's groups, when the scope releases them.
    pub groups: &'a [GroupRef],
    pub nonce: Option<&'a str>,
    pub auth_time: DateTime<Utc>,
    /// The access token issued with it, for `at_hash` (OIDC Core §3.1.3.6, §3.3.2.11).
    pub access_token: Option<&'a str>,
    /// The code issued with it in a hybrid response, for `c_hash` (OIDC Core §3.3.2.11).
    pub code: Option<&'a str>,
    pub lifetime: Duration,
    /// The `sid` of the browser session the grant was issued in (Front-Channel Logout
    /// §3, Back-Channel Logout §2.1).
    pub sid: Option<&'a str>,
}

impl Provider {
    /// Signs an ID token with `iss`, `sub`, `aud`, `azp`, `exp`, `iat`, `auth_time`,
    /// `nonce`, `at_hash`/`c_hash` and — when no access token is issued with it, or the
    /// client asked for them there — the claims the scope releases (OIDC Core §5.4: with
    /// an access token they are otherwise only at UserInfo).
    pub(crate) fn sign_id_token(&self, input: &IdTokenInput<'_>) -> Result<String, ProtocolError> {
        let now = self.now();
        let issuer = self.issuer_url()?;
        let client_id = input.client.id.as_str().to_owned();
        let with_claims = input.access_token.is_none() || input.client.options.claims_in_id_token;
        let scope = if with_claims {
            input.scope.clone()
        } else {
            ScopeSet::default()
        };
        let (standard, mut extra) = released_claims(
            input.user,
            &scope,
            input.groups,
            input.client.options.group_claim,
        );
        extra.sid = input.sid.map(str::to_owned);
        let claims = IdTokenClaims::new(
            issuer,
            vec![Audience::new(client_id.clone())],
            now + input.lifetime,
            now,
            standard,
            extra,
        )
        .set_auth_time(Some(input.auth_time))
        .set_nonce(input.nonce.map(|n| Nonce::new(n.to_owned())))
        .set_authorized_party(Some(openidconnect::ClientId::new(client_id)));
        let claims = match self.hooks() {
            None => claims,
            Some(hooks) => Self::hooked_id_token_claims(hooks, input, claims)?,
        };
        let access_token = input.access_token.map(|t| AccessToken::new(t.to_owned()));
        let code = input.code.map(|c| AuthorizationCode::new(c.to_owned()));
        // The client's algorithm (OIDC Registration §2, id_token_signed_response_alg):
        // the active provider key of that algorithm, or HS256 with the client secret
        // (OIDC Core §10.1). `at_hash`/`c_hash` (OIDC Core §3.1.3.6, §3.3.2.11) use the
        // algorithm's hash: SHA-256, and for EdDSA on Ed25519 SHA-512, as
        // `openidconnect` computes and checks it on both sides.
        let token = match JwsAlgorithm::for_id_tokens(input.client.options.id_token_alg) {
            Some(alg) => {
                let key = self.active_signing_key(alg)?;
                OurIdToken::new(
                    claims,
                    &*key,
                    key.algorithm(),
                    access_token.as_ref(),
                    code.as_ref(),
                )
            }
            None => {
                let key = self.client_hmac_key(input.client)?;
                OurIdToken::new(
                    claims,
                    &key,
                    CoreJwsSigningAlgorithm::HmacSha256,
                    access_token.as_ref(),
                    code.as_ref(),
                )
            }
        }
        .map_err(|e| ProtocolError::Internal(Box::new(e)))?;
        Ok(token.to_string())
    }

    /// The claims after the `before_issue` hook edited them. `at_hash` and `c_hash` are
    /// added after it, when the token is signed; a hook cannot set them (they are
    /// protected). Claims it adds land in [`GroupClaims::extra`].
    fn hooked_id_token_claims(
        hooks: &dyn crate::TokenHooks,
        input: &IdTokenInput<'_>,
        claims: OurIdTokenClaims,
    ) -> Result<OurIdTokenClaims, ProtocolError> {
        let drafted = crate::hooks::to_claims(&claims)?;
        let edited = Self::before_issue(
            hooks,
            crate::TokenKind::IdToken,
            input.client,
            Some(input.user),
            input.scope,
            drafted.clone(),
        )?;
        if edited == drafted {
            return Ok(claims);
        }
        // A claim the types know must keep its type (`email_verified` a boolean, …).
        serde_json::from_value(serde_json::Value::Object(edited))
            .map_err(|e| ProtocolError::Internal(Box::new(e)))
    }
}
