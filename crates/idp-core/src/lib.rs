//! Domain model of the identity provider.
//!
//! This crate holds what an OAuth 2.0 / OpenID Connect provider *is* — clients, users,
//! groups, scopes, authorization codes, tokens, browser sessions, signing keys — and the
//! repository traits through which the rest of the system stores them.
//!
//! Invariants, stated as absences: this crate knows no HTTP, no SQL, no async runtime and
//! no cryptography library. Time is read only through [`Clock`]; secrets appear only as
//! [`SecretDigest`]s, never in clear.

mod client;
mod client_document;
mod client_options;
mod clock;
mod declared;
mod device;
mod error;
mod grant;
mod key;
mod logout;
mod registration;
mod repo;
mod resource;
mod response;
mod scope;
mod session;
mod settings;
mod throttle;
mod user;

pub use client::{
    check_custom_credential, Client, ClientId, ClientType, GrantType, RedirectUri,
    SelfRegistration, TOKEN_EXCHANGE,
};
pub use client_document::{ClientDocumentRecord, ClientDocumentRepo};
pub use client_options::{ClientOptions, DocumentedClient, GroupClaim, IdTokenAlg, SecretMethod};
pub use clock::{Clock, FixedClock, SystemClock};
pub use declared::{
    ClientDeclaration, Declarations, DeclaredChanges, DeclaredItem, DeclaredKind, DeclaredSecret,
    GroupDeclaration, ScopeDeclaration,
};
pub use device::{DeviceApproval, DeviceAuthorization, DeviceRepo, DeviceStatus, PollTiming};
pub use error::{error_chain, CoreError};
pub use grant::{
    AccessToken, Actor, AuthorizationCode, Grant, GrantId, Granted, NewTokens, Redemption,
    RefreshToken, SecretDigest, Subject,
};
pub use key::{JwsAlgorithm, KeyState, KeySummary, SigningKey};
pub use logout::{EndedSession, LogoutClaims, LogoutDelivery, LogoutRepo};
pub use registration::{InitialAccessToken, RegistrationRecord};
pub use repo::{
    AuthorizationRequestRepo, ClientRepo, CodeRepo, ConsentRepo, DeclaredRepo, GroupRepo,
    Immediate, KeyRepo, MaintenanceRepo, PurgeBefore, RegistrationRepo, ScopeRepo, SealedKeyChange,
    SealedSecretChange, SessionRepo, SettingsRepo, Store, ThrottleRepo, TokenRepo, UserRepo,
};
pub use resource::{check_resource_indicator, is_https_resource, MAX_RESOURCES, MAX_RESOURCE_LEN};
pub use response::{ResponseMode, ResponseType};
pub use scope::{Scope, ScopeDefinition, ScopeSet};
pub use session::{AuthorizationRequest, BrowserSession, PendingAuthorization, Prompt};
pub use settings::{Lifetimes, RegistrationPolicy, SettingKey, SettingKind, Settings};
pub use throttle::{Backoff, Failures};
pub use user::{Address, Group, GroupRef, User, UserId, UserProfile, Withholdable};

/// Result type of repository operations.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;
