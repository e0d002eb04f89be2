//! Configuration as code: clients, scopes and groups declared in the configuration file,
//! and what applying such a declaration writes.
//!
//! The declaration types are plain data read from TOML (by `idp-config`); the rules that
//! check them are `idp-protocol`'s (`manage::declared`), the same as for `idp-admin`.

use std::fmt;

use serde::Deserialize;

use crate::{Client, Group, ScopeDefinition};

/// A client secret read from a file or the environment for a declared client (or found
/// inline, to be refused). Its `Debug` never prints it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DeclaredSecret(String);

impl DeclaredSecret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        DeclaredSecret(secret.into())
    }

    /// The secret in clear.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DeclaredSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeclaredSecret(<redacted>)")
    }
}

/// One `[[clients]]` entry: the same names and meanings as the flags of `idp-admin client
/// create` (`redirect_uris` for `--redirect-uri`, and so on). What an entry leaves out
/// takes the default `client create` gives it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientDeclaration {
    /// The client id (32–64 letters and digits); it names the entry.
    pub client_id: String,
    /// Display name.
    pub name: String,
    /// `confidential` (default) or `public`.
    #[serde(rename = "type")]
    pub client_type: Option<String>,
    /// Redirect URIs.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Grant types (default: `authorization_code`, `refresh_token`).
    #[serde(default)]
    pub grant_types: Vec<String>,
    /// Allowed scopes (default: the standard scopes).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Scopes of requests that name none.
    #[serde(default)]
    pub default_scopes: Vec<String>,
    /// Skip consent.
    #[serde(default)]
    pub first_party: bool,
    /// Refresh tokens without `offline_access`.
    #[serde(default)]
    pub refresh_without_offline_access: bool,
    /// `user_id` in token responses.
    #[serde(default)]
    pub token_response_user_id: bool,
    /// Implicit and hybrid flows.
    #[serde(default)]
    pub implicit: bool,
    /// `RS256` (default), `ES256`, `EdDSA` or `HS256`.
    pub id_token_alg: Option<String>,
    /// RFC 9068 JWT access tokens.
    #[serde(default)]
    pub jwt_access_token: bool,
    /// `RS256` (default), `ES256` or `EdDSA` for JWT access tokens.
    pub access_token_alg: Option<String>,
    /// A resource server: may introspect any token (RFC 7662).
    #[serde(default)]
    pub resource_server: bool,
    /// RFC 8707 resource identifiers.
    #[serde(default)]
    pub resources: Vec<String>,
    /// Access token lifetime, seconds (absent: the provider's setting).
    pub access_token_lifetime: Option<u64>,
    /// Refresh token lifetime, seconds (0: no expiry; absent: the provider's setting).
    pub refresh_token_lifetime: Option<u64>,
    /// ID token lifetime, seconds (absent: the provider's setting).
    pub id_token_lifetime: Option<u64>,
    /// Claims in the ID token too.
    #[serde(default)]
    pub claims_in_id_token: bool,
    /// `names` (default) or `ids`.
    pub group_claim: Option<String>,
    /// Groups whose members may sign in (empty: everyone).
    #[serde(default)]
    pub allowed_groups: Vec<String>,
    /// Back-channel logout URI.
    pub backchannel_logout_uri: Option<String>,
    /// `sid` required in logout tokens.
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
    /// Front-channel logout URI.
    pub frontchannel_logout_uri: Option<String>,
    /// `iss` and `sid` on the front-channel logout URI.
    #[serde(default)]
    pub frontchannel_logout_session_required: bool,
    /// A file holding the confidential client's secret (trailing newline ignored).
    pub client_secret_file: Option<String>,
    /// An environment variable holding the confidential client's secret.
    pub client_secret_env: Option<String>,
    /// An inline secret: read only to be refused with a clear message (secrets do not
    /// belong in configuration files).
    pub client_secret: Option<DeclaredSecret>,
    /// The secret read from `client_secret_file` or `client_secret_env` (filled by the
    /// loader, never from the file itself).
    #[serde(skip)]
    pub secret: Option<DeclaredSecret>,
}

/// One `[[scopes]]` entry.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ScopeDeclaration {
    /// The scope token.
    pub name: String,
    /// What it allows, shown on the consent page.
    pub description: String,
}

/// One `[[groups]]` entry.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct GroupDeclaration {
    /// The group's name.
    pub name: String,
    /// Its members' usernames, when the file manages them (then exactly these); absent:
    /// membership is left as it is.
    pub members: Option<Vec<String>>,
}

/// Everything a configuration file declares.
#[derive(Clone, Debug, Default)]
pub struct Declarations {
    /// `[[clients]]`.
    pub clients: Vec<ClientDeclaration>,
    /// `[[scopes]]`.
    pub scopes: Vec<ScopeDeclaration>,
    /// `[[groups]]`.
    pub groups: Vec<GroupDeclaration>,
}

impl Declarations {
    /// Whether the file declares nothing.
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty() && self.scopes.is_empty() && self.groups.is_empty()
    }
}

/// What kind of item a declaration made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeclaredKind {
    /// A client (named by its id).
    Client,
    /// A scope definition.
    Scope,
    /// A group (named by its name).
    Group,
}

impl DeclaredKind {
    /// The stored and printed name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclaredKind::Client => "client",
            DeclaredKind::Scope => "scope",
            DeclaredKind::Group => "group",
        }
    }

    /// The kind stored as `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "client" => Some(DeclaredKind::Client),
            "scope" => Some(DeclaredKind::Scope),
            "group" => Some(DeclaredKind::Group),
            _ => None,
        }
    }
}

impl fmt::Display for DeclaredKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An item a declaration created (and so a later `--prune` may delete).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeclaredItem {
    /// Its kind.
    pub kind: DeclaredKind,
    /// Its client id, scope name or group name.
    pub name: String,
}

impl fmt::Display for DeclaredItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.name)
    }
}

/// The writes of one application of a declaration, done together.
#[derive(Clone, Debug, Default)]
pub struct DeclaredChanges {
    /// Scope definitions to add.
    pub insert_scopes: Vec<ScopeDefinition>,
    /// Scope definitions whose description changes.
    pub update_scopes: Vec<ScopeDefinition>,
    /// Groups to add, with their members (usernames).
    pub insert_groups: Vec<Group>,
    /// Groups whose members become exactly these (usernames).
    pub set_group_members: Vec<Group>,
    /// Clients to add (with their secret digest, and sealed secret for HS256).
    pub insert_clients: Vec<Client>,
    /// Clients replaced by these (everything but id, type and creation time, including
    /// the secret digest and sealed secret).
    pub update_clients: Vec<Client>,
    /// Declared items to delete, with their ownership records.
    pub delete: Vec<DeclaredItem>,
    /// Items now owned by the declaration.
    pub record: Vec<DeclaredItem>,
}

impl DeclaredChanges {
    /// Whether nothing is to be written.
    pub fn is_empty(&self) -> bool {
        self.insert_scopes.is_empty()
            && self.update_scopes.is_empty()
            && self.insert_groups.is_empty()
            && self.set_group_members.is_empty()
            && self.insert_clients.is_empty()
            && self.update_clients.is_empty()
            && self.delete.is_empty()
            && self.record.is_empty()
    }
}
