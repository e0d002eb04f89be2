//! Local validation of JWT access tokens against the provider's keys, fetched through
//! its discovery document and cached.
//!
//! Keys are fetched when the validator starts, again when the cached set is older than
//! `jwks_max_age_seconds` (so a key the provider retires stops verifying within that
//! time), and when a token names a `kid` the set lacks (a newly rotated key) — but at
//! most once per `refetch_interval_seconds`, whatever the tokens say, and only for a
//! token whose claims already pass: a stream of forged tokens costs the provider one
//! request per interval. One fetch runs at a time; the others wait for its result.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use idp_core::{Clock, SystemClock};
use idp_crypto::KeyAlgorithm;
use serde::Deserialize;
use url::Url;

use crate::discovery::{discovery, fetch, http_client, provider_metadata};
use crate::jwks::KeySet;
use crate::jwt::{self, Expected};
use crate::{Principal, ResourceError};

/// What the validator accepts.
#[derive(Clone, Debug)]
pub struct ValidatorConfig {
    /// The provider's issuer identifier, exactly as its tokens' `iss` carries it.
    pub issuer: String,
    /// This resource's identifier: what the tokens' `aud` must contain (RFC 9068 §4).
    pub audience: String,
    /// Signing algorithms accepted (RFC 8725 §3.1). Default: RS256, ES256, EdDSA.
    pub algorithms: Vec<KeyAlgorithm>,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, seconds. Default 60.
    pub leeway_seconds: i64,
    /// How long a fetched key set is used before it is fetched again, seconds. Default
    /// 300: a retired key stops verifying within five minutes.
    pub jwks_max_age_seconds: i64,
    /// The least time between two fetches, seconds. Default 30.
    pub refetch_interval_seconds: i64,
    /// Timeout of each fetch. Default 10 s.
    pub timeout: Duration,
}

impl ValidatorConfig {
    /// The defaults, for tokens from `issuer` meant for `audience`.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        ValidatorConfig {
            issuer: issuer.into(),
            audience: audience.into(),
            algorithms: vec![
                KeyAlgorithm::Rs256,
                KeyAlgorithm::Es256,
                KeyAlgorithm::EdDsa,
            ],
            leeway_seconds: 60,
            jwks_max_age_seconds: 300,
            refetch_interval_seconds: 30,
            timeout: Duration::from_secs(10),
        }
    }
}

/// The cached key set and when it was fetched.
struct Keys {
    set: Arc<KeySet>,
    /// Last successful fetch, seconds since the epoch.
    fetched_at: i64,
    /// Last attempt, successful or not.
    attempted_at: i64,
}

/// Validates RFC 9068 JWT access tokens locally. Share one per process (it is `Send +
/// Sync`; keep it in an `Arc` or actix `web::Data`).
pub struct JwtValidator {
    config: ValidatorConfig,
    jwks_uri: Url,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    keys: RwLock<Keys>,
    fetching: tokio::sync::Mutex<()>,
    fetches: AtomicU64,
}

impl std::fmt::Debug for JwtValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtValidator")
            .field("issuer", &self.config.issuer)
            .field("audience", &self.config.audience)
            .field("jwks_uri", &self.jwks_uri.as_str())
            .finish_non_exhaustive()
    }
}

/// The members of the provider's metadata this validator reads.
#[derive(Deserialize)]
struct ProviderMetadata {
    jwks_uri: String,
}

impl JwtValidator {
    /// Reads the provider's metadata at `{issuer}/.well-known/openid-configuration`
    /// (OpenID Connect Discovery 1.0 §4; RFC 8414 §3 `oauth-authorization-server` when
    /// that is absent), checks its `issuer` (§4.3), and fetches its keys.
    ///
    /// # Errors
    /// [`ResourceError::Discovery`] when a document cannot be fetched or is wrong.
    pub async fn discover(config: ValidatorConfig) -> Result<Self, ResourceError> {
        Self::discover_with_clock(config, Arc::new(SystemClock)).await
    }

    /// [`JwtValidator::discover`] with the time read from `clock`.
    ///
    /// # Errors
    /// [`ResourceError::Discovery`] when a document cannot be fetched or is wrong.
    pub async fn discover_with_clock(
        config: ValidatorConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ResourceError> {
        let http = http_client(config.timeout)?;
        let metadata: ProviderMetadata = provider_metadata(&http, &config.issuer).await?;
        let jwks_uri =
            Url::parse(&metadata.jwks_uri).map_err(|_| discovery("jwks_uri is not a URL"))?;
        let now = clock.now().timestamp();
        let validator = JwtValidator {
            config,
            jwks_uri,
            http,
            clock,
            keys: RwLock::new(Keys {
                set: Arc::new(KeySet::default()),
                fetched_at: now,
                attempted_at: now,
            }),
            fetching: tokio::sync::Mutex::new(()),
            fetches: AtomicU64::new(0),
        };
        let set = validator.fetch_keys().await?;
        validator.store_keys(set, now);
        Ok(validator)
    }

    /// How many times the JWKS has been fetched (for metrics and tests).
    pub fn jwks_fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// Validates `token` (RFC 9068 §4) and gives what it says.
    ///
    /// # Errors
    /// [`ResourceError::InvalidToken`] for any token that is not a valid, unexpired JWT
    /// access token from the issuer for this audience, signed by one of its keys.
    pub async fn validate(&self, token: &str) -> Result<Principal, ResourceError> {
        let unverified = jwt::parse(token, &self.config.algorithms)?;
        let now = self.clock.now().timestamp();
        unverified.check_claims(&Expected {
            issuer: &self.config.issuer,
            audience: &self.config.audience,
            now,
            leeway: self.config.leeway_seconds,
        })?;
        let mut set = self.cached();
        if now.saturating_sub(self.fetched_at()) >= self.config.jwks_max_age_seconds {
            set = self.refetch(now, None).await;
        }
        if set.get(&unverified.kid).is_none() {
            set = self.refetch(now, Some(&unverified.kid)).await;
        }
        let key = set.get(&unverified.kid).ok_or(ResourceError::InvalidToken(
            "the token's key is not one of the provider's keys",
        ))?;
        unverified.verify(key)
    }

    fn cached(&self) -> Arc<KeySet> {
        Arc::clone(&self.keys.read().unwrap_or_else(PoisonError::into_inner).set)
    }

    fn fetched_at(&self) -> i64 {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .fetched_at
    }

    fn store_keys(&self, set: KeySet, now: i64) {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        keys.set = Arc::new(set);
        keys.fetched_at = now;
    }

    /// Fetches the keys again unless another task just did, or the last attempt was
    /// less than the refetch interval ago; on failure the old set stays.
    async fn refetch(&self, now: i64, kid: Option<&str>) -> Arc<KeySet> {
        let _one_at_a_time = self.fetching.lock().await;
        {
            let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
            let done = match kid {
                Some(kid) => keys.set.get(kid).is_some(),
                None => now.saturating_sub(keys.fetched_at) < self.config.jwks_max_age_seconds,
            };
            if done || now.saturating_sub(keys.attempted_at) < self.config.refetch_interval_seconds
            {
                return Arc::clone(&keys.set);
            }
        }
        self.keys
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .attempted_at = now;
        match self.fetch_keys().await {
            Ok(set) => self.store_keys(set, now),
            Err(e) => {
                tracing::warn!(error = %e, "could not refresh the provider's keys; keeping the ones held")
            }
        }
        self.cached()
    }

    async fn fetch_keys(&self) -> Result<KeySet, ResourceError> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let body = fetch(&self.http, &self.jwks_uri).await?;
        let set =
            KeySet::parse(&body).ok_or_else(|| discovery("the JWKS is not a JSON key set"))?;
        tracing::debug!(keys = set.len(), uri = %self.jwks_uri, "fetched the provider's keys");
        Ok(set)
    }
}
