//! The device authorization grant (RFC 8628) over HTTP: a command-line tool asks for a
//! device code, polls the token endpoint, and a person approves (or denies) in a browser
//! at the verification page.

use std::rc::Rc;
use std::time::Duration;

use actix_web::rt::time::sleep;
use idp_core::{ClientId, ClientRepo, ClientType};
use idp_protocol::manage::CreatedClient;
use serde_json::Value;

use crate::support::{api_http, get_json, jwt_payload, Browser, TestServer, PASSWORD};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A server whose devices poll every second.
async fn server() -> TestServer {
    TestServer::start_with(|s| s.device_poll_interval = 1).await
}

/// The public client of a command-line tool, registered the way an operator does:
/// `idp-admin client create --type public --grant-type device_code`.
fn cli(server: &TestServer) -> CreatedClient {
    let created = server
        .admin(&[
            "client",
            "create",
            "--type",
            "public",
            "--name",
            "Deploy CLI",
            "--grant-type",
            "device_code",
            "--grant-type",
            "refresh_token",
            "--json",
        ])
        .json();
    assert_eq!(
        created["grant_types"],
        serde_json::json!([DEVICE_GRANT, "refresh_token"]),
        "{created}"
    );
    let id = ClientId::new(created["client_id"].as_str().unwrap());
    let client = server.store.client(&id).unwrap().unwrap();
    assert_eq!(client.client_type, ClientType::Public);
    CreatedClient {
        client,
        secret: None,
    }
}

/// POSTs `form` to `path` as `created`: HTTP Basic for a confidential client, its
/// `client_id` in the body for a public one. Status, `Cache-Control` and JSON body.
async fn call(
    server: &TestServer,
    path: &str,
    created: &CreatedClient,
    form: &[(&str, &str)],
) -> (u16, String, Value) {
    let mut request = api_http().post(server.url(path));
    let mut form: Vec<(&str, &str)> = form.to_vec();
    match &created.secret {
        Some(secret) => request = request.basic_auth(created.client.id.as_str(), Some(secret)),
        None => form.push(("client_id", created.client.id.as_str())),
    }
    let response = request.form(&form).send().await.unwrap();
    let status = response.status().as_u16();
    let cache = response
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.text().await.unwrap();
    (
        status,
        cache,
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")),
    )
}

/// A device authorization request (RFC 8628 §3.1), which must succeed.
async fn start(server: &TestServer, created: &CreatedClient, scope: &str) -> Value {
    let (status, cache, body) = call(
        server,
        "/device_authorization",
        created,
        &[("scope", scope)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(cache, "no-store");
    body
}

/// One poll of the token endpoint (RFC 8628 §3.4): status and JSON.
async fn poll(server: &TestServer, created: &CreatedClient, device_code: &str) -> (u16, Value) {
    let (status, _, body) = call(
        server,
        "/token",
        created,
        &[("grant_type", DEVICE_GRANT), ("device_code", device_code)],
    )
    .await;
    (status, body)
}

/// What a command-line tool does (RFC 8628 §3.5): poll every `interval` seconds while
/// the answer is `authorization_pending`, 5 s more after each `slow_down`; the first
/// other answer ends it.
async fn poll_until_decided(
    server: &TestServer,
    created: &CreatedClient,
    device_code: &str,
    interval: u64,
) -> (u16, Value) {
    let mut interval = interval;
    for _ in 0..60 {
        sleep(Duration::from_millis(interval * 1000 + 100)).await;
        let (status, body) = poll(server, created, device_code).await;
        match body["error"].as_str() {
            Some("authorization_pending") => assert_eq!(status, 400, "{body}"),
            Some("slow_down") => interval += 5,
            _ => return (status, body),
        }
    }
    panic!("never decided");
}

/// Opens `url` (the verification page) in `browser`, signs in as `username`, submits
/// `user_code` on the code form, and returns the approval page.
async fn sign_in_and_enter_code(
    browser: &Browser,
    url: &str,
    username: &str,
    user_code: &str,
) -> String {
    let landing = browser.open(url).await;
    let landing = browser.log_in(landing, username, PASSWORD).await;
    let (status, page) = landing.page();
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("name=\"user_code\""),
        "not the code form: {page}"
    );
    let (status, page) = browser
        .submit(&page, &[("user_code", user_code)])
        .await
        .page();
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("name=\"decision\""),
        "not the approval form: {page}"
    );
    page
}

async fn a_device_flow_runs_to_completion_and_its_tokens_work() {
    let server = server().await;
    server.create_user("alice");
    let cli = cli(&server);
    let answer = start(&server, &cli, "openid profile offline_access").await;
    // RFC 8628 §3.2.
    let device_code = answer["device_code"].as_str().unwrap().to_owned();
    let user_code = answer["user_code"].as_str().unwrap().to_owned();
    assert_eq!(answer["verification_uri"], server.url("/device"));
    assert_eq!(
        answer["verification_uri_complete"],
        server.url(&format!("/device?user_code={user_code}"))
    );
    assert_eq!(answer["expires_in"], 600);
    assert_eq!(answer["interval"], 1);
    // RFC 8628 §6.1: XXXX-XXXX of the base-20 consonant alphabet.
    assert_eq!(user_code.len(), 9, "{user_code}");
    assert!(
        user_code.chars().enumerate().all(|(i, c)| if i == 4 {
            c == '-'
        } else {
            "BCDFGHJKLMNPQRSTVWXZ".contains(c)
        }),
        "{user_code}"
    );

    // The tool polls while the person approves in a browser.
    let server = Rc::new(server);
    let poller = {
        let server = Rc::clone(&server);
        let cli = CreatedClient {
            client: cli.client.clone(),
            secret: None,
        };
        let device_code = device_code.clone();
        actix_web::rt::spawn(
            async move { poll_until_decided(&server, &cli, &device_code, 1).await },
        )
    };
    let browser = Browser::new();
    // verification_uri_complete: the code arrives prefilled; typed in lower case and
    // without the dash it still matches.
    let landing = browser
        .open(answer["verification_uri_complete"].as_str().unwrap())
        .await;
    let (status, code_form) = browser.log_in(landing, "alice", PASSWORD).await.page();
    assert_eq!(status, 200, "{code_form}");
    assert!(
        code_form.contains(&format!("value=\"{user_code}\"")),
        "not prefilled: {code_form}"
    );
    let typed = user_code.replace('-', "").to_lowercase();
    let (_, approval) = browser
        .submit(&code_form, &[("user_code", &typed)])
        .await
        .page();
    assert!(approval.contains("Deploy CLI"), "{approval}");
    assert!(approval.contains("profile"), "{approval}");
    assert!(approval.contains(&user_code), "{approval}");
    let (status, done) = browser
        .submit(&approval, &[("decision", "allow")])
        .await
        .page();
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("Device connected"), "{done}");

    let (status, tokens) = poller.await.unwrap();
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "offline_access openid profile");
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    let id_token = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["aud"], serde_json::json!([cli.client.id.as_str()]));
    assert_eq!(id_token["iss"], server.base);
    assert!(id_token.get("nonce").is_none(), "{id_token}");
    assert!(id_token["sid"].is_string(), "{id_token}");
    let (status, claims) = server
        .userinfo(tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(status, 200, "{claims}");
    assert_eq!(claims["sub"], id_token["sub"]);
    assert_eq!(claims["preferred_username"], "alice");
    // The refresh token works like one from the code flow.
    let (status, _, refreshed) = call(
        &server,
        "/token",
        &cli,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");

    // Redeemed once: the same device code gets nothing more.
    let (status, again) = poll(&server, &cli, &device_code).await;
    assert_eq!(status, 400, "{again}");
    assert_eq!(again["error"], "invalid_grant");
    // The decided code is no longer accepted at the page either.
    let (status, page) = browser
        .submit(&code_form, &[("user_code", &user_code)])
        .await
        .page();
    assert_eq!(status, 200);
    assert!(page.contains("not valid"), "{page}");
}

async fn a_denied_request_is_access_denied() {
    let server = server().await;
    server.create_user("alice");
    let cli = cli(&server);
    let answer = start(&server, &cli, "openid").await;
    let browser = Browser::new();
    let approval = sign_in_and_enter_code(
        &browser,
        answer["verification_uri"].as_str().unwrap(),
        "alice",
        answer["user_code"].as_str().unwrap(),
    )
    .await;
    let (status, done) = browser
        .submit(&approval, &[("decision", "deny")])
        .await
        .page();
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("Access denied"), "{done}");
    let (status, body) =
        poll_until_decided(&server, &cli, answer["device_code"].as_str().unwrap(), 1).await;
    // RFC 8628 §3.5, as an RFC 6749 §5.2 error: 400.
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "access_denied");
}

async fn polling_faster_than_the_interval_is_slow_down() {
    let server = server().await;
    let cli = cli(&server);
    let answer = start(&server, &cli, "openid").await;
    let device_code = answer["device_code"].as_str().unwrap();
    let (status, first) = poll(&server, &cli, device_code).await;
    assert_eq!(status, 400);
    assert_eq!(first["error"], "authorization_pending");
    let (status, second) = poll(&server, &cli, device_code).await;
    assert_eq!(status, 400);
    assert_eq!(second["error"], "slow_down");
    // RFC 8628 §3.5: the interval is now 5 s longer, so the original one is too soon.
    sleep(Duration::from_millis(1500)).await;
    let (_, third) = poll(&server, &cli, device_code).await;
    assert_eq!(third["error"], "slow_down", "{third}");
}

async fn an_expired_device_code_is_expired_token() {
    let server = TestServer::start_with(|s| {
        s.device_poll_interval = 1;
        s.device_code_lifetime = 1;
    })
    .await;
    server.create_user("alice");
    let cli = cli(&server);
    let answer = start(&server, &cli, "openid").await;
    assert_eq!(answer["expires_in"], 1);
    sleep(Duration::from_millis(2100)).await;
    let (status, body) = poll(&server, &cli, answer["device_code"].as_str().unwrap()).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "expired_token");
    // Its user code is no longer accepted at the verification page.
    let browser = Browser::new();
    let landing = browser
        .open(answer["verification_uri_complete"].as_str().unwrap())
        .await;
    let (_, form) = browser.log_in(landing, "alice", PASSWORD).await.page();
    let (_, page) = browser
        .submit(
            &form,
            &[("user_code", answer["user_code"].as_str().unwrap())],
        )
        .await
        .page();
    assert!(page.contains("not valid"), "{page}");
}

async fn wrong_user_codes_are_throttled_per_address() {
    let server = server().await;
    server.create_user("alice");
    let cli = cli(&server);
    let answer = start(&server, &cli, "openid").await;
    let browser = Browser::new();
    let landing = browser.open(&server.url("/device")).await;
    let (_, form) = browser.log_in(landing, "alice", PASSWORD).await.page();
    // Five wrong codes (well formed or not) are answered with the form again.
    for wrong in [
        "BCDF-GHJK",
        "bcdf-ghjl",
        "AAAA-AAAA",
        "12345678",
        "BCDF-GHJM",
    ] {
        let (status, page) = browser.submit(&form, &[("user_code", wrong)]).await.page();
        assert_eq!(status, 200, "{wrong}: {page}");
        assert!(page.contains("not valid"), "{page}");
    }
    // The sixth earns a wait, and while it lasts even the right code is not looked at.
    let response = browser
        .submit_raw(&form, &[("user_code", "BCDF-GHJN")])
        .await;
    assert_eq!(response.status().as_u16(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let response = browser
        .submit_raw(
            &form,
            &[("user_code", answer["user_code"].as_str().unwrap())],
        )
        .await;
    assert_eq!(response.status().as_u16(), 429);
    let page = response.text().await.unwrap();
    assert!(page.contains("Too many wrong codes"), "{page}");
    assert!(!page.contains("name=\"decision\""), "{page}");
}

async fn a_client_without_the_grant_type_is_unauthorized_client() {
    let server = server().await;
    // The default grant types: the code flow and refreshing, not the device grant.
    let web = server.create_client(|_| {});
    let (status, _, body) = call(
        &server,
        "/device_authorization",
        &web,
        &[("scope", "openid")],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "unauthorized_client");
    let (status, body) = poll(&server, &web, "anything").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "unauthorized_client");

    // A confidential client authenticates with its secret, as at the token endpoint.
    let confidential = server.create_client(|c| {
        c.redirect_uris = Vec::new();
        c.grant_types = vec![DEVICE_GRANT.into()];
    });
    let answer = start(&server, &confidential, "openid").await;
    assert!(answer["device_code"].is_string());
    let impostor = CreatedClient {
        client: confidential.client.clone(),
        secret: Some("wrong".into()),
    };
    let (status, _, body) = call(
        &server,
        "/device_authorization",
        &impostor,
        &[("scope", "openid")],
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client");
    // Another client's device code is not this one's.
    let cli = cli(&server);
    let (status, body) = poll(&server, &cli, answer["device_code"].as_str().unwrap()).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    // A scope the client may not have, alone, is invalid_scope.
    let (status, _, body) = call(
        &server,
        "/device_authorization",
        &cli,
        &[("scope", "unknown.scope")],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_scope");
}

async fn two_polls_at_once_get_the_tokens_once() {
    let server = server().await;
    server.create_user("alice");
    let cli = cli(&server);
    let answer = start(&server, &cli, "openid").await;
    let browser = Browser::new();
    let approval = sign_in_and_enter_code(
        &browser,
        answer["verification_uri"].as_str().unwrap(),
        "alice",
        answer["user_code"].as_str().unwrap(),
    )
    .await;
    browser.submit(&approval, &[("decision", "allow")]).await;
    let device_code = answer["device_code"].as_str().unwrap();
    let (a, b) = tokio::join!(
        poll(&server, &cli, device_code),
        poll(&server, &cli, device_code)
    );
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400], "{a:?} {b:?}");
    let refused = if a.0 == 400 { a.1 } else { b.1 };
    assert_eq!(refused["error"], "invalid_grant");
}

async fn the_openidconnect_crate_runs_the_device_flow() {
    use openidconnect::core::CoreDeviceAuthorizationResponse;
    use openidconnect::{DeviceAuthorizationUrl, Nonce, OAuth2TokenResponse, Scope, TokenResponse};

    let server = server().await;
    server.create_user("alice");
    let cli = cli(&server);
    let meta = get_json(&server.url("/.well-known/openid-configuration")).await;
    let client = server.oidc_client(&cli).await.set_device_authorization_url(
        DeviceAuthorizationUrl::new(
            meta["device_authorization_endpoint"]
                .as_str()
                .unwrap()
                .to_owned(),
        )
        .unwrap(),
    );
    let http = api_http();
    // The crate adds `openid` itself.
    let details: CoreDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scope(Scope::new("profile".into()))
        .request_async(&http)
        .await
        .unwrap();
    // The person approves in a browser while the crate polls.
    let approver = {
        let url = details.verification_uri().to_string();
        let user_code = details.user_code().secret().clone();
        actix_web::rt::spawn(async move {
            sleep(Duration::from_millis(1500)).await;
            let browser = Browser::new();
            let approval = sign_in_and_enter_code(&browser, &url, "alice", &user_code).await;
            browser.submit(&approval, &[("decision", "allow")]).await
        })
    };
    let tokens = client
        .exchange_device_access_token(&details)
        .unwrap()
        .request_async(&http, sleep, Some(Duration::from_secs(60)))
        .await
        .unwrap();
    let (status, done) = approver.await.unwrap().page();
    assert_eq!(status, 200, "{done}");
    let scopes: Vec<String> = tokens
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(scopes, ["openid", "profile"]);
    // The ID token verifies with the provider's keys; the device flow has no nonce.
    let no_nonce = |n: Option<&Nonce>| {
        if n.is_none() {
            Ok(())
        } else {
            Err("unexpected nonce".to_owned())
        }
    };
    let claims = tokens
        .id_token()
        .unwrap()
        .claims(&client.id_token_verifier(), no_nonce)
        .unwrap();
    let (status, userinfo) = server.userinfo(tokens.access_token().secret()).await;
    assert_eq!(status, 200, "{userinfo}");
    assert_eq!(userinfo["sub"], claims.subject().as_str());
    assert_eq!(userinfo["preferred_username"], "alice");
}

async fn signing_out_ends_a_device_grant_without_offline_access() {
    let server = server().await;
    server.create_user("alice");
    let cli = cli(&server);
    let browser = Browser::new();
    // Two devices approved in one browser session: one with offline_access, one without.
    let mut access_tokens = Vec::new();
    for (i, scope) in ["openid", "openid offline_access"].into_iter().enumerate() {
        let answer = start(&server, &cli, scope).await;
        let user_code = answer["user_code"].as_str().unwrap();
        let approval = if i == 0 {
            sign_in_and_enter_code(
                &browser,
                answer["verification_uri"].as_str().unwrap(),
                "alice",
                user_code,
            )
            .await
        } else {
            // Already signed in: the prefilled code form at once.
            let (_, form) = browser
                .open(answer["verification_uri_complete"].as_str().unwrap())
                .await
                .page();
            assert!(!form.contains("name=\"password\""), "{form}");
            let (_, approval) = browser
                .submit(&form, &[("user_code", user_code)])
                .await
                .page();
            approval
        };
        browser.submit(&approval, &[("decision", "allow")]).await;
        let (status, tokens) =
            poll_until_decided(&server, &cli, answer["device_code"].as_str().unwrap(), 0).await;
        assert_eq!(status, 200, "{tokens}");
        access_tokens.push(tokens["access_token"].as_str().unwrap().to_owned());
    }
    // RP-initiated logout, confirmed.
    let (_, confirm) = browser.open(&server.url("/logout")).await.page();
    let (status, signed_out) = browser.submit(&confirm, &[]).await.page();
    assert_eq!(status, 200, "{signed_out}");
    assert_eq!(server.userinfo(&access_tokens[0]).await.0, 401);
    assert_eq!(server.userinfo(&access_tokens[1]).await.0, 200);
}

async fn discovery_lists_the_device_endpoint_and_grant() {
    let server = server().await;
    // Browser apps of registered clients may call the endpoint, as they may the token
    // endpoint (CORS); other origins get no CORS header.
    server.create_client(|_| {});
    for (origin, allowed) in [
        ("http://127.0.0.1:9", true),
        ("https://evil.example", false),
    ] {
        let preflight = api_http()
            .request(
                reqwest::Method::OPTIONS,
                server.url("/device_authorization"),
            )
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .send()
            .await
            .unwrap();
        let echoed = preflight
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(echoed.as_deref(), allowed.then_some(origin), "{origin}");
    }
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let meta = get_json(&server.url(path)).await;
        assert_eq!(
            meta["device_authorization_endpoint"],
            server.url("/device_authorization"),
            "{meta}"
        );
        assert!(
            meta["grant_types_supported"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g == DEVICE_GRANT),
            "{meta}"
        );
    }
}

/// RFC 8707 on the device authorization request: the resource named there is the
/// audience of the tokens; one the client may not use is `invalid_target`.
async fn a_resource_on_the_device_request_becomes_the_tokens_audience() {
    const API: &str = "https://deploy.example/api";
    let server = server().await;
    server.create_user("alice");
    let cli = cli(&server);
    let (status, _, error) = call(
        &server,
        "/device_authorization",
        &cli,
        &[("scope", "openid"), ("resource", API)],
    )
    .await;
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("invalid_target")),
        "{error}"
    );
    server.set_settings(&[("shared_resources", API)]).await;
    let (status, _, answer) = call(
        &server,
        "/device_authorization",
        &cli,
        &[("scope", "openid"), ("resource", API)],
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let browser = Browser::new();
    let approval = sign_in_and_enter_code(
        &browser,
        answer["verification_uri_complete"].as_str().unwrap(),
        "alice",
        answer["user_code"].as_str().unwrap(),
    )
    .await;
    browser.submit(&approval, &[("decision", "allow")]).await;
    let (status, tokens) = poll(&server, &cli, answer["device_code"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{tokens}");
    // A token for a named resource is a JWT whose audience is the resource.
    assert_eq!(
        jwt_payload(tokens["access_token"].as_str().unwrap())["aud"],
        API
    );
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    a_device_flow_runs_to_completion_and_its_tokens_work,
    a_resource_on_the_device_request_becomes_the_tokens_audience,
    a_denied_request_is_access_denied,
    polling_faster_than_the_interval_is_slow_down,
    an_expired_device_code_is_expired_token,
    wrong_user_codes_are_throttled_per_address,
    a_client_without_the_grant_type_is_unauthorized_client,
    two_polls_at_once_get_the_tokens_once,
    the_openidconnect_crate_runs_the_device_flow,
    signing_out_ends_a_device_grant_without_offline_access,
    discovery_lists_the_device_endpoint_and_grant,
);

/// Two `idp-server` processes on one PostgreSQL database behind a balancer: every step of
/// a device flow may land on either, since its state is in the database alone.
async fn a_device_flow_spans_two_instances() {
    use idp_core::{Clock, SystemClock};
    use idp_protocol::manage::{self, NewClient, NewUser};

    use crate::fleet::{Instance, LoadBalancer};
    use crate::support::{TEST_KEK, TEST_KEY};

    let db = idp_testdb::TestDb::fresh();
    let store = idp_store::DieselStore::open(db.url()).unwrap();
    let kek = idp_protocol::KeyEncryptionKey::from_base64(TEST_KEK).unwrap();
    idp_protocol::import_signing_key(&store, &SystemClock, &kek, TEST_KEY, SystemClock.now())
        .unwrap();
    manage::create_user(
        &store,
        &SystemClock,
        NewUser {
            username: "alice".into(),
            password: PASSWORD.into(),
            email: None,
            email_verified: false,
            name: None,
            profile: idp_core::UserProfile::default(),
            groups: vec![],
        },
    )
    .unwrap();
    let mut new = NewClient::new("Fleet CLI", Vec::new());
    new.client_type = ClientType::Public;
    new.grant_types = vec!["device_code".into()];
    let id = manage::create_client(&store, &SystemClock, None, new)
        .unwrap()
        .client
        .id
        .as_str()
        .to_owned();
    let lb = LoadBalancer::start().await;
    let issuer = format!("http://{}", lb.addr);
    let a = Instance::start(&db, &issuer);
    let b = Instance::start(&db, &issuer);
    let api = || {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
    };
    let poll = |device_code: String| {
        let (issuer, id) = (issuer.clone(), id.clone());
        async move {
            let response = api()
                .post(format!("{issuer}/token"))
                .form(&[
                    ("grant_type", DEVICE_GRANT),
                    ("device_code", &device_code),
                    ("client_id", &id),
                ])
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };

    // Asked on A, polled on B, signed in on A, code entered on B, approved on A.
    lb.route_to(&a);
    let answer: Value = api()
        .post(format!("{issuer}/device_authorization"))
        .form(&[("client_id", id.as_str()), ("scope", "openid")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let device_code = answer["device_code"].as_str().unwrap().to_owned();
    lb.route_to(&b);
    let (_, pending) = poll(device_code.clone()).await;
    assert_eq!(pending["error"], "authorization_pending", "{pending}");
    let polled_at = std::time::Instant::now();
    let browser = Browser::without_keep_alive();
    lb.route_to(&a);
    let login = browser
        .open(answer["verification_uri_complete"].as_str().unwrap())
        .await;
    let (_, code_form) = browser.log_in(login, "alice", PASSWORD).await.page();
    lb.route_to(&b);
    let (_, approval) = browser
        .submit(
            &code_form,
            &[("user_code", answer["user_code"].as_str().unwrap())],
        )
        .await
        .page();
    lb.route_to(&a);
    let (status, done) = browser
        .submit(&approval, &[("decision", "allow")])
        .await
        .page();
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("Device connected"), "{done}");

    // The next poll after the interval (5 s by default) gets the tokens, on B; A then
    // refuses a second redemption.
    let wait = Duration::from_millis(5200).saturating_sub(polled_at.elapsed());
    sleep(wait).await;
    lb.route_to(&b);
    let (status, tokens) = poll(device_code.clone()).await;
    assert_eq!(status, 200, "{tokens}");
    lb.route_to(&a);
    let (status, again) = poll(device_code).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    drop((a, b));
}

#[test]
fn a_device_flow_spans_two_instances_on_one_postgres_database() {
    idp_testdb::run_on(idp_testdb::Backend::Postgres, || {
        actix_web::rt::System::new().block_on(a_device_flow_spans_two_instances())
    });
}
