use std::sync::Arc;

use idp_crypto::KeyAlgorithm;
use idp_resource::{JwtValidator, ResourceError};
use serde_json::{json, Value};

use crate::support::{header, jwk, key, sign, Provider, AUDIENCE};

/// `header.payload` of a compact JWS.
fn signed_input(token: &str) -> &str {
    &token[..token.rfind('.').unwrap()]
}

fn refused(result: Result<idp_resource::Principal, ResourceError>) -> &'static str {
    match result {
        Err(ResourceError::InvalidToken(why)) => why,
        other => panic!("expected invalid_token, got {other:?}"),
    }
}

#[actix_web::test]
async fn tokens_signed_with_each_algorithm_give_subject_client_and_scopes() {
    for alg in [
        KeyAlgorithm::Rs256,
        KeyAlgorithm::Es256,
        KeyAlgorithm::EdDsa,
    ] {
        let k = key(alg);
        let provider = Provider::start(vec![jwk(&k)]).await;
        let validator = provider.validator().await;
        let principal = validator
            .validate(&sign(&k, &header(&k), &provider.claims()))
            .await
            .unwrap();
        assert_eq!(principal.subject, "user-1", "{alg}");
        assert_eq!(principal.client_id, "mcp-client");
        assert_eq!(principal.scopes, ["openid", "files.read"]);
        assert!(principal.has_scope("files.read"));
        assert!(matches!(
            principal.require_scope("files.write"),
            Err(ResourceError::InsufficientScope { scope }) if scope == "files.write"
        ));
        assert_eq!(principal.claims["jti"], "j1");
    }
}

#[actix_web::test]
async fn every_rule_of_rfc_9068_section_4_refuses_a_token_that_breaks_it() {
    let k = key(KeyAlgorithm::Es256);
    let other = key(KeyAlgorithm::Es256);
    let rsa = key(KeyAlgorithm::Rs256);
    let provider = Provider::start(vec![jwk(&k), jwk(&rsa)]).await;
    let validator = provider.validator().await;
    let now = provider.now();
    let with = |patch: Value| {
        let mut claims = provider.claims();
        for (name, value) in patch.as_object().unwrap() {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(name);
            } else {
                claims[name] = value.clone();
            }
        }
        claims
    };
    let good = header(&k);
    let header_with = |patch: Value| {
        let mut h = good.clone();
        for (name, value) in patch.as_object().unwrap() {
            if value.is_null() {
                h.as_object_mut().unwrap().remove(name);
            } else {
                h[name] = value.clone();
            }
        }
        h
    };
    // Accepted: within the leeway, an audience list, the media-type spelling of typ.
    for (h, c) in [
        (good.clone(), with(json!({"exp": now - 30}))),
        (
            good.clone(),
            with(json!({"aud": ["https://other.example", AUDIENCE]})),
        ),
        (
            header_with(json!({"typ": "application/at+jwt"})),
            provider.claims(),
        ),
        (good.clone(), with(json!({"nbf": now + 30, "scope": null}))),
    ] {
        validator.validate(&sign(&k, &h, &c)).await.unwrap();
    }
    let cases: Vec<(String, &str)> = vec![
        (
            sign(&k, &good, &with(json!({"aud": "https://other.example"}))),
            "the token is for another audience",
        ),
        (
            sign(&k, &good, &with(json!({"aud": null}))),
            "the token is for another audience",
        ),
        (
            sign(&k, &good, &with(json!({"iss": "https://evil.example"}))),
            "the token is from another issuer",
        ),
        (
            sign(&k, &good, &with(json!({"exp": now - 61}))),
            "the token has expired",
        ),
        (
            sign(&k, &good, &with(json!({"exp": null}))),
            "the token has no expiry",
        ),
        (
            sign(&k, &good, &with(json!({"nbf": now + 120}))),
            "the token is not valid yet",
        ),
        (
            sign(&k, &good, &with(json!({"iat": now + 120}))),
            "the token was issued in the future",
        ),
        (
            sign(&k, &good, &with(json!({"sub": null}))),
            "the token lacks sub or client_id",
        ),
        (
            sign(&k, &good, &with(json!({"client_id": null}))),
            "the token lacks sub or client_id",
        ),
        (
            sign(&k, &header_with(json!({"typ": "JWT"})), &provider.claims()),
            "the token is not a JWT access token (typ at+jwt)",
        ),
        (
            sign(&k, &header_with(json!({"typ": null})), &provider.claims()),
            "the token is not a JWT access token (typ at+jwt)",
        ),
        (
            sign(&k, &header_with(json!({"alg": "none"})), &provider.claims()),
            "the token's signing algorithm is not accepted",
        ),
        (
            sign(
                &k,
                &header_with(json!({"alg": "HS256"})),
                &provider.claims(),
            ),
            "the token's signing algorithm is not accepted",
        ),
        (
            sign(&k, &header_with(json!({"kid": null})), &provider.claims()),
            "the token names no key (kid)",
        ),
        (
            sign(
                &k,
                &header_with(json!({"jku": "https://evil.example/jwks"})),
                &provider.claims(),
            ),
            "the token names its own key or critical extensions",
        ),
        (
            sign(
                &k,
                &header_with(json!({"jwk": jwk(&other)})),
                &provider.claims(),
            ),
            "the token names its own key or critical extensions",
        ),
        // Signed by another key under a known kid.
        (
            sign(&other, &good, &provider.claims()),
            "the token's signature does not verify",
        ),
        // An ES256 signature presented as RS256 under the RSA key's kid.
        (
            sign(
                &k,
                &json!({"alg": "RS256", "typ": "at+jwt", "kid": rsa.kid()}),
                &provider.claims(),
            ),
            "the token's signature does not verify",
        ),
        ("abc".to_owned(), "the token is not a JWT"),
        ("a.b.c.d".to_owned(), "the token is not a JWT"),
        ("e30.e30.AA".to_owned(), "the token's header is malformed"),
        (
            format!("{}.%%%", signed_input(&sign(&k, &good, &provider.claims()))),
            "the token's signature is malformed",
        ),
        (
            format!(
                "{}.e30",
                signed_input(&sign(&k, &good, &provider.claims()))
                    .split('.')
                    .next()
                    .unwrap()
            ),
            "the token is not a JWT",
        ),
        (
            format!(
                "{}.bm90IGpzb24.AA",
                sign(&k, &good, &provider.claims())
                    .split('.')
                    .next()
                    .unwrap()
            ),
            "the token's claims are malformed",
        ),
        (
            format!("{}.e30.AA", "A".repeat(17_000)),
            "the token is too long",
        ),
    ];
    for (token, why) in cases {
        assert_eq!(refused(validator.validate(&token).await), why, "{token}");
    }
    // None of these made the validator fetch the keys again.
    assert_eq!(provider.hits(), 1);
}

#[actix_web::test]
async fn an_unknown_kid_refetches_the_keys_once_per_interval_not_once_per_request() {
    let old = key(KeyAlgorithm::EdDsa);
    let new = key(KeyAlgorithm::EdDsa);
    let provider = Provider::start(vec![jwk(&old)]).await;
    let validator = Arc::new(provider.validator().await);
    assert_eq!(provider.hits(), 1);

    // Just fetched: a token under an unknown kid is refused without another fetch.
    let token = |p: &Provider| sign(&new, &header(&new), &p.claims());
    refused(validator.validate(&token(&provider)).await);
    assert_eq!(provider.hits(), 1);

    // After the interval, many requests at once cause one fetch between them.
    provider.advance(31);
    let t = token(&provider);
    let results = futures_all(&validator, &t, 20).await;
    assert!(results.iter().all(Result::is_err));
    assert_eq!(provider.hits(), 2);

    // The provider rotates the new key in; within the interval it is not seen yet.
    provider.keys.lock().unwrap().push(jwk(&new));
    refused(validator.validate(&token(&provider)).await);
    assert_eq!(provider.hits(), 2);
    provider.advance(31);
    let t = token(&provider);
    for result in futures_all(&validator, &t, 20).await {
        assert_eq!(result.unwrap().subject, "user-1");
    }
    assert_eq!(provider.hits(), 3);
    // Known now: no more fetches.
    validator.validate(&token(&provider)).await.unwrap();
    assert_eq!(provider.hits(), 3);
    assert_eq!(validator.jwks_fetches(), 3);
}

/// `n` validations of `token` running at once (tasks on this thread's runtime, which
/// interleave while the first one waits for the keys).
async fn futures_all(
    validator: &Arc<JwtValidator>,
    token: &str,
    n: usize,
) -> Vec<Result<idp_resource::Principal, ResourceError>> {
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (v, t) = (Arc::clone(validator), token.to_owned());
            actix_web::rt::spawn(async move { v.validate(&t).await })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[actix_web::test]
async fn a_key_the_provider_retires_stops_verifying_after_the_cache_age() {
    let k = key(KeyAlgorithm::Rs256);
    let provider = Provider::start(vec![jwk(&k)]).await;
    let validator = provider.validator().await;
    validator
        .validate(&sign(&k, &header(&k), &provider.claims()))
        .await
        .unwrap();
    provider.keys.lock().unwrap().clear();
    // Within the cache age the held key still verifies (the documented bound)...
    provider.advance(299);
    validator
        .validate(&sign(&k, &header(&k), &provider.claims()))
        .await
        .unwrap();
    assert_eq!(provider.hits(), 1);
    // ...after it, the keys are fetched again and the retired key is gone.
    provider.advance(2);
    assert_eq!(
        refused(
            validator
                .validate(&sign(&k, &header(&k), &provider.claims()))
                .await
        ),
        "the token's key is not one of the provider's keys"
    );
    assert_eq!(provider.hits(), 2);
}

#[actix_web::test]
async fn discovery_refuses_metadata_that_names_another_issuer() {
    let provider = Provider::start_naming(vec![], Some("https://evil.example")).await;
    let err = JwtValidator::discover(provider.config()).await.unwrap_err();
    assert!(matches!(err, ResourceError::Discovery(_)), "{err:?}");
    let err = JwtValidator::discover(idp_resource::ValidatorConfig::new(
        "http://127.0.0.1:9",
        AUDIENCE,
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, ResourceError::Discovery(_)), "{err:?}");
}
