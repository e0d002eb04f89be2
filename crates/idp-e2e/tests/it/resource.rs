//! An API built on `idp-resource` accepting this provider's JWT access tokens: the
//! actix extractor's answers (RFC 6750 §3, RFC 9728 §5.1), the metadata document, and
//! the validator refusing other audiences, expired tokens and retired keys.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{test, web, App, HttpResponse};
use idp_core::{Clock, FixedClock, SettingsRepo, SystemClock};
use idp_resource::actix::{configure, Authenticated, Rejection, ResourceGuard};
use idp_resource::{
    IntrospectionConfig, IntrospectionValidator, JwtValidator, ProtectedResourceMetadata,
    ResourceError, ValidatorConfig,
};
use serde_json::Value;

use crate::signing::{active_kid, eventually, jwks_kids};
use crate::support::{api_http, jwt_payload, TestServer};

const API: &str = "http://127.0.0.1:9/mcp";

async fn files(user: Authenticated) -> Result<HttpResponse, Rejection> {
    user.require_scope("profile")?;
    Ok(HttpResponse::Ok().body(user.subject.clone()))
}

async fn write(user: Authenticated) -> Result<HttpResponse, Rejection> {
    user.require_scope("files.write")?;
    Ok(HttpResponse::Ok().finish())
}

fn challenge(response: &actix_web::dev::ServiceResponse) -> String {
    response
        .headers()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

async fn an_api_on_the_resource_crate_admits_the_providers_tokens_and_refuses_the_rest() {
    let server = TestServer::start().await;
    let alice = server.create_user("alice");
    let created = server.create_client(|c| {
        c.first_party = true;
        c.options.jwt_access_token = true;
        c.options.resources = vec![API.into()];
        c.options.access_token_lifetime = Some(600);
    });
    let (status, tokens) = server.code_flow(&created, "alice", "openid profile").await;
    assert_eq!(status, 200, "{tokens}");
    let jwt = tokens["access_token"].as_str().unwrap().to_owned();

    let clock = Arc::new(FixedClock::new(SystemClock.now()));
    let validator =
        JwtValidator::discover_with_clock(ValidatorConfig::new(&server.base, API), clock.clone())
            .await
            .unwrap();
    let metadata = ProtectedResourceMetadata::new(API, &server.base).unwrap();
    let metadata_url = metadata.url();
    assert_eq!(
        metadata_url,
        "http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp"
    );
    let guard = ResourceGuard::new(validator, metadata);
    let app = test::init_service(
        App::new()
            .configure(configure(guard.clone()))
            .route("/mcp/files", web::get().to(files))
            .route("/mcp/write", web::post().to(write)),
    )
    .await;
    let get = |path: &str, token: Option<&str>| {
        let mut req = test::TestRequest::get().uri(path);
        if let Some(t) = token {
            req = req.insert_header(("authorization", format!("Bearer {t}")));
        }
        req.to_request()
    };

    // A valid token: the handler sees the user.
    let response = test::call_service(&app, get("/mcp/files", Some(&jwt))).await;
    assert_eq!(response.status(), 200);
    assert_eq!(test::read_body(response).await, alice.id.as_str());

    // No token: 401 pointing at the metadata, no error code (RFC 6750 §3.1).
    let response = test::call_service(&app, get("/mcp/files", None)).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        challenge(&response),
        format!(r#"Bearer resource_metadata="{metadata_url}""#)
    );
    // An opaque token, an ID token: invalid_token.
    let (_, opaque) = server
        .code_flow(
            &server.create_client(|c| c.first_party = true),
            "alice",
            "openid",
        )
        .await;
    for token in [
        opaque["access_token"].as_str().unwrap(),
        tokens["id_token"].as_str().unwrap(),
    ] {
        let response = test::call_service(&app, get("/mcp/files", Some(token))).await;
        assert_eq!(response.status(), 401);
        assert!(
            challenge(&response).contains(r#"error="invalid_token""#),
            "{}",
            challenge(&response)
        );
    }
    // A scope the token lacks: 403 naming it.
    let response = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/mcp/write")
            .insert_header(("authorization", format!("Bearer {jwt}")))
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), 403);
    let c = challenge(&response);
    assert!(
        c.contains(r#"error="insufficient_scope""#) && c.contains(r#"scope="files.write""#),
        "{c}"
    );
    // The metadata document, at the path-suffixed well-known URL (RFC 9728 §3.1).
    let response =
        test::call_service(&app, get("/.well-known/oauth-protected-resource/mcp", None)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("access-control-allow-origin")
            .unwrap(),
        "*"
    );
    let document: Value = test::read_body_json(response).await;
    assert_eq!(document["resource"], API);
    assert_eq!(document["authorization_servers"][0], server.base.as_str());
    assert_eq!(document["bearer_methods_supported"][0], "header");

    // Another API (another audience) refuses the token.
    let other = JwtValidator::discover(ValidatorConfig::new(&server.base, "https://other.example"))
        .await
        .unwrap();
    assert!(matches!(
        other.validate(&jwt).await,
        Err(ResourceError::InvalidToken(
            "the token is for another audience"
        ))
    ));
    // Past its expiry (600 s, plus the 60 s leeway), the token is refused.
    let exp = jwt_payload(&jwt)["exp"].as_i64().unwrap();
    clock.advance(chrono::Duration::seconds(
        exp - clock.now().timestamp() + 60,
    ));
    assert!(matches!(
        guard.validator().validate(&jwt).await,
        Err(ResourceError::InvalidToken("the token has expired"))
    ));
}

async fn a_token_is_refused_once_its_key_is_retired_and_leaves_the_jwks() {
    let server = TestServer::start().await;
    server.create_user("bob");
    server
        .store
        .set_setting("retired_key_grace", "1", SystemClock.now())
        .unwrap();
    let created = server.create_client(|c| {
        c.first_party = true;
        c.options.jwt_access_token = true;
        c.options.resources = vec![API.into()];
    });
    let (_, tokens) = server.code_flow(&created, "bob", "openid").await;
    let jwt = tokens["access_token"].as_str().unwrap().to_owned();
    let clock = Arc::new(FixedClock::new(SystemClock.now()));
    let validator =
        JwtValidator::discover_with_clock(ValidatorConfig::new(&server.base, API), clock.clone())
            .await
            .unwrap();
    assert_eq!(
        validator.validate(&jwt).await.unwrap().client_id,
        created.client.id.as_str()
    );
    assert_eq!(validator.jwks_fetches(), 1);

    // The operator rotates and retires the key that signed it.
    let old = active_kid(&server, "RS256");
    assert!(server.admin(&["key", "rotate", "--alg", "RS256"]).ok);
    assert!(server.admin(&["key", "retire", &old]).ok);
    eventually(
        Duration::from_secs(10),
        "the retired key leaves the JWKS",
        || async { !jwks_kids(&server).await.contains(&old) },
    )
    .await;
    // The validator notices when its cached keys are due again: one fetch, then refused.
    clock.advance(chrono::Duration::seconds(301));
    assert!(matches!(
        validator.validate(&jwt).await,
        Err(ResourceError::InvalidToken(
            "the token's key is not one of the provider's keys"
        ))
    ));
    assert!(validator.validate(&jwt).await.is_err());
    assert_eq!(validator.jwks_fetches(), 2);
}

async fn whoami(user: Authenticated) -> Result<HttpResponse, Rejection> {
    user.require_scope("files.read")?;
    Ok(HttpResponse::Ok().body(user.client_id.clone()))
}

async fn an_api_introspecting_opaque_tokens_admits_them_until_they_are_revoked() {
    let server = TestServer::start().await;
    let run = server.admin(&["scope", "create", "files.read", "--description", "Files"]);
    assert!(run.ok, "{}", run.stderr);
    let api = server.create_client(|c| {
        c.name = "File API".into();
        c.redirect_uris = Vec::new();
        c.grant_types = vec!["client_credentials".into()];
        c.options.resource_server = true;
    });
    let machine = server.create_client(|c| {
        c.name = "Backup job".into();
        c.redirect_uris = Vec::new();
        c.grant_types = vec!["client_credentials".into()];
        c.scopes = vec!["files.read".into()];
        c.default_scopes = vec!["files.read".into()];
        c.options.resources = vec![API.into()];
    });
    let (status, tokens) = server
        .token_request(&machine, &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(status, 200, "{tokens}");
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    assert!(!token.contains('.'), "an opaque token: {token}");

    let config = |caller: &idp_protocol::manage::CreatedClient| {
        IntrospectionConfig::new(
            &server.base,
            API,
            caller.client.id.as_str(),
            caller.secret.clone().unwrap(),
        )
    };
    let clock = Arc::new(FixedClock::new(SystemClock.now()));
    // Without a cache: every request asks the provider.
    let mut uncached = config(&api);
    uncached.cache_max_age_seconds = 0;
    let uncached = IntrospectionValidator::discover_with_clock(uncached, clock.clone())
        .await
        .unwrap();
    // With the default cache (60 s).
    let cached = IntrospectionValidator::discover_with_clock(config(&api), clock.clone())
        .await
        .unwrap();
    let guard = ResourceGuard::new(
        uncached,
        ProtectedResourceMetadata::new(API, &server.base).unwrap(),
    );
    let app = test::init_service(
        App::new()
            .configure(configure(guard.clone()))
            .route("/mcp/whoami", web::get().to(whoami)),
    )
    .await;
    let whoami_with = |t: &str| {
        test::TestRequest::get()
            .uri("/mcp/whoami")
            .insert_header(("authorization", format!("Bearer {t}")))
            .to_request()
    };
    let response = test::call_service(&app, whoami_with(&token)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(test::read_body(response).await, machine.client.id.as_str());
    let principal = cached.validate(&token).await.unwrap();
    assert_eq!(principal.subject, machine.client.id.as_str());
    assert_eq!(principal.scopes, ["files.read"]);
    for _ in 0..5 {
        cached.validate(&token).await.unwrap();
    }
    assert_eq!(cached.introspections(), 1);

    // A client that is not a resource server learns nothing of another's token.
    let stranger = server.create_client(|_| {});
    let stranger = IntrospectionValidator::discover(config(&stranger))
        .await
        .unwrap();
    assert!(matches!(
        stranger.validate(&token).await,
        Err(ResourceError::InvalidToken("the token is not active"))
    ));
    // Nor does one whose credentials are wrong: the API answers 503, not 401.
    let mut wrong = config(&api);
    wrong.client_secret = "not-the-secret".into();
    let wrong = IntrospectionValidator::discover(wrong).await.unwrap();
    assert_eq!(wrong.validate(&token).await.unwrap_err().status(), 503);

    // The machine revokes its token (RFC 7009).
    let response = api_http()
        .post(server.url("/revoke"))
        .basic_auth(machine.client.id.as_str(), machine.secret.as_deref())
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Without a cache the very next request is refused.
    let response = test::call_service(&app, whoami_with(&token)).await;
    assert_eq!(response.status(), 401);
    assert!(
        challenge(&response).contains(r#"error="invalid_token""#),
        "{}",
        challenge(&response)
    );
    // The cached answer still admits it for at most its max age (the documented
    // bound), then the provider is asked again and it is refused.
    cached.validate(&token).await.unwrap();
    clock.advance(chrono::Duration::seconds(60));
    assert!(matches!(
        cached.validate(&token).await,
        Err(ResourceError::InvalidToken("the token is not active"))
    ));
    assert_eq!(cached.introspections(), 2);
}

async fn jwt_access_tokens_signed_with_each_algorithm_validate_in_the_crate() {
    let server = TestServer::start().await;
    let validator = JwtValidator::discover(ValidatorConfig::new(&server.base, API))
        .await
        .unwrap();
    for alg in ["RS256", "ES256", "EdDSA"] {
        let machine = server.create_client(|c| {
            c.redirect_uris = Vec::new();
            c.grant_types = vec!["client_credentials".into()];
            c.options.jwt_access_token = true;
            c.options.access_token_alg = alg.parse().unwrap();
            c.options.resources = vec![API.into()];
        });
        let (status, tokens) = server
            .token_request(&machine, &[("grant_type", "client_credentials")])
            .await;
        assert_eq!(status, 200, "{tokens}");
        let token = tokens["access_token"].as_str().unwrap();
        let header = jwt_header(token);
        assert_eq!(header["alg"], alg);
        assert_eq!(header["typ"], "at+jwt");
        let principal = validator.validate(token).await.unwrap();
        assert_eq!(principal.client_id, machine.client.id.as_str());
        assert_eq!(principal.subject, machine.client.id.as_str());
    }
}

/// The header of a JWS, unverified.
fn jwt_header(jwt: &str) -> Value {
    use base64::Engine;
    let header = jwt.split('.').next().unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap()
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    an_api_on_the_resource_crate_admits_the_providers_tokens_and_refuses_the_rest,
    jwt_access_tokens_signed_with_each_algorithm_validate_in_the_crate,
    a_token_is_refused_once_its_key_is_retired_and_leaves_the_jwks,
    an_api_introspecting_opaque_tokens_admits_them_until_they_are_revoked,
);
