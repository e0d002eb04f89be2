//! Local JWT validation throughput (`cargo bench -p idp-resource`): validations per
//! second of an RS256, an ES256 and an EdDSA access token with the JWKS already cached,
//! i.e. what one core spends per request of an API on this crate: parsing, the RFC 9068
//! claim checks and the signature verification.
//!
//! The provider is a stand-in on 127.0.0.1 serving a discovery document and a JWKS; it
//! is asked once, when the validator starts, and never while measuring.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use idp_core::{Clock, SystemClock};
use idp_crypto::{generate_pkcs8, generate_rsa_pkcs8, JwsSigningKey, KeyAlgorithm, PublicJwk};
use idp_resource::{JwtValidator, ValidatorConfig};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const AUDIENCE: &str = "https://api.example/bench";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn key(alg: KeyAlgorithm) -> JwsSigningKey {
    let pkcs8 = match alg {
        KeyAlgorithm::Rs256 => generate_rsa_pkcs8(2048).unwrap(), // ok: benchmark setup
        other => generate_pkcs8(other).unwrap(),                  // ok: benchmark setup
    };
    JwsSigningKey::from_pkcs8(alg, &pkcs8).unwrap() // ok: benchmark setup
}

fn jwk(key: &JwsSigningKey) -> Value {
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

/// An access token as the provider signs it (RFC 9068 §2), valid for an hour.
fn token(key: &JwsSigningKey, issuer: &str) -> String {
    let now = SystemClock.now().timestamp();
    let header = json!({"alg": key.alg().as_str(), "typ": "at+jwt", "kid": key.kid()});
    let claims = json!({
        "iss": issuer, "sub": "user-1", "aud": AUDIENCE, "client_id": "mcp-client",
        "scope": "openid files.read", "jti": "j1", "iat": now, "exp": now + 3600,
    });
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature = key.sign(input.as_bytes()).unwrap(); // ok: benchmark setup
    format!("{input}.{}", b64(&signature))
}

/// Serves the discovery document and `jwks` on 127.0.0.1 (one request per connection).
async fn stand_in_provider(jwks: Value) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(); // ok: benchmark setup
    let issuer = format!("http://{}", listener.local_addr().unwrap()); // ok: benchmark setup
    let metadata = json!({"issuer": issuer, "jwks_uri": format!("{issuer}/jwks")}).to_string();
    let jwks = jwks.to_string();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let body = if request.starts_with(b"GET /jwks ") {
                &jwks
            } else {
                &metadata
            };
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });
    issuer
}

fn local_jwt_validation(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap(); // ok: benchmark setup
    let keys: Vec<JwsSigningKey> = [
        KeyAlgorithm::Rs256,
        KeyAlgorithm::Es256,
        KeyAlgorithm::EdDsa,
    ]
    .into_iter()
    .map(key)
    .collect();
    let jwks = json!({"keys": keys.iter().map(jwk).collect::<Vec<_>>()});
    let (issuer, validator) = runtime.block_on(async {
        let issuer = stand_in_provider(jwks).await;
        let mut config = ValidatorConfig::new(issuer.clone(), AUDIENCE);
        // No refetch while measuring, however long criterion runs.
        config.jwks_max_age_seconds = 24 * 3600;
        (
            issuer,
            Arc::new(JwtValidator::discover(config).await.unwrap()), // ok: benchmark setup
        )
    });
    let mut group = c.benchmark_group("local JWT validation, warm JWKS");
    group.throughput(Throughput::Elements(1));
    for key in &keys {
        let token = token(key, &issuer);
        // Checked once outside the measurement: the token is accepted.
        runtime.block_on(validator.validate(&token)).unwrap(); // ok: benchmark setup
        group.bench_function(key.alg().as_str(), |b| {
            b.iter(|| runtime.block_on(validator.validate(&token)).unwrap()); // ok: benchmark setup
        });
    }
    group.finish();
}

criterion_group!(benches, local_jwt_validation);
criterion_main!(benches);
