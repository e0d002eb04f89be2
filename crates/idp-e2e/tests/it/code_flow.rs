//! The authorization-code flow as a standard OpenID Connect client runs it.

use openidconnect::core::CoreUserInfoClaims;
use openidconnect::{
    AccessTokenHash, AuthorizationCode, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    RefreshToken, Scope, TokenResponse,
};

use crate::support::{
    api_http, assert_error_response, auth, query_param, setup, Browser, TestServer, PASSWORD,
};

fn is_invalid_grant<E: std::fmt::Debug>(err: &E) -> bool {
    format!("{err:?}").contains("error: invalid_grant")
}

async fn code_flow_with_pkce_yields_verified_tokens_userinfo_and_rotating_refresh() {
    let server = TestServer::start().await;
    let user = server.create_user("alice");
    let created = server.create_client(|_| {});
    let client = server.oidc_client(&created).await;
    let http = api_http();

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, state, nonce) = auth(&client)
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();

    let browser = Browser::new();
    let callback = browser.authorize(auth_url.as_str(), "alice").await;
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some(state.secret().as_str())
    );
    // RFC 9207: the response names the issuer.
    assert_eq!(
        query_param(&callback, "iss").as_deref(),
        Some(server.base.as_str())
    );
    let code = query_param(&callback, "code").expect("code in callback");

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();

    // ID token: signature against the JWKS, issuer, audience, expiry, nonce.
    let id_token = tokens
        .id_token()
        .expect("an ID token for an openid request");
    let id_verifier = client.id_token_verifier();
    let claims = id_token.claims(&id_verifier, &nonce).unwrap();
    assert_eq!(claims.subject().as_str(), user.id.as_str());
    assert_ne!(
        claims.subject().as_str(),
        "alice",
        "sub must not be the username"
    );
    // OIDC Core §5.4: an access token was issued, so the scope's claims are at
    // UserInfo, not in the ID token (unless the client asks: --claims-in-id-token).
    assert!(claims.preferred_username().is_none());
    assert!(claims.email().is_none());
    assert!(claims.name().is_none());
    assert_eq!(
        claims.authorized_party().unwrap().as_str(),
        created.client.id.as_str()
    );
    assert!(claims.auth_time().is_some());
    // at_hash binds the access token (OIDC Core §3.1.3.6).
    let at_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&id_verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&at_hash));

    // UserInfo: same subject, claims for the granted scopes.
    let info: CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(info.email().unwrap().as_str(), "alice@example.com");
    assert_eq!(info.email_verified(), Some(true));
    assert_eq!(info.preferred_username().unwrap().as_str(), "alice");
    assert_eq!(
        info.name().unwrap().get(None).unwrap().as_str(),
        "alice Example"
    );

    // Refresh: a new access token, a rotated refresh token, a new ID token.
    let first_refresh = tokens
        .refresh_token()
        .expect("offline_access gives a refresh token")
        .clone();
    let refreshed = client
        .exchange_refresh_token(&first_refresh)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let second_refresh = refreshed.refresh_token().unwrap().clone();
    assert_ne!(second_refresh.secret(), first_refresh.secret());
    assert_ne!(
        refreshed.access_token().secret(),
        tokens.access_token().secret()
    );
    let refreshed_claims = refreshed
        .id_token()
        .unwrap()
        .claims(&id_verifier, |_: Option<&Nonce>| Ok::<(), String>(()))
        .unwrap();
    assert_eq!(refreshed_claims.subject(), claims.subject());
    assert_eq!(refreshed_claims.auth_time(), claims.auth_time());
    assert!(refreshed_claims.nonce().is_none());

    // The rotated-out refresh token is rejected, and its reuse revokes the family
    // (RFC 9700 §4.14.2): the newest refresh and access tokens stop working too.
    let reuse = client
        .exchange_refresh_token(&first_refresh)
        .unwrap()
        .request_async(&http)
        .await;
    assert!(is_invalid_grant(&reuse.unwrap_err()));
    let after = client
        .exchange_refresh_token(&second_refresh)
        .unwrap()
        .request_async(&http)
        .await;
    assert!(is_invalid_grant(&after.unwrap_err()));
    let status = http
        .get(server.url("/userinfo"))
        .bearer_auth(refreshed.access_token().secret())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401);
}

async fn public_client_with_pkce_and_no_secret_completes_the_flow() {
    let server = TestServer::start().await;
    server.create_user("bob");
    let created = server.create_client(|c| c.client_type = idp_core::ClientType::Public);
    assert!(created.secret.is_none());
    let client = server.oidc_client(&created).await;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, _, nonce) = auth(&client).set_pkce_challenge(challenge).url();
    let callback = Browser::new().authorize(auth_url.as_str(), "bob").await;
    let tokens = client
        .exchange_code(AuthorizationCode::new(
            query_param(&callback, "code").unwrap(),
        ))
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
    // No offline_access and no per-client override: no refresh token.
    assert!(tokens.refresh_token().is_none());
}

async fn consent_is_remembered_so_prompt_none_then_succeeds() {
    let (_server, _created, client) = setup(Some("carol"), |_| {}).await;
    let browser = Browser::new();
    let (url, _, _) = auth(&client).url();
    browser.authorize(url.as_str(), "carol").await;

    let (url, state, _) = auth(&client)
        .add_prompt(openidconnect::core::CoreAuthPrompt::None)
        .url();
    let callback = browser.open(url.as_str()).await.client_url();
    assert!(query_param(&callback, "code").is_some(), "{callback}");
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some(state.secret().as_str())
    );
}

async fn first_party_clients_skip_consent() {
    let (_server, _created, client) = setup(Some("dave"), |c| c.first_party = true).await;
    let (url, _, _) = auth(&client).url();
    let browser = Browser::new();
    let landing = browser.open(url.as_str()).await;
    let callback = browser.log_in(landing, "dave", PASSWORD).await.client_url();
    assert!(query_param(&callback, "code").is_some());
}

async fn denying_consent_sends_access_denied_to_the_client() {
    let (server, _created, client) = setup(Some("erin"), |_| {}).await;
    let (url, state, _) = auth(&client).url();
    let browser = Browser::new();
    let landing = browser.open(url.as_str()).await;
    let landing = browser.log_in(landing, "erin", PASSWORD).await;
    let callback = browser.consent(landing, "deny").await.client_url();
    assert_error_response(&callback, "access_denied", state.secret(), &server.base);
}

async fn wrong_password_shows_the_form_again_with_a_generic_error() {
    let (_server, _created, client) = setup(Some("frank"), |_| {}).await;
    let (url, _, _) = auth(&client).url();
    let browser = Browser::new();
    for (username, password) in [("frank", "wrong password"), ("nobody", PASSWORD)] {
        let landing = browser.open(url.as_str()).await;
        let (status, page) = browser.log_in(landing, username, password).await.page();
        assert_eq!(status, 200);
        assert!(page.contains("Invalid username or password."), "{page}");
        assert!(page.contains("name=\"password\""));
    }
}

async fn login_hint_and_owncloud_user_parameter_prefill_the_username() {
    let (_server, _created, client) = setup(None, |_| {}).await;
    for param in ["login_hint", "user"] {
        let (url, _, _) = auth(&client)
            .add_extra_param(param, "grace@example.com")
            .url();
        let (_, page) = Browser::new().open(url.as_str()).await.page();
        assert!(
            page.contains("value=\"grace@example.com\""),
            "{param}: {page}"
        );
    }
}

async fn prompt_login_asks_for_the_password_again() {
    let (_server, _created, client) = setup(Some("heidi"), |c| c.first_party = true).await;
    let browser = Browser::new();
    let (url, _, _) = auth(&client).url();
    let landing = browser.open(url.as_str()).await;
    browser
        .log_in(landing, "heidi", PASSWORD)
        .await
        .client_url();
    // With a session, a plain request goes straight back...
    let (url, _, _) = auth(&client).url();
    browser.open(url.as_str()).await.client_url();
    // ...but prompt=login shows the login form.
    let (url, _, _) = auth(&client)
        .add_prompt(openidconnect::core::CoreAuthPrompt::Login)
        .url();
    let landing = browser.open(url.as_str()).await;
    let callback = browser
        .log_in(landing, "heidi", PASSWORD)
        .await
        .client_url();
    assert!(query_param(&callback, "code").is_some());
}

async fn owncloud_style_clients_get_refresh_tokens_and_user_id_without_asking() {
    let server = TestServer::start().await;
    server.create_user("ivan");
    let created = server.create_client(|c| {
        c.refresh_without_offline_access = true;
        c.include_user_id = true;
        c.first_party = true;
        c.default_scopes = vec!["profile".into()];
    });
    let secret = created.secret.clone().unwrap();
    // No scope parameter at all, as ownCloud's OAuth2 clients send it: the operator's
    // default scope applies.
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&state=s1",
        server.base,
        created.client.id,
        crate::support::REDIRECT_URI
    );
    let browser = Browser::new();
    let landing = browser.open(&url).await;
    let callback = browser.log_in(landing, "ivan", PASSWORD).await.client_url();
    let code = query_param(&callback, "code").unwrap();
    let response: serde_json::Value = api_http()
        .post(server.url("/token"))
        .basic_auth(created.client.id.as_str(), Some(&secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", crate::support::REDIRECT_URI),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(response["refresh_token"].is_string(), "{response}");
    assert_eq!(response["user_id"], "ivan");
    // Only what the operator set: no openid (so no ID token), no offline_access.
    assert_eq!(response["scope"], "profile");
    assert!(response.get("id_token").is_none(), "{response}");
    let _ = RefreshToken::new(response["refresh_token"].as_str().unwrap().to_owned());
}

async fn a_form_posted_authorization_request_works_like_a_get() {
    let (server, created, _client) = setup(Some("judy"), |c| c.first_party = true).await;
    let browser = Browser::new();
    let response = browser
        .http
        .post(server.url("/authorize"))
        .form(&[
            ("response_type", "code"),
            ("client_id", created.client.id.as_str()),
            ("redirect_uri", crate::support::REDIRECT_URI),
            ("scope", "openid email"),
            ("state", "posted"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let login = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        login.starts_with(&server.url("/login?request_id=")),
        "{login}"
    );
    let landing = browser.open(&login).await;
    let callback = browser.log_in(landing, "judy", PASSWORD).await.client_url();
    assert_eq!(query_param(&callback, "state").as_deref(), Some("posted"));
    assert!(query_param(&callback, "code").is_some());
}

async fn the_consent_page_names_the_client_and_the_scopes() {
    let (_server, _created, client) = setup(Some("kim"), |c| c.name = "Photo Album".into()).await;
    let (url, _, _) = auth(&client).add_scope(Scope::new("email".into())).url();
    let browser = Browser::new();
    let landing = browser.open(url.as_str()).await;
    let (status, page) = browser.log_in(landing, "kim", PASSWORD).await.page();
    assert_eq!(status, 200);
    assert!(page.contains("Photo Album"), "{page}");
    assert!(
        page.contains(">openid<") && page.contains(">email<"),
        "{page}"
    );
    assert!(page.contains("value=\"allow\"") && page.contains("value=\"deny\""));
}

async fn discovery_lists_every_endpoint_and_the_jwks_names_its_keys() {
    let server = TestServer::start().await;
    let http = api_http();
    let meta: serde_json::Value =
        crate::support::get_json(&server.url("/.well-known/openid-configuration")).await;
    for (member, path) in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks.json"),
    ] {
        assert_eq!(meta[member], server.url(path), "{member}");
        let status = http.head(server.url(path)).send().await.unwrap().status();
        assert_ne!(status, 500, "{path}");
    }
    assert_eq!(meta["issuer"], server.base);
    let jwks: serde_json::Value = http
        .get(meta["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["alg"], "RS256");
    assert!(key["kid"].as_str().is_some_and(|k| k.len() == 43));
    assert!(key.get("d").is_none(), "no private parts in the JWKS");
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    code_flow_with_pkce_yields_verified_tokens_userinfo_and_rotating_refresh,
    public_client_with_pkce_and_no_secret_completes_the_flow,
    consent_is_remembered_so_prompt_none_then_succeeds,
    first_party_clients_skip_consent,
    denying_consent_sends_access_denied_to_the_client,
    wrong_password_shows_the_form_again_with_a_generic_error,
    login_hint_and_owncloud_user_parameter_prefill_the_username,
    prompt_login_asks_for_the_password_again,
    owncloud_style_clients_get_refresh_tokens_and_user_id_without_asking,
    a_form_posted_authorization_request_works_like_a_get,
    the_consent_page_names_the_client_and_the_scopes,
    discovery_lists_every_endpoint_and_the_jwks_names_its_keys,
);
