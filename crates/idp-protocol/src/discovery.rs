//! Provider metadata: OpenID Connect Discovery 1.0 §3 and RFC 8414 §2.

use idp_core::{GrantType, IdTokenAlg, ResponseMode, ResponseType, Scope};
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthUrl, IssuerUrl, JsonWebKeySetUrl, ProviderMetadata,
    ResponseTypes, Scope as OidcScope, TokenUrl, UserInfoUrl,
};
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::document::Document;
use crate::{paths, ProtocolError, Provider};

/// Metadata members `openidconnect`'s type does not model.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ExtraMetadata {
    /// RFC 7636 / RFC 8414 §2: only `S256`.
    code_challenge_methods_supported: Vec<String>,
    /// RFC 9207 §3: every authorization response carries `iss`.
    authorization_response_iss_parameter_supported: bool,
    /// OIDC Core §3.1.2.1 values of `prompt` this provider honours.
    prompt_values_supported: Vec<String>,
    /// RP-Initiated Logout 1.0 §2.1: where relying parties send the browser to log out.
    end_session_endpoint: String,
    /// Back-Channel Logout 1.0 §2.1: logout tokens are POSTed to clients'
    /// `backchannel_logout_uri`s.
    backchannel_logout_supported: bool,
    /// Back-Channel Logout 1.0 §2.1: logout tokens carry `sid`, and ID tokens do too.
    backchannel_logout_session_supported: bool,
    /// Front-Channel Logout 1.0 §3: the signed-out page frames clients'
    /// `frontchannel_logout_uri`s.
    frontchannel_logout_supported: bool,
    /// Front-Channel Logout 1.0 §3: with `iss` and `sid` when a client asks.
    frontchannel_logout_session_supported: bool,
    /// RFC 8414 §2, OIDC Discovery §3: present only while the operator allows dynamic
    /// client registration (software statements are not supported, so no
    /// `signed_metadata` or software-statement members are published).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    registration_endpoint: Option<String>,
    /// RFC 8414 §2 / RFC 7662 §4: where resource servers and clients introspect tokens.
    introspection_endpoint: String,
    /// How callers of the introspection endpoint authenticate (RFC 8414 §2).
    introspection_endpoint_auth_methods_supported: Vec<String>,
    /// RFC 8414 §2 / RFC 7009: where clients revoke tokens.
    revocation_endpoint: String,
    /// How callers of the revocation endpoint authenticate (`none`: public clients
    /// with `client_id` alone, RFC 7009 §2.1).
    revocation_endpoint_auth_methods_supported: Vec<String>,
    /// draft-ietf-oauth-client-id-metadata-document (Authorization Server Metadata):
    /// `true` while `https` URL client ids are fetched as metadata documents; absent
    /// otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    client_id_metadata_document_supported: bool,
    /// RFC 8628 §4: where devices ask for a device code and user code.
    device_authorization_endpoint: String,
}

impl AdditionalProviderMetadata for ExtraMetadata {}

/// The provider metadata document type.
pub type Metadata = ProviderMetadata<
    ExtraMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// Claims the provider can release (claims.rs decides which, per scope).
pub(crate) const CLAIMS_SUPPORTED: [&str; 27] = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "azp",
    "at_hash",
    "c_hash",
    "sid",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "website",
    "picture",
    "locale",
    "zoneinfo",
    "updated_at",
    "email",
    "email_verified",
    "address",
    "phone_number",
    "phone_number_verified",
    "groups",
    "roles",
];

impl Provider {
    /// The metadata, serialised once in each of its forms: it depends only on the
    /// configuration and on whether dynamic registration and Client ID Metadata Documents
    /// are on (settings, read through the settings cache, so a change reaches discovery
    /// within [`crate::SETTINGS_RECHECK`]).
    ///
    /// # Errors
    /// [`ProtocolError::Internal`] if the configured issuer is not a valid URL;
    /// [`ProtocolError::Busy`] if the settings cannot be read.
    pub fn metadata_document(&self) -> Result<Arc<Document>, ProtocolError> {
        let registration = self.registration_policy()?.enabled;
        self.metadata_document_for(registration, self.client_documents_enabled()?)
    }

    /// [`Provider::metadata_document`] if it can be answered without storage access (the
    /// settings were read less than [`crate::SETTINGS_RECHECK`] ago).
    ///
    /// # Errors
    /// [`ProtocolError::Internal`] if the configured issuer is not a valid URL.
    pub fn cached_metadata_document(&self) -> Result<Option<Arc<Document>>, ProtocolError> {
        match self.cached_settings() {
            Some(s) => self
                .metadata_document_for(
                    s.0.registration.enabled,
                    s.0.client_id_metadata_documents && self.document_fetcher.is_some(),
                )
                .map(Some),
            None => Ok(None),
        }
    }

    fn metadata_document_for(
        &self,
        registration: bool,
        client_documents: bool,
    ) -> Result<Arc<Document>, ProtocolError> {
        let cell = &self.metadata[usize::from(registration) + 2 * usize::from(client_documents)];
        if let Some(doc) = cell.get() {
            return Ok(Arc::clone(doc));
        }
        let doc = Arc::new(Document::json(
            &self.metadata_for(registration, client_documents)?,
        )?);
        Ok(Arc::clone(cell.get_or_init(|| doc)))
    }

    /// The metadata document served at both well-known locations.
    ///
    /// # Errors
    /// [`ProtocolError::Internal`] if the configured issuer is not a valid URL;
    /// [`ProtocolError::Busy`] if the settings cannot be read.
    pub fn metadata(&self) -> Result<Metadata, ProtocolError> {
        self.metadata_for(
            self.registration_policy()?.enabled,
            self.client_documents_enabled()?,
        )
    }

    /// The metadata, with `registration_endpoint` when `registration` is on and
    /// `client_id_metadata_document_supported` when `client_documents` are.
    fn metadata_for(
        &self,
        registration: bool,
        client_documents: bool,
    ) -> Result<Metadata, ProtocolError> {
        let c = &self.config;
        let url_err = |e: openidconnect::url::ParseError| ProtocolError::Internal(Box::new(e));
        let grants = GrantType::SUPPORTED
            .iter()
            .map(|g| match g {
                GrantType::AuthorizationCode => CoreGrantType::AuthorizationCode,
                GrantType::RefreshToken => CoreGrantType::RefreshToken,
                GrantType::ClientCredentials => CoreGrantType::ClientCredentials,
                // RFC 8693 §2.1: the grant type is a URN.
                GrantType::TokenExchange => CoreGrantType::Extension(g.as_str().to_owned()),
                GrantType::DeviceCode => CoreGrantType::DeviceCode,
            })
            // OIDC Discovery §3: `implicit` covers the implicit and hybrid flows, for
            // clients registered with the implicit option.
            .chain([CoreGrantType::Implicit])
            .collect();
        // Exactly the OpenID Connect response types (`token` alone is not one of them)
        // and every response mode: query, fragment (Multiple Response Types §2.1) and
        // form_post (Form Post Response Mode §2).
        let response_types = ResponseType::SUPPORTED
            .iter()
            .map(|t| {
                let mut parts = Vec::new();
                if t.code {
                    parts.push(CoreResponseType::Code);
                }
                if t.id_token {
                    parts.push(CoreResponseType::IdToken);
                }
                if t.token {
                    parts.push(CoreResponseType::Token);
                }
                ResponseTypes::new(parts)
            })
            .collect();
        let response_modes = ResponseMode::SUPPORTED
            .iter()
            .map(|m| match m {
                ResponseMode::Query => CoreResponseMode::Query,
                ResponseMode::Fragment => CoreResponseMode::Fragment,
                ResponseMode::FormPost => CoreResponseMode::FormPost,
            })
            .collect();
        let meta = Metadata::new(
            IssuerUrl::new(c.issuer.clone()).map_err(url_err)?,
            AuthUrl::new(c.endpoint(paths::AUTHORIZE)).map_err(url_err)?,
            JsonWebKeySetUrl::new(c.endpoint(paths::JWKS)).map_err(url_err)?,
            response_types,
            vec![CoreSubjectIdentifierType::Public],
            // Every algorithm a client may choose (RS256 first, the default).
            IdTokenAlg::ALL
                .into_iter()
                .map(crate::keys::id_token_algorithm)
                .collect(),
            ExtraMetadata {
                code_challenge_methods_supported: vec!["S256".into()],
                authorization_response_iss_parameter_supported: true,
                prompt_values_supported: ["none", "login", "consent", "select_account"]
                    .map(String::from)
                    .to_vec(),
                end_session_endpoint: c.endpoint(paths::LOGOUT),
                backchannel_logout_supported: true,
                backchannel_logout_session_supported: true,
                frontchannel_logout_supported: true,
                frontchannel_logout_session_supported: true,
                registration_endpoint: registration.then(|| c.endpoint(paths::REGISTER)),
                introspection_endpoint: c.endpoint(paths::INTROSPECT),
                introspection_endpoint_auth_methods_supported: [
                    "client_secret_basic",
                    "client_secret_post",
                ]
                .map(String::from)
                .to_vec(),
                revocation_endpoint: c.endpoint(paths::REVOKE),
                revocation_endpoint_auth_methods_supported: [
                    "client_secret_basic",
                    "client_secret_post",
                    "none",
                ]
                .map(String::from)
                .to_vec(),
                client_id_metadata_document_supported: client_documents,
                device_authorization_endpoint: c.endpoint(paths::DEVICE_AUTHORIZATION),
            },
        )
        .set_token_endpoint(Some(
            TokenUrl::new(c.endpoint(paths::TOKEN)).map_err(url_err)?,
        ))
        .set_userinfo_endpoint(Some(
            UserInfoUrl::new(c.endpoint(paths::USERINFO)).map_err(url_err)?,
        ))
        .set_scopes_supported(Some(
            Scope::SUPPORTED
                .iter()
                .map(|s| OidcScope::new((*s).to_owned()))
                .collect(),
        ))
        .set_response_modes_supported(Some(response_modes))
        .set_grant_types_supported(Some(grants))
        .set_token_endpoint_auth_methods_supported(Some(vec![
            CoreClientAuthMethod::ClientSecretBasic,
            CoreClientAuthMethod::ClientSecretPost,
            CoreClientAuthMethod::None,
        ]))
        .set_claims_supported(Some(
            CLAIMS_SUPPORTED
                .iter()
                .map(|c| CoreClaimName::new((*c).to_owned()))
                .collect(),
        ))
        .set_claims_parameter_supported(Some(false))
        .set_request_parameter_supported(Some(false))
        // OIDC Discovery §3: the default is true, so say it.
        .set_request_uri_parameter_supported(Some(false));
        Ok(meta)
    }
}
