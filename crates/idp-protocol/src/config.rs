//! Settings the protocol rules depend on.

use std::sync::Arc;

use chrono::Duration;
use idp_core::{Backoff, Lifetimes};
use idp_crypto::KeyEncryptionKey;

/// Protocol settings; the binaries fill them from configuration.
#[derive(Clone, Debug)]
pub struct ProviderConfig {
    /// Issuer identifier: an `https` (or, for local use, `http`) URL without query,
    /// fragment or trailing slash (OIDC Discovery §3, RFC 8414 §2).
    pub issuer: String,
    /// Lifetimes of tokens, codes and sessions, unless the database's settings say
    /// otherwise ([`crate::Provider::lifetimes`]).
    pub lifetimes: Lifetimes,
    /// How long an authorization request may wait for login and consent.
    pub pending_request_lifetime: Duration,
    /// How long after `idp-admin key rotate` the new key starts signing; until then it is
    /// only published. Longer than the JWKS `max-age`, so no relying party meets an
    /// unknown `kid`.
    pub key_activation_delay: Duration,
    /// How long a rotated-out refresh token is kept to recognise its reuse (which revokes
    /// the grant, RFC 9700 §4.14.2); after that it is deleted and presenting it is merely
    /// `invalid_grant`.
    pub refresh_reuse_detection: Duration,
    /// Failed logins per username before the back-off starts, and its growth.
    pub login_backoff_per_user: Backoff,
    /// Failed logins per client address.
    pub login_backoff_per_address: Backoff,
    /// Failed client authentications per client id at the token endpoint.
    pub client_auth_backoff: Backoff,
    /// Registration attempts (every one, not only failures) per client address at the
    /// registration endpoint (RFC 7591 §3 leaves abuse limits to the server).
    pub registration_backoff: Backoff,
    /// Client ID Metadata Documents fetched (every fetch, not only failures) per client
    /// address: anyone can name any URL as a `client_id`, so the provider must not be
    /// made to fetch arbitrary URLs at will.
    pub client_document_fetch_backoff: Backoff,
    /// How long a fetched Client ID Metadata Document is used at least and at most,
    /// whatever its HTTP caching headers say.
    pub client_document_cache: (Duration, Duration),
    /// UNSAFE, for development and tests only: Client ID Metadata Documents may be fetched
    /// from internal addresses (loopback, private networks), and `http://127.0.0.1` or
    /// `http://[::1]` client ids are accepted. Never set from the runtime settings, only
    /// from the configuration file or environment.
    pub client_id_metadata_documents_allow_insecure: bool,
    /// Password hashes that may run at once in this process (each holds ~19 MiB).
    pub password_hashing_concurrency: usize,
    /// Seconds a client is told to wait (`Retry-After`) when the provider is busy.
    pub busy_retry_after_secs: u32,
    /// Encrypts private signing keys (and later other recoverable secrets) in storage.
    pub key_encryption_key: Arc<KeyEncryptionKey>,
    /// Which accounts WebFinger answers for.
    pub webfinger_accounts: crate::WebFingerAccounts,
    /// Web origins (`https://app.example.com`, RFC 6454 §6.2) whose browser apps may call
    /// the token endpoint and UserInfo, besides the origins of the clients' registered
    /// redirect URIs (CORS). Entries that are not `http`/`https` URLs are ignored; a path is
    /// dropped. Empty by default.
    pub cors_allowed_origins: Vec<String>,
    /// How long a device code and its user code work (RFC 8628 §3.2 `expires_in`).
    pub device_code_lifetime: Duration,
    /// The seconds a device waits between polls at first (RFC 8628 §3.2 `interval`).
    pub device_poll_interval: Duration,
    /// Wrong user codes per client address at the verification page before the back-off
    /// starts (RFC 8628 §5.1: user codes are guessable without a limit).
    pub user_code_backoff: Backoff,
}

impl ProviderConfig {
    /// Defaults for an issuer: [`Lifetimes::default`], pending request 15 min, key activation 1 h after rotation; logins back off after 5
    /// failures per username or 20 per address, client authentication after 10 per
    /// client, registrations after 10 per address and hour, metadata-document fetches after 20 per address and hour (documents cached 60 s to 24 h, internal addresses refused); device codes live 10 min, polled every 5 s, and wrong user codes back off after 5 per address; one password hash per core at a time; no configured CORS origins. Private
    /// keys are stored sealed under `key_encryption_key`.
    pub fn new(issuer: impl Into<String>, key_encryption_key: Arc<KeyEncryptionKey>) -> Self {
        let issuer: String = issuer.into();
        ProviderConfig {
            issuer: issuer.trim_end_matches('/').to_owned(),
            lifetimes: Lifetimes::default(),
            pending_request_lifetime: Duration::minutes(15),
            key_activation_delay: Duration::hours(1),
            refresh_reuse_detection: Duration::days(2),
            login_backoff_per_user: Backoff {
                free: 5,
                base: Duration::seconds(1),
                max: Duration::minutes(15),
                window: Duration::hours(1),
            },
            login_backoff_per_address: Backoff {
                free: 20,
                base: Duration::seconds(1),
                max: Duration::minutes(15),
                window: Duration::hours(1),
            },
            client_auth_backoff: Backoff {
                free: 10,
                base: Duration::seconds(1),
                max: Duration::minutes(5),
                window: Duration::hours(1),
            },
            // 10 registrations per address per hour; past that the wait starts at a minute
            // and doubles, up to the hour.
            registration_backoff: Backoff {
                free: 10,
                base: Duration::minutes(1),
                max: Duration::hours(1),
                window: Duration::hours(1),
            },
            // 20 document fetches per address and hour; past that the wait starts at a
            // minute and doubles, up to the hour.
            client_document_fetch_backoff: Backoff {
                free: 20,
                base: Duration::minutes(1),
                max: Duration::hours(1),
                window: Duration::hours(1),
            },
            client_document_cache: (Duration::seconds(60), Duration::hours(24)),
            client_id_metadata_documents_allow_insecure: false,
            password_hashing_concurrency: std::thread::available_parallelism()
                .map_or(1, std::num::NonZeroUsize::get),
            busy_retry_after_secs: 1,
            key_encryption_key,
            webfinger_accounts: crate::WebFingerAccounts::Any,
            cors_allowed_origins: Vec::new(),
            device_code_lifetime: Duration::minutes(10),
            device_poll_interval: Duration::seconds(5),
            // 5 wrong codes per address, then a wait from 10 s doubling to 15 min: about
            // a hundred guesses an hour in a space of 20^8 codes, each valid minutes.
            user_code_backoff: Backoff {
                free: 5,
                base: Duration::seconds(10),
                max: Duration::minutes(15),
                window: Duration::hours(1),
            },
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
    /// WebFinger (RFC 7033 §10.1), for issuer discovery (OIDC Discovery §2).
    pub const WEBFINGER: &str = "/.well-known/webfinger";
    /// Login page.
    pub const LOGIN: &str = "/login";
    /// Consent page.
    pub const CONSENT: &str = "/consent";
    /// End-session endpoint (OpenID Connect RP-Initiated Logout 1.0 §2).
    pub const LOGOUT: &str = "/logout";
    /// Client registration endpoint (RFC 7591 §3); a client's configuration endpoint
    /// (RFC 7592 §2) is this path followed by `/` and the client id.
    pub const REGISTER: &str = "/register";
    /// Token introspection (RFC 7662 §2).
    pub const INTROSPECT: &str = "/introspect";
    /// Token revocation (RFC 7009 §2).
    pub const REVOKE: &str = "/revoke";
    /// Device authorization endpoint (RFC 8628 §3.1).
    pub const DEVICE_AUTHORIZATION: &str = "/device_authorization";
    /// Device verification page, where the user enters the user code (RFC 8628 §3.3):
    /// the `verification_uri`.
    pub const DEVICE: &str = "/device";
}
