use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpResponse, HttpServer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use idp_core::FixedClock;
use idp_crypto::{generate_pkcs8, generate_rsa_pkcs8, JwsSigningKey, KeyAlgorithm, PublicJwk};
use idp_resource::{JwtValidator, ValidatorConfig};
use serde_json::{json, Value};

pub const AUDIENCE: &str = "https://api.example/mcp";

/// A fixed instant the tests start at.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
}

pub fn key(alg: KeyAlgorithm) -> JwsSigningKey {
    let pkcs8 = match alg {
        KeyAlgorithm::Rs256 => generate_rsa_pkcs8(2048).unwrap(),
        other => generate_pkcs8(other).unwrap(),
    };
    JwsSigningKey::from_pkcs8(alg, &pkcs8).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The key as its JWKS entry.
pub fn jwk(key: &JwsSigningKey) -> Value {
    let mut jwk = match key.public_jwk() {
        PublicJwk::Rsa { n, e } => json!({"kty": "RSA", "n": b64(n), "e": b64(e)}),
        PublicJwk::P256 { x, y } => json!({"kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y)}),
        PublicJwk::Ed25519 { x } => json!({"kty": "OKP", "crv": "Ed25519", "x": b64(x)}),
    };
    jwk["kid"] = json!(key.kid());
    jwk["use"] = json!("sig");
    jwk["alg"] = json!(key.alg().as_str());
    jwk
}

/// A compact JWS of `header` and `claims` signed with `key`.
pub fn sign(key: &JwsSigningKey, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(&signature))
}

/// The header the provider puts on its access tokens.
pub fn header(key: &JwsSigningKey) -> Value {
    json!({"alg": key.alg().as_str(), "typ": "at+jwt", "kid": key.kid()})
}

/// A stand-in provider.
pub struct Provider {
    pub issuer: String,
    pub keys: Arc<Mutex<Vec<Value>>>,
    pub jwks_hits: Arc<AtomicUsize>,
    pub clock: Arc<FixedClock>,
}

impl Provider {
    pub async fn start(keys: Vec<Value>) -> Provider {
        Self::start_naming(keys, None).await
    }

    /// A provider whose metadata names `claimed` as its issuer instead of its own URL.
    pub async fn start_naming(keys: Vec<Value>, claimed: Option<&str>) -> Provider {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let keys = Arc::new(Mutex::new(keys));
        let jwks_hits = Arc::new(AtomicUsize::new(0));
        let metadata = json!({
            "issuer": claimed.unwrap_or(&issuer),
            "jwks_uri": format!("{issuer}/jwks"),
        });
        let (k, hits) = (keys.clone(), jwks_hits.clone());
        let server = HttpServer::new(move || {
            let (metadata, k, hits) = (metadata.clone(), k.clone(), hits.clone());
            App::new()
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(move || {
                        let metadata = metadata.clone();
                        async move { HttpResponse::Ok().json(metadata) }
                    }),
                )
                .route(
                    "/jwks",
                    web::get().to(move || {
                        hits.fetch_add(1, Ordering::SeqCst);
                        let keys = k.lock().unwrap().clone();
                        async move { HttpResponse::Ok().json(json!({ "keys": keys })) }
                    }),
                )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        actix_web::rt::spawn(server);
        Provider {
            issuer,
            keys,
            jwks_hits,
            clock: Arc::new(FixedClock::new(start_time())),
        }
    }

    pub fn config(&self) -> ValidatorConfig {
        ValidatorConfig::new(self.issuer.clone(), AUDIENCE)
    }

    pub async fn validator(&self) -> JwtValidator {
        JwtValidator::discover_with_clock(self.config(), self.clock.clone())
            .await
            .unwrap()
    }

    pub fn hits(&self) -> usize {
        self.jwks_hits.load(Ordering::SeqCst)
    }

    pub fn now(&self) -> i64 {
        use idp_core::Clock;
        self.clock.now().timestamp()
    }

    pub fn advance(&self, seconds: i64) {
        self.clock.advance(chrono::Duration::seconds(seconds));
    }

    /// Claims of a valid token issued now for five minutes.
    pub fn claims(&self) -> Value {
        let now = self.now();
        json!({
            "iss": self.issuer,
            "sub": "user-1",
            "aud": AUDIENCE,
            "client_id": "mcp-client",
            "scope": "openid files.read",
            "jti": "j1",
            "iat": now,
            "exp": now + 300,
        })
    }
}
