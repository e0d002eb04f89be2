//! OAuth 2.0 and OpenID Connect protocol rules.
//!
//! [`Provider`] implements the authorization endpoint (code, implicit and hybrid flows;
//! query, fragment and form_post response modes) with its login and consent
//! interaction, the token endpoint (`authorization_code`, `refresh_token`,
//! `client_credentials`, the device code of RFC 8628 with its device authorization
//! endpoint and verification page), UserInfo,
//! discovery metadata, WebFinger issuer discovery and the JWKS, as synchronous functions over the `idp-core`
//! repository traits, and decides which web origins may call the APIs from a browser
//! (CORS). [`manage`] holds the administrative operations (users, groups, clients, keys)
//! shared by `idp-admin` and, later, the admin console.
//!
//! oxide-auth supplies PKCE (RFC 7636) and exact redirect-URI matching; `openidconnect`
//! supplies the metadata, JWKS and ID-token types and the JWS encoding.
//!
//! Invariants, stated as absences: no HTTP framework and no SQL here — requests arrive as
//! parameter lists and header values, answers leave as plain data. No secret is stored or
//! logged in clear: codes, tokens and session ids are kept as SHA-256 digests.

mod access_token;
mod authorize;
mod backchannel_logout;
mod claims;
mod client_document;
mod config;
mod cors;
mod device;
mod discovery;
mod document;
mod error;
mod hooks;
mod id_token;
mod id_token_hint;
mod internal_address;
mod introspection;
mod jws;
mod keys;
mod logout;
pub mod manage;
mod params;
mod provider;
mod registration;
mod resource;
mod session_end;
mod settings;
mod throttle;
mod token;
mod userinfo;
mod webfinger;

pub use authorize::{
    ConsentDocument, ConsentForm, FormPost, Interaction, LoginForm, Next, RetryAfter, SessionCookie,
};
pub use backchannel_logout::{DueLogout, LogoutRetry, BACKCHANNEL_LOGOUT_EVENT, LOGOUT_JWT};
pub use claims::GroupClaims;
pub use client_document::{
    ClientDocumentFetcher, DocumentFetchFailure, FetchedDocument, CLIENT_DOCUMENT_FETCH_TIMEOUT,
    CLIENT_DOCUMENT_MAX_BYTES,
};
pub use config::{paths, ProviderConfig};
pub use cors::{web_origin, ORIGIN_RECHECK};
pub use device::{
    DeviceAuthorizationResponse, DeviceConsentForm, DeviceInteraction, DeviceNext, UserCodeForm,
};
pub use document::Document;
pub use error::{Delivery, ErrorCode, ProtocolError};
pub use hooks::{
    AccessTokenFormat, HookRefusal, TokenDraft, TokenHooks, TokenKind, ValidatedToken,
    MAX_REASON_BYTES, PROTECTED_CLAIMS,
};
pub use id_token_hint::VerifiedIdToken;
pub use idp_crypto::KeyEncryptionKey;
pub use internal_address::is_internal_ip;
pub use introspection::Introspection;
pub use keys::{
    check_signing_keys, ensure_signing_key, import_signing_key, key_statuses, retire_signing_key,
    rewrap_signing_keys, rotate_signing_key, seal_plaintext_keys, KeyStatus, Rewrapped,
    SealedKeysCheck, KEY_RECHECK,
};
pub use logout::{Logout, LogoutForm, LogoutNext};
pub use params::Params;
pub use provider::Provider;
pub use registration::RegistrationResponse;
pub use resource::Audience;
pub use session_end::EndedSessionReport;
pub use settings::{lifetimes_in_force, settings_in_force, SETTINGS_RECHECK};
pub use token::TokenResponse;
pub use userinfo::UserInfo;
pub use webfinger::{Jrd, JrdLink, WebFinger, WebFingerAccounts, ISSUER_REL};
