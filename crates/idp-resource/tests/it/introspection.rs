//! The introspecting validator against a stand-in introspection endpoint (RFC 7662):
//! answers it can change, the credentials it expects, and how often it is asked.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use idp_core::{Clock, FixedClock};
use idp_resource::{IntrospectionConfig, IntrospectionValidator, Principal, ResourceError};
use serde_json::{json, Value};

use crate::support::{start_time, AUDIENCE};

const CLIENT_ID: &str = "api";
/// A secret with characters form-encoding changes (RFC 6749 §2.3.1).
const CLIENT_SECRET: &str = "s3cret:with+odd chars";

/// A stand-in provider with an introspection endpoint.
struct Introspector {
    issuer: String,
    /// Token → the answer; unknown tokens are inactive.
    answers: Arc<Mutex<HashMap<String, Value>>>,
    calls: Arc<AtomicUsize>,
    clock: Arc<FixedClock>,
}

impl Introspector {
    async fn start() -> Introspector {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let answers: Arc<Mutex<HashMap<String, Value>>> = Arc::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let metadata = json!({
            "issuer": issuer,
            "jwks_uri": format!("{issuer}/jwks"),
            "introspection_endpoint": format!("{issuer}/introspect"),
        });
        // client_secret_basic: each part form-encoded, then base64 (RFC 6749 §2.3.1).
        let expected = {
            use base64::Engine;
            let pair = "api:s3cret%3Awith%2Bodd+chars";
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        };
        let (a, c) = (answers.clone(), calls.clone());
        let server = HttpServer::new(move || {
            let (metadata, a, c, expected) =
                (metadata.clone(), a.clone(), c.clone(), expected.clone());
            App::new()
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(move || {
                        let metadata = metadata.clone();
                        async move { HttpResponse::Ok().json(metadata) }
                    }),
                )
                .route(
                    "/introspect",
                    web::post().to(
                        move |req: HttpRequest, form: web::Form<HashMap<String, String>>| {
                            c.fetch_add(1, Ordering::SeqCst);
                            let authorized = req
                                .headers()
                                .get("authorization")
                                .and_then(|v| v.to_str().ok())
                                == Some(expected.as_str());
                            let answer = a
                                .lock()
                                .unwrap()
                                .get(form.get("token").map_or("", String::as_str))
                                .cloned()
                                .unwrap_or_else(|| json!({"active": false}));
                            let hint = form.get("token_type_hint").cloned();
                            async move {
                                if !authorized {
                                    return HttpResponse::Unauthorized()
                                        .json(json!({"error": "invalid_client"}));
                                }
                                assert_eq!(hint.as_deref(), Some("access_token"));
                                HttpResponse::Ok().json(answer)
                            }
                        },
                    ),
                )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        actix_web::rt::spawn(server);
        Introspector {
            issuer,
            answers,
            calls,
            clock: Arc::new(FixedClock::new(start_time())),
        }
    }

    fn config(&self) -> IntrospectionConfig {
        IntrospectionConfig::new(self.issuer.clone(), AUDIENCE, CLIENT_ID, CLIENT_SECRET)
    }

    async fn validator_with(&self, config: IntrospectionConfig) -> IntrospectionValidator {
        IntrospectionValidator::discover_with_clock(config, self.clock.clone())
            .await
            .unwrap()
    }

    async fn validator(&self) -> IntrospectionValidator {
        self.validator_with(self.config()).await
    }

    fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }

    fn advance(&self, seconds: i64) {
        self.clock.advance(chrono::Duration::seconds(seconds));
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// What the provider answers for an active access token, valid `for_seconds` more.
    fn active(&self, for_seconds: i64) -> Value {
        let now = self.now();
        json!({
            "active": true,
            "scope": "openid files.read",
            "client_id": "mcp-client",
            "username": "alice",
            "token_type": "Bearer",
            "exp": now + for_seconds,
            "iat": now,
            "sub": "user-1",
            "aud": AUDIENCE,
            "iss": self.issuer,
        })
    }

    fn answer(&self, token: &str, answer: Value) {
        self.answers.lock().unwrap().insert(token.into(), answer);
    }
}

fn refused(result: Result<Principal, ResourceError>) -> &'static str {
    match result {
        Err(ResourceError::InvalidToken(why)) => why,
        other => panic!("expected invalid_token, got {other:?}"),
    }
}

#[actix_web::test]
async fn an_active_token_gives_its_principal_and_the_answer_is_reused_until_the_max_age() {
    let provider = Introspector::start().await;
    provider.answer("tok-1", provider.active(3600));
    let validator = Arc::new(provider.validator().await);
    let principal = validator.validate("tok-1").await.unwrap();
    assert_eq!(principal.subject, "user-1");
    assert_eq!(principal.client_id, "mcp-client");
    assert_eq!(principal.scopes, ["openid", "files.read"]);
    assert_eq!(principal.claims["username"], "alice");
    assert_eq!(provider.calls(), 1);

    // N more requests within the max age: no further question.
    for _ in 0..10 {
        validator.validate("tok-1").await.unwrap();
    }
    assert_eq!(provider.calls(), 1);
    assert_eq!(validator.introspections(), 1);
    assert_eq!(validator.cached(), 1);

    // At the max age (60 s) the provider is asked again: a revocation shows now.
    provider.advance(59);
    validator.validate("tok-1").await.unwrap();
    assert_eq!(provider.calls(), 1);
    provider.advance(1);
    provider.answer("tok-1", json!({"active": false}));
    assert_eq!(
        refused(validator.validate("tok-1").await),
        "the token is not active"
    );
    assert_eq!(provider.calls(), 2);

    // Many identical requests at once share one question.
    provider.answer("tok-2", provider.active(3600));
    let handles: Vec<_> = (0..20)
        .map(|_| {
            let v = Arc::clone(&validator);
            actix_web::rt::spawn(async move { v.validate("tok-2").await })
        })
        .collect();
    for h in handles {
        assert_eq!(h.await.unwrap().unwrap().subject, "user-1");
    }
    assert_eq!(provider.calls(), 3);
}

#[actix_web::test]
async fn inactive_answers_are_refused_and_never_cached() {
    let provider = Introspector::start().await;
    let validator = provider.validator().await;
    for n in 1..=3 {
        assert_eq!(
            refused(validator.validate("unknown").await),
            "the token is not active"
        );
        assert_eq!(provider.calls(), n);
    }
    assert_eq!(validator.cached(), 0);
    // Requests that overlap share one question, and its refusal.
    let validator = Arc::new(validator);
    let handles: Vec<_> = (0..20)
        .map(|_| {
            let v = Arc::clone(&validator);
            actix_web::rt::spawn(async move { v.validate("unknown").await })
        })
        .collect();
    for h in handles {
        assert_eq!(refused(h.await.unwrap()), "the token is not active");
    }
    assert_eq!(provider.calls(), 4);
    // ...but the refusal is not kept: the next request asks again.
    refused(validator.validate("unknown").await);
    assert_eq!(provider.calls(), 5);
    // A refusal is a 401 with invalid_token (RFC 6750 §3.1).
    let err = validator.validate("unknown").await.unwrap_err();
    assert_eq!(err.status(), 401);
    assert!(err
        .www_authenticate(None)
        .contains(r#"error="invalid_token""#));
    // The token that becomes known is accepted on the next request.
    provider.answer("unknown", provider.active(300));
    validator.validate("unknown").await.unwrap();
}

#[actix_web::test]
async fn a_cached_answer_never_outlives_the_tokens_exp() {
    let provider = Introspector::start().await;
    provider.answer("short", provider.active(10));
    let validator = provider.validator().await;
    validator.validate("short").await.unwrap();
    provider.advance(9);
    validator.validate("short").await.unwrap();
    assert_eq!(provider.calls(), 1);
    // At exp the cache no longer answers, though the max age (60 s) has not passed; the
    // provider's answer that it is still active is refused by its own exp.
    provider.advance(1);
    assert_eq!(
        refused(validator.validate("short").await),
        "the token has expired"
    );
    assert_eq!(provider.calls(), 2);
}

#[actix_web::test]
async fn a_max_age_of_zero_asks_on_every_request() {
    let provider = Introspector::start().await;
    provider.answer("tok", provider.active(300));
    let mut config = provider.config();
    config.cache_max_age_seconds = 0;
    let validator = provider.validator_with(config).await;
    for n in 1..=3 {
        validator.validate("tok").await.unwrap();
        assert_eq!(provider.calls(), n);
    }
    assert_eq!(validator.cached(), 0);
}

#[actix_web::test]
async fn other_audiences_issuers_and_refresh_tokens_are_refused() {
    let provider = Introspector::start().await;
    let validator = provider.validator().await;
    let with = |patch: Value| {
        let mut answer = provider.active(300);
        for (name, value) in patch.as_object().unwrap() {
            if value.is_null() {
                answer.as_object_mut().unwrap().remove(name);
            } else {
                answer[name] = value.clone();
            }
        }
        answer
    };
    // Accepted: an audience list naming this resource; no aud at all (an opaque token
    // the provider gives no audience).
    for (token, answer) in [
        (
            "list",
            with(json!({"aud": ["https://other.example", AUDIENCE]})),
        ),
        ("no-aud", with(json!({"aud": null}))),
    ] {
        provider.answer(token, answer);
        validator.validate(token).await.unwrap();
    }
    for (token, answer, why) in [
        (
            "other-aud",
            with(json!({"aud": "https://other.example"})),
            "the token is for another audience",
        ),
        (
            "other-list",
            with(json!({"aud": ["https://other.example"]})),
            "the token is for another audience",
        ),
        (
            "refresh",
            with(json!({"token_type": "refresh_token", "aud": null})),
            "a refresh token is not an access token",
        ),
        (
            "other-iss",
            with(json!({"iss": "https://evil.example"})),
            "the token is from another issuer",
        ),
        (
            "no-sub",
            with(json!({"sub": null})),
            "the token lacks sub or client_id",
        ),
        (
            "active-string",
            with(json!({"active": "true"})),
            "the token is not active",
        ),
    ] {
        provider.answer(token, answer);
        assert_eq!(refused(validator.validate(token).await), why, "{token}");
        // Refused answers are not cached either.
        refused(validator.validate(token).await);
    }
    assert_eq!(provider.calls(), 2 + 6 * 2);
    assert_eq!(
        refused(validator.validate("").await),
        "the token is empty or too long"
    );
    assert_eq!(
        refused(validator.validate(&"a".repeat(17_000)).await),
        "the token is empty or too long"
    );
    assert_eq!(provider.calls(), 2 + 6 * 2);
}

#[actix_web::test]
async fn a_full_cache_evicts_the_oldest_answer() {
    let provider = Introspector::start().await;
    for t in ["a", "b", "c"] {
        provider.answer(t, provider.active(300));
    }
    let mut config = provider.config();
    config.cache_max_entries = 2;
    let validator = provider.validator_with(config).await;
    for t in ["a", "b", "c"] {
        validator.validate(t).await.unwrap();
    }
    assert_eq!(provider.calls(), 3);
    assert_eq!(validator.cached(), 2);
    // "b" and "c" are held; "a", the oldest, was evicted and is asked about again.
    validator.validate("b").await.unwrap();
    validator.validate("c").await.unwrap();
    assert_eq!(provider.calls(), 3);
    validator.validate("a").await.unwrap();
    assert_eq!(provider.calls(), 4);
    assert_eq!(validator.cached(), 2);
}

#[actix_web::test]
async fn wrong_credentials_or_no_endpoint_are_the_servers_problem_not_the_tokens() {
    let provider = Introspector::start().await;
    provider.answer("tok", provider.active(300));
    let mut config = provider.config();
    config.client_secret = "wrong".into();
    let validator = provider.validator_with(config).await;
    let err = validator.validate("tok").await.unwrap_err();
    assert!(matches!(err, ResourceError::Unavailable(_)), "{err:?}");
    assert_eq!(err.status(), 503);
    assert_eq!(err.www_authenticate(None), "Bearer");

    // Metadata without an introspection endpoint (the JWT stand-in's): set-up fails.
    let jwt_only = crate::support::Provider::start(vec![]).await;
    let err = IntrospectionValidator::discover(IntrospectionConfig::new(
        jwt_only.issuer.clone(),
        AUDIENCE,
        CLIENT_ID,
        CLIENT_SECRET,
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, ResourceError::Discovery(_)), "{err:?}");
}
