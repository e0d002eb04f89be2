//! The implicit and hybrid flows (OIDC Core §3.2, §3.3) for clients registered with the
//! implicit option, and the form_post response mode (OAuth 2.0 Form Post Response Mode)
//! for any client, verified with the `openidconnect` client's ID token checks.

use std::collections::HashMap;
use std::str::FromStr;

use base64::Engine;
use openidconnect::core::{CoreIdToken, CoreIdTokenVerifier};
use openidconnect::{
    AccessToken, AccessTokenHash, AuthorizationCode, AuthorizationCodeHash, Nonce,
};
use scraper::{Html, Selector};
use serde_json::{json, Value};

use crate::support::{
    api_http, assert_error_response, fragment_params, get_json, jwt_payload, parse_form, Browser,
    TestServer, PASSWORD, REDIRECT_URI,
};

const NONCE: &str = "n-0S6_WzA2Mj";
const STATE: &str = "af0ifjsldkj";
// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// An authorization request for `client_id` with `response_type`, scope `openid email`,
/// a state and a nonce; `extra` adds parameters or, with an empty value, removes them.
fn authorize_url(
    server: &TestServer,
    client_id: &str,
    response_type: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut pairs = vec![
        ("response_type", response_type),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid email"),
        ("state", STATE),
        ("nonce", NONCE),
    ];
    for (k, v) in extra {
        pairs.retain(|(name, _)| name != k);
        if !v.is_empty() {
            pairs.push((k, v));
        }
    }
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    server.url(&format!("/authorize?{query}"))
}

/// Whether a response type names `part`.
fn names(response_type: &str, part: &str) -> bool {
    response_type.split(' ').any(|p| p == part)
}

/// The claims of an ID token from the authorization response, after the `openidconnect`
/// client's checks (signature, issuer, audience, expiry, nonce); and the `c_hash` and
/// `at_hash` it must carry for the code and access token issued with it (OIDC Core
/// §3.3.2.11), and must not carry without them.
fn verified_id_token(
    verifier: &CoreIdTokenVerifier<'_>,
    raw: &str,
    code: Option<&String>,
    access_token: Option<&String>,
) -> openidconnect::core::CoreIdTokenClaims {
    let id_token = CoreIdToken::from_str(raw).unwrap();
    let claims = id_token
        .claims(verifier, &Nonce::new(NONCE.into()))
        .unwrap()
        .clone();
    let alg = id_token.signing_alg().unwrap();
    let key = id_token.signing_key(verifier).unwrap();
    let c_hash = code.map(|c| {
        AuthorizationCodeHash::from_code(&AuthorizationCode::new(c.clone()), alg, key).unwrap()
    });
    assert_eq!(claims.code_hash(), c_hash.as_ref());
    let at_hash = access_token
        .map(|t| AccessTokenHash::from_token(&AccessToken::new(t.clone()), alg, key).unwrap());
    assert_eq!(claims.access_token_hash(), at_hash.as_ref());
    claims
}

/// Checks a response whose parameters are in the fragment — nothing in the query,
/// `state` and `iss` (RFC 9207) present — and returns them.
fn fragment_response(callback: &url::Url, issuer: &str) -> HashMap<String, String> {
    assert_eq!(callback.query(), None, "{callback}");
    let params = fragment_params(callback);
    assert_eq!(params["state"], STATE, "{callback}");
    assert_eq!(params["iss"], issuer, "{callback}");
    params
}

/// Checks an error response in the fragment.
fn assert_fragment_error(callback: &url::Url, error: &str, issuer: &str) {
    let params = fragment_response(callback, issuer);
    assert_eq!(
        params.get("error").map(String::as_str),
        Some(error),
        "{callback}"
    );
    for issued in ["code", "id_token", "access_token"] {
        assert!(!params.contains_key(issued), "{callback}");
    }
}

/// A request that must fail: client id, response type, changed parameters, error.
type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], &'a str);

fn hex_to_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Checks a form_post page (OAuth 2.0 Form Post Response Mode §2) — `200` HTML, not
/// stored, a POST form with a visible submit button, and a content security policy that
/// allows its one inline script by hash and nothing else — and returns the form's action
/// and fields.
async fn form_post_page(response: reqwest::Response) -> (String, HashMap<String, String>) {
    assert_eq!(response.status(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .unwrap_or_else(|| panic!("no {name}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert!(header("content-type").starts_with("text/html"));
    assert_eq!(header("cache-control"), "no-store");
    let csp = header("content-security-policy");
    let body = response.text().await.unwrap();
    let doc = Html::parse_document(&body);
    let scripts: Vec<String> = doc
        .select(&Selector::parse("script").unwrap())
        .map(|s| s.inner_html())
        .collect();
    assert_eq!(scripts.len(), 1, "{body}");
    let hash = base64::engine::general_purpose::STANDARD
        .encode(hex_to_bytes(&idp_crypto::sha256_hex(scripts[0].as_bytes())));
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    let script_src: Vec<&&str> = directives
        .iter()
        .filter(|d| d.starts_with("script-src"))
        .collect();
    assert_eq!(
        script_src,
        [&format!("script-src 'sha256-{hash}'").as_str()],
        "{csp} must allow exactly {:?}",
        scripts[0]
    );
    assert_eq!(directives[0], "default-src 'none'", "{csp}");
    assert!(directives.contains(&"frame-ancestors 'none'"), "{csp}");
    let form = doc
        .select(&Selector::parse("form").unwrap())
        .next()
        .unwrap();
    assert_eq!(form.value().attr("method"), Some("post"));
    assert!(doc
        .select(&Selector::parse("form button[type=submit]").unwrap())
        .next()
        .is_some());
    let (action, fields) = parse_form(&body);
    (action, fields.into_iter().collect())
}

async fn every_implicit_and_hybrid_response_type_returns_verified_tokens_in_the_fragment() {
    let server = TestServer::start().await;
    let user = server.create_user("alice");
    let created = server.create_client(|c| c.options.implicit = true);
    let client = server.oidc_client(&created).await;
    let verifier = client.id_token_verifier();
    let id = created.client.id.as_str();
    // The five types of OIDC Core §3.2 and §3.3, and one in another order (Multiple
    // Response Types §5: the order does not matter).
    for response_type in [
        "id_token",
        "id_token token",
        "code id_token",
        "code token",
        "code id_token token",
        "token id_token code",
    ] {
        let url = authorize_url(&server, id, response_type, &[]);
        let callback = Browser::new().authorize(&url, "alice").await;
        let p = fragment_response(&callback, &server.base);
        assert!(!p.contains_key("error"), "{callback}");
        assert_eq!(p.contains_key("code"), names(response_type, "code"));
        assert_eq!(p.contains_key("id_token"), names(response_type, "id_token"));
        assert_eq!(
            p.contains_key("access_token"),
            names(response_type, "token")
        );
        // Never a refresh token from the authorization endpoint.
        assert!(!p.contains_key("refresh_token"), "{callback}");

        if let Some(access_token) = p.get("access_token") {
            // RFC 6749 §4.2.2.
            assert_eq!(p["token_type"], "Bearer");
            assert!(p["expires_in"].parse::<i64>().unwrap() > 0);
            assert_eq!(p["scope"], "email openid");
            let (status, info) = server.userinfo(access_token).await;
            assert_eq!(status, 200, "{response_type}: {info}");
            assert_eq!(info["sub"], user.id.as_str());
            assert_eq!(info["email"], "alice@example.com");
        } else {
            assert!(!p.contains_key("token_type") && !p.contains_key("expires_in"));
        }

        if let Some(raw) = p.get("id_token") {
            let claims = verified_id_token(&verifier, raw, p.get("code"), p.get("access_token"));
            assert_eq!(claims.subject().as_str(), user.id.as_str());
            assert!(claims.auth_time().is_some());
            assert_eq!(
                claims.authorized_party().unwrap().as_str(),
                created.client.id.as_str()
            );
            // OIDC Core §5.4: the scope's claims are in the ID token only when the flow
            // issues no access token; otherwise they are at UserInfo.
            assert_eq!(
                claims.email().is_some(),
                response_type == "id_token",
                "{response_type}"
            );
        }

        if let Some(code) = p.get("code") {
            // The code is redeemed at the token endpoint as in the code flow (OIDC Core
            // §3.3.3), and its ID token names the same user with the same nonce.
            let (status, tokens) = server.exchange(&created, code).await;
            assert_eq!(status, 200, "{response_type}: {tokens}");
            let raw = tokens["id_token"].as_str().unwrap();
            let access = tokens["access_token"].as_str().unwrap().to_owned();
            let claims = verified_id_token(&verifier, raw, None, Some(&access));
            assert_eq!(claims.subject().as_str(), user.id.as_str());
            assert_eq!(server.userinfo(&access).await.0, 200);
        }
    }
}

async fn a_replayed_hybrid_code_revokes_the_access_token_of_the_authorization_response() {
    let server = TestServer::start().await;
    server.create_user("bob");
    let created = server.create_client(|c| c.options.implicit = true);
    let url = authorize_url(
        &server,
        created.client.id.as_str(),
        "code id_token token",
        &[],
    );
    let callback = Browser::new().authorize(&url, "bob").await;
    let p = fragment_response(&callback, &server.base);
    let front = &p["access_token"];
    assert_eq!(server.userinfo(front).await.0, 200);

    let (status, tokens) = server.exchange(&created, &p["code"]).await;
    assert_eq!(status, 200, "{tokens}");
    let back = tokens["access_token"].as_str().unwrap();
    assert_eq!(server.userinfo(back).await.0, 200);

    // RFC 6749 §4.1.2: a second use revokes the grant — the code's tokens and the access
    // token the authorization endpoint issued with it.
    let (status, replay) = server.exchange(&created, &p["code"]).await;
    assert_eq!(
        (status, replay["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(server.userinfo(front).await.0, 401);
    assert_eq!(server.userinfo(back).await.0, 401);
}

async fn implicit_requests_are_refused_in_the_fragment_without_nonce_openid_or_the_client_flag() {
    let server = TestServer::start().await;
    let implicit = server.create_client(|c| c.options.implicit = true);
    let plain = server.create_client(|_| {});
    let (implicit, plain) = (implicit.client.id.as_str(), plain.client.id.as_str());
    let cases: [Case<'_>; 11] = [
        // OIDC Core §3.2.2.1, §3.3.2.11: nonce is required with an ID token.
        (implicit, "id_token", &[("nonce", "")], "invalid_request"),
        (
            implicit,
            "code id_token",
            &[("nonce", "")],
            "invalid_request",
        ),
        // An ID token only for OpenID Connect requests.
        (
            implicit,
            "id_token token",
            &[("scope", "email")],
            "invalid_request",
        ),
        // Multiple Response Types §2.1: tokens never in the query.
        (
            implicit,
            "id_token",
            &[("response_mode", "query")],
            "invalid_request",
        ),
        (
            implicit,
            "code token",
            &[("response_mode", "query")],
            "invalid_request",
        ),
        (
            implicit,
            "id_token",
            &[("response_mode", "web_message")],
            "invalid_request",
        ),
        // Off by default: only clients registered with --implicit.
        (plain, "id_token", &[], "unauthorized_client"),
        (plain, "id_token token", &[], "unauthorized_client"),
        (plain, "code id_token", &[], "unauthorized_client"),
        (plain, "code token", &[], "unauthorized_client"),
        // OIDC Core §3.1.2.6: no session and prompt=none, answered in the fragment too.
        (
            implicit,
            "id_token token",
            &[("prompt", "none")],
            "login_required",
        ),
    ];
    for (client_id, response_type, extra, error) in cases {
        let url = authorize_url(&server, client_id, response_type, extra);
        let callback = Browser::new().open(&url).await.client_url();
        assert_fragment_error(&callback, error, &server.base);
    }
    // `token` alone (OAuth implicit without OpenID Connect) is not supported: refused in
    // the query like any unknown type; and a code-only request still answers there.
    for (client_id, response_type, extra, error) in [
        (implicit, "token", &[][..], "unsupported_response_type"),
        (implicit, "code none", &[], "unsupported_response_type"),
        (plain, "code", &[("prompt", "none")], "login_required"),
    ] {
        let url = authorize_url(&server, client_id, response_type, extra);
        let callback = Browser::new().open(&url).await.client_url();
        assert_eq!(callback.fragment(), None, "{callback}");
        assert_error_response(&callback, error, STATE, &server.base);
    }
}

async fn hybrid_requests_of_public_clients_need_pkce_and_implicit_ones_do_not() {
    let server = TestServer::start().await;
    server.create_user("carol");
    let created = server.create_client(|c| {
        c.client_type = idp_core::ClientType::Public;
        c.options.implicit = true;
    });
    let id = created.client.id.as_str();
    let url = authorize_url(&server, id, "code id_token", &[]);
    let callback = Browser::new().open(&url).await.client_url();
    assert_fragment_error(&callback, "invalid_request", &server.base);

    // No code, no PKCE.
    let url = authorize_url(&server, id, "id_token token", &[]);
    let p = fragment_response(&Browser::new().authorize(&url, "carol").await, &server.base);
    assert!(p.contains_key("id_token") && p.contains_key("access_token"));

    let pkce = [
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let url = authorize_url(&server, id, "code id_token", &pkce);
    let p = fragment_response(&Browser::new().authorize(&url, "carol").await, &server.base);
    let exchange = |verifier: Option<&'static str>| {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", p["code"].as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", id),
        ];
        form.extend(verifier.map(|v| ("code_verifier", v)));
        let form: Vec<(String, String)> = form
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let url = server.url("/token");
        async move {
            let response = api_http().post(url).form(&form).send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = exchange(None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, body) = exchange(Some(VERIFIER)).await;
    assert_eq!(status, 200, "{body}");
}

async fn form_post_delivers_a_code_flow_response_as_a_form_posted_to_the_client() {
    let server = TestServer::start().await;
    server.create_user("dave");
    // Any client: form_post needs no flag.
    let created = server.create_client(|_| {});
    let url = authorize_url(
        &server,
        created.client.id.as_str(),
        "code",
        &[("response_mode", "form_post")],
    );
    let browser = Browser::new();
    let landing = browser.open(&url).await;
    let (_, consent) = browser.log_in(landing, "dave", PASSWORD).await.page();
    let response = browser.submit_raw(&consent, &[("decision", "allow")]).await;
    let (action, fields) = form_post_page(response).await;
    assert_eq!(action, REDIRECT_URI);
    assert_eq!(fields["state"], STATE);
    assert_eq!(fields["iss"], server.base);
    assert!(!fields.contains_key("error") && !fields.contains_key("id_token"));
    let (status, tokens) = server.exchange(&created, &fields["code"]).await;
    assert_eq!(status, 200, "{tokens}");
}

async fn form_post_carries_hybrid_responses_and_errors() {
    let server = TestServer::start().await;
    let user = server.create_user("erin");
    let created = server.create_client(|c| c.options.implicit = true);
    let client = server.oidc_client(&created).await;
    let id = created.client.id.as_str();
    let form_post = [("response_mode", "form_post")];

    // `code id_token`: the code and the ID token (with c_hash) as hidden fields.
    let url = authorize_url(&server, id, "code id_token", &form_post);
    let browser = Browser::new();
    let landing = browser.open(&url).await;
    let (_, consent) = browser.log_in(landing, "erin", PASSWORD).await.page();
    let response = browser.submit_raw(&consent, &[("decision", "allow")]).await;
    let (action, fields) = form_post_page(response).await;
    assert_eq!(action, REDIRECT_URI);
    assert_eq!(
        (fields["state"].as_str(), fields["iss"].as_str()),
        (STATE, server.base.as_str())
    );
    let claims = verified_id_token(
        &client.id_token_verifier(),
        &fields["id_token"],
        fields.get("code"),
        None,
    );
    assert_eq!(claims.subject().as_str(), user.id.as_str());
    let (status, tokens) = server.exchange(&created, &fields["code"]).await;
    assert_eq!(status, 200, "{tokens}");

    // Deny on the consent page: the error is posted too.
    let url = authorize_url(
        &server,
        id,
        "code id_token",
        &[("response_mode", "form_post"), ("prompt", "consent")],
    );
    let browser = Browser::new();
    let landing = browser.open(&url).await;
    let (_, consent) = browser.log_in(landing, "erin", PASSWORD).await.page();
    let response = browser.submit_raw(&consent, &[("decision", "deny")]).await;
    let (action, fields) = form_post_page(response).await;
    assert_eq!(action, REDIRECT_URI);
    assert_eq!(fields["error"], "access_denied");
    assert_eq!(
        (fields["state"].as_str(), fields["iss"].as_str()),
        (STATE, server.base.as_str())
    );
    assert!(!fields.contains_key("code") && !fields.contains_key("id_token"));

    // An invalid request, once the redirect URI is trusted, is posted at once.
    let url = authorize_url(
        &server,
        id,
        "id_token",
        &[("response_mode", "form_post"), ("nonce", "")],
    );
    let (action, fields) = form_post_page(api_http().get(&url).send().await.unwrap()).await;
    assert_eq!(action, REDIRECT_URI);
    assert_eq!(fields["error"], "invalid_request");
    // Before it is, the error page as ever: never a post to an unverified URI.
    let url = authorize_url(
        &server,
        id,
        "id_token",
        &[
            ("response_mode", "form_post"),
            ("redirect_uri", "http://evil.example/cb"),
        ],
    );
    let response = api_http().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(!response.text().await.unwrap().contains("evil.example"));
}

async fn front_channel_access_tokens_are_rfc_9068_jwts_for_clients_that_ask_for_them() {
    let server = TestServer::start().await;
    let user = server.create_user("frank");
    let created = server.create_client(|c| {
        c.options.implicit = true;
        c.options.jwt_access_token = true;
    });
    let client = server.oidc_client(&created).await;
    let url = authorize_url(&server, created.client.id.as_str(), "id_token token", &[]);
    let p = fragment_response(&Browser::new().authorize(&url, "frank").await, &server.base);
    let jwt = &p["access_token"];
    let claims = jwt_payload(jwt);
    assert_eq!(claims["sub"], user.id.as_str());
    assert_eq!(claims["client_id"], created.client.id.as_str());
    assert_eq!(claims["scope"], "email openid");
    // at_hash is over the token as handed out: the JWT.
    verified_id_token(&client.id_token_verifier(), &p["id_token"], None, Some(jwt));
    assert_eq!(server.userinfo(jwt).await.0, 200);
}

async fn discovery_lists_exactly_the_supported_response_types_modes_and_grants() {
    let server = TestServer::start().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let meta = get_json(&server.url(path)).await;
        assert_eq!(
            meta["response_types_supported"],
            json!([
                "code",
                "id_token",
                "id_token token",
                "code id_token",
                "code token",
                "code id_token token"
            ])
        );
        assert_eq!(
            meta["response_modes_supported"],
            json!(["query", "fragment", "form_post"])
        );
        assert_eq!(
            meta["grant_types_supported"],
            json!([
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:token-exchange",
                "urn:ietf:params:oauth:grant-type:device_code",
                "implicit"
            ])
        );
    }
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    every_implicit_and_hybrid_response_type_returns_verified_tokens_in_the_fragment,
    a_replayed_hybrid_code_revokes_the_access_token_of_the_authorization_response,
    implicit_requests_are_refused_in_the_fragment_without_nonce_openid_or_the_client_flag,
    hybrid_requests_of_public_clients_need_pkce_and_implicit_ones_do_not,
    form_post_delivers_a_code_flow_response_as_a_form_posted_to_the_client,
    form_post_carries_hybrid_responses_and_errors,
    front_channel_access_tokens_are_rfc_9068_jwts_for_clients_that_ask_for_them,
    discovery_lists_exactly_the_supported_response_types_modes_and_grants,
);
