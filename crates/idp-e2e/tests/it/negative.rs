//! Requests that must fail, and fail the way the RFCs say.

use openidconnect::core::CoreAuthPrompt;
use openidconnect::{AuthorizationCode, PkceCodeChallenge, PkceCodeVerifier, Scope};
use serde_json::Value;

use crate::support::{
    api_http, assert_error_response, auth, parse_form, query_param, setup, Browser, TestServer,
    PASSWORD, REDIRECT_URI,
};

fn authorize_url(server: &TestServer, query: &str) -> String {
    format!("{}/authorize?{query}", server.base)
}

/// Runs the browser part for a confidential client and returns the code.
async fn code_for(server: &TestServer, client_id: &str, extra: &str, user: &str) -> String {
    let url = authorize_url(
        server,
        &format!("response_type=code&client_id={client_id}&redirect_uri={REDIRECT_URI}&scope=openid&state=x{extra}"),
    );
    let callback = Browser::new().authorize(&url, user).await;
    query_param(&callback, "code").unwrap()
}

async fn token_request(
    server: &TestServer,
    auth: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = api_http().post(server.url("/token")).form(form);
    if let Some((id, secret)) = auth {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn unregistered_redirect_uri_gets_an_error_page_and_no_redirect() {
    let server = TestServer::start().await;
    let created = server.create_client(|_| {});
    for uri in [
        "http://127.0.0.1:9/callback/",
        "http://127.0.0.1:9/CALLBACK",
        "http://127.0.0.1:9/callback?x=1",
        "http://evil.example/callback",
    ] {
        let url = authorize_url(
            &server,
            &format!(
                "response_type=code&client_id={}&redirect_uri={}&scope=openid",
                created.client.id,
                url::form_urlencoded::byte_serialize(uri.as_bytes()).collect::<String>()
            ),
        );
        let response = api_http().get(&url).send().await.unwrap();
        assert_eq!(response.status(), 400, "{uri}");
        assert!(response.headers().get("location").is_none(), "{uri}");
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("redirect_uri is not registered"));
    }
}

async fn unknown_or_missing_client_gets_an_error_page() {
    let server = TestServer::start().await;
    for query in [
        format!("response_type=code&client_id=nope&redirect_uri={REDIRECT_URI}&scope=openid"),
        format!("response_type=code&redirect_uri={REDIRECT_URI}&scope=openid"),
    ] {
        let response = api_http()
            .get(authorize_url(&server, &query))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert!(response.headers().get("location").is_none());
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
}

async fn wrong_client_secret_is_401_invalid_client_with_a_basic_challenge() {
    let server = TestServer::start().await;
    let created = server.create_client(|_| {});
    let id = created.client.id.as_str();
    let (status, headers, body) = token_request(
        &server,
        Some((id, "wrong-secret")),
        &[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", REDIRECT_URI),
        ],
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    assert!(headers["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic"));

    // client_secret_post with a wrong secret: 401 too, and a 401 always names the
    // scheme to use (RFC 9110 §15.5.2).
    let (status, headers, body) = token_request(
        &server,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("client_id", id),
            ("client_secret", "nope"),
        ],
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    assert!(headers["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
}

async fn client_secret_post_authenticates_too() {
    let server = TestServer::start().await;
    server.create_user("post");
    let created = server.create_client(|c| c.first_party = true);
    let id = created.client.id.as_str().to_owned();
    let code = code_for(&server, &id, "", "post").await;
    let secret = created.secret.unwrap();
    let (status, headers, body) = token_request(
        &server,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["id_token"].is_string());
}

async fn a_reused_code_fails_and_revokes_the_tokens_issued_from_it() {
    let server = TestServer::start().await;
    server.create_user("mallory");
    let created = server.create_client(|c| c.first_party = true);
    let id = created.client.id.as_str().to_owned();
    let secret = created.secret.clone().unwrap();
    let code = code_for(&server, &id, "", "mallory").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    let (status, _, first) = token_request(&server, Some((&id, &secret)), &form).await;
    assert_eq!(status, 200);
    let access_token = first["access_token"].as_str().unwrap().to_owned();
    let userinfo = |token: String| {
        let url = server.url("/userinfo");
        async move { api_http().get(url).bearer_auth(token).send().await.unwrap() }
    };
    assert_eq!(userinfo(access_token.clone()).await.status(), 200);

    let (status, _, second) = token_request(&server, Some((&id, &secret)), &form).await;
    assert_eq!(status, 400);
    assert_eq!(second["error"], "invalid_grant");

    let response = userinfo(access_token).await;
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.starts_with("Bearer error=\"invalid_token\""),
        "{challenge}"
    );
}

async fn a_wrong_pkce_verifier_is_invalid_grant() {
    let (_server, _created, client) = setup(Some("peggy"), |c| c.first_party = true).await;
    let (challenge, _right) = PkceCodeChallenge::new_random_sha256();
    let (url, _, _) = auth(&client).set_pkce_challenge(challenge).url();
    let browser = Browser::new();
    let landing = browser.open(url.as_str()).await;
    let callback = browser
        .log_in(landing, "peggy", PASSWORD)
        .await
        .client_url();
    let result = client
        .exchange_code(AuthorizationCode::new(
            query_param(&callback, "code").unwrap(),
        ))
        .unwrap()
        .set_pkce_verifier(PkceCodeVerifier::new("a".repeat(64)))
        .request_async(&api_http())
        .await;
    assert!(format!("{:?}", result.unwrap_err()).contains("error: invalid_grant"));
}

async fn without_the_openid_scope_there_is_no_id_token() {
    let (server, created, client) = setup(Some("oscar"), |c| c.first_party = true).await;
    let (url, _, _) = auth(&client).url();
    // The library always adds openid; take it out as a plain OAuth client would send it.
    let url = url.as_str().replace("scope=openid", "scope=profile");
    let browser = Browser::new();
    let landing = browser.open(&url).await;
    let callback = browser
        .log_in(landing, "oscar", PASSWORD)
        .await
        .client_url();
    let code = query_param(&callback, "code").unwrap();
    let (status, _, body) = token_request(
        &server,
        Some((
            created.client.id.as_str(),
            created.secret.as_deref().unwrap(),
        )),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("id_token").is_none(), "{body}");
    assert_eq!(body["scope"], "profile");
    // And UserInfo refuses a token without openid.
    let response = api_http()
        .get(server.url("/userinfo"))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

async fn prompt_none_without_a_session_redirects_login_required() {
    let (server, _created, client) = setup(None, |_| {}).await;
    let (url, state, _) = auth(&client).add_prompt(CoreAuthPrompt::None).url();
    let callback = Browser::new().open(url.as_str()).await.client_url();
    assert_error_response(&callback, "login_required", state.secret(), &server.base);
}

async fn prompt_none_without_consent_redirects_consent_required() {
    let server = TestServer::start().await;
    server.create_user("quinn");
    let first_party = server.create_client(|c| c.first_party = true);
    let third_party = server.create_client(|_| {});
    let browser = Browser::new();
    // Log in through the first-party client to get a session.
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={REDIRECT_URI}&scope=openid",
        server.base, first_party.client.id
    );
    let landing = browser.open(&url).await;
    browser
        .log_in(landing, "quinn", PASSWORD)
        .await
        .client_url();
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={REDIRECT_URI}&scope=openid&prompt=none",
        server.base, third_party.client.id
    );
    let callback = browser.open(&url).await.client_url();
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("consent_required")
    );
}

async fn public_clients_must_use_s256_pkce() {
    let server = TestServer::start().await;
    let created = server.create_client(|c| c.client_type = idp_core::ClientType::Public);
    let base = format!(
        "response_type=code&client_id={}&redirect_uri={REDIRECT_URI}&scope=openid&state=st",
        created.client.id
    );
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    for extra in [
        String::new(),
        format!("&code_challenge={challenge}&code_challenge_method=plain"),
        format!("&code_challenge={challenge}"),
    ] {
        let url = authorize_url(&server, &format!("{base}{extra}"));
        let callback = Browser::new().open(&url).await.client_url();
        assert_eq!(
            query_param(&callback, "error").as_deref(),
            Some("invalid_request"),
            "{extra}"
        );
        assert_eq!(query_param(&callback, "state").as_deref(), Some("st"));
    }
}

async fn unsupported_response_types_and_bad_scopes_are_redirected_errors() {
    let server = TestServer::start().await;
    let created = server.create_client(|_| {});
    let id = created.client.id.as_str();
    for (query, error) in [
        (format!("response_type=token&client_id={id}&redirect_uri={REDIRECT_URI}"), "unsupported_response_type"),
        (format!("client_id={id}&redirect_uri={REDIRECT_URI}"), "invalid_request"),
        (format!("response_type=code&client_id={id}&redirect_uri={REDIRECT_URI}&scope=nothing"), "invalid_scope"),
        (format!("response_type=code&client_id={id}&redirect_uri={REDIRECT_URI}&request=eyJ"), "request_not_supported"),
        (format!("response_type=code&client_id={id}&redirect_uri={REDIRECT_URI}&scope=openid&prompt=none%20login"), "invalid_request"),
        (format!("response_type=code&client_id={id}&redirect_uri={REDIRECT_URI}&state=a&state=b"), "invalid_request"),
    ] {
        let callback = Browser::new().open(&authorize_url(&server, &query)).await.client_url();
        assert_eq!(query_param(&callback, "error").as_deref(), Some(error), "{query}");
    }
}

async fn a_login_form_without_the_csrf_token_is_refused() {
    let server = TestServer::start().await;
    server.create_user("trent");
    let created = server.create_client(|_| {});
    let url = authorize_url(
        &server,
        &format!(
            "response_type=code&client_id={}&redirect_uri={REDIRECT_URI}&scope=openid",
            created.client.id
        ),
    );
    let browser = Browser::new();
    let (_, page) = browser.open(&url).await.page();
    let (action, hidden) = parse_form(&page);
    let request_id = hidden
        .iter()
        .find(|(k, _)| k == "request_id")
        .unwrap()
        .1
        .clone();
    let response = browser
        .http
        .post(&action)
        .form(&[
            ("request_id", request_id.as_str()),
            ("csrf_token", "forged"),
            ("username", "trent"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    // A different browser (no session cookie) posting a copied form is refused too.
    let (_, hidden_again) = parse_form(&page);
    let mut fields = hidden_again;
    fields.push(("username".into(), "trent".into()));
    fields.push(("password".into(), PASSWORD.into()));
    let response = Browser::new()
        .http
        .post(&action)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

async fn the_session_cookie_is_httponly_samesite_and_rotated_at_login() {
    let server = TestServer::start().await;
    server.create_user("uma");
    let created = server.create_client(|c| c.first_party = true);
    let url = authorize_url(
        &server,
        &format!(
            "response_type=code&client_id={}&redirect_uri={REDIRECT_URI}&scope=openid",
            created.client.id
        ),
    );
    let browser = Browser::new();
    // The session starts when the request is parked: the request is bound to it.
    let parked = browser.http.get(&url).send().await.unwrap();
    let login_url = parked.headers()["location"].to_str().unwrap().to_owned();
    let before = parked.headers()["set-cookie"].to_str().unwrap().to_owned();
    let response = browser.http.get(&login_url).send().await.unwrap();
    assert!(
        before.contains("HttpOnly") && before.contains("SameSite=Lax"),
        "{before}"
    );
    let page = response.text().await.unwrap();
    let (action, mut fields) = parse_form(&page);
    fields.push(("username".into(), "uma".into()));
    fields.push(("password".into(), PASSWORD.into()));
    let response = browser
        .http
        .post(&action)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let after = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let value = |c: &str| c.split(';').next().unwrap().to_owned();
    assert_ne!(
        value(&before),
        value(&after),
        "session id must change at login"
    );
}

async fn token_requests_need_a_grant_type_the_client_may_use() {
    let server = TestServer::start().await;
    let created = server.create_client(|c| c.grant_types = vec!["authorization_code".into()]);
    let credentials = Some((
        created.client.id.as_str(),
        created.secret.as_deref().unwrap(),
    ));
    for (form, error) in [
        (&[("grant_type", "password")][..], "unsupported_grant_type"),
        (
            &[("grant_type", "refresh_token"), ("refresh_token", "x")][..],
            "unauthorized_client",
        ),
        (&[("code", "x")][..], "invalid_request"),
        (
            &[("grant_type", "authorization_code"), ("code", "unknown")][..],
            "invalid_grant",
        ),
    ] {
        let (status, _, body) = token_request(&server, credentials, form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(error)),
            "{form:?}"
        );
    }
}

async fn userinfo_without_a_token_is_a_bare_bearer_challenge() {
    let server = TestServer::start().await;
    let response = api_http()
        .get(server.url("/userinfo"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let response = api_http()
        .post(server.url("/userinfo"))
        .form(&[("access_token", "made-up")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    let _ = Scope::new("unused".into());
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    unregistered_redirect_uri_gets_an_error_page_and_no_redirect,
    unknown_or_missing_client_gets_an_error_page,
    wrong_client_secret_is_401_invalid_client_with_a_basic_challenge,
    client_secret_post_authenticates_too,
    a_reused_code_fails_and_revokes_the_tokens_issued_from_it,
    a_wrong_pkce_verifier_is_invalid_grant,
    without_the_openid_scope_there_is_no_id_token,
    prompt_none_without_a_session_redirects_login_required,
    prompt_none_without_consent_redirects_consent_required,
    public_clients_must_use_s256_pkce,
    unsupported_response_types_and_bad_scopes_are_redirected_errors,
    a_login_form_without_the_csrf_token_is_refused,
    the_session_cookie_is_httponly_samesite_and_rotated_at_login,
    token_requests_need_a_grant_type_the_client_may_use,
    userinfo_without_a_token_is_a_bare_bearer_challenge,
);
