//! Settings of the `idp-server` and `idp-admin` binaries, layered as
//! built-in defaults → TOML file (`--config`) → `IDP_` environment → command-line flags,
//! then checked so that a bad value is reported as one line naming the setting.
//!
//! Invariants, stated as absences: only the binaries use this crate; library crates take
//! their own typed configuration and never read files, flags or the environment.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use idp_core::SettingKey;
use serde::{Deserialize, Serialize};

mod declared;
mod key_encryption;

pub use declared::load_declared;
pub use key_encryption::{key_encryption_key, key_file_path, write_key_file, KeyOrigin};

/// A secret setting's value: never printed by `Debug` or serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("[redacted]")
    }
}

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default database: SQLite under `./idp-data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://idp-data/idp.db";

/// Flags both binaries accept.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ConfigArgs {
    /// TOML configuration file.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://PATH, a file path, or postgres://USER@HOST/DB.
    #[arg(long, value_name = "URL", global = true)]
    pub database_url: Option<String>,
}

/// Flags only the server accepts.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ServerArgs {
    /// Address to listen on, ADDR:PORT.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// Issuer URL (default: http://LISTEN).
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// Serve Prometheus metrics (`/metrics`) on this separate address, ADDR:PORT.
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics_listen: Option<String>,
}

/// Checked settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// Socket address to listen on.
    pub listen: SocketAddr,
    /// Issuer identifier, without trailing slash.
    pub issuer: String,
    /// Database URL.
    pub database_url: String,
    /// Access token lifetime, seconds.
    pub access_token_lifetime: u64,
    /// Refresh token lifetime, seconds; 0: refresh tokens do not expire.
    pub refresh_token_lifetime: u64,
    /// Authorization code lifetime, seconds (at most 600, RFC 6749 §4.1.2); also read as
    /// `code_lifetime`, the name `idp-admin settings` uses.
    pub authorization_code_lifetime: u64,
    /// ID token lifetime, seconds.
    pub id_token_lifetime: u64,
    /// Browser session lifetime, seconds.
    pub session_lifetime: u64,
    /// Seconds a retired signing key stays in the JWKS.
    pub retired_key_grace: u64,
    /// Seconds after `idp-admin key rotate` before the new key signs (it is published in
    /// the JWKS at once); longer than the JWKS `max-age` of 300 s.
    pub key_activation_delay: u64,
    /// Seconds a device code and its user code work (RFC 8628 §3.2 `expires_in`).
    pub device_code_lifetime: u64,
    /// Seconds a device waits between polls of the token endpoint (RFC 8628 §3.2
    /// `interval`).
    pub device_poll_interval: u64,
    /// Database connections per server process.
    pub database_pool_size: u32,
    /// Milliseconds a request waits for a free database connection before it is answered
    /// 503 with `Retry-After`.
    pub database_pool_timeout_ms: u64,
    /// Threads per HTTP worker for blocking work (database, password hashing).
    pub blocking_threads: usize,
    /// Reverse proxies (addresses or networks) whose `Forwarded`/`X-Forwarded-For`
    /// headers name the client address.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// A separate address serving Prometheus `/metrics` (none by default).
    pub metrics_listen: Option<SocketAddr>,
    /// Also serve `/metrics` on the main (public) listener; off by default.
    pub metrics_on_main_listener: bool,
    /// The key that encrypts private keys in the database (base64 of 32 bytes). Required
    /// for PostgreSQL (every instance needs the same one); for SQLite, a key file beside
    /// the database is used (and made on first start) when it is not set.
    pub key_encryption_key: Option<Secret>,
    /// WebFinger answers only for usernames that exist (which lets anyone test whether a
    /// name exists); by default it answers alike for any account on the issuer's host.
    pub webfinger_existing_users_only: bool,
    /// Web origins (`scheme://host[:port]`, serialised as RFC 6454 §6.2 does) whose browser
    /// apps may call the token endpoint and UserInfo, besides the origins of the clients'
    /// registered redirect URIs.
    pub cors_allowed_origins: Vec<String>,
    /// Back-channel logout (OIDC Back-Channel Logout 1.0): milliseconds between two
    /// looks for logout tokens due to be sent.
    pub backchannel_logout_poll_ms: u64,
    /// Milliseconds before the first retry of a logout token a client did not accept;
    /// each further retry waits twice as long.
    pub backchannel_logout_retry_ms: u64,
    /// Attempts per logout token before it is given up.
    pub backchannel_logout_attempts: u32,
    /// Milliseconds a client's back-channel logout endpoint has to answer.
    pub backchannel_logout_timeout_ms: u64,
    /// UNSAFE, development and tests only: Client ID Metadata Documents may be fetched
    /// from internal addresses (loopback, private networks) and `http://127.0.0.1` /
    /// `http://[::1]` client ids are accepted. Off by default; a configuration-file or
    /// environment setting only, never a runtime setting.
    pub client_id_metadata_documents_allow_insecure: bool,
    /// The configuration file (`--config`), whose `[[clients]]`, `[[scopes]]` and
    /// `[[groups]]` `idp-server` applies at start ([`load_declared`]).
    pub config_file: Option<PathBuf>,
}

impl Settings {
    /// Defaults for a database URL, everything else as with no configuration (for tests
    /// and embedding).
    pub fn with_database_url(database_url: impl Into<String>) -> Self {
        let raw = Raw::default();
        let listen = SocketAddr::from(([127, 0, 0, 1], 8080));
        Settings {
            listen,
            issuer: format!("http://{listen}"),
            database_url: database_url.into(),
            access_token_lifetime: raw.access_token_lifetime,
            refresh_token_lifetime: raw.refresh_token_lifetime,
            authorization_code_lifetime: raw.authorization_code_lifetime,
            id_token_lifetime: raw.id_token_lifetime,
            session_lifetime: raw.session_lifetime,
            retired_key_grace: raw.retired_key_grace,
            key_activation_delay: raw.key_activation_delay,
            device_code_lifetime: raw.device_code_lifetime,
            device_poll_interval: raw.device_poll_interval,
            database_pool_size: raw.database_pool_size,
            database_pool_timeout_ms: raw.database_pool_timeout_ms,
            blocking_threads: raw.blocking_threads,
            trusted_proxies: Vec::new(),
            metrics_listen: None,
            metrics_on_main_listener: false,
            key_encryption_key: None,
            webfinger_existing_users_only: false,
            cors_allowed_origins: Vec::new(),
            backchannel_logout_poll_ms: raw.backchannel_logout_poll_ms,
            backchannel_logout_retry_ms: raw.backchannel_logout_retry_ms,
            backchannel_logout_attempts: raw.backchannel_logout_attempts,
            backchannel_logout_timeout_ms: raw.backchannel_logout_timeout_ms,
            client_id_metadata_documents_allow_insecure: false,
            config_file: None,
        }
    }
}

/// A list as TOML writes it (`["a", "b"]`) or as an environment variable can
/// (`"a,b"`).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum List {
    Items(Vec<String>),
    Joined(String),
}

impl Default for List {
    fn default() -> Self {
        List::Items(Vec::new())
    }
}

impl List {
    fn items(&self) -> Vec<String> {
        match self {
            List::Items(v) => v.clone(),
            List::Joined(s) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// Settings as read, before checking.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Raw {
    listen: String,
    issuer: Option<String>,
    database_url: String,
    access_token_lifetime: u64,
    refresh_token_lifetime: u64,
    #[serde(alias = "code_lifetime")]
    authorization_code_lifetime: u64,
    id_token_lifetime: u64,
    session_lifetime: u64,
    retired_key_grace: u64,
    key_activation_delay: u64,
    device_code_lifetime: u64,
    device_poll_interval: u64,
    database_pool_size: u32,
    database_pool_timeout_ms: u64,
    blocking_threads: usize,
    trusted_proxies: List,
    metrics_listen: Option<String>,
    metrics_on_main_listener: bool,
    key_encryption_key: Option<String>,
    webfinger_existing_users_only: bool,
    cors_allowed_origins: List,
    backchannel_logout_poll_ms: u64,
    backchannel_logout_retry_ms: u64,
    backchannel_logout_attempts: u32,
    backchannel_logout_timeout_ms: u64,
    client_id_metadata_documents_allow_insecure: bool,
    // Declarations, read by `load_declared` (the `toml` crate), not settings.
    clients: Option<serde::de::IgnoredAny>,
    scopes: Option<serde::de::IgnoredAny>,
    groups: Option<serde::de::IgnoredAny>,
}

impl Default for Raw {
    fn default() -> Self {
        Raw {
            listen: DEFAULT_LISTEN.to_owned(),
            issuer: None,
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            access_token_lifetime: 3600,
            refresh_token_lifetime: 30 * 24 * 3600,
            authorization_code_lifetime: 60,
            id_token_lifetime: 3600,
            session_lifetime: 12 * 3600,
            retired_key_grace: 86_400,
            key_activation_delay: 3600,
            device_code_lifetime: 600,
            device_poll_interval: 5,
            database_pool_size: 8,
            database_pool_timeout_ms: 1000,
            blocking_threads: 16,
            trusted_proxies: List::default(),
            metrics_listen: None,
            metrics_on_main_listener: false,
            key_encryption_key: None,
            webfinger_existing_users_only: false,
            cors_allowed_origins: List::default(),
            backchannel_logout_poll_ms: 1000,
            backchannel_logout_retry_ms: 30_000,
            backchannel_logout_attempts: 5,
            backchannel_logout_timeout_ms: 5000,
            client_id_metadata_documents_allow_insecure: false,
            clients: None,
            scopes: None,
            groups: None,
        }
    }
}

/// A configuration problem, as one line naming the setting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A source could not be read or a value has the wrong type.
    #[error("invalid configuration: {0}")]
    Source(String),
    /// A value has the right type but is unusable.
    #[error("invalid configuration: {setting}: {reason}")]
    Value {
        /// The setting's name.
        setting: &'static str,
        /// What is wrong.
        reason: String,
    },
}

fn bad(setting: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Value {
        setting,
        reason: reason.into(),
    }
}

impl Raw {
    fn check(self) -> Result<Settings, ConfigError> {
        let listen: SocketAddr = self.listen.parse().map_err(|_| {
            bad(
                "listen",
                format!("{:?} is not an ADDR:PORT socket address", self.listen),
            )
        })?;
        let issuer = match self.issuer {
            Some(i) => check_issuer(&i)?,
            None => format!("http://{listen}"),
        };
        if self.database_url.trim().is_empty() {
            return Err(bad("database_url", "must not be empty"));
        }
        // The same rules as `idp-admin settings set` (idp-core's `SettingKey`).
        for (name, key, value) in [
            (
                "access_token_lifetime",
                SettingKey::AccessTokenLifetime,
                self.access_token_lifetime,
            ),
            (
                "refresh_token_lifetime",
                SettingKey::RefreshTokenLifetime,
                self.refresh_token_lifetime,
            ),
            (
                "authorization_code_lifetime",
                SettingKey::CodeLifetime,
                self.authorization_code_lifetime,
            ),
            (
                "id_token_lifetime",
                SettingKey::IdTokenLifetime,
                self.id_token_lifetime,
            ),
            (
                "session_lifetime",
                SettingKey::SessionLifetime,
                self.session_lifetime,
            ),
            (
                "retired_key_grace",
                SettingKey::RetiredKeyGrace,
                self.retired_key_grace,
            ),
        ] {
            key.normalise(&value.to_string()).map_err(|e| {
                let reason = match e {
                    idp_core::CoreError::Invalid { reason, .. } => reason,
                    other => other.to_string(),
                };
                bad(name, reason)
            })?;
        }
        if self.key_activation_delay > 30 * 24 * 3600 {
            return Err(bad("key_activation_delay", "must be at most 30 days"));
        }
        if !(1..=3600).contains(&self.device_code_lifetime) {
            return Err(bad(
                "device_code_lifetime",
                "must be between 1 and 3600 seconds",
            ));
        }
        if !(1..=60).contains(&self.device_poll_interval) {
            return Err(bad(
                "device_poll_interval",
                "must be between 1 and 60 seconds",
            ));
        }
        if !(1..=1000).contains(&self.database_pool_size) {
            return Err(bad("database_pool_size", "must be between 1 and 1000"));
        }
        if !(1..=60_000).contains(&self.database_pool_timeout_ms) {
            return Err(bad(
                "database_pool_timeout_ms",
                "must be between 1 and 60000 milliseconds",
            ));
        }
        if !(1..=1024).contains(&self.blocking_threads) {
            return Err(bad("blocking_threads", "must be between 1 and 1024"));
        }
        if !(10..=60_000).contains(&self.backchannel_logout_poll_ms) {
            return Err(bad(
                "backchannel_logout_poll_ms",
                "must be between 10 and 60000 milliseconds",
            ));
        }
        if !(1..=86_400_000).contains(&self.backchannel_logout_retry_ms) {
            return Err(bad(
                "backchannel_logout_retry_ms",
                "must be between 1 and 86400000 milliseconds",
            ));
        }
        if !(1..=20).contains(&self.backchannel_logout_attempts) {
            return Err(bad(
                "backchannel_logout_attempts",
                "must be between 1 and 20",
            ));
        }
        if !(1..=60_000).contains(&self.backchannel_logout_timeout_ms) {
            return Err(bad(
                "backchannel_logout_timeout_ms",
                "must be between 1 and 60000 milliseconds",
            ));
        }
        let mut trusted_proxies = Vec::new();
        for item in self.trusted_proxies.items() {
            // A bare address means just that host.
            let net = item
                .parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    bad(
                        "trusted_proxies",
                        format!("{item:?} is not an IP address or network (ADDR or ADDR/PREFIX)"),
                    )
                })?;
            trusted_proxies.push(net);
        }
        let metrics_listen = match self.metrics_listen.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(addr) => Some(addr.parse::<SocketAddr>().map_err(|_| {
                bad(
                    "metrics_listen",
                    format!("{addr:?} is not an ADDR:PORT socket address"),
                )
            })?),
        };
        let key_encryption_key = match self.key_encryption_key.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(key) => {
                idp_crypto::KeyEncryptionKey::from_base64(key).map_err(|_| {
                    bad(
                        "key_encryption_key",
                        "must be base64 of 32 random bytes (e.g. `openssl rand -base64 32`)",
                    )
                })?;
                Some(Secret::new(key))
            }
        };
        let cors_allowed_origins = self
            .cors_allowed_origins
            .items()
            .iter()
            .map(|item| check_origin(item))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Settings {
            listen,
            issuer,
            database_url: self.database_url,
            access_token_lifetime: self.access_token_lifetime,
            refresh_token_lifetime: self.refresh_token_lifetime,
            authorization_code_lifetime: self.authorization_code_lifetime,
            id_token_lifetime: self.id_token_lifetime,
            session_lifetime: self.session_lifetime,
            retired_key_grace: self.retired_key_grace,
            key_activation_delay: self.key_activation_delay,
            device_code_lifetime: self.device_code_lifetime,
            device_poll_interval: self.device_poll_interval,
            database_pool_size: self.database_pool_size,
            database_pool_timeout_ms: self.database_pool_timeout_ms,
            blocking_threads: self.blocking_threads,
            trusted_proxies,
            metrics_listen,
            metrics_on_main_listener: self.metrics_on_main_listener,
            key_encryption_key,
            webfinger_existing_users_only: self.webfinger_existing_users_only,
            cors_allowed_origins,
            backchannel_logout_poll_ms: self.backchannel_logout_poll_ms,
            backchannel_logout_retry_ms: self.backchannel_logout_retry_ms,
            backchannel_logout_attempts: self.backchannel_logout_attempts,
            backchannel_logout_timeout_ms: self.backchannel_logout_timeout_ms,
            client_id_metadata_documents_allow_insecure: self
                .client_id_metadata_documents_allow_insecure,
            config_file: None,
        })
    }
}

/// OIDC Discovery §3 / RFC 8414 §2: an `https` URL (or `http` for local use) with no
/// query or fragment.
fn check_issuer(issuer: &str) -> Result<String, ConfigError> {
    let url = url::Url::parse(issuer)
        .map_err(|e| bad("issuer", format!("{issuer:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(bad("issuer", "must be an https:// (or http://) URL"));
    }
    if url.query().is_some() || url.fragment().is_some() || issuer.contains('#') {
        return Err(bad("issuer", "must not have a query or fragment"));
    }
    if url.host_str().is_none() {
        return Err(bad("issuer", "must name a host"));
    }
    Ok(issuer.trim_end_matches('/').to_owned())
}

/// A web origin for CORS: an `http` or `https` URL with a host and at most a lone `/` after
/// it (no user information, path, query or fragment), returned as browsers send it in
/// `Origin` — the ASCII serialisation of RFC 6454 §6.2: lowercase, the host IDNA-encoded,
/// the scheme's default port left out.
fn check_origin(item: &str) -> Result<String, ConfigError> {
    const SETTING: &str = "cors_allowed_origins";
    let not_origin = |why: &str| bad(SETTING, format!("{item:?} is not an origin: {why}"));
    if item == "*" {
        return Err(not_origin(
            "list each origin as scheme://host[:port]; the token endpoint and UserInfo never answer `*`",
        ));
    }
    let url = url::Url::parse(item).map_err(|e| {
        not_origin(&format!(
            "{e}; write scheme://host[:port], e.g. https://app.example.com"
        ))
    })?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(not_origin("the scheme must be https or http"));
    }
    if url.host_str().is_none() {
        return Err(not_origin("it must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(not_origin("it must not contain user information"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(not_origin(
            "only scheme://host[:port] is allowed, without path, query or fragment",
        ));
    }
    Ok(url.origin().ascii_serialization())
}

/// `IDP_` variables that are not settings (the server's log filter and format, read by
/// `main` itself).
const NOT_SETTINGS: [&str; 2] = ["IDP_LOG", "IDP_LOG_FORMAT"];

/// Loads settings. `env` replaces the process environment when given (for tests).
///
/// # Errors
/// [`ConfigError`] naming the source or setting at fault.
pub fn load(
    args: &ConfigArgs,
    server: &ServerArgs,
    env: Option<HashMap<String, String>>,
) -> Result<Settings, ConfigError> {
    use config::{Config, Environment, File, FileFormat};
    let src = |e: config::ConfigError| ConfigError::Source(e.to_string());
    let mut builder = Config::builder();
    if let Some(path) = &args.config {
        builder = builder.add_source(
            File::from(path.as_path())
                .format(FileFormat::Toml)
                .required(true),
        );
    }
    // `IDP_LOG` is the server's log filter, read by `main` itself, not a setting.
    let variables = env
        .unwrap_or_else(|| std::env::vars().collect())
        .into_iter()
        .filter(|(name, _)| !NOT_SETTINGS.contains(&name.as_str()))
        .collect();
    let environment = Environment::with_prefix("IDP")
        .prefix_separator("_")
        .separator("__")
        .source(Some(variables));
    builder = builder
        .add_source(environment)
        .set_override_option("database_url", args.database_url.clone())
        .map_err(src)?
        .set_override_option("listen", server.listen.clone())
        .map_err(src)?
        .set_override_option("issuer", server.issuer.clone())
        .map_err(src)?
        .set_override_option("metrics_listen", server.metrics_listen.clone())
        .map_err(src)?;
    let raw: Raw = builder
        .build()
        .map_err(src)?
        .try_deserialize()
        .map_err(src)?;
    let mut settings = raw.check()?;
    settings.config_file.clone_from(&args.config);
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings a configuration file with `contents` gives, with no environment.
    fn from_file(contents: &str) -> Settings {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("idp.toml");
        std::fs::write(&file, contents).unwrap();
        load(
            &ConfigArgs {
                config: Some(file),
                database_url: None,
            },
            &ServerArgs::default(),
            env(&[]),
        )
        .unwrap()
    }

    fn env(pairs: &[(&str, &str)]) -> Option<HashMap<String, String>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn declarations_in_the_file_are_not_unknown_settings() {
        let s = from_file(
            "listen = \"127.0.0.1:9000\"\n[[scopes]]\nname = \"a\"\ndescription = \"A\"\n\n[[clients]]\nclient_id = \"x\"\nname = \"X\"\n\n[[groups]]\nname = \"g\"\n",
        );
        assert_eq!(s.listen.port(), 9000);
        assert!(s.config_file.is_some());
    }

    #[test]
    fn the_insecure_metadata_document_switch_is_off_unless_set_in_file_or_environment() {
        let off = load(&ConfigArgs::default(), &ServerArgs::default(), env(&[])).unwrap();
        assert!(!off.client_id_metadata_documents_allow_insecure);
        let file = from_file("client_id_metadata_documents_allow_insecure = true\n");
        assert!(file.client_id_metadata_documents_allow_insecure);
        let from_env = load(
            &ConfigArgs::default(),
            &ServerArgs::default(),
            env(&[("IDP_CLIENT_ID_METADATA_DOCUMENTS_ALLOW_INSECURE", "true")]),
        )
        .unwrap();
        assert!(from_env.client_id_metadata_documents_allow_insecure);
    }

    #[test]
    fn no_configuration_gives_the_documented_defaults() {
        let s = load(&ConfigArgs::default(), &ServerArgs::default(), env(&[])).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.issuer, "http://127.0.0.1:8080");
        assert_eq!(s.database_url, "sqlite://idp-data/idp.db");
        assert_eq!(s.authorization_code_lifetime, 60);
        assert_eq!(Settings::with_database_url("sqlite://idp-data/idp.db"), s);
    }

    #[test]
    fn layers_apply_file_then_environment_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("idp.toml");
        std::fs::write(&file, "issuer = \"https://file.example\"\nlisten = \"127.0.0.1:1\"\naccess_token_lifetime = 60\n").unwrap();
        let args = ConfigArgs {
            config: Some(file),
            database_url: Some("sqlite://flag.db".into()),
        };
        let s = load(
            &args,
            &ServerArgs {
                listen: Some("127.0.0.1:3".into()),
                ..ServerArgs::default()
            },
            env(&[
                ("IDP_ISSUER", "https://env.example/"),
                ("IDP_DATABASE_URL", "sqlite://env.db"),
                ("IDP_LISTEN", "127.0.0.1:2"),
            ]),
        )
        .unwrap();
        assert_eq!(s.issuer, "https://env.example");
        assert_eq!(s.database_url, "sqlite://flag.db");
        assert_eq!(s.listen.to_string(), "127.0.0.1:3");
        assert_eq!(s.access_token_lifetime, 60);
    }

    #[test]
    fn webfinger_answers_for_any_account_unless_told_otherwise() {
        let none = load(&ConfigArgs::default(), &ServerArgs::default(), env(&[])).unwrap();
        assert!(!none.webfinger_existing_users_only);
        let set = load(
            &ConfigArgs::default(),
            &ServerArgs::default(),
            env(&[("IDP_WEBFINGER_EXISTING_USERS_ONLY", "true")]),
        )
        .unwrap();
        assert!(set.webfinger_existing_users_only);
    }

    #[test]
    fn trusted_proxies_come_as_a_toml_list_or_a_comma_separated_variable() {
        let s = load(
            &ConfigArgs::default(),
            &ServerArgs::default(),
            env(&[("IDP_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8,::1")]),
        )
        .unwrap();
        let nets: Vec<String> = s.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(nets, ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]);
        let s = from_file("trusted_proxies = [\"192.0.2.0/24\"]\n");
        assert_eq!(s.trusted_proxies.len(), 1);
    }

    #[test]
    fn cors_origins_come_as_a_list_and_are_serialised_as_browsers_send_them() {
        let s = load(
            &ConfigArgs::default(),
            &ServerArgs::default(),
            env(&[(
                "IDP_CORS_ALLOWED_ORIGINS",
                "https://SPA.example.com/, http://localhost:5173,https://a.example:443,http://[::1]:8080",
            )]),
        )
        .unwrap();
        assert_eq!(
            s.cors_allowed_origins,
            [
                "https://spa.example.com",
                "http://localhost:5173",
                "https://a.example",
                "http://[::1]:8080"
            ]
        );
        let s = from_file("cors_allowed_origins = [\"https://bücher.example\"]\n");
        assert_eq!(s.cors_allowed_origins, ["https://xn--bcher-kva.example"]);
        let none = load(&ConfigArgs::default(), &ServerArgs::default(), env(&[])).unwrap();
        assert!(none.cors_allowed_origins.is_empty());
    }

    #[test]
    fn a_cors_origin_is_only_scheme_host_and_port() {
        for bad_origin in [
            "*",
            "null",
            "app.example.com",
            "ftp://app.example.com",
            "com.example.app:/cb",
            "https://app.example.com/path",
            "https://app.example.com/?",
            "https://app.example.com?q=1",
            "https://app.example.com#top",
            "https://user@app.example.com",
            "https://user:pw@app.example.com",
            "https://",
            "https://app.example.com:99999",
        ] {
            let e = load(
                &ConfigArgs::default(),
                &ServerArgs::default(),
                env(&[("IDP_CORS_ALLOWED_ORIGINS", bad_origin)]),
            )
            .unwrap_err()
            .to_string();
            assert!(
                e.starts_with("invalid configuration: cors_allowed_origins: "),
                "{bad_origin}: {e}"
            );
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn bad_values_name_the_setting() {
        let e = |pairs: &[(&str, &str)]| {
            load(&ConfigArgs::default(), &ServerArgs::default(), env(pairs))
                .unwrap_err()
                .to_string()
        };
        assert!(e(&[("IDP_LISTEN", "nonsense")]).contains("listen"));
        assert!(e(&[("IDP_ISSUER", "ftp://x")]).contains("issuer"));
        assert!(e(&[("IDP_ISSUER", "https://x/?q=1")]).contains("issuer"));
        assert!(e(&[("IDP_ACCESS_TOKEN_LIFETIME", "abc")]).contains("access_token_lifetime"));
        assert!(e(&[("IDP_AUTHORIZATION_CODE_LIFETIME", "601")])
            .contains("authorization_code_lifetime"));
        assert!(e(&[("IDP_BOGUS", "1")]).contains("bogus"));
        assert!(e(&[("IDP_DATABASE_POOL_SIZE", "0")]).contains("database_pool_size"));
        assert!(e(&[("IDP_BLOCKING_THREADS", "0")]).contains("blocking_threads"));
        assert!(e(&[("IDP_KEY_ACTIVATION_DELAY", "99999999")]).contains("key_activation_delay"));
        assert!(e(&[("IDP_TRUSTED_PROXIES", "10.0.0.0/8,nope")]).contains("trusted_proxies"));
        // The log filter shares the prefix but is not a setting.
        assert!(load(
            &ConfigArgs::default(),
            &ServerArgs::default(),
            env(&[("IDP_LOG", "debug")])
        )
        .is_ok());
        let missing = load(
            &ConfigArgs {
                config: Some("/nonexistent/idp.toml".into()),
                database_url: None,
            },
            &ServerArgs::default(),
            env(&[]),
        )
        .unwrap_err()
        .to_string();
        assert!(missing.contains("/nonexistent/idp.toml"), "{missing}");
    }
}
