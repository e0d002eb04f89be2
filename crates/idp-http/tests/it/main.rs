//! The HTTP adapter in an actix test service over a real SQLite store.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{test, App};
use idp_core::{Clock, SystemClock};
use idp_protocol::manage::{self, CreatedClient, NewClient};
use idp_protocol::{Provider, ProviderConfig};
use idp_store::DieselStore;

/// The service `test::init_service` makes.
trait TestApp:
    actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse,
    Error = actix_web::Error,
>
{
}

impl<S> TestApp for S where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >
{
}

struct Fixture {
    state: idp_http::HttpState,
    client: CreatedClient,
    _dir: tempfile::TempDir,
}

fn fixture(issuer: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = DieselStore::open(&format!("sqlite://{}/idp.db", dir.path().display())).unwrap();
    let kek = Arc::new(idp_protocol::KeyEncryptionKey::from_bytes(&[7; 32]).unwrap());
    idp_protocol::import_signing_key(
        &store,
        &SystemClock,
        &kek,
        include_bytes!("../../../idp-protocol/tests/fixtures/test-rs256.pk8"),
        SystemClock.now(),
    )
    .unwrap();
    let client = manage::create_client(
        &store,
        &SystemClock,
        Some(&kek),
        NewClient::new(
            "<script>App</script>",
            vec!["https://app.example/cb".into()],
        ),
    )
    .unwrap();
    let provider = Provider::new(
        Arc::new(store),
        Arc::new(SystemClock),
        ProviderConfig::new(issuer, kek),
    );
    Fixture {
        state: idp_http::HttpState::new(Arc::new(provider)),
        client,
        _dir: dir,
    }
}

fn authorize_uri(f: &Fixture) -> String {
    format!(
        "/authorize?response_type=code&client_id={}&redirect_uri=https://app.example/cb&scope=openid",
        f.client.client.id
    )
}

/// Sends an authorization request and returns the login page path it redirects to and
/// the session cookie (`Set-Cookie`) the request was bound to.
async fn login_path(app: &impl TestApp, f: &Fixture, issuer: &str) -> (String, String) {
    let response = test::call_service(
        app,
        test::TestRequest::get().uri(&authorize_uri(f)).to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let login = response
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        login.starts_with(&format!("{issuer}/login?request_id=")),
        "{login}"
    );
    (login.trim_start_matches(issuer).to_owned(), cookie)
}

/// The `name=value` part of a `Set-Cookie` header.
fn cookie_pair(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap()
}

#[actix_web::test]
async fn both_metadata_documents_are_served_and_identical() {
    let f = fixture("https://idp.example");
    let app = test::init_service(App::new().configure(idp_http::configure(f.state.clone()))).await;
    let oidc: serde_json::Value = test::call_and_read_body_json(
        &app,
        test::TestRequest::get()
            .uri("/.well-known/openid-configuration")
            .to_request(),
    )
    .await;
    let oauth: serde_json::Value = test::call_and_read_body_json(
        &app,
        test::TestRequest::get()
            .uri("/.well-known/oauth-authorization-server")
            .to_request(),
    )
    .await;
    assert_eq!(oidc, oauth);
    assert_eq!(oidc["issuer"], "https://idp.example");
    assert_eq!(oidc["token_endpoint"], "https://idp.example/token");
    assert_eq!(
        oidc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(oidc["authorization_response_iss_parameter_supported"], true);
}

#[actix_web::test]
async fn pages_are_escaped_uncacheable_and_unframeable() {
    let f = fixture("https://idp.example");
    let app = test::init_service(App::new().configure(idp_http::configure(f.state.clone()))).await;
    let (path, cookie) = login_path(&app, &f, "https://idp.example").await;
    // An https issuer gets a __Host- cookie that is Secure, HttpOnly and SameSite=Lax.
    assert!(cookie.starts_with("__Host-idp_session="), "{cookie}");
    for flag in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    let response = test::call_service(
        &app,
        test::TestRequest::get()
            .uri(&path)
            .insert_header(("cookie", cookie_pair(&cookie)))
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers.get("x-frame-options").unwrap(), "DENY");
    assert_eq!(headers.get("cache-control").unwrap(), "no-store");
    assert!(headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
    assert!(
        body.contains("&#60;script&#62;App"),
        "client name is escaped: {body}"
    );
    assert!(!body.contains("<script>"));
    assert!(body.contains("<label for=\"username\">") && body.contains("<label for=\"password\">"));
}

#[actix_web::test]
async fn the_token_endpoint_speaks_rfc_6749_errors() {
    let f = fixture("http://127.0.0.1:1");
    let app = test::init_service(App::new().configure(idp_http::configure(f.state.clone()))).await;

    let response = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/token")
            .set_payload("grant_type=authorization_code")
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(body["error"], "invalid_request");

    let response = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/token")
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .insert_header(("authorization", "Basic Zm9vOmJhcg=="))
            .set_payload("grant_type=authorization_code&code=x")
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response
        .headers()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("Basic realm="));
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
    let body: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(body["error"], "invalid_client");
}

#[actix_web::test]
async fn plain_http_issuers_get_a_plain_cookie_name() {
    let f = fixture("http://127.0.0.1:1");
    let app = test::init_service(App::new().configure(idp_http::configure(f.state.clone()))).await;
    let (_, cookie) = login_path(&app, &f, "http://127.0.0.1:1").await;
    assert!(
        cookie.starts_with("idp_session=") && !cookie.contains("Secure"),
        "{cookie}"
    );
}

#[actix_web::test]
async fn only_the_endpoints_browser_apps_call_speak_cors() {
    let f = fixture("https://idp.example");
    let app = test::init_service(App::new().configure(idp_http::configure(f.state.clone()))).await;
    let preflight = |path: &str| {
        test::TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri(path)
            .insert_header(("origin", "https://app.example"))
            .insert_header(("access-control-request-method", "POST"))
            .to_request()
    };
    // The client's origin is allowed at the token endpoint…
    let response = test::call_service(&app, preflight("/token")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get("access-control-allow-origin")
            .unwrap(),
        "https://app.example"
    );
    // …but the interactive pages and the probes are not for scripts of other origins.
    for path in ["/authorize", "/login", "/consent", "/healthz", "/readyz"] {
        let response = test::call_service(&app, preflight(path)).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert!(!response
            .headers()
            .contains_key("access-control-allow-origin"));
    }
    // An OPTIONS that is not a preflight is just a method the endpoint does not have.
    let response = test::call_service(
        &app,
        test::TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri("/token")
            .insert_header(("origin", "https://app.example"))
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    // A request without Origin (a server-side client) gets no CORS headers from the APIs,
    // and `*` from public documents.
    let response =
        test::call_service(&app, test::TestRequest::get().uri("/userinfo").to_request()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(!response
        .headers()
        .contains_key("access-control-allow-origin"));
    assert!(!response
        .headers()
        .contains_key("access-control-expose-headers"));
    let response = test::call_service(
        &app,
        test::TestRequest::get().uri("/jwks.json").to_request(),
    )
    .await;
    assert_eq!(
        response
            .headers()
            .get("access-control-allow-origin")
            .unwrap(),
        "*"
    );
}
