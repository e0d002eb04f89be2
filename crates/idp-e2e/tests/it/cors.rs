//! CORS (the Fetch standard's CORS protocol) on the endpoints browser apps call: public
//! documents to any origin with `*`; the token endpoint and UserInfo only to the origins of
//! registered redirect URIs and configured ones, echoed, never with credentials.

use std::time::{Duration, Instant};

use idp_protocol::manage;
use reqwest::header::HeaderMap;

use crate::support::{api_http, query_param, Browser, TestServer, PASSWORD, REDIRECT_URI};

/// The origin of the test client's redirect URI (`REDIRECT_URI`).
const CLIENT_ORIGIN: &str = "http://127.0.0.1:9";
const UNLISTED_ORIGIN: &str = "https://evil.example";

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(|v| v.to_str().unwrap().to_owned())
}

/// The comma-separated items of a header, lowercased.
fn items(headers: &HeaderMap, name: &str) -> Vec<String> {
    header(headers, name)
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A browser's preflight for `method` on `path` from `origin`, announcing the
/// `Authorization` and `Content-Type` headers.
async fn preflight(
    server: &TestServer,
    path: &str,
    origin: &str,
    method: &str,
) -> reqwest::Response {
    api_http()
        .request(reqwest::Method::OPTIONS, server.url(path))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap()
}

/// Whether a preflight to `/token` from `origin` is allowed.
async fn token_preflight_allowed(server: &TestServer, origin: &str) -> bool {
    let response = preflight(server, "/token", origin, "POST").await;
    match header(response.headers(), "access-control-allow-origin") {
        Some(allowed) => {
            assert_eq!(allowed, origin);
            assert_eq!(response.status(), 200);
            true
        }
        None => {
            assert_eq!(response.status(), 400);
            false
        }
    }
}

/// The headers every CORS answer to an allowed origin on the client APIs has.
fn assert_echoed(headers: &HeaderMap, origin: &str) {
    assert_eq!(
        header(headers, "access-control-allow-origin").as_deref(),
        Some(origin),
        "{headers:?}"
    );
    assert!(
        items(headers, "vary").contains(&"origin".to_owned()),
        "{headers:?}"
    );
    assert!(
        !headers.contains_key("access-control-allow-credentials"),
        "{headers:?}"
    );
}

fn assert_no_cors(headers: &HeaderMap) {
    for name in [
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-expose-headers",
    ] {
        assert!(!headers.contains_key(name), "{name}: {headers:?}");
    }
}

async fn preflights_are_answered_for_registered_origins_only() {
    let server = TestServer::start_with(|s| s.metrics_on_main_listener = true).await;
    server.create_client(|_| {});

    let response = preflight(&server, "/token", CLIENT_ORIGIN, "POST").await;
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_echoed(headers, CLIENT_ORIGIN);
    assert_eq!(items(headers, "access-control-allow-methods"), ["post"]);
    let allowed_headers = items(headers, "access-control-allow-headers");
    for name in ["authorization", "content-type"] {
        assert!(allowed_headers.contains(&name.to_owned()), "{headers:?}");
    }
    assert_eq!(
        header(headers, "access-control-max-age").as_deref(),
        Some("600")
    );

    let response = preflight(&server, "/userinfo", CLIENT_ORIGIN, "GET").await;
    assert_eq!(response.status(), 200);
    assert_echoed(response.headers(), CLIENT_ORIGIN);
    let methods = items(response.headers(), "access-control-allow-methods");
    assert!(methods.contains(&"get".to_owned()) && methods.contains(&"post".to_owned()));

    // An unlisted origin: no CORS headers at all, the preflight refused.
    for path in ["/token", "/userinfo"] {
        let response = preflight(&server, path, UNLISTED_ORIGIN, "POST").await;
        assert_eq!(response.status(), 400, "{path}");
        assert_no_cors(response.headers());
    }
    // A method the endpoint does not take, or a header not allowed, is refused too.
    let response = preflight(&server, "/token", CLIENT_ORIGIN, "DELETE").await;
    assert_eq!(response.status(), 400);
    assert!(!response
        .headers()
        .contains_key("access-control-allow-origin"));
    let response = api_http()
        .request(reqwest::Method::OPTIONS, server.url("/token"))
        .header("origin", CLIENT_ORIGIN)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "x-custom")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    // Preflights are counted in the metrics like any request.
    let metrics = crate::support::get_text(&server.url("/metrics")).await;
    assert_eq!(
        crate::support::metrics_sample(
            &metrics,
            "idp_http_requests_total{route=\"/token\",method=\"OPTIONS\",status=\"200\"}"
        ),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        crate::support::metrics_sample(
            &metrics,
            "idp_http_requests_total{route=\"/token\",method=\"OPTIONS\",status=\"400\"}"
        ),
        Some(3.0),
        "{metrics}"
    );
}

async fn token_and_userinfo_echo_an_allowed_origin_and_nothing_else() {
    let server = TestServer::start().await;
    server.create_user("alice");
    let created = server.create_client(|c| c.first_party = true);
    let id = created.client.id.as_str().to_owned();
    let authorize = server.url(&format!(
        "/authorize?response_type=code&client_id={id}&redirect_uri={REDIRECT_URI}\
         &scope=openid%20profile&state=s&nonce=n"
    ));
    let browser = Browser::new();
    let landing = browser.open(&authorize).await;
    let callback = browser
        .log_in(landing, "alice", PASSWORD)
        .await
        .client_url();
    let code = query_param(&callback, "code").unwrap();

    let response = api_http()
        .post(server.url("/token"))
        .header("origin", CLIENT_ORIGIN)
        .basic_auth(&id, created.secret.as_deref())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_echoed(response.headers(), CLIENT_ORIGIN);
    let tokens: serde_json::Value = response.json().await.unwrap();
    let access_token = tokens["access_token"].as_str().unwrap().to_owned();

    let response = api_http()
        .get(server.url("/userinfo"))
        .header("origin", CLIENT_ORIGIN)
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_echoed(response.headers(), CLIENT_ORIGIN);
    let claims: serde_json::Value = response.json().await.unwrap();
    assert_eq!(claims["preferred_username"], "alice");

    // A bearer error is readable by the app: WWW-Authenticate is exposed.
    let response = api_http()
        .get(server.url("/userinfo"))
        .header("origin", CLIENT_ORIGIN)
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_echoed(response.headers(), CLIENT_ORIGIN);
    assert!(items(response.headers(), "access-control-expose-headers")
        .contains(&"www-authenticate".to_owned()));
    assert!(response.headers().contains_key("www-authenticate"));

    // POST /userinfo too.
    let response = api_http()
        .post(server.url("/userinfo"))
        .header("origin", CLIENT_ORIGIN)
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_echoed(response.headers(), CLIENT_ORIGIN);

    // From an unlisted origin the request is answered as usual, without CORS headers
    // (so a browser does not let the page read it).
    let response = api_http()
        .get(server.url("/userinfo"))
        .header("origin", UNLISTED_ORIGIN)
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_no_cors(response.headers());
    let response = api_http()
        .post(server.url("/token"))
        .header("origin", UNLISTED_ORIGIN)
        .basic_auth(&id, created.secret.as_deref())
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_no_cors(response.headers());
    // "null" (an opaque origin: sandboxed frames, file: pages) is never allowed.
    let response = api_http()
        .get(server.url("/userinfo"))
        .header("origin", "null")
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap();
    assert_no_cors(response.headers());
}

async fn public_documents_answer_any_origin_with_a_wildcard() {
    let server = TestServer::start().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/jwks.json",
    ] {
        for origin in [Some(UNLISTED_ORIGIN), Some(CLIENT_ORIGIN), None] {
            let mut request = api_http().get(server.url(path));
            if let Some(origin) = origin {
                request = request.header("origin", origin);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            let headers = response.headers();
            assert_eq!(
                header(headers, "access-control-allow-origin").as_deref(),
                Some("*"),
                "{path} {origin:?}"
            );
            assert!(!headers.contains_key("access-control-allow-credentials"));
            assert!(
                items(headers, "access-control-expose-headers").contains(&"etag".to_owned()),
                "{headers:?}"
            );
            // The answer does not depend on the origin, so caches need not key on it.
            assert!(!items(headers, "vary").contains(&"origin".to_owned()));

            // Revalidation keeps working, and the 304 is readable too.
            let etag = header(headers, "etag").unwrap();
            let mut request = api_http()
                .get(server.url(path))
                .header("if-none-match", &etag);
            if let Some(origin) = origin {
                request = request.header("origin", origin);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 304, "{path}");
            assert_eq!(
                header(response.headers(), "access-control-allow-origin").as_deref(),
                Some("*")
            );
        }
        // `If-None-Match` from a script makes the browser ask first.
        let response = api_http()
            .request(reqwest::Method::OPTIONS, server.url(path))
            .header("origin", UNLISTED_ORIGIN)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "if-none-match")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            header(response.headers(), "access-control-allow-origin").as_deref(),
            Some("*")
        );
        assert!(!response
            .headers()
            .contains_key("access-control-allow-credentials"));
        assert!(items(response.headers(), "access-control-allow-headers")
            .contains(&"if-none-match".to_owned()));
    }
    let response = api_http()
        .get(server.url("/.well-known/webfinger?resource=acct%3Aa%40127.0.0.1"))
        .header("origin", UNLISTED_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(response.headers(), "access-control-allow-origin").as_deref(),
        Some("*")
    );
}

async fn configured_origins_are_allowed() {
    let server = TestServer::start_with(|s| {
        s.cors_allowed_origins = vec!["https://spa.example".into(), "http://localhost:5173".into()];
    })
    .await;
    // No client registered at all: only the configured origins.
    assert!(token_preflight_allowed(&server, "https://spa.example").await);
    assert!(token_preflight_allowed(&server, "http://localhost:5173").await);
    assert!(!token_preflight_allowed(&server, "https://spa.example:8443").await);
    assert!(!token_preflight_allowed(&server, CLIENT_ORIGIN).await);
    let response = api_http()
        .get(server.url("/userinfo"))
        .header("origin", "https://spa.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_echoed(response.headers(), "https://spa.example");
}

/// Polls (without fixed sleeps beyond a short loop) until a preflight from `origin` is
/// `allowed`; how long it took.
async fn until_allowed_is(server: &TestServer, origin: &str, allowed: bool) -> Duration {
    let started = Instant::now();
    while token_preflight_allowed(server, origin).await != allowed {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{origin} still not allowed = {allowed}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    started.elapsed()
}

async fn a_client_registered_while_running_is_allowed_within_seconds() {
    let server = TestServer::start().await;
    server.create_client(|_| {});
    let origin = "https://late.example:8443";
    // The server has read the clients now, without this one.
    assert!(token_preflight_allowed(&server, CLIENT_ORIGIN).await);
    assert!(!token_preflight_allowed(&server, origin).await);

    let late = server.create_client(|c| {
        c.redirect_uris = vec![format!("{origin}/callback")];
    });
    let took = until_allowed_is(&server, origin, true).await;
    assert!(took < Duration::from_secs(3), "{took:?}");

    manage::remove_client(&server.store, &late.client.id).unwrap();
    let took = until_allowed_is(&server, origin, false).await;
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(token_preflight_allowed(&server, CLIENT_ORIGIN).await);
}

async fn a_custom_scheme_redirect_uri_adds_no_origin() {
    let server = TestServer::start().await;
    server.create_client(|c| {
        c.redirect_uris = vec![
            "com.example.app:/oauth2redirect".into(),
            "myapp://callback".into(),
        ];
    });
    for origin in ["null", "com.example.app:", "myapp://callback", "myapp://"] {
        assert!(!token_preflight_allowed(&server, origin).await, "{origin}");
    }
    // Its web redirect URIs still count, whatever else the client has.
    server.create_client(|c| {
        c.redirect_uris = vec![
            "com.example.other:/cb".into(),
            "https://web.example/cb".into(),
        ];
    });
    until_allowed_is(&server, "https://web.example", true).await;
    assert!(!token_preflight_allowed(&server, "com.example.other:").await);
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    preflights_are_answered_for_registered_origins_only,
    token_and_userinfo_echo_an_allowed_origin_and_nothing_else,
    public_documents_answer_any_origin_with_a_wildcard,
    configured_origins_are_allowed,
    a_client_registered_while_running_is_allowed_within_seconds,
    a_custom_scheme_redirect_uri_adds_no_origin,
);
