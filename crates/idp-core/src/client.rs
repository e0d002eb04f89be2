//! OAuth clients (RFC 6749 §2) and their registration data.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ClientOptions, CoreError, ScopeSet, SecretDigest};

/// A client identifier (RFC 6749 §2.2).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ClientId(String);

impl ClientId {
    /// Wraps an identifier read from storage or from a request. Identifiers are compared
    /// byte for byte; lookups of unknown identifiers simply find nothing.
    pub fn new(id: impl Into<String>) -> Self {
        ClientId(id.into())
    }

    /// Validates an operator-chosen identifier: 32–64 ASCII letters and digits.
    ///
    /// # Errors
    /// [`CoreError::Invalid`] naming the rule that failed.
    pub fn parse_custom(id: &str) -> Result<Self, CoreError> {
        check_custom_credential("client id", id)?;
        Ok(ClientId(id.to_owned()))
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks an operator-chosen client id or secret: 32–64 ASCII alphanumerics.
///
/// # Errors
/// [`CoreError::Invalid`] naming `what` and the rule.
pub fn check_custom_credential(what: &'static str, value: &str) -> Result<(), CoreError> {
    if !(32..=64).contains(&value.len()) {
        return Err(CoreError::invalid(
            what,
            format!("must be 32 to 64 characters long (got {})", value.len()),
        ));
    }
    if !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(CoreError::invalid(
            what,
            "may contain only A-Z, a-z and 0-9",
        ));
    }
    Ok(())
}

/// A registered redirection endpoint (RFC 6749 §3.1.2), compared byte for byte.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Validates a URI for registration: absolute, no fragment (RFC 6749 §3.1.2), no
    /// user information.
    ///
    /// # Errors
    /// [`CoreError::Invalid`] naming the rule that failed.
    pub fn parse(uri: &str) -> Result<Self, CoreError> {
        let parsed = url::Url::parse(uri)
            .map_err(|e| CoreError::invalid("redirect URI", format!("{uri:?}: {e}")))?;
        if parsed.fragment().is_some() || uri.contains('#') {
            return Err(CoreError::invalid(
                "redirect URI",
                format!("{uri:?} must not contain a fragment (RFC 6749 §3.1.2)"),
            ));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(CoreError::invalid(
                "redirect URI",
                format!("{uri:?} must not contain user information"),
            ));
        }
        if parsed.cannot_be_a_base() && parsed.scheme() != "urn" {
            // e.g. "mailto:x": never a redirection endpoint
            return Err(CoreError::invalid(
                "redirect URI",
                format!("{uri:?} is not a hierarchical URI"),
            ));
        }
        Ok(RedirectUri(uri.to_owned()))
    }

    /// Wraps a URI read from storage, already validated at registration.
    pub fn from_trusted(uri: impl Into<String>) -> Self {
        RedirectUri(uri.into())
    }

    /// The URI exactly as registered.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether a client can keep a secret (RFC 6749 §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientType {
    /// Authenticates with a secret.
    Confidential,
    /// Cannot keep a secret; must use PKCE.
    Public,
}

impl ClientType {
    /// The registration name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientType::Confidential => "confidential",
            ClientType::Public => "public",
        }
    }
}

impl FromStr for ClientType {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        match s {
            "confidential" => Ok(ClientType::Confidential),
            "public" => Ok(ClientType::Public),
            other => Err(CoreError::invalid(
                "client type",
                format!("{other:?} (expected confidential or public)"),
            )),
        }
    }
}

/// Grant types a client may use at the token endpoint (RFC 6749 §4, §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// `authorization_code` (RFC 6749 §4.1).
    AuthorizationCode,
    /// `refresh_token` (RFC 6749 §6).
    RefreshToken,
    /// `client_credentials` (RFC 6749 §4.4): a confidential client acting for itself.
    ClientCredentials,
    /// Token exchange (RFC 8693): a confidential client trades an access token it
    /// received for one to call another resource on the same user's behalf.
    TokenExchange,
    /// `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4): a device without a
    /// browser polls while its user approves on another device.
    DeviceCode,
}

impl GrantType {
    /// Every grant type the provider supports.
    pub const SUPPORTED: [GrantType; 5] = [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::TokenExchange,
        GrantType::DeviceCode,
    ];

    /// What a client may use when it names no grant type: the code flow and refreshing.
    /// `client_credentials` must be asked for, and only confidential clients may;
    /// `device_code` must be asked for too.
    pub const DEFAULT: [GrantType; 2] = [GrantType::AuthorizationCode, GrantType::RefreshToken];

    /// The registered name of the grant type.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::TokenExchange => TOKEN_EXCHANGE,
            GrantType::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
        }
    }

    /// The grant type an operator names (`idp-admin client create --grant-type`, a
    /// configuration file's `grant_types`): its registered name, or `token_exchange` or
    /// `device_code` for those grants' URNs. The token endpoint accepts only registered
    /// names.
    ///
    /// # Errors
    /// [`CoreError::Invalid`] naming the supported grant types.
    pub fn from_operator_name(s: &str) -> Result<Self, CoreError> {
        match s {
            "token_exchange" => Ok(GrantType::TokenExchange),
            "device_code" => Ok(GrantType::DeviceCode),
            other => other.parse(),
        }
    }
}

/// The `grant_type` of token exchange (RFC 8693 §2.1).
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

impl FromStr for GrantType {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        GrantType::SUPPORTED
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| {
                CoreError::invalid(
                    "grant type",
                    format!(
                        "{s:?} (supported: authorization_code, refresh_token, client_credentials, token_exchange, device_code)"
                    ),
                )
            })
    }
}

/// A registered client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// Its identifier.
    pub id: ClientId,
    /// Name shown to people on the consent page.
    pub name: String,
    /// Confidential or public.
    pub client_type: ClientType,
    /// SHA-256 digest of the secret; present exactly for confidential clients.
    pub secret_digest: Option<SecretDigest>,
    /// Registered redirect URIs, matched exactly.
    pub redirect_uris: Vec<RedirectUri>,
    /// Grant types the client may use.
    pub grant_types: Vec<GrantType>,
    /// Scopes the client may be granted.
    pub scopes: ScopeSet,
    /// The scope of a request that names none (RFC 6749 §3.3), set by the operator; empty
    /// means such requests are refused with `invalid_scope`. Never more than `scopes`.
    pub default_scopes: ScopeSet,
    /// A client of the operator's own: consent is implied.
    pub first_party: bool,
    /// Issue a refresh token even when `offline_access` was not granted (ownCloud and
    /// Nextcloud desktop and mobile clients expect one without asking for it).
    pub refresh_without_offline_access: bool,
    /// Add `user_id` (the username) to token responses, as ownCloud clients read it.
    pub include_user_id: bool,
    /// Everything else the operator set for it.
    pub options: ClientOptions,
    /// The secret itself, sealed under the key-encryption key (bound to the client id),
    /// kept only while the client's ID tokens are signed with it (HS256).
    pub secret_sealed: Option<Vec<u8>>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When its registration last changed.
    pub updated_at: DateTime<Utc>,
    /// Set when the client registered itself (RFC 7591) and is not (yet) operator-managed.
    /// Stored beside the client ([`crate::RegistrationRepo`]); `insert_client` and
    /// `update_client` ignore it.
    pub self_registered: Option<SelfRegistration>,
}

/// How a self-registered client came to be, and when it stops working.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelfRegistration {
    /// When it registered.
    pub registered_at: DateTime<Utc>,
    /// When it stops working and is purged; `None`: never.
    pub expires_at: Option<DateTime<Utc>>,
}

impl SelfRegistration {
    /// Whether the registration has run out at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

impl Client {
    /// Whether the client may use `grant`.
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// Whether a grant of `scope` to a person gets a refresh token: the client may
    /// refresh, and `offline_access` was granted or the client is flagged to get one
    /// anyway (RFC 6749 §6, OIDC Core §11).
    pub fn refresh_due(&self, scope: &crate::ScopeSet) -> bool {
        self.allows_grant(GrantType::RefreshToken)
            && (scope.contains(crate::Scope::OFFLINE_ACCESS) || self.refresh_without_offline_access)
    }

    /// The registered redirect URI equal, byte for byte, to `uri`.
    pub fn registered_redirect_uri(&self, uri: &str) -> Option<&RedirectUri> {
        self.redirect_uris.iter().find(|r| r.as_str() == uri)
    }

    /// Whether `uri` is allowed as a redirect URI of this client: equal byte for byte to a
    /// registered one, or — for a registered `http` loopback IP literal — equal to it but
    /// for the port (RFC 8252 §7.3: native apps listen on an ephemeral port chosen at
    /// request time). Returns `uri` itself, the URI actually used, which the token
    /// request must then repeat.
    pub fn matching_redirect_uri(&self, uri: &str) -> Option<RedirectUri> {
        self.redirect_uris
            .iter()
            .any(|r| r.as_str() == uri || loopback_matches(r.as_str(), uri))
            .then(|| RedirectUri(uri.to_owned()))
    }
}

/// Whether `requested` differs from `registered` only in the port, both being `http` URIs
/// on a loopback IP literal (`127.0.0.1` or `[::1]`, RFC 8252 §7.3). The host name
/// `localhost` is deliberately not loosened: RFC 8252 §8.3 recommends against it (it may
/// resolve elsewhere, or be listened on by another program on another interface), so
/// `http://localhost:…` URIs stay exact string matches. `https` loopback URIs are exact
/// too: they are not the ephemeral listeners §7.3 describes.
fn loopback_matches(registered: &str, requested: &str) -> bool {
    let (Some(reg), Some(req)) = (loopback_parts(registered), loopback_parts(requested)) else {
        return false;
    };
    reg == req
}

/// `http://HOST[:PORT]REST` with HOST `127.0.0.1` or `[::1]` written literally: the host
/// and everything after the port (path, query), or `None`.
fn loopback_parts(uri: &str) -> Option<(&str, &str)> {
    let rest = uri.strip_prefix("http://")?;
    let (host, after) = if let Some(r) = rest.strip_prefix("127.0.0.1") {
        ("127.0.0.1", r)
    } else if let Some(r) = rest.strip_prefix("[::1]") {
        ("[::1]", r)
    } else {
        return None;
    };
    // An optional port, then the path (or nothing, or a query).
    let after = match after.strip_prefix(':') {
        Some(p) => {
            let digits = p.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || p[..digits].parse::<u16>().is_err() {
                return None;
            }
            &p[digits..]
        }
        None => after,
    };
    if !(after.is_empty() || after.starts_with('/') || after.starts_with('?')) {
        // e.g. "127.0.0.1.evil.example" or "127.0.0.1@evil.example"
        return None;
    }
    if after.contains('#') {
        return None;
    }
    Some((host, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_with_fragments_or_userinfo_are_refused() {
        assert!(RedirectUri::parse("https://rp.example/cb").is_ok());
        assert!(RedirectUri::parse("com.example.app:/oauth").is_ok());
        assert!(RedirectUri::parse("http://127.0.0.1:9000/cb?x=1").is_ok());
        assert!(RedirectUri::parse("https://rp.example/cb#frag").is_err());
        assert!(RedirectUri::parse("https://rp.example/cb#").is_err());
        assert!(RedirectUri::parse("https://user:pw@rp.example/cb").is_err());
        assert!(RedirectUri::parse("/relative").is_err());
        assert!(RedirectUri::parse("mailto:a@b").is_err());
    }

    fn client_with(uris: &[&str]) -> Client {
        let now = DateTime::from_timestamp(0, 0).unwrap();
        Client {
            id: ClientId::new("c"),
            name: "c".into(),
            client_type: ClientType::Public,
            secret_digest: None,
            redirect_uris: uris.iter().map(|u| RedirectUri::from_trusted(*u)).collect(),
            grant_types: GrantType::DEFAULT.to_vec(),
            scopes: ScopeSet::parse("openid").unwrap(),
            default_scopes: ScopeSet::parse("").unwrap(),
            first_party: false,
            refresh_without_offline_access: false,
            include_user_id: false,
            options: ClientOptions::default(),
            secret_sealed: None,
            created_at: now,
            updated_at: now,
            self_registered: None,
        }
    }

    fn check(registered: &str, requested: &str, allowed: bool) {
        let got = client_with(&[registered]).matching_redirect_uri(requested);
        assert_eq!(
            got.is_some(),
            allowed,
            "registered {registered}, requested {requested}"
        );
        if let Some(used) = got {
            assert_eq!(
                used.as_str(),
                requested,
                "the URI actually used is returned"
            );
        }
    }

    #[test]
    fn loopback_redirect_uris_match_any_port_and_nothing_else_loosens() {
        // RFC 8252 §7.3: the port may differ.
        check("http://127.0.0.1/cb", "http://127.0.0.1:51234/cb", true);
        check("http://127.0.0.1:8080/cb", "http://127.0.0.1:9/cb", true);
        check("http://127.0.0.1:8080/cb", "http://127.0.0.1/cb", true);
        check("http://[::1]:80/cb?x=1", "http://[::1]:4000/cb?x=1", true);
        check("http://127.0.0.1:8080/cb", "http://127.0.0.1:8080/cb", true);
        // Path and query must be equal.
        check(
            "http://127.0.0.1:8080/cb",
            "http://127.0.0.1:8080/cb2",
            false,
        );
        check(
            "http://127.0.0.1:8080/cb",
            "http://127.0.0.1:9000/other",
            false,
        );
        check(
            "http://127.0.0.1/cb?a=1",
            "http://127.0.0.1:80/cb?a=2",
            false,
        );
        check("http://127.0.0.1/cb", "http://127.0.0.1:1/CB", false);
        // IPv4 and IPv6 loopback are different hosts.
        check("http://127.0.0.1/cb", "http://[::1]:5/cb", false);
        // https loopback and localhost stay exact (RFC 8252 §8.3).
        check(
            "https://127.0.0.1:8443/cb",
            "https://127.0.0.1:9443/cb",
            false,
        );
        check(
            "https://127.0.0.1:8443/cb",
            "https://127.0.0.1:8443/cb",
            true,
        );
        check(
            "http://localhost:8080/cb",
            "http://localhost:9090/cb",
            false,
        );
        check("http://localhost:8080/cb", "http://localhost:8080/cb", true);
        // Other loopback addresses, other hosts, userinfo and suffix tricks.
        check("http://127.0.0.1/cb", "http://127.0.0.2:80/cb", false);
        check(
            "http://127.0.0.1/cb",
            "http://127.0.0.1.evil.example/cb",
            false,
        );
        check(
            "http://127.0.0.1/cb",
            "http://127.0.0.1@evil.example/cb",
            false,
        );
        check(
            "http://127.0.0.1/cb",
            "http://evil.example@127.0.0.1:80/cb",
            false,
        );
        check(
            "http://127.0.0.1/cb",
            "http://127.0.0.1:80@evil.example/cb",
            false,
        );
        check("http://127.0.0.1/cb", "http://127.0.0.1:99999999/cb", false);
        check("http://127.0.0.1/cb", "http://127.0.0.1:80/cb#x", false);
        check("https://rp.example/cb", "https://rp.example:444/cb", false);
    }

    #[test]
    fn custom_client_ids_are_32_to_64_alphanumerics() {
        assert!(ClientId::parse_custom(&"a".repeat(32)).is_ok());
        assert!(ClientId::parse_custom(&"Z9".repeat(32)).is_ok());
        assert!(ClientId::parse_custom(&"a".repeat(31)).is_err());
        assert!(ClientId::parse_custom(&"a".repeat(65)).is_err());
        assert!(ClientId::parse_custom(&format!("{}-", "a".repeat(32))).is_err());
    }

    #[test]
    fn grant_types_parse_by_registered_name() {
        assert_eq!(
            "refresh_token".parse::<GrantType>().unwrap(),
            GrantType::RefreshToken
        );
        assert!("implicit".parse::<GrantType>().is_err());
        assert_eq!(
            "urn:ietf:params:oauth:grant-type:device_code"
                .parse::<GrantType>()
                .unwrap(),
            GrantType::DeviceCode
        );
        assert!("device_code".parse::<GrantType>().is_err());
        assert_eq!(
            GrantType::from_operator_name("device_code").unwrap(),
            GrantType::DeviceCode
        );
    }
}
