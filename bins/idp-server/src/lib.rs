//! The identity provider server: composes storage, protocol and HTTP.
//!
//! [`serve`] is the whole start-up — open the database (migrations), make sure a signing
//! key exists, apply the clients, scopes and groups the configuration file declares,
//! mount the endpoints, listen — so end-to-end tests boot exactly what
//! production boots.

mod request_span;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{App, HttpServer};
use idp_config::KeyOrigin;
use idp_core::SystemClock;
use idp_protocol::{ensure_signing_key, KeyEncryptionKey, Provider, ProviderConfig};
use idp_store::{DatabaseUrl, DieselStore, StoreOptions};

pub use request_span::log_request;

pub use idp_config::{Secret, Settings};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] idp_store::StoreError),
    /// The signing key could not be loaded or created.
    #[error("signing key setup failed: {0}")]
    Keys(#[source] idp_protocol::ProtocolError),
    /// A setting is missing or unusable (exit code 2, like any configuration error).
    #[error(transparent)]
    Config(#[from] idp_config::ConfigError),
    /// The stored private keys cannot be opened with the key-encryption key.
    #[error("invalid configuration: key_encryption_key: {0}")]
    KeyEncryption(String),
    /// A client, scope or group the configuration file declares breaks a rule (exit code
    /// 2): one line naming the entry.
    #[error("invalid configuration: {0}")]
    Declaration(String),
    /// The declarations could not be written.
    #[error("applying the configuration's declarations failed: {0}")]
    Apply(#[source] idp_protocol::ProtocolError),
    /// The listener could not be used.
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
}

fn seconds(s: u64) -> chrono::Duration {
    chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000))
}

/// The lifetimes the configuration gives (the database's settings override them).
pub fn lifetimes(settings: &Settings) -> idp_core::Lifetimes {
    idp_core::Lifetimes {
        access_token: seconds(settings.access_token_lifetime),
        // 0: refresh tokens do not expire.
        refresh_token: (settings.refresh_token_lifetime > 0)
            .then(|| seconds(settings.refresh_token_lifetime)),
        code: seconds(settings.authorization_code_lifetime),
        id_token: seconds(settings.id_token_lifetime),
        session: seconds(settings.session_lifetime),
        retired_key_grace: seconds(settings.retired_key_grace),
    }
}

/// The protocol settings a [`Settings`] describes, with the key-encryption key from
/// [`unlock_signing_keys`].
pub fn provider_config(
    settings: &Settings,
    key_encryption_key: Arc<KeyEncryptionKey>,
) -> ProviderConfig {
    let mut config = ProviderConfig::new(settings.issuer.clone(), key_encryption_key);
    config.lifetimes = lifetimes(settings);
    config.key_activation_delay = seconds(settings.key_activation_delay);
    config.device_code_lifetime = seconds(settings.device_code_lifetime);
    config.device_poll_interval = seconds(settings.device_poll_interval);
    config.webfinger_accounts = if settings.webfinger_existing_users_only {
        idp_protocol::WebFingerAccounts::Existing
    } else {
        idp_protocol::WebFingerAccounts::Any
    };
    config.cors_allowed_origins = settings.cors_allowed_origins.clone();
    config.client_id_metadata_documents_allow_insecure =
        settings.client_id_metadata_documents_allow_insecure;
    if config.client_id_metadata_documents_allow_insecure {
        tracing::warn!(
            "client_id_metadata_documents_allow_insecure is on: client metadata documents may be fetched from internal addresses and over plain http (development only)"
        );
    }
    config
}

/// How the back-channel logout sender works, as [`Settings`] say.
pub fn logout_delivery_options(settings: &Settings) -> idp_http::LogoutDeliveryOptions {
    let ms = std::time::Duration::from_millis;
    idp_http::LogoutDeliveryOptions {
        poll_interval: ms(settings.backchannel_logout_poll_ms),
        timeout: ms(settings.backchannel_logout_timeout_ms),
        retry: idp_protocol::LogoutRetry {
            first_delay: ms(settings.backchannel_logout_retry_ms),
            attempts: settings.backchannel_logout_attempts,
        },
    }
}

/// The storage options a [`Settings`] describes.
pub fn store_options(settings: &Settings) -> StoreOptions {
    StoreOptions {
        pool_size: settings.database_pool_size,
        pool_timeout: std::time::Duration::from_millis(settings.database_pool_timeout_ms),
        // One connection per HTTP worker (actix starts one per core) for the bearer-token
        // checks answered straight from the event loop.
        immediate_pool_size: std::thread::available_parallelism()
            .map_or(1, |n| u32::try_from(n.get()).unwrap_or(1)),
        ..StoreOptions::default()
    }
}

/// Tokens and session cookies cross the network in clear over `http`; that is only
/// acceptable on the loopback interface (RFC 6749 §3.1, §10.9 require TLS).
fn warn_if_plain_http(issuer: &str) {
    let Some(rest) = issuer.strip_prefix("http://") else {
        return;
    };
    let host = rest.split(['/', ':']).next().unwrap_or("");
    let loopback = host == "localhost" || host.starts_with("127.") || rest.starts_with("[::1]");
    if !loopback {
        tracing::warn!(
            issuer,
            "the issuer is not https: run behind a TLS-terminating reverse proxy and set the issuer to its https URL"
        );
    }
}

/// How often expired rows are deleted: often, so anonymous sessions, parked requests and
/// failure counters never pile up (each purge is a few indexed deletes).
const HOUSEKEEPING_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Purges expired rows now and then every [`HOUSEKEEPING_INTERVAL`], on a plain thread so it
/// needs no runtime and never blocks request handling. The thread holds the provider
/// weakly and ends once the server has dropped it.
fn start_housekeeping(provider: &Arc<Provider>) {
    let provider = Arc::downgrade(provider);
    let purge = move || {
        let Some(provider) = provider.upgrade() else {
            return false;
        };
        match provider.purge_expired() {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "purged expired rows"),
            Err(e) => tracing::warn!(error = %e, "purging expired rows failed"),
        }
        true
    };
    purge();
    let spawned = std::thread::Builder::new()
        .name("idp-housekeeping".into())
        .spawn(move || loop {
            std::thread::sleep(HOUSEKEEPING_INTERVAL);
            if !purge() {
                break;
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the housekeeping thread");
    }
}

/// The HTTP and protocol metrics, plus the database pool's connections.
fn server_metrics(store: &DieselStore) -> idp_http::Metrics {
    let mut metrics = idp_http::Metrics::new();
    let store = store.clone();
    metrics.register_collector(idp_http::metrics::GaugeSource::new(move || {
        let usage = store.pool_usage();
        vec![
            (
                "db_pool_connections",
                "Open database connections of this instance",
                i64::from(usage.connections),
            ),
            (
                "db_pool_connections_idle",
                "Open database connections not in use",
                i64::from(usage.idle),
            ),
            (
                "db_pool_connections_max",
                "The most database connections this instance opens",
                i64::from(usage.max),
            ),
        ]
    }));
    metrics
}

/// Serves `/metrics` on its own address, on a thread with its own small runtime, so
/// scrapes never compete with the public listener and the public one need not expose
/// them. The address is bound now, so a bad one fails the start.
fn start_metrics_listener(
    addr: std::net::SocketAddr,
    metrics: Arc<idp_http::Metrics>,
) -> Result<(), ServerError> {
    let listener = TcpListener::bind(addr)?;
    let bound = listener.local_addr()?;
    std::thread::Builder::new()
        .name("idp-metrics".into())
        .spawn(move || {
            let server = HttpServer::new(move || {
                App::new().configure(idp_http::configure_metrics(Arc::clone(&metrics)))
            })
            .workers(1)
            .listen(listener)
            .map(HttpServer::run);
            let result = match server {
                Ok(server) => actix_web::rt::System::new().block_on(server),
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        })?;
    tracing::info!("metrics on http://{bound}/metrics");
    Ok(())
}

/// How long the server keeps trying to reach a database that is down when it starts
/// (a container platform may start the server before the database; the orchestrator
/// restarts it after that).
const DATABASE_START_PATIENCE: std::time::Duration = std::time::Duration::from_secs(300);
/// The longest wait between two attempts.
const DATABASE_START_MAX_DELAY: std::time::Duration = std::time::Duration::from_secs(10);

/// Opens the database, retrying with exponential back-off (logged) while it cannot be
/// reached, for up to [`DATABASE_START_PATIENCE`]. A bad URL, a SQLite file that cannot be
/// created or a failed migration are not retried.
fn open_store(settings: &Settings) -> Result<DieselStore, ServerError> {
    let options = store_options(settings);
    let started = std::time::Instant::now();
    let mut delay = std::time::Duration::from_millis(250);
    let mut attempt = 1u32;
    loop {
        match DieselStore::open_with_options(&settings.database_url, &options) {
            Err(e) if e.is_transient() && started.elapsed() < DATABASE_START_PATIENCE => {
                tracing::warn!(
                    attempt,
                    retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    error = %e,
                    "database unavailable; retrying"
                );
                std::thread::sleep(delay);
                delay = (delay * 2).min(DATABASE_START_MAX_DELAY);
                attempt += 1;
            }
            other => return other.map_err(ServerError::from),
        }
    }
}

/// The key-encryption key for `settings` (the setting, or a SQLite database's key file,
/// made on first start) and where it came from, checked against every stored private key
/// and sealed client secret;
/// private keys stored before sealing existed are sealed now. Shared with `idp-admin`.
///
/// # Errors
/// [`ServerError::Config`] without a usable key, [`ServerError::KeyEncryption`] if the
/// stored keys were sealed under another key or are damaged.
pub fn unlock_signing_keys(
    settings: &Settings,
    store: &DieselStore,
) -> Result<(KeyEncryptionKey, KeyOrigin), ServerError> {
    let (kek, origin) = find_key_encryption_key(settings)?;
    check_key_encryption_key(store, &kek, &origin)?;
    Ok((kek, origin))
}

/// The key-encryption key `settings` name, without the database: the setting, or a
/// SQLite database's key file (made if missing). Checked first at start, so a missing key
/// for PostgreSQL is a configuration error at once, not after the database answers.
///
/// # Errors
/// [`ServerError::Config`] without a usable key.
pub fn find_key_encryption_key(
    settings: &Settings,
) -> Result<(KeyEncryptionKey, KeyOrigin), ServerError> {
    let sqlite_path = match DatabaseUrl::parse(&settings.database_url)? {
        DatabaseUrl::Sqlite(path) => Some(path),
        DatabaseUrl::Postgres(_) => None,
    };
    Ok(idp_config::key_encryption_key(
        settings,
        sqlite_path.as_deref(),
    )?)
}

/// Checks `kek` against every stored private key (see [`unlock_signing_keys`]).
fn check_key_encryption_key(
    store: &DieselStore,
    kek: &KeyEncryptionKey,
    origin: &KeyOrigin,
) -> Result<(), ServerError> {
    let check = idp_protocol::check_signing_keys(store, kek).map_err(ServerError::Keys)?;
    if check.has_wrong_key() {
        let hint = match origin {
            KeyOrigin::NewFile(path) => {
                // The key file was missing: do not leave a useless new one behind.
                let _ = std::fs::remove_file(path);
                format!(
                    "the key file {} is missing; restore it, or set key_encryption_key to the key \
                     the signing keys were encrypted with",
                    path.display()
                )
            }
            KeyOrigin::File(path) => format!(
                "the key in {} is not the one the signing keys were encrypted with",
                path.display()
            ),
            KeyOrigin::Setting => {
                "it is not the key the signing keys were encrypted with".to_owned()
            }
        };
        return Err(ServerError::KeyEncryption(format!(
            "{hint} ({}; this key's fingerprint is {})",
            sealed_values(&check.wrong_key, &check.client_secrets_wrong_key),
            kek.fingerprint_hex()
        )));
    }
    if check.has_damage() {
        return Err(ServerError::KeyEncryption(format!(
            "the stored {} cannot be decrypted: they are damaged",
            sealed_values(&check.damaged, &check.client_secrets_damaged)
        )));
    }
    if check.plaintext > 0 {
        let n = idp_protocol::seal_plaintext_keys(store, kek).map_err(ServerError::Keys)?;
        tracing::info!(
            keys = n,
            "encrypted private keys stored before encryption at rest"
        );
    }
    if let KeyOrigin::NewFile(path) = origin {
        tracing::info!(
            file = %path.display(),
            "made a key-encryption key file; back it up with the database"
        );
    }
    Ok(())
}

/// Names sealed values for an error message: signing keys by kid, client secrets by
/// client id.
fn sealed_values(kids: &[String], clients: &[String]) -> String {
    let mut parts = Vec::new();
    if !kids.is_empty() {
        parts.push(format!("keys {}", kids.join(", ")));
    }
    if !clients.is_empty() {
        parts.push(format!("the secrets of clients {}", clients.join(", ")));
    }
    parts.join("; ")
}

/// Creates or updates the clients, scopes and groups the configuration file declares
/// (never deleting any: that is `idp-admin config apply --prune`). Instances starting
/// together apply them one after the other, and the later ones find nothing to change.
fn apply_declared(
    declared: &idp_core::Declarations,
    store: &DieselStore,
    clock: &dyn idp_core::Clock,
    kek: &KeyEncryptionKey,
) -> Result<(), ServerError> {
    if declared.is_empty() {
        return Ok(());
    }
    let plan = idp_protocol::manage::apply_declarations(store, clock, Some(kek), declared, false)
        .map_err(|e| match e {
        e @ (idp_protocol::ProtocolError::Declaration { .. }
        | idp_protocol::ProtocolError::Refused(_)) => {
            ServerError::Declaration(idp_core::error_chain(&e))
        }
        other => ServerError::Apply(other),
    })?;
    tracing::info!(
        created = plan.created.len(),
        updated = plan.updated.len(),
        unchanged = plan.unchanged.len(),
        "applied the configuration file's clients, scopes and groups"
    );
    Ok(())
}

/// Opens the database, ensures a signing key per algorithm, and returns the running server on
/// `listener` (spawn or await it; stop it through its handle).
///
/// # Errors
/// [`ServerError`] if the database, the key or the listener cannot be set up.
pub fn serve(settings: &Settings, listener: TcpListener) -> Result<Server, ServerError> {
    warn_if_plain_http(&settings.issuer);
    // Read (and the file's own mistakes reported) before anything is created.
    let declared = match &settings.config_file {
        Some(path) => idp_config::load_declared(path, None)?,
        None => idp_core::Declarations::default(),
    };
    let (kek, origin) = find_key_encryption_key(settings)?;
    let store = open_store(settings)?;
    check_key_encryption_key(&store, &kek, &origin)?;
    let kek = Arc::new(kek);
    let clock = Arc::new(SystemClock);
    for key in ensure_signing_key(&store, &*clock, &kek).map_err(ServerError::Keys)? {
        tracing::info!(kid = %key.summary.kid, alg = %key.summary.alg, "generated a signing key");
    }
    apply_declared(&declared, &store, &*clock, &kek)?;
    let metrics = Arc::new(server_metrics(&store));
    let provider = Arc::new(
        Provider::new(Arc::new(store), clock, provider_config(settings, kek))
            .with_client_document_fetcher(Arc::new(idp_http::HttpDocumentFetcher)),
    );
    start_housekeeping(&provider);
    idp_http::start_logout_delivery(&provider, logout_delivery_options(settings))?;
    if let Some(addr) = settings.metrics_listen {
        start_metrics_listener(addr, Arc::clone(&metrics))?;
    }
    let state = idp_http::HttpState::new(provider)
        .with_trusted_proxies(idp_http::TrustedProxies::new(
            settings.trusted_proxies.clone(),
        ))
        .with_metrics(Arc::clone(&metrics));
    let metrics_on_main = settings.metrics_on_main_listener;
    let server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(log_request))
            .configure(idp_http::configure(state.clone()))
            .configure(|cfg| {
                if metrics_on_main {
                    idp_http::configure_metrics(Arc::clone(&metrics))(cfg);
                }
            })
    })
    .worker_max_blocking_threads(settings.blocking_threads)
    .listen(listener)?
    .run();
    Ok(server)
}
