//! Token lifecycle hooks and the trusted-code calls of the library API, through a server
//! built the way an embedding application builds one: a `Provider` with hooks, mounted
//! on an actix-web app with `idp_http::configure`.

use std::net::TcpListener;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use idp_core::{ClientId, Clock, FixedClock, ScopeSet, SystemClock, TokenRepo};
use idp_protocol::{
    AccessTokenFormat, GroupClaims, HookRefusal, ProtocolError, Provider, ProviderConfig,
    TokenDraft, TokenHooks, TokenKind, ValidatedToken,
};
use idp_store::DieselStore;
use openidconnect::core::{
    CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
};
use openidconnect::{IdToken, Nonce};

use crate::support::{
    fragment_params, jwt_payload, Browser, TestServer, PASSWORD, REDIRECT_URI, TEST_KEK, TEST_KEY,
};

/// ID tokens with this provider's extra claims, hook-added ones included.
type HookedIdToken = IdToken<
    GroupClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

const SUSPENDED: &str = "Suspended App";
const GREEDY: &str = "Greedy App";
const REASON: &str = "tenant suspended: contact support";

/// Adds `tenant` to ID tokens and JWT access tokens, removes `email` from ID tokens,
/// refuses the client named [`SUSPENDED`], changes `sub` for [`GREEDY`]; records what
/// it validates and refuses tokens of `mallory`.
#[derive(Default)]
struct TestHooks {
    /// Whether an ID token draft had an `email` claim before the hook removed it.
    saw_email: Mutex<bool>,
    validated: Mutex<Vec<(TokenKind, Option<String>)>>,
}

impl TokenHooks for TestHooks {
    fn before_issue(&self, draft: &mut TokenDraft<'_>) -> Result<(), HookRefusal> {
        match draft.client().name.as_str() {
            SUSPENDED => return Err(HookRefusal::new(REASON)),
            GREEDY => {
                draft
                    .claims_mut()
                    .insert("sub".into(), "someone-else".into());
            }
            _ => {}
        }
        match draft.kind() {
            TokenKind::IdToken => {
                let claims = draft.claims_mut();
                if claims.remove("email").is_some() {
                    *self.saw_email.lock().unwrap() = true;
                }
                claims.remove("email_verified");
                claims.insert("tenant".into(), "acme".into());
            }
            TokenKind::AccessToken(AccessTokenFormat::Jwt) => {
                draft
                    .claims_mut()
                    .insert("tenant".into(), serde_json::json!({"id": "acme"}));
            }
            TokenKind::AccessToken(AccessTokenFormat::Opaque) => {
                // Ignored: an opaque token carries no claims.
                draft.claims_mut().insert("tenant".into(), "acme".into());
            }
        }
        Ok(())
    }

    fn after_validate(&self, token: &ValidatedToken) -> Result<(), HookRefusal> {
        let username = token.user.as_ref().map(|u| u.username.clone());
        self.validated
            .lock()
            .unwrap()
            .push((token.kind, username.clone()));
        if username.as_deref() == Some("mallory") {
            return Err(HookRefusal::new("mallory is blocked"));
        }
        Ok(())
    }
}

/// A fresh database with the test signing key, and a provider over it with `hooks`
/// (and `clock`).
fn provider(
    db: &idp_testdb::TestDb,
    issuer: &str,
    clock: Arc<dyn Clock>,
    hooks: Arc<dyn TokenHooks>,
) -> Provider {
    let kek = Arc::new(idp_protocol::KeyEncryptionKey::from_base64(TEST_KEK).unwrap());
    Provider::new(
        Arc::new(DieselStore::open(db.url()).unwrap()),
        clock,
        ProviderConfig::new(issuer, kek),
    )
    .with_hooks(hooks)
}

/// The provider with `hooks` mounted on an actix-web app, as `examples/src/bin/embed.rs`
/// does; the server and the provider (for trusted calls).
async fn start(hooks: Arc<TestHooks>) -> (TestServer, Arc<Provider>) {
    let db = idp_testdb::TestDb::fresh();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let store = DieselStore::open(db.url()).unwrap();
    let kek = idp_protocol::KeyEncryptionKey::from_base64(TEST_KEK).unwrap();
    idp_protocol::import_signing_key(&store, &SystemClock, &kek, TEST_KEY, SystemClock.now())
        .unwrap();
    let provider = Arc::new(provider(&db, &base, Arc::new(SystemClock), hooks));
    let state = idp_http::HttpState::new(provider.clone());
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new().configure(idp_http::configure(state.clone()))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    (TestServer { base, store, db }, provider)
}

/// The ID token's claims after the `openidconnect` client's checks (signature with the
/// published key, issuer, audience, expiry, nonce).
fn verified_id_token(
    client: &crate::support::OidcClient,
    raw: &str,
    nonce: Option<&str>,
) -> openidconnect::IdTokenClaims<GroupClaims, CoreGenderClaim> {
    let token = HookedIdToken::from_str(raw).unwrap();
    let verifier = client.id_token_verifier();
    match nonce {
        Some(n) => token.claims(&verifier, &Nonce::new(n.into())).unwrap(),
        None => token
            .claims(&verifier, |_: Option<&Nonce>| Ok::<(), String>(()))
            .unwrap(),
    }
    .clone()
}

async fn hook_claims_reach_id_tokens_and_jwt_access_tokens_and_removed_ones_are_gone() {
    let hooks = Arc::new(TestHooks::default());
    let (server, _) = start(hooks.clone()).await;
    server.create_user("alice");
    let created = server.create_client(|c| {
        c.first_party = true;
        c.options.jwt_access_token = true;
        c.options.claims_in_id_token = true;
    });
    let client = server.oidc_client(&created).await;
    let (status, tokens) = server
        .code_flow(&created, "alice", "openid email offline_access")
        .await;
    assert_eq!(status, 200, "{tokens}");

    let claims = verified_id_token(
        &client,
        tokens["id_token"].as_str().unwrap(),
        Some("n-0S6_WzA2Mj"),
    );
    assert_eq!(claims.additional_claims().extra["tenant"], "acme");
    // The hook removed the e-mail it was shown.
    assert!(*hooks.saw_email.lock().unwrap());
    assert_eq!(claims.email(), None);
    assert_eq!(claims.email_verified(), None);

    // The JWT access token carries the hook's claim, and its signature still holds: the
    // provider accepts it. UserInfo is not changed by hooks: the e-mail is there.
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(jwt_payload(access)["tenant"]["id"], "acme");
    let (status, info) = server.userinfo(access).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["email"], "alice@example.com");
    assert!(info.get("tenant").is_none(), "{info}");

    // Refreshed tokens go through the hook again.
    let (status, refreshed) = server
        .token_request(
            &created,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(status, 200, "{refreshed}");
    let claims = verified_id_token(&client, refreshed["id_token"].as_str().unwrap(), None);
    assert_eq!(claims.additional_claims().extra["tenant"], "acme");
    assert_eq!(
        jwt_payload(refreshed["access_token"].as_str().unwrap())["tenant"]["id"],
        "acme"
    );

    // Opaque access tokens carry nothing; the hook's edit is ignored, not an error.
    let plain = server.create_client(|c| c.first_party = true);
    let (status, tokens) = server.code_flow(&plain, "alice", "openid").await;
    assert_eq!(status, 200, "{tokens}");
    assert!(!tokens["access_token"].as_str().unwrap().contains('.'));
}

async fn a_refusal_is_invalid_grant_at_the_token_endpoint_and_access_denied_at_authorization() {
    let (server, _) = start(Arc::new(TestHooks::default())).await;
    server.create_user("alice");
    let suspended = server.create_client(|c| {
        c.name = SUSPENDED.into();
        c.first_party = true;
        c.options.implicit = true;
    });
    // The code is issued (no token yet); the token endpoint refuses with the reason.
    let code = server
        .authorize_for(&Browser::new(), &suspended, "alice", "openid")
        .await
        .unwrap();
    let (status, body) = server.exchange(&suspended, &code).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], REASON);

    // An implicit request is answered access_denied at the client, with state and iss.
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "id_token token")
        .append_pair("client_id", suspended.client.id.as_str())
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "openid")
        .append_pair("state", "st")
        .append_pair("nonce", "n1")
        .finish();
    let browser = Browser::new();
    let landing = browser
        .open(&server.url(&format!("/authorize?{query}")))
        .await;
    let callback = browser
        .log_in(landing, "alice", PASSWORD)
        .await
        .client_url();
    let params = fragment_params(&callback);
    assert_eq!(params["error"], "access_denied", "{callback}");
    assert_eq!(params["error_description"], REASON);
    assert_eq!(params["state"], "st");
    assert_eq!(params["iss"], server.base);
    assert!(!params.contains_key("access_token"), "{callback}");
    assert!(!params.contains_key("id_token"), "{callback}");
}

async fn a_hook_that_changes_a_protocol_claim_fails_the_issuance() {
    let (server, _) = start(Arc::new(TestHooks::default())).await;
    server.create_user("alice");
    let greedy = server.create_client(|c| {
        c.name = GREEDY.into();
        c.first_party = true;
    });
    let code = server
        .authorize_for(&Browser::new(), &greedy, "alice", "openid")
        .await
        .unwrap();
    let (status, body) = server.exchange(&greedy, &code).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error"], "server_error");
    assert!(!body.to_string().contains("sub"), "{body}");
}

async fn after_validate_sees_userinfo_calls_and_its_refusal_is_invalid_token() {
    let hooks = Arc::new(TestHooks::default());
    let (server, _) = start(hooks.clone()).await;
    server.create_user("alice");
    server.create_user("mallory");
    let created = server.create_client(|c| c.first_party = true);
    let (_, alice) = server.code_flow(&created, "alice", "openid").await;
    let (status, info) = server
        .userinfo(alice["access_token"].as_str().unwrap())
        .await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(
        hooks.validated.lock().unwrap().as_slice(),
        [(
            TokenKind::AccessToken(AccessTokenFormat::Opaque),
            Some("alice".to_owned())
        )]
    );

    let (_, mallory) = server.code_flow(&created, "mallory", "openid").await;
    let response = crate::support::api_http()
        .get(server.url("/userinfo"))
        .bearer_auth(mallory["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert_eq!(hooks.validated.lock().unwrap().len(), 2);

    // An id_token_hint is validated too; refused, it is not a usable hint.
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", created.client.id.as_str())
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "openid")
        .append_pair("state", "st")
        .append_pair("id_token_hint", mallory["id_token"].as_str().unwrap())
        .finish();
    let callback = Browser::new()
        .open(&server.url(&format!("/authorize?{query}")))
        .await
        .client_url();
    crate::support::assert_error_response(&callback, "invalid_request", "st", &server.base);
    assert_eq!(
        hooks.validated.lock().unwrap().last().unwrap(),
        &(TokenKind::IdToken, Some("mallory".to_owned()))
    );
}

async fn trusted_code_issues_tokens_that_work_and_validates_tokens() {
    let hooks = Arc::new(TestHooks::default());
    let (server, provider) = start(hooks.clone()).await;
    let alice = server.create_user("alice");
    let mallory = server.create_user("mallory");
    let created = server.create_client(|c| {
        c.scopes = vec!["openid".into(), "profile".into(), "offline_access".into()];
    });
    let client_id = created.client.id.clone();

    // The scope is cut to what the client may have (no email).
    let scope = ScopeSet::parse("openid profile email offline_access").unwrap();
    let tokens = provider
        .issue_tokens_for(&client_id, &alice.id, &scope)
        .unwrap();
    assert_eq!(tokens.scope, "offline_access openid profile");
    let id_token = tokens.id_token.clone().unwrap();
    let client = server.oidc_client(&created).await;
    let claims = verified_id_token(&client, &id_token, None);
    assert_eq!(claims.subject().as_str(), alice.id.as_str());
    assert_eq!(claims.additional_claims().extra["tenant"], "acme");

    // The access token works at UserInfo, the refresh token at the token endpoint.
    let (status, info) = server.userinfo(&tokens.access_token).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["preferred_username"], "alice");
    let refresh = tokens.refresh_token.clone().unwrap();
    let (status, refreshed) = server
        .token_request(
            &created,
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await;
    assert_eq!(status, 200, "{refreshed}");

    // validate_token: the user of an access token and of an ID token.
    let valid = provider
        .validate_token(&tokens.access_token)
        .unwrap()
        .unwrap();
    assert_eq!(
        valid.kind,
        TokenKind::AccessToken(AccessTokenFormat::Opaque)
    );
    assert_eq!(valid.user.unwrap().username, "alice");
    assert_eq!(valid.client_id, client_id);
    assert_eq!(valid.scope.unwrap().to_string(), tokens.scope);
    let valid = provider.validate_token(&id_token).unwrap().unwrap();
    assert_eq!(valid.kind, TokenKind::IdToken);
    assert_eq!(valid.user.unwrap().username, "alice");
    assert_eq!(valid.client_id, client_id);
    assert_eq!(valid.scope, None);
    for junk in ["", "nope", "a.b.c", &format!("{id_token}x")] {
        assert_eq!(provider.validate_token(junk).unwrap(), None, "{junk}");
    }

    // Expired (seen by a provider whose clock is two days ahead): None.
    let later = provider_at(&server, SystemClock.now() + chrono::Duration::days(2));
    assert_eq!(later.validate_token(&id_token).unwrap(), None);
    let fresh = refreshed["access_token"].as_str().unwrap();
    assert_eq!(later.validate_token(fresh).unwrap(), None);
    assert!(provider.validate_token(fresh).unwrap().is_some());

    // Revoked: None. (The refresh rotated the token family's grant; revoke it.)
    let grant = server
        .store
        .access_token(&idp_core::SecretDigest::from_hex(idp_crypto::sha256_hex(
            fresh.as_bytes(),
        )))
        .unwrap()
        .unwrap()
        .grant
        .id;
    server
        .store
        .revoke_grant(&grant, SystemClock.now())
        .unwrap();
    assert_eq!(provider.validate_token(fresh).unwrap(), None);

    // A hook's refusal: None from validate_token, a refusal from issue_tokens_for.
    let openid = ScopeSet::parse("openid").unwrap();
    let blocked = provider
        .issue_tokens_for(&client_id, &mallory.id, &openid)
        .unwrap();
    assert_eq!(
        provider.validate_token(&blocked.access_token).unwrap(),
        None
    );
    let suspended = server.create_client(|c| c.name = SUSPENDED.into());
    match provider.issue_tokens_for(&suspended.client.id, &alice.id, &openid) {
        Err(ProtocolError::RefusedByHook { code, reason, .. }) => {
            assert_eq!(code, idp_protocol::ErrorCode::InvalidGrant);
            assert_eq!(reason, REASON);
        }
        other => panic!("{other:?}"),
    }

    // Unknown client or user, or no allowed scope: clear errors, nothing issued.
    for (client, user) in [
        (ClientId::new("nope"), alice.id.clone()),
        (client_id.clone(), idp_core::UserId::new("nobody")),
    ] {
        match provider.issue_tokens_for(&client, &user, &openid) {
            Err(ProtocolError::Refused(idp_core::CoreError::NotFound(what))) => {
                assert!(what.contains("nope") || what.contains("nobody"), "{what}");
            }
            other => panic!("{other:?}"),
        }
    }
    let email_only = ScopeSet::parse("email").unwrap();
    assert_eq!(
        provider
            .issue_tokens_for(&client_id, &alice.id, &email_only)
            .unwrap_err()
            .code(),
        idp_protocol::ErrorCode::InvalidScope
    );
}

/// A second provider over the server's database whose clock shows `at`.
fn provider_at(server: &TestServer, at: chrono::DateTime<chrono::Utc>) -> Provider {
    provider(
        &server.db,
        &server.base,
        Arc::new(FixedClock::new(at)),
        Arc::new(TestHooks::default()),
    )
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    hook_claims_reach_id_tokens_and_jwt_access_tokens_and_removed_ones_are_gone,
    a_refusal_is_invalid_grant_at_the_token_endpoint_and_access_denied_at_authorization,
    a_hook_that_changes_a_protocol_claim_fails_the_issuance,
    after_validate_sees_userinfo_calls_and_its_refusal_is_invalid_token,
    trusted_code_issues_tokens_that_work_and_validates_tokens,
);
