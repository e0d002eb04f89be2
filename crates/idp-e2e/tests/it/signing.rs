//! ID token signing per client (RS256, ES256, EdDSA, HS256) verified by the
//! `openidconnect` client, the JWKS of every algorithm, and key rotation and retirement
//! with `idp-admin` against the running server.

use std::time::{Duration, Instant};

use idp_core::{Clock, IdTokenAlg, SettingsRepo, SystemClock};
use idp_protocol::manage::CreatedClient;
use openidconnect::core::{CoreIdTokenClaims, CoreJsonWebKey, CoreTokenResponse};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, JsonWebKey, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    TokenResponse,
};

use crate::support::{
    api_http, auth, query_param, AdminRun, Browser, OidcClient, TestServer, TEST_KEK,
};

/// The decoded JOSE header of a JWS.
fn header(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let part = jwt.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The `kid` an ID token names.
fn kid_of(jwt: &str) -> String {
    header(jwt)["kid"].as_str().unwrap().to_owned()
}

/// Runs `idp-admin` on the server's database with extra `IDP_` settings.
fn admin_with(server: &TestServer, env: &[(&str, &str)], args: &[&str]) -> AdminRun {
    let mut cmd = idp_testdb::process::command(&idp_testdb::process::binary("idp-admin"));
    cmd.args(["--database-url", server.db.url()])
        .args(args)
        .env("IDP_KEY_ENCRYPTION_KEY", TEST_KEK);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    AdminRun {
        ok: out.status.success(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A confidential client whose ID tokens use `alg`, and its `openidconnect` client.
async fn client_with(server: &TestServer, alg: IdTokenAlg) -> (CreatedClient, OidcClient) {
    let created = server.create_client(|c| {
        c.first_party = true;
        c.options.id_token_alg = alg;
    });
    let client = server.oidc_client(&created).await;
    (created, client)
}

/// The code flow with PKCE through `browser` as `username`; the token response and the
/// request's nonce.
async fn sign_in(
    client: &OidcClient,
    browser: &Browser,
    username: &str,
) -> (CoreTokenResponse, Nonce) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = auth(client)
        .add_scope(openidconnect::Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();
    let callback = browser.authorize(url.as_str(), username).await;
    let code = query_param(&callback, "code").expect("a code");
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&api_http())
        .await
        .unwrap();
    (tokens, nonce)
}

/// The ID token's claims, verified by the relying party (signature with the JWKS, or
/// for HS256 with its client secret; issuer, audience, expiry, nonce), and its `at_hash`
/// checked with the algorithm's hash.
fn verified_claims(
    client: &OidcClient,
    created: &CreatedClient,
    tokens: &CoreTokenResponse,
    nonce: &Nonce,
) -> CoreIdTokenClaims {
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = client.id_token_verifier();
    let claims = id_token.claims(&verifier, nonce).unwrap().clone();
    let alg = id_token.signing_alg().unwrap();
    let key = match created.client.options.id_token_alg {
        IdTokenAlg::Hs256 => {
            CoreJsonWebKey::new_symmetric(created.secret.clone().unwrap().into_bytes())
        }
        _ => id_token.signing_key(&verifier).unwrap().clone(),
    };
    let at_hash = AccessTokenHash::from_token(tokens.access_token(), alg, &key).unwrap();
    assert_eq!(claims.access_token_hash(), Some(&at_hash));
    claims
}

async fn jwks(server: &TestServer) -> serde_json::Value {
    api_http()
        .get(server.url("/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub(crate) async fn jwks_kids(server: &TestServer) -> Vec<String> {
    jwks(server).await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits (up to `limit`) until `check` holds, re-evaluating it every 100 ms.
pub(crate) async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < limit, "timed out waiting until {what}");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The kid of the active key of `alg` per `idp-admin key list`.
pub(crate) fn active_kid(server: &TestServer, alg: &str) -> String {
    let keys = server.admin(&["key", "list", "--json"]).json();
    let active: Vec<&serde_json::Value> = keys
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["alg"] == alg && k["state"] == "active")
        .collect();
    assert_eq!(active.len(), 1, "{keys}");
    active[0]["kid"].as_str().unwrap().to_owned()
}

async fn every_algorithm_signs_id_tokens_the_openidconnect_client_verifies() {
    let server = TestServer::start().await;
    let user = server.create_user("alice");
    for alg in IdTokenAlg::ALL {
        let (created, client) = client_with(&server, alg).await;
        let browser = Browser::new();
        let (tokens, nonce) = sign_in(&client, &browser, "alice").await;
        let raw = tokens.id_token().unwrap().to_string();
        assert_eq!(header(&raw)["alg"], alg.as_str());
        let claims = verified_claims(&client, &created, &tokens, &nonce);
        assert_eq!(claims.subject().as_str(), user.id.as_str(), "{alg}");
        match alg {
            // A MAC key is never published: no kid (OIDC Core §10.1).
            IdTokenAlg::Hs256 => assert!(header(&raw).get("kid").is_none()),
            _ => assert!(jwks_kids(&server).await.contains(&kid_of(&raw)), "{alg}"),
        }
        // Refreshed ID tokens are signed the same way.
        let refreshed = client
            .exchange_refresh_token(tokens.refresh_token().expect("offline_access"))
            .unwrap()
            .request_async(&api_http())
            .await
            .unwrap();
        let token = refreshed.id_token().unwrap();
        assert_eq!(header(&token.to_string())["alg"], alg.as_str());
        token
            .claims(&client.id_token_verifier(), |_: Option<&Nonce>| {
                Ok::<(), String>(())
            })
            .unwrap();
        // The provider reads the token back as an id_token_hint: the same browser,
        // signed in as its subject, gets a code without a prompt.
        let (url, state, _) = auth(&client)
            .add_prompt(openidconnect::core::CoreAuthPrompt::None)
            .add_extra_param("id_token_hint", &raw)
            .set_pkce_challenge(PkceCodeChallenge::new_random_sha256().0)
            .url();
        let callback = browser.open(url.as_str()).await.client_url();
        assert!(
            query_param(&callback, "code").is_some(),
            "{alg}: {callback}"
        );
        assert_eq!(
            query_param(&callback, "state").as_deref(),
            Some(state.secret().as_str())
        );
    }
}

async fn the_jwks_publishes_a_key_per_algorithm_and_discovery_lists_every_algorithm() {
    let server = TestServer::start().await;
    let meta: serde_json::Value = api_http()
        .get(server.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256", "ES256", "EdDSA", "HS256"])
    );
    let jwks = jwks(&server).await;
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3, "{jwks}");
    for (alg, kty, crv) in [
        ("RS256", "RSA", None),
        ("ES256", "EC", Some("P-256")),
        ("EdDSA", "OKP", Some("Ed25519")),
    ] {
        let key = keys.iter().find(|k| k["alg"] == alg).expect(alg);
        assert_eq!(key["kty"], kty, "{alg}");
        assert_eq!(key["crv"].as_str(), crv, "{alg}");
        assert_eq!(key["use"], "sig", "{alg}");
        assert!(key["kid"].as_str().is_some_and(|k| k.len() == 43), "{alg}");
        assert!(key.get("d").is_none() && key.get("k").is_none(), "{alg}");
    }
    // Every key is also in `idp-admin key list`, active and in the JWKS.
    let listed = server.admin(&["key", "list", "--json"]).json();
    for key in listed.as_array().unwrap() {
        assert_eq!(key["state"], "active", "{key}");
        assert_eq!(key["in_jwks"], true, "{key}");
        assert!(key["retired_at"].is_null(), "{key}");
    }
}

async fn a_rotated_es256_key_is_published_at_once_and_signs_after_the_activation_delay() {
    let server = TestServer::start().await;
    server.create_user("bob");
    let (created, client) = client_with(&server, IdTokenAlg::Es256).await;
    let browser = Browser::new();
    let old = active_kid(&server, "ES256");

    // Activation times are whole seconds: the key signs 5 to 6 s from now.
    let rotated_at = Instant::now();
    let rotated = admin_with(
        &server,
        &[("IDP_KEY_ACTIVATION_DELAY", "6")],
        &["key", "rotate", "--alg", "ES256", "--json"],
    )
    .json();
    assert_eq!(rotated["alg"], "ES256");
    assert_eq!(rotated["state"], "published");
    assert_eq!(rotated["in_jwks"], true);
    let new = rotated["kid"].as_str().unwrap().to_owned();

    // Published within KEY_RECHECK, before it signs.
    eventually(
        Duration::from_secs(3),
        "the new key is published",
        || async { jwks_kids(&server).await.contains(&new) },
    )
    .await;
    let (tokens, nonce) = sign_in(&client, &browser, "bob").await;
    if rotated_at.elapsed() < Duration::from_secs(5) {
        let raw = tokens.id_token().unwrap().to_string();
        assert_eq!(
            kid_of(&raw),
            old,
            "the old key signs until the new one is due"
        );
    }
    verified_claims(&client, &created, &tokens, &nonce);

    // After the delay (and KEY_RECHECK) the new key signs; the old one stays published.
    let due = Duration::from_millis(7200).saturating_sub(rotated_at.elapsed());
    actix_web::rt::time::sleep(due).await;
    let (tokens, nonce) = sign_in(&client, &Browser::new(), "bob").await;
    assert_eq!(kid_of(&tokens.id_token().unwrap().to_string()), new);
    // The relying party's JWKS from discovery predates nothing: it was fetched after the
    // rotation, so both keys verify.
    let client = server.oidc_client(&created).await;
    verified_claims(&client, &created, &tokens, &nonce);
    assert!(jwks_kids(&server).await.contains(&old));
    let listed = server.admin(&["key", "list", "--json"]).json();
    let state = |kid: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid)
            .unwrap()["state"]
            .clone()
    };
    assert_eq!(state(&new), "active");
    assert_eq!(state(&old), "retired", "superseded");
}

async fn a_retired_key_stops_signing_at_once_and_leaves_the_jwks_after_the_grace() {
    let server = TestServer::start().await;
    server.create_user("carol");
    server
        .store
        .set_setting("retired_key_grace", "3", SystemClock.now())
        .unwrap();
    let (created, _) = client_with(&server, IdTokenAlg::EdDsa).await;
    let old = active_kid(&server, "EdDSA");

    // Retiring the only EdDSA key is refused, and says what to do.
    let refused = server.admin(&["key", "retire", &old]);
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains("only EdDSA key") && refused.stderr.contains("rotate first"),
        "{}",
        refused.stderr
    );
    assert_eq!(active_kid(&server, "EdDSA"), old);

    // A newer EdDSA key, published and due in an hour; retiring the old one hands
    // signing to it at once.
    let new = server
        .admin(&["key", "rotate", "--alg", "EdDSA", "--json"])
        .json()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let retired = server.admin(&["key", "retire", &old, "--json"]).json();
    assert_eq!(retired["state"], "retired");
    assert!(retired["retired_at"].is_string());
    assert_eq!(retired["in_jwks"], true, "still published during the grace");
    assert_eq!(active_kid(&server, "EdDSA"), new);
    // Within KEY_RECHECK every token is signed by the new key (which a relying party
    // that fetched the JWKS before the rotation fetches anew: discovery again here).
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    let client = server.oidc_client(&created).await;
    let (tokens, nonce) = sign_in(&client, &Browser::new(), "carol").await;
    assert_eq!(kid_of(&tokens.id_token().unwrap().to_string()), new);
    verified_claims(&client, &created, &tokens, &nonce);

    // The retired key leaves the JWKS after the grace period; the others stay.
    eventually(
        Duration::from_secs(10),
        "the retired key leaves the JWKS",
        || async { !jwks_kids(&server).await.contains(&old) },
    )
    .await;
    let kids = jwks_kids(&server).await;
    assert!(kids.contains(&new) && kids.len() == 3, "{kids:?}");
    let listed = server.admin(&["key", "list", "--json"]).json();
    let old_row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == old.as_str())
        .unwrap()
        .clone();
    assert_eq!(old_row["in_jwks"], false, "{old_row}");
    // Retiring it again is refused.
    assert!(!server.admin(&["key", "retire", &old]).ok);
}

async fn hs256_is_never_issued_without_a_sealed_secret() {
    let server = TestServer::start().await;
    server.create_user("dave");
    // Registration refuses HS256 for a public client.
    let mut public =
        idp_protocol::manage::NewClient::new("Public", vec![crate::support::REDIRECT_URI.into()]);
    public.client_type = idp_core::ClientType::Public;
    public.options.id_token_alg = IdTokenAlg::Hs256;
    let kek = idp_protocol::KeyEncryptionKey::from_base64(TEST_KEK).unwrap();
    assert!(
        idp_protocol::manage::create_client(&server.store, &SystemClock, Some(&kek), public)
            .is_err()
    );
    // A client forced to HS256 without its secret sealed gets a server error, never an
    // ID token signed otherwise or unsigned.
    let (created, _) = client_with(&server, IdTokenAlg::Rs256).await;
    let mut forced = created.client.clone();
    forced.options.id_token_alg = IdTokenAlg::Hs256;
    assert!(idp_core::ClientRepo::update_client(&server.store, &forced).unwrap());
    let code = server
        .authorize_for(&Browser::new(), &created, "dave", "openid")
        .await
        .unwrap();
    let (status, body) = server.exchange(&created, &code).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error"], "server_error");
    assert!(body.get("id_token").is_none());
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    every_algorithm_signs_id_tokens_the_openidconnect_client_verifies,
    the_jwks_publishes_a_key_per_algorithm_and_discovery_lists_every_algorithm,
    a_rotated_es256_key_is_published_at_once_and_signs_after_the_activation_delay,
    a_retired_key_stops_signing_at_once_and_leaves_the_jwks_after_the_grace,
    hs256_is_never_issued_without_a_sealed_secret,
);
