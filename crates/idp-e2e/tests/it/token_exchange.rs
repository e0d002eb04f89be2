//! Token exchange (RFC 8693) over HTTP: an API that received a user's access token
//! trades it for one to call another API on the user's behalf, with itself as the actor.

use idp_protocol::manage::CreatedClient;
use serde_json::{json, Value};

use crate::support::{api_http, jwt_payload, Browser, TestServer};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
const API_A: &str = "https://a.example/api";
const API_B: &str = "https://b.example/api";
const API_C: &str = "https://c.example/api";

/// The user-facing app: opaque access tokens for API A, living at most two minutes.
fn app(server: &TestServer) -> CreatedClient {
    server.create_client(|c| {
        c.name = "App".into();
        c.options.resources = vec![API_A.into()];
        c.options.access_token_lifetime = Some(120);
    })
}

/// An API's own client: it receives tokens for `resource` and may exchange them for
/// `targets`, with JWT access tokens; it may introspect any token.
fn api(server: &TestServer, resource: &str, targets: &[&str], scopes: &[&str]) -> CreatedClient {
    server.create_client(|c| {
        c.name = format!("API {resource}");
        c.redirect_uris = Vec::new();
        c.grant_types = vec![GRANT.into()];
        c.scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        c.options.resources = vec![resource.into()];
        c.options.exchange_audiences = targets.iter().map(|t| (*t).to_owned()).collect();
        c.options.jwt_access_token = true;
        c.options.resource_server = true;
    })
}

/// A token exchange request by `caller` for `subject_token` with `extra` parameters.
async fn exchange(
    server: &TestServer,
    caller: &CreatedClient,
    subject_token: &str,
    extra: &[(&str, &str)],
) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", GRANT),
        ("subject_token", subject_token),
        ("subject_token_type", ACCESS_TOKEN),
    ];
    form.extend_from_slice(extra);
    server.token_request(caller, &form).await
}

fn assert_refused((status, body): (u16, Value), error: &str) {
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some(error)),
        "{body}"
    );
}

async fn introspect(server: &TestServer, caller: &CreatedClient, token: &str) -> Value {
    let response = api_http()
        .post(server.url("/introspect"))
        .basic_auth(caller.client.id.as_str(), caller.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Alice's access token of `app` for API A, through the code flow in `browser`.
async fn alices_token(server: &TestServer, browser: &Browser, app: &CreatedClient) -> String {
    alices_tokens(server, browser, app).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The token response of the code flow for alice, `app` and API A.
async fn alices_tokens(server: &TestServer, browser: &Browser, app: &CreatedClient) -> Value {
    let code = server
        .authorize_with(
            browser,
            app,
            "alice",
            "openid profile email",
            &[("resource", API_A)],
        )
        .await
        .unwrap();
    let (status, tokens) = server
        .token_request(
            app,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", crate::support::REDIRECT_URI),
                ("resource", API_A),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

fn scope_set(value: &Value) -> Vec<String> {
    let mut s: Vec<String> = value
        .as_str()
        .unwrap()
        .split(' ')
        .map(str::to_owned)
        .collect();
    s.sort();
    s
}

async fn an_api_exchanges_a_users_token_for_the_next_api_and_the_actor_chain_nests() {
    let server = TestServer::start().await;
    let alice = server.create_user("alice");
    let app = app(&server);
    let a = api(&server, API_A, &[API_B], &["profile", "email"]);
    let b = api(&server, API_B, &[API_C], &["profile"]);
    let subject = alices_token(&server, &Browser::new(), &app).await;

    // A exchanges the token it received for one to call B (§2.1, §2.2.1).
    let (status, first) = exchange(&server, &a, &subject, &[("resource", API_B)]).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["issued_token_type"], ACCESS_TOKEN);
    assert_eq!(first["token_type"], "Bearer");
    assert!(first.get("refresh_token").is_none() && first.get("id_token").is_none());
    // openid describes the sign-in: not exchanged.
    assert_eq!(scope_set(&first["scope"]), ["email", "profile"]);
    // Never longer than the subject token (two minutes), though A's tokens live an hour.
    let expires_in = first["expires_in"].as_i64().unwrap();
    assert!((100..=120).contains(&expires_in), "{expires_in}");
    let token = first["access_token"].as_str().unwrap();
    let claims = jwt_payload(token);
    assert_eq!(claims["aud"], API_B);
    assert_eq!(claims["sub"], alice.id.as_str());
    assert_eq!(claims["client_id"], a.client.id.as_str());
    assert_eq!(claims["act"], json!({"sub": a.client.id.as_str()}));
    let seen = introspect(&server, &b, token).await;
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["act"], json!({"sub": a.client.id.as_str()}));
    assert_eq!(seen["aud"], API_B);
    assert_eq!(seen["sub"], alice.id.as_str());
    assert_eq!(seen["username"], "alice");

    // B goes on to C with `audience`: the chain nests, most recent actor outermost.
    let (status, second) = exchange(&server, &b, token, &[("audience", API_C)]).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["scope"], "profile");
    let claims = jwt_payload(second["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], API_C);
    assert_eq!(claims["sub"], alice.id.as_str());
    assert_eq!(claims["client_id"], b.client.id.as_str());
    let chain = json!({"sub": b.client.id.as_str(), "act": {"sub": a.client.id.as_str()}});
    assert_eq!(claims["act"], chain);
    let seen = introspect(&server, &b, second["access_token"].as_str().unwrap()).await;
    assert_eq!(seen["act"], chain);

    // A narrower scope may be asked for; a wider one not (§2.1, RFC 6749 §3.3).
    let (status, narrow) = exchange(
        &server,
        &a,
        &subject,
        &[("resource", API_B), ("scope", "email")],
    )
    .await;
    assert_eq!((status, narrow["scope"].as_str()), (200, Some("email")));
    for wider in ["phone", "openid email", "offline_access"] {
        assert_refused(
            exchange(
                &server,
                &a,
                &subject,
                &[("resource", API_B), ("scope", wider)],
            )
            .await,
            "invalid_scope",
        );
    }

    // Discovery lists the grant type.
    let meta = crate::support::get_json(&server.url("/.well-known/openid-configuration")).await;
    assert!(
        meta["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(GRANT)),
        "{meta}"
    );
}

async fn exchanges_outside_the_policy_are_refused_with_the_rfc_error() {
    let server = TestServer::start().await;
    server.create_user("alice");
    let app = app(&server);
    let a = api(&server, API_A, &[API_B], &["profile", "email"]);
    let b = api(&server, API_B, &[API_C], &["profile"]);
    let subject = alices_token(&server, &Browser::new(), &app).await;
    let to_b = [("resource", API_B)];

    // The app may not use the grant; neither may a public client (§2.1 needs a caller
    // that authenticates), which idp-admin will not even register with it.
    assert_eq!(
        exchange(&server, &app, &subject, &to_b).await.1["error"],
        "unauthorized_client"
    );
    let public = server.create_client(|c| c.client_type = idp_core::ClientType::Public);
    assert_eq!(
        exchange(&server, &public, &subject, &to_b).await.1["error"],
        "unauthorized_client"
    );
    let run = server.admin(&[
        "client",
        "create",
        "--name",
        "Public API",
        "--type",
        "public",
        "--grant-type",
        "token_exchange",
    ]);
    assert!(
        !run.ok && run.stderr.contains("confidential"),
        "{}",
        run.stderr
    );

    // A target outside the caller's exchange_audiences (§2.2.2 invalid_target), and an
    // exchange without a target.
    for target in [("resource", API_C), ("audience", "urn:elsewhere")] {
        assert_refused(
            exchange(&server, &a, &subject, &[target]).await,
            "invalid_target",
        );
    }
    assert_refused(
        exchange(&server, &a, &subject, &[]).await,
        "invalid_request",
    );

    // A token the caller did not receive: the app's token is for A, not for B.
    assert_refused(
        exchange(&server, &b, &subject, &[("resource", API_C)]).await,
        "invalid_grant",
    );
    assert_refused(
        exchange(&server, &a, "no-such-token", &to_b).await,
        "invalid_grant",
    );

    // Only access tokens of this provider, and only access tokens are issued.
    for extra in [
        [(
            "subject_token_type",
            "urn:ietf:params:oauth:token-type:id_token",
        )],
        [(
            "requested_token_type",
            "urn:ietf:params:oauth:token-type:refresh_token",
        )],
        [("actor_token", "something")],
    ] {
        let mut form = vec![
            ("grant_type", GRANT),
            ("subject_token", subject.as_str()),
            ("resource", API_B),
        ];
        if extra[0].0 != "subject_token_type" {
            form.push(("subject_token_type", ACCESS_TOKEN));
        }
        form.extend_from_slice(&extra);
        assert_refused(server.token_request(&a, &form).await, "invalid_request");
    }

    // A client acting for itself has no user to act for.
    let machine = server.create_client(|c| {
        c.redirect_uris = Vec::new();
        c.grant_types = vec!["client_credentials".into()];
        c.scopes = vec!["profile".into()];
        c.options.resources = vec![API_A.into()];
    });
    let (status, own) = server
        .token_request(&machine, &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(status, 200, "{own}");
    assert_refused(
        exchange(&server, &a, own["access_token"].as_str().unwrap(), &to_b).await,
        "invalid_request",
    );

    // A revoked subject token is refused (RFC 7009: the app revokes its access token).
    let response = api_http()
        .post(server.url("/revoke"))
        .basic_auth(app.client.id.as_str(), app.secret.as_deref())
        .form(&[("token", subject.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_refused(
        exchange(&server, &a, &subject, &to_b).await,
        "invalid_grant",
    );

    // So is an expired one.
    let brief = server.create_client(|c| {
        c.options.resources = vec![API_A.into()];
        c.options.access_token_lifetime = Some(1);
    });
    let short = alices_token(&server, &Browser::new(), &brief).await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_refused(exchange(&server, &a, &short, &to_b).await, "invalid_grant");
}

async fn ending_the_session_ends_the_exchanged_tokens() {
    let server = TestServer::start().await;
    server.create_user("alice");
    let app = app(&server);
    let a = api(&server, API_A, &[API_B], &["profile", "email"]);
    let subject = alices_token(&server, &Browser::new(), &app).await;
    let (status, exchanged) = exchange(&server, &a, &subject, &[("resource", API_B)]).await;
    assert_eq!(status, 200, "{exchanged}");
    let token = exchanged["access_token"].as_str().unwrap();
    assert_eq!(introspect(&server, &a, token).await["active"], true);

    // The exchanged grant carries the session's sid: logging alice out ends it too.
    let out = server.admin(&["user", "logout", "alice", "--json"]).json();
    assert_eq!(out["sessions"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(
        introspect(&server, &a, token).await,
        json!({"active": false})
    );
    assert_eq!(server.userinfo(token).await.0, 401);
}

async fn revoking_the_subject_grant_revokes_the_tokens_exchanged_from_it() {
    let server = TestServer::start().await;
    server.create_user("alice");
    let app = server.create_client(|c| {
        c.options.resources = vec![API_A.into()];
        c.refresh_without_offline_access = true;
    });
    let a = api(&server, API_A, &[API_B], &["profile", "email"]);
    let b = api(&server, API_B, &[API_C], &["profile"]);
    let tokens = alices_tokens(&server, &Browser::new(), &app).await;
    let subject = tokens["access_token"].as_str().unwrap();
    let (status, to_b) = exchange(&server, &a, subject, &[("resource", API_B)]).await;
    assert_eq!(status, 200, "{to_b}");
    let to_b = to_b["access_token"].as_str().unwrap();
    let (status, to_c) = exchange(&server, &b, to_b, &[("resource", API_C)]).await;
    assert_eq!(status, 200, "{to_c}");
    let to_c = to_c["access_token"].as_str().unwrap();
    // Another sign-in's exchange is not touched.
    let other = alices_token(&server, &Browser::new(), &app).await;
    let (status, unrelated) = exchange(&server, &a, &other, &[("resource", API_B)]).await;
    assert_eq!(status, 200, "{unrelated}");
    let unrelated = unrelated["access_token"].as_str().unwrap();

    // The app revokes its refresh token (RFC 7009 §2.1: its whole grant ends), and with
    // it every token exchanged from the grant's tokens, down the chain.
    let response = api_http()
        .post(server.url("/revoke"))
        .basic_auth(app.client.id.as_str(), app.secret.as_deref())
        .form(&[("token", tokens["refresh_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    for token in [subject, to_b, to_c] {
        assert_eq!(
            introspect(&server, &b, token).await,
            json!({"active": false})
        );
    }
    assert_eq!(introspect(&server, &b, unrelated).await["active"], true);
}

async fn idp_admin_sets_the_grant_and_the_exchange_audiences() {
    let server = TestServer::start().await;
    let created = server
        .admin(&[
            "client",
            "create",
            "--name",
            "Files API",
            "--grant-type",
            "token_exchange",
            "--scope",
            "profile",
            "--resource",
            API_A,
            "--exchange-audience",
            API_B,
            "--exchange-audience",
            API_C,
            "--json",
        ])
        .json();
    assert_eq!(created["grant_types"], json!([GRANT]));
    assert_eq!(created["exchange_audiences"], json!([API_B, API_C]));
    let id = created["client_id"].as_str().unwrap();
    let updated = server
        .admin(&[
            "client",
            "update",
            id,
            "--exchange-audience",
            API_C,
            "--json",
        ])
        .json();
    assert_eq!(updated["exchange_audiences"], json!([API_C]));
    let run = server.admin(&["client", "update", id, "--exchange-audience", "/relative"]);
    assert!(!run.ok, "{}", run.stdout);
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    an_api_exchanges_a_users_token_for_the_next_api_and_the_actor_chain_nests,
    exchanges_outside_the_policy_are_refused_with_the_rfc_error,
    ending_the_session_ends_the_exchanged_tokens,
    revoking_the_subject_grant_revokes_the_tokens_exchanged_from_it,
    idp_admin_sets_the_grant_and_the_exchange_audiences,
);
