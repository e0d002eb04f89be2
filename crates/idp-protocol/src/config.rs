//! Settings the protocol rules depend on.

use chrono::Duration;

/// Protocol settings; the binaries fill them from configuration.
#[derive(Clone, Debug)]
pub struct ProviderConfig {
    /// Issuer identifier: an `https` (or, for local use, `http`) URL without query,
    /// fragment or trailing slash (OIDC Discovery §3, RFC 8414 §2).
    pub issuer: String,
    /// Access token lifetime.
    pub access_token_lifetime: Duration,
    /// Refresh token lifetime.
    pub refresh_token_lifetime: Duration,
    /// Authorization code lifetime (RFC 6749 §4.1.2: at most 10 minutes; 60 s by default).
    pub authorization_code_lifetime: Duration,
    /// Browser session lifetime.
    pub session_lifetime: Duration,
    /// How long an authorization request may wait for login and consent.
    pub pending_request_lifetime: Duration,
}

impl ProviderConfig {
    /// Defaults for an issuer: access 1 h, refresh 30 days, code 60 s, session 12 h,
    /// pending request 15 min.
    pub fn new(issuer: impl Into<String>) -> Self {
        let issuer: String = issuer.into();
        ProviderConfig {
            issuer: issuer.trim_end_matches('/').to_owned(),
            access_token_lifetime: Duration::hours(1),
            refresh_token_lifetime: Duration::days(30),
            authorization_code_lifetime: Duration::seconds(60),
            session_lifetime: Duration::hours(12),
            pending_request_lifetime: Duration::minutes(15),
        }
    }

    /// The absolute URL of one of the provider's endpoints.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }

    /// Whether the issuer is served over TLS (cookies are then `Secure`).
    pub fn is_https(&self) -> bool {
        self.issuer.starts_with("https://")
    }
}

/// Paths of the provider's endpoints, relative to the issuer. The HTTP adapter mounts its
/// handlers here and discovery publishes them.
pub mod paths {
    /// OpenID Provider Metadata (OIDC Discovery §4).
    pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
    /// Authorization Server Metadata (RFC 8414 §3).
    pub const OAUTH_AUTHORIZATION_SERVER: &str = "/.well-known/oauth-authorization-server";
    /// Authorization endpoint (RFC 6749 §3.1).
    pub const AUTHORIZE: &str = "/authorize";
    /// Token endpoint (RFC 6749 §3.2).
    pub const TOKEN: &str = "/token";
    /// UserInfo endpoint (OIDC Core §5.3).
    pub const USERINFO: &str = "/userinfo";
    /// JSON Web Key Set (RFC 7517 §5).
    pub const JWKS: &str = "/jwks.json";
    /// Login page.
    pub const LOGIN: &str = "/login";
    /// Consent page.
    pub const CONSENT: &str = "/consent";
}
