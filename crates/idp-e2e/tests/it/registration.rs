//! Dynamic client registration (RFC 7591, RFC 7592, OIDC Dynamic Client Registration 1.0)
//! through HTTP and `idp-admin`, and loopback redirect URIs (RFC 8252 §7.3).

use std::time::Duration;

use idp_core::{Clock, MaintenanceRepo, PurgeBefore, SystemClock};
use openidconnect::core::{CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, IssuerUrl, OAuth2TokenResponse, PkceCodeChallenge,
    RedirectUrl, Scope, TokenResponse,
};
use serde_json::{json, Value};

use crate::support::{
    api_http, auth, get_json, parse_form, query_param, Browser, TestServer, PASSWORD, REDIRECT_URI,
};

const WEB_REDIRECT: &str = "https://rp.example/cb";

/// Stores settings and waits until the server's settings cache has seen them.
async fn set(server: &TestServer, settings: &[(&str, &str)]) {
    server.set_settings(settings).await;
}

async fn enabled() -> TestServer {
    let server = TestServer::start().await;
    set(&server, &[("dynamic_registration", "true")]).await;
    server
}

/// POST /register: status, headers and JSON body.
async fn register(
    server: &TestServer,
    body: &Value,
    bearer: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = api_http().post(server.url("/register")).json(body);
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    let response = req.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

fn web_client() -> Value {
    json!({
        "client_name": "Web RP",
        "redirect_uris": [WEB_REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": "openid profile email offline_access",
        "post_logout_redirect_uris": ["https://rp.example/bye"],
        "contacts": ["ops@rp.example"],
    })
}

fn native_client() -> Value {
    json!({
        "application_type": "native",
        "token_endpoint_auth_method": "none",
        "client_name": "CLI",
        "redirect_uris": ["http://127.0.0.1/callback"],
    })
}

/// Drives the browser from `url` through login and consent until a redirect to
/// `prefix`; returns that URL.
async fn drive(browser: &Browser, url: &str, prefix: &str, username: &str) -> url::Url {
    let mut response = browser.http.get(url).send().await.unwrap();
    loop {
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            if location.starts_with(prefix) {
                return url::Url::parse(&location).unwrap();
            }
            response = browser.http.get(&location).send().await.unwrap();
            continue;
        }
        let page = response.text().await.unwrap();
        let fields: Vec<(&str, &str)> = if page.contains("name=\"password\"") {
            vec![("username", username), ("password", PASSWORD)]
        } else if page.contains("name=\"decision\"") {
            vec![("decision", "allow")]
        } else {
            panic!("unexpected page {status}: {page}");
        };
        let (action, mut pairs) = parse_form(&page);
        for (k, v) in fields {
            pairs.push((k.to_owned(), v.to_owned()));
        }
        response = browser
            .http
            .post(&action)
            .form(&pairs)
            .send()
            .await
            .unwrap();
    }
}

async fn oidc_client(
    server: &TestServer,
    id: &str,
    secret: Option<&str>,
    redirect: &str,
) -> crate::support::OidcClient {
    let meta = CoreProviderMetadata::discover_async(
        IssuerUrl::new(server.base.clone()).unwrap(),
        &api_http(),
    )
    .await
    .unwrap();
    CoreClient::from_provider_metadata(
        meta,
        ClientId::new(id.to_owned()),
        secret.map(|s| ClientSecret::new(s.to_owned())),
    )
    .set_redirect_uri(RedirectUrl::new(redirect.to_owned()).unwrap())
}

async fn registration_is_off_by_default() {
    let server = TestServer::start().await;
    let meta = get_json(&server.url("/.well-known/openid-configuration")).await;
    assert!(meta.get("registration_endpoint").is_none(), "{meta}");
    let (status, _, body) = register(&server, &web_client(), None).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "access_denied");
    // Turned on: discovery (both documents) names the endpoint within a second.
    set(&server, &[("dynamic_registration", "true")]).await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let meta = get_json(&server.url(path)).await;
        assert_eq!(
            meta["registration_endpoint"],
            json!(server.url("/register")),
            "{meta}"
        );
    }
}

async fn a_confidential_web_client_registers_and_runs_the_code_flow() {
    let server = enabled().await;
    let user = server.create_user("alice");
    let (status, headers, reg) = register(&server, &web_client(), None).await;
    assert_eq!(status, 201, "{reg}");
    assert_eq!(headers["cache-control"], "no-store");
    let id = reg["client_id"].as_str().unwrap();
    let secret = reg["client_secret"].as_str().unwrap();
    assert!(reg["registration_access_token"].as_str().unwrap().len() >= 43);
    assert_eq!(
        reg["registration_client_uri"],
        json!(server.url(&format!("/register/{id}")))
    );
    assert_eq!(reg["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(reg["application_type"], "web");
    assert_eq!(reg["redirect_uris"], json!([WEB_REDIRECT]));
    assert_eq!(
        reg["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(reg["response_types"], json!(["code"]));
    assert_eq!(reg["client_name"], "Web RP");
    // Scopes as stored (sorted).
    assert_eq!(reg["scope"], "email offline_access openid profile");
    assert_eq!(reg["id_token_signed_response_alg"], "RS256");
    assert_eq!(
        reg["post_logout_redirect_uris"],
        json!(["https://rp.example/bye"])
    );
    // Unknown metadata is ignored, and not stored.
    assert!(reg.get("contacts").is_none());
    // Default lifetime: 30 days, as the secret's expiry.
    let issued = reg["client_id_issued_at"].as_i64().unwrap();
    assert_eq!(
        reg["client_secret_expires_at"].as_i64().unwrap(),
        issued + 30 * 86_400
    );

    let client = oidc_client(&server, id, Some(secret), WEB_REDIRECT).await;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = auth(&client)
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();
    let callback = drive(&Browser::new(), url.as_str(), WEB_REDIRECT, "alice").await;
    let code = query_param(&callback, "code").unwrap();
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&api_http())
        .await
        .unwrap();
    let claims = tokens
        .id_token()
        .unwrap()
        .claims(&client.id_token_verifier(), &nonce)
        .unwrap();
    assert_eq!(claims.subject().as_str(), user.id.as_str());
    let (status, info) = server.userinfo(tokens.access_token().secret()).await;
    assert_eq!(status, 200, "{info}");

    // RFC 7591 §2: the client registered client_secret_basic, so the same secret in
    // the body is refused; in the Basic header it works.
    let refresh = tokens.refresh_token().unwrap().secret().clone();
    let in_body = api_http()
        .post(server.url("/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(in_body.status(), 401);
    let body: Value = in_body.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client", "{body}");
    let in_header = api_http()
        .post(server.url("/token"))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(in_header.status(), 200);
}

async fn a_native_public_client_uses_any_loopback_port() {
    let server = enabled().await;
    server.create_user("bob");
    let (status, _, reg) = register(&server, &native_client(), None).await;
    assert_eq!(status, 201, "{reg}");
    assert!(reg.get("client_secret").is_none());
    assert!(reg.get("client_secret_expires_at").is_none());
    assert_eq!(reg["token_endpoint_auth_method"], "none");
    let id = reg["client_id"].as_str().unwrap();

    // Registered without a port; the request uses port 9 (REDIRECT_URI).
    assert_ne!(REDIRECT_URI, "http://127.0.0.1/callback");
    let client = oidc_client(&server, id, None, REDIRECT_URI).await;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = auth(&client).set_pkce_challenge(challenge).url();
    let callback = Browser::new().authorize(url.as_str(), "bob").await;
    let code = query_param(&callback, "code").unwrap();
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&api_http())
        .await
        .unwrap();
    tokens
        .id_token()
        .unwrap()
        .claims(&client.id_token_verifier(), &nonce)
        .unwrap();

    // The token request must repeat the URI actually used, not the registered one.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, _) = auth(&client).set_pkce_challenge(challenge).url();
    let callback = Browser::new().authorize(url.as_str(), "bob").await;
    let code = query_param(&callback, "code").unwrap();
    let response = api_http()
        .post(server.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("client_id", id),
            ("redirect_uri", "http://127.0.0.1/callback"),
            ("code_verifier", verifier.secret().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");

    // localhost is not loosened, nor another path.
    for other in ["http://localhost:9/callback", "http://127.0.0.1:9/other"] {
        let url = format!(
            "{}/authorize?response_type=code&client_id={id}&redirect_uri={}&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
            server.base,
            urlencoding(other)
        );
        let (status, _) = Browser::new().open(&url).await.page();
        assert_eq!(status, 400, "{other}");
    }
}

fn urlencoding(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A call to the client configuration endpoint with `token`.
async fn manage_call(
    server: &TestServer,
    method: reqwest::Method,
    id: &str,
    token: &str,
    body: Option<&Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = api_http()
        .request(method, server.url(&format!("/register/{id}")))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(b);
    }
    let response = req.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

async fn the_registration_access_token_reads_updates_and_deletes() {
    let server = enabled().await;
    server.create_user("carol");
    let (_, _, reg) = register(&server, &web_client(), None).await;
    let id = reg["client_id"].as_str().unwrap();
    let secret = reg["client_secret"].as_str().unwrap();
    let token = reg["registration_access_token"].as_str().unwrap();

    let (status, headers, read) = manage_call(&server, reqwest::Method::GET, id, token, None).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(read["client_id"], reg["client_id"]);
    assert_eq!(read["redirect_uris"], reg["redirect_uris"]);
    assert!(
        read.get("client_secret").is_none(),
        "secrets are shown once"
    );

    // A wrong token, or an unknown client: the same 401 with a challenge.
    for (client, t) in [(id, "wrong"), ("no-such-client", token)] {
        let (status, headers, body) =
            manage_call(&server, reqwest::Method::GET, client, t, None).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"], "invalid_token");
        assert!(headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer"));
    }

    // PUT replaces the metadata; client_id must match, client_secret if sent too.
    let mut update = web_client();
    update["client_id"] = json!(id);
    update["client_secret"] = json!(secret);
    update["client_name"] = json!("Renamed RP");
    update["redirect_uris"] = json!(["https://rp.example/cb2"]);
    let (status, _, updated) =
        manage_call(&server, reqwest::Method::PUT, id, token, Some(&update)).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["client_name"], "Renamed RP");
    assert_eq!(updated["redirect_uris"], json!(["https://rp.example/cb2"]));
    assert!(updated
        .get("post_logout_redirect_uris")
        .unwrap()
        .as_array()
        .is_some());
    let mut wrong = update.clone();
    wrong["client_id"] = json!("someone-else");
    let (status, _, body) =
        manage_call(&server, reqwest::Method::PUT, id, token, Some(&wrong)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_client_metadata"))
    );
    wrong = update.clone();
    wrong["client_secret"] = json!("not-the-secret");
    let (status, _, body) =
        manage_call(&server, reqwest::Method::PUT, id, token, Some(&wrong)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_client_metadata"))
    );
    wrong = update.clone();
    wrong["redirect_uris"] = json!(["javascript:alert(1)"]);
    let (status, _, body) =
        manage_call(&server, reqwest::Method::PUT, id, token, Some(&wrong)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_redirect_uri"))
    );

    // DELETE: 204, then the credentials and the token are dead.
    let (status, _, _) = manage_call(&server, reqwest::Method::DELETE, id, token, None).await;
    assert_eq!(status, 204);
    let response = api_http()
        .post(server.url("/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "authorization_code"), ("code", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let (status, _, _) = manage_call(&server, reqwest::Method::GET, id, token, None).await;
    assert_eq!(status, 401);
}

async fn every_validation_rule_is_refused_with_its_code() {
    // Behind a trusted proxy, each case from its own address: every attempt counts
    // against the throttle, refused ones too.
    let server =
        TestServer::start_with(|s| s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    set(&server, &[("dynamic_registration", "true")]).await;
    let with = |patch: Value| {
        let mut body = web_client();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (
            with(json!({"redirect_uris": ["data:text/html,hi"]})),
            "invalid_redirect_uri",
        ),
        (
            with(json!({"redirect_uris": ["javascript:alert(1)"]})),
            "invalid_redirect_uri",
        ),
        (
            with(json!({"redirect_uris": ["https://rp.example/cb#frag"]})),
            "invalid_redirect_uri",
        ),
        (
            with(json!({"redirect_uris": ["http://rp.example/cb"]})),
            "invalid_redirect_uri",
        ),
        (
            with(json!({"redirect_uris": ["http://127.0.0.2:8080/cb"]})),
            "invalid_redirect_uri",
        ),
        (
            with(json!({"redirect_uris": ["com.example.app:/cb"]})),
            "invalid_redirect_uri",
        ),
        (with(json!({"redirect_uris": []})), "invalid_redirect_uri"),
        (
            with(json!({"token_endpoint_auth_method": "private_key_jwt"})),
            "invalid_client_metadata",
        ),
        // The provider POSTs to back-channel logout URIs: not into its own network.
        (
            with(json!({"backchannel_logout_uri": "https://169.254.169.254/latest"})),
            "invalid_client_metadata",
        ),
        (
            with(json!({"backchannel_logout_uri": "http://rp.example/bc"})),
            "invalid_client_metadata",
        ),
        (
            with(json!({"grant_types": ["refresh_token"]})),
            "invalid_client_metadata",
        ),
        (
            with(json!({"grant_types": ["implicit"], "response_types": ["id_token"]})),
            "invalid_client_metadata",
        ),
        (
            with(json!({"grant_types": ["authorization_code"], "response_types": ["token"]})),
            "invalid_client_metadata",
        ),
        (
            with(json!({"scope": "openid no_such_scope"})),
            "invalid_client_metadata",
        ),
        (
            with(json!({"id_token_signed_response_alg": "none"})),
            "invalid_client_metadata",
        ),
        (
            json!({"application_type": "native", "token_endpoint_auth_method": "none",
                   "redirect_uris": ["http://127.0.0.1/cb"], "id_token_signed_response_alg": "HS256"}),
            "invalid_client_metadata",
        ),
        (
            json!({"application_type": "native", "redirect_uris": ["http://localhost.example:8080/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            with(json!({"software_statement": "eyJhbGciOiJub25lIn0.e30."})),
            "invalid_software_statement",
        ),
        (json!(["not", "an", "object"]), "invalid_client_metadata"),
    ];
    for (i, (body, code)) in cases.into_iter().enumerate() {
        let response = api_http()
            .post(server.url("/register"))
            .header("x-forwarded-for", format!("192.0.2.{i}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap();
        assert_eq!(status, 400, "{body} → {answer}");
        assert_eq!(answer["error"], code, "{body} → {answer}");
        assert!(answer["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()));
    }
    // Malformed JSON is a 400 too, never a 5xx.
    let response = api_http()
        .post(server.url("/register"))
        .header("content-type", "application/json")
        .body("{\"redirect_uris\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

async fn initial_access_tokens_are_required_when_the_setting_says_so() {
    let server = TestServer::start().await;
    set(
        &server,
        &[
            ("dynamic_registration", "true"),
            ("dynamic_registration_requires_token", "true"),
        ],
    )
    .await;
    let (status, headers, body) = register(&server, &native_client(), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );
    assert!(headers.contains_key("www-authenticate"));
    let created = server
        .admin(&["registration-token", "create", "--json"])
        .json();
    let token = created["token"].as_str().unwrap();
    // Multi-use until it expires.
    for _ in 0..2 {
        let (status, _, body) = register(&server, &native_client(), Some(token)).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, _, _) = register(&server, &native_client(), Some("not-a-token")).await;
    assert_eq!(status, 401);
    let listed = server
        .admin(&["registration-token", "list", "--json"])
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0].get("token").is_none(), "{listed}");

    let short = server
        .admin(&["registration-token", "create", "--expires", "1", "--json"])
        .json();
    actix_web::rt::time::sleep(Duration::from_millis(2100)).await;
    let (status, _, _) = register(&server, &native_client(), short["token"].as_str()).await;
    assert_eq!(status, 401, "an expired initial access token is refused");

    let id = created["id"].as_str().unwrap();
    assert!(server.admin(&["registration-token", "revoke", id]).ok);
    let (status, _, _) = register(&server, &native_client(), Some(token)).await;
    assert_eq!(status, 401, "a revoked token is refused");
}

async fn the_number_of_self_registered_clients_is_limited() {
    let server = TestServer::start().await;
    set(
        &server,
        &[
            ("dynamic_registration", "true"),
            ("dynamic_registration_max_clients", "1"),
        ],
    )
    .await;
    let (status, _, _) = register(&server, &native_client(), None).await;
    assert_eq!(status, 201);
    let (status, _, body) = register(&server, &native_client(), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("access_denied")),
        "{body}"
    );
}

async fn registrations_per_address_are_throttled() {
    let server = enabled().await;
    for i in 0..10 {
        let (status, _, body) = register(&server, &native_client(), None).await;
        assert_eq!(status, 201, "registration {i}: {body}");
    }
    let (status, headers, body) = register(&server, &native_client(), None).await;
    assert_eq!(status, 429, "{body}");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1, "{retry}");
}

async fn an_expired_registration_stops_working_and_is_purged() {
    let server = TestServer::start().await;
    set(
        &server,
        &[
            ("dynamic_registration", "true"),
            ("dynamic_registration_lifetime", "1"),
        ],
    )
    .await;
    let (_, _, reg) = register(&server, &web_client(), None).await;
    let id = reg["client_id"].as_str().unwrap().to_owned();
    let token = reg["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        reg["client_secret_expires_at"].as_i64().unwrap(),
        reg["client_id_issued_at"].as_i64().unwrap() + 1
    );
    actix_web::rt::time::sleep(Duration::from_millis(2100)).await;
    let (status, _, _) = manage_call(&server, reqwest::Method::GET, &id, &token, None).await;
    assert_eq!(status, 401);
    let response = api_http()
        .post(server.url("/token"))
        .basic_auth(&id, reg["client_secret"].as_str())
        .form(&[("grant_type", "authorization_code"), ("code", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        401,
        "an expired client is unknown"
    );
    // Still listed until the purge, which removes it.
    let listed = server.admin(&["client", "list", "--json"]).json();
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["client_id"] == json!(id)));
    let now = SystemClock.now();
    server
        .store
        .purge_expired(&PurgeBefore {
            now,
            codes: now,
            used_refresh_tokens: now,
            failures: now,
        })
        .unwrap();
    let listed = server.admin(&["client", "list", "--json"]).json();
    assert!(!listed
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["client_id"] == json!(id)));
}

async fn the_operator_sees_self_registered_clients_and_can_make_them_permanent() {
    let server = enabled().await;
    let (_, _, reg) = register(&server, &web_client(), None).await;
    let id = reg["client_id"].as_str().unwrap();
    let token = reg["registration_access_token"].as_str().unwrap();
    server.create_client(|_| {});

    let listed = server.admin(&["client", "list", "--json"]).json();
    let mine = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == json!(id))
        .unwrap();
    assert_eq!(mine["self_registered"], true);
    assert!(mine["expires_at"].as_str().is_some());
    assert_eq!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["self_registered"] == false)
            .count(),
        1
    );
    let text = server.admin(&["client", "list"]).stdout;
    assert!(
        text.contains("REGISTERED_BY") && text.contains("self"),
        "{text}"
    );
    let shown = server.admin(&["client", "show", id]).stdout;
    assert!(shown.contains("expires_at:"), "{shown}");

    let converted = server
        .admin(&["client", "update", id, "--permanent", "--json"])
        .json();
    assert_eq!(converted["self_registered"], false);
    assert!(converted.get("expires_at").is_none());
    let (status, _, _) = manage_call(&server, reqwest::Method::GET, id, token, None).await;
    assert_eq!(status, 401, "the registration access token stops working");
    let again = server.admin(&["client", "update", id, "--permanent"]);
    assert!(!again.ok);
    // An operator-managed client can be removed as any other.
    assert!(server.admin(&["client", "remove", id]).ok);
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    registration_is_off_by_default,
    a_confidential_web_client_registers_and_runs_the_code_flow,
    a_native_public_client_uses_any_loopback_port,
    the_registration_access_token_reads_updates_and_deletes,
    every_validation_rule_is_refused_with_its_code,
    initial_access_tokens_are_required_when_the_setting_says_so,
    the_number_of_self_registered_clients_is_limited,
    registrations_per_address_are_throttled,
    an_expired_registration_stops_working_and_is_purged,
    the_operator_sees_self_registered_clients_and_can_make_them_permanent,
);
