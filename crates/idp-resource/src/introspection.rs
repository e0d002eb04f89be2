//! Remote validation: asking the provider's introspection endpoint (RFC 7662) about each
//! token, for opaque access tokens and for APIs that must see a revocation sooner than
//! a JWT's expiry.
//!
//! The resource server authenticates with its own client credentials
//! (`client_secret_basic`, RFC 6749 §2.3.1); the provider must know it as a resource
//! server to learn about other clients' tokens. Positive answers are cached, keyed by the
//! SHA-256 digest of the token, for at most `cache_max_age_seconds` (default 60) and
//! never beyond the token's `exp`, in at most `cache_max_entries` entries (default
//! 10 000; the oldest go first). **A cached answer lets a token revoked meanwhile pass
//! for at most the maximum age**; set it to 0 to ask the provider on every request.
//! Inactive answers are never cached: a token refused once is asked about again, so a
//! client that has just been issued a token (or a clock that disagrees) is not locked
//! out, and an attacker's stream of bad tokens fills nothing. With the cache on, identical
//! requests that arrive while one is being asked about share that answer, positive or
//! not, instead of asking again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use idp_core::{Clock, SystemClock};
use idp_crypto::sha256_hex;
use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

use crate::cache::TokenCache;
use crate::discovery::{discovery, http_client, provider_metadata, read_limited};
use crate::in_flight::{InFlight, Turn};
use crate::{Principal, ResourceError};

/// Longest token sent to the provider: anything longer is refused without asking.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// What the introspecting validator accepts, and as whom it asks.
#[derive(Clone)]
pub struct IntrospectionConfig {
    /// The provider's issuer identifier (its metadata names the introspection endpoint).
    pub issuer: String,
    /// This resource's identifier: when an answer carries `aud`, it must contain this.
    pub audience: String,
    /// The resource server's `client_id` at the provider.
    pub client_id: String,
    /// The resource server's client secret (sent with HTTP Basic, RFC 6749 §2.3.1).
    pub client_secret: String,
    /// How long a positive answer is reused, seconds (never past the token's `exp`).
    /// Default 60; 0 disables the cache, so a revocation is seen on the next request.
    pub cache_max_age_seconds: i64,
    /// How many answers are kept at most; the oldest go first. Default 10 000.
    pub cache_max_entries: usize,
    /// Timeout of each request to the provider. Default 10 s.
    pub timeout: Duration,
}

impl std::fmt::Debug for IntrospectionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntrospectionConfig")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("client_id", &self.client_id)
            .field("cache_max_age_seconds", &self.cache_max_age_seconds)
            .field("cache_max_entries", &self.cache_max_entries)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl IntrospectionConfig {
    /// The defaults, for tokens from `issuer` meant for `audience`, asked about as the
    /// client `client_id` with `client_secret`.
    pub fn new(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        IntrospectionConfig {
            issuer: issuer.into(),
            audience: audience.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            cache_max_age_seconds: 60,
            cache_max_entries: 10_000,
            timeout: Duration::from_secs(10),
        }
    }
}

/// The members of the provider's metadata this validator reads.
#[derive(Deserialize)]
struct ProviderMetadata {
    introspection_endpoint: String,
}

/// Validates access tokens by asking the provider (RFC 7662). Share one per process (it
/// is `Send + Sync`; keep it in an `Arc` or actix `web::Data`).
pub struct IntrospectionValidator {
    issuer: String,
    audience: String,
    endpoint: Url,
    /// `Basic base64(urlencode(id):urlencode(secret))`.
    authorization: String,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    cache: TokenCache,
    in_flight: InFlight,
    calls: AtomicU64,
}

impl std::fmt::Debug for IntrospectionValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntrospectionValidator")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("endpoint", &self.endpoint.as_str())
            .finish_non_exhaustive()
    }
}

fn invalid(why: &'static str) -> ResourceError {
    ResourceError::InvalidToken(why)
}

fn unavailable(why: impl Into<String>) -> ResourceError {
    ResourceError::Unavailable(why.into())
}

/// `application/x-www-form-urlencoded` of one value (RFC 6749 §2.3.1 encodes the
/// client id and secret so before Basic).
fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

impl IntrospectionValidator {
    /// Reads the provider's metadata (as [`crate::JwtValidator::discover`] does) for its
    /// `introspection_endpoint`.
    ///
    /// # Errors
    /// [`ResourceError::Discovery`] when the metadata cannot be fetched, names another
    /// issuer, or has no introspection endpoint.
    pub async fn discover(config: IntrospectionConfig) -> Result<Self, ResourceError> {
        Self::discover_with_clock(config, Arc::new(SystemClock)).await
    }

    /// [`IntrospectionValidator::discover`] with the time read from `clock`.
    ///
    /// # Errors
    /// As [`IntrospectionValidator::discover`].
    pub async fn discover_with_clock(
        config: IntrospectionConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ResourceError> {
        let http = http_client(config.timeout)?;
        let metadata: ProviderMetadata = provider_metadata(&http, &config.issuer).await?;
        let endpoint = Url::parse(&metadata.introspection_endpoint)
            .map_err(|_| discovery("introspection_endpoint is not a URL"))?;
        Ok(Self::with_endpoint(config, endpoint, http, clock))
    }

    /// A validator asking `endpoint` directly, without reading the provider's metadata.
    ///
    /// # Errors
    /// [`ResourceError::Discovery`] when the HTTP client cannot be built.
    pub fn new(
        config: IntrospectionConfig,
        endpoint: Url,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ResourceError> {
        let http = http_client(config.timeout)?;
        Ok(Self::with_endpoint(config, endpoint, http, clock))
    }

    fn with_endpoint(
        config: IntrospectionConfig,
        endpoint: Url,
        http: reqwest::Client,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let credentials = format!(
            "{}:{}",
            form_encode(&config.client_id),
            form_encode(&config.client_secret)
        );
        IntrospectionValidator {
            authorization: format!("Basic {}", STANDARD.encode(credentials)),
            cache: TokenCache::new(
                config.cache_max_entries,
                config.cache_max_age_seconds.max(0),
            ),
            issuer: config.issuer,
            audience: config.audience,
            endpoint,
            http,
            clock,
            in_flight: Mutex::new(HashMap::new()),
            calls: AtomicU64::new(0),
        }
    }

    /// How many times the introspection endpoint has been asked (for metrics and tests).
    pub fn introspections(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// How many positive answers the cache holds.
    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }

    /// Validates `token` with the provider's answer, or a cached one.
    ///
    /// # Errors
    /// [`ResourceError::InvalidToken`] when the provider says the token is not active,
    /// or it is a refresh token, for another audience or issuer, or expired;
    /// [`ResourceError::Unavailable`] when the provider cannot be asked or refuses the
    /// resource server's credentials.
    pub async fn validate(&self, token: &str) -> Result<Principal, ResourceError> {
        if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Err(invalid("the token is empty or too long"));
        }
        let digest = sha256_hex(token.as_bytes());
        if let Some(principal) = self.cache.get(&digest, self.now()) {
            return Ok(principal);
        }
        if !self.cache.enabled() {
            return self.ask(token, &digest).await;
        }
        // One question per token at a time: whoever arrives meanwhile shares its answer,
        // positive or not (if the asker is cancelled, the next one in line asks).
        let turn = Turn::take(&self.in_flight, &digest);
        turn.answer
            .get_or_init(|| self.ask(token, &digest))
            .await
            .clone()
    }

    /// Asks the provider about `token` (RFC 7662 §2.1) and caches a positive answer.
    async fn ask(&self, token: &str, digest: &str) -> Result<Principal, ResourceError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token)
            .append_pair("token_type_hint", "access_token")
            .finish();
        let response = self
            .http
            .post(self.endpoint.clone())
            .header("authorization", &self.authorization)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, endpoint = %self.endpoint, "introspection request failed");
                unavailable("the provider could not be asked about the token")
            })?;
        let status = response.status();
        if !status.is_success() {
            tracing::warn!(%status, endpoint = %self.endpoint, "the provider refused to introspect (are this resource server's credentials right?)");
            return Err(unavailable(format!(
                "the introspection endpoint answered HTTP {status}"
            )));
        }
        let answer: Map<String, Value> = read_limited(response)
            .await
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| unavailable("the introspection answer is not a JSON object"))?;
        let now = self.now();
        let principal = self.check(answer, now)?;
        let exp = principal.claims.get("exp").and_then(Value::as_i64);
        self.cache
            .insert(digest.to_owned(), principal.clone(), now, exp);
        Ok(principal)
    }

    /// The rules an active answer must also pass (RFC 7662 §2.2, RFC 9068 §4 by analogy).
    fn check(&self, answer: Map<String, Value>, now: i64) -> Result<Principal, ResourceError> {
        if answer.get("active") != Some(&Value::Bool(true)) {
            return Err(invalid("the token is not active"));
        }
        // A refresh token is for the token endpoint, never a resource (RFC 6749 §1.5).
        if answer
            .get("token_type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("refresh_token"))
        {
            return Err(invalid("a refresh token is not an access token"));
        }
        let for_us = match answer.get("aud") {
            None => true,
            Some(Value::String(a)) => *a == self.audience,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(&self.audience)),
            Some(_) => false,
        };
        if !for_us {
            return Err(invalid("the token is for another audience"));
        }
        if answer
            .get("iss")
            .is_some_and(|i| i.as_str() != Some(self.issuer.as_str()))
        {
            return Err(invalid("the token is from another issuer"));
        }
        if answer
            .get("exp")
            .and_then(Value::as_i64)
            .is_some_and(|exp| exp <= now)
        {
            return Err(invalid("the token has expired"));
        }
        Principal::from_claims(answer).ok_or(invalid("the token lacks sub or client_id"))
    }
}
