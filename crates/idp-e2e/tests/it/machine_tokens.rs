//! Machines without a person: the client_credentials grant (RFC 6749 §4.4), token
//! introspection (RFC 7662) and revocation (RFC 7009), over HTTP.

use idp_protocol::manage::CreatedClient;
use openidconnect::{
    AuthorizationCode, OAuth2TokenResponse, PkceCodeChallenge, TokenResponse as _,
};
use serde_json::{json, Value};

use crate::support::{api_http, auth, jwt_payload, query_param, Browser, TestServer};

/// POSTs `form` to `path` with `created`'s credentials (HTTP Basic), or, for a public
/// client, its `client_id` in the body: status and body.
async fn call(
    server: &TestServer,
    path: &str,
    created: &CreatedClient,
    form: &[(&str, &str)],
) -> (u16, String) {
    let mut request = api_http().post(server.url(path));
    let mut form: Vec<(&str, &str)> = form.to_vec();
    match &created.secret {
        Some(secret) => request = request.basic_auth(created.client.id.as_str(), Some(secret)),
        None => form.push(("client_id", created.client.id.as_str())),
    }
    let response = request.form(&form).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn introspect(server: &TestServer, caller: &CreatedClient, token: &str) -> Value {
    let (status, body) = call(server, "/introspect", caller, &[("token", token)]).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// A confidential client that may only use client_credentials, for the `files.read`
/// scope.
fn machine(server: &TestServer, jwt: bool) -> CreatedClient {
    server.create_client(|c| {
        c.name = "Backup job".into();
        c.redirect_uris = Vec::new();
        c.grant_types = vec!["client_credentials".into()];
        c.scopes = vec!["files.read".into(), "files.write".into()];
        c.default_scopes = vec!["files.read".into()];
        c.options.jwt_access_token = jwt;
    })
}

fn define_scopes(server: &TestServer) {
    for scope in ["files.read", "files.write"] {
        let run = server.admin(&["scope", "create", scope, "--description", "Files"]);
        assert!(run.ok, "{}", run.stderr);
    }
}

async fn client_credentials_then_introspection_then_revocation_then_inactive() {
    let server = TestServer::start().await;
    define_scopes(&server);
    let api = server.create_client(|c| {
        c.name = "File API".into();
        c.redirect_uris = Vec::new();
        c.grant_types = vec!["client_credentials".into()];
        c.options.resource_server = true;
    });
    let stranger = server.create_client(|_| {});
    for jwt in [false, true] {
        let m = machine(&server, jwt);
        let (status, tokens) = server
            .token_request(&m, &[("grant_type", "client_credentials")])
            .await;
        assert_eq!(status, 200, "{tokens}");
        // RFC 6749 §4.4.3: no refresh token; no user, so no ID token. Default scope.
        assert!(tokens.get("refresh_token").is_none(), "{tokens}");
        assert!(tokens.get("id_token").is_none(), "{tokens}");
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["scope"], "files.read");
        let token = tokens["access_token"].as_str().unwrap().to_owned();
        assert_eq!(token.contains('.'), jwt, "{token}");
        if jwt {
            let claims = jwt_payload(&token);
            assert_eq!(claims["sub"], m.client.id.as_str());
            assert_eq!(claims["client_id"], m.client.id.as_str());
        }

        // The resource server learns everything RFC 7662 §2.2 lists.
        let info = introspect(&server, &api, &token).await;
        assert_eq!(info["active"], true, "{info}");
        assert_eq!(info["client_id"], m.client.id.as_str());
        assert_eq!(info["sub"], m.client.id.as_str());
        assert_eq!(info["scope"], "files.read");
        assert_eq!(info["token_type"], "Bearer");
        assert_eq!(info["iss"], server.base.as_str());
        assert_eq!(info["aud"], server.base.as_str());
        assert!(info.get("username").is_none(), "no user: {info}");
        let (iat, exp) = (info["iat"].as_i64().unwrap(), info["exp"].as_i64().unwrap());
        assert_eq!(exp - iat, tokens["expires_in"].as_i64().unwrap());
        // The token's own client may introspect it; another client learns nothing.
        assert_eq!(introspect(&server, &m, &token).await["active"], true);
        assert_eq!(
            introspect(&server, &stranger, &token).await,
            json!({"active": false})
        );
        // No person behind it: UserInfo refuses it.
        let (status, _) = server.userinfo(&token).await;
        assert_eq!(status, 401);

        // Another client may not revoke it (RFC 7009 §2.1).
        let (status, body) = call(&server, "/revoke", &stranger, &[("token", &token)]).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("unauthorized_client"), "{body}");
        assert_eq!(introspect(&server, &api, &token).await["active"], true);
        // Its client revokes it; the hint is only a hint.
        let (status, body) = call(
            &server,
            "/revoke",
            &m,
            &[("token", &token), ("token_type_hint", "refresh_token")],
        )
        .await;
        assert_eq!((status, body.as_str()), (200, ""));
        assert_eq!(
            introspect(&server, &api, &token).await,
            json!({"active": false})
        );
        // Revoking again, or an unknown token: still 200 (RFC 7009 §2.2).
        assert_eq!(
            call(&server, "/revoke", &m, &[("token", &token)]).await.0,
            200
        );
        assert_eq!(
            call(&server, "/revoke", &m, &[("token", "no-such-token")])
                .await
                .0,
            200
        );
    }
}

async fn client_credentials_is_refused_where_rfc_6749_says_so() {
    let server = TestServer::start().await;
    define_scopes(&server);
    let m = machine(&server, false);
    let refused = |status: u16, body: &Value, code: &str| {
        assert_eq!(body["error"], code, "{body}");
        assert!((400..500).contains(&status), "{status}");
    };
    for (scope, code) in [
        ("openid", "invalid_scope"),
        ("files.read profile", "invalid_scope"),
        ("files.delete", "invalid_scope"),
        ("files.read\u{7f}", "invalid_scope"),
    ] {
        let (status, body) = server
            .token_request(
                &m,
                &[("grant_type", "client_credentials"), ("scope", scope)],
            )
            .await;
        refused(status, &body, code);
    }
    let (status, body) = server
        .token_request(
            &m,
            &[
                ("grant_type", "client_credentials"),
                ("scope", "files.write files.read"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "files.read files.write");
    // A client not registered for the grant.
    let web = server.create_client(|_| {});
    let (status, body) = server
        .token_request(&web, &[("grant_type", "client_credentials")])
        .await;
    refused(status, &body, "unauthorized_client");
    // A wrong secret.
    let wrong = CreatedClient {
        client: m.client.clone(),
        secret: Some("wrong".into()),
    };
    let (status, body) = server
        .token_request(&wrong, &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(status, 401);
    refused(status, &body, "invalid_client");
    // Public clients cannot have the grant at all.
    let run = server.admin(&[
        "client",
        "create",
        "--name",
        "Public",
        "--type",
        "public",
        "--grant-type",
        "client_credentials",
    ]);
    assert!(
        !run.ok && run.stderr.contains("confidential"),
        "{}",
        run.stderr
    );
    // Introspection and revocation need an authenticated caller and a token.
    let (status, body) = call(&server, "/introspect", &wrong, &[("token", "x")]).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = call(&server, "/introspect", &m, &[]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("invalid_request"), "{body}");
    let (status, _) = call(&server, "/revoke", &wrong, &[("token", "x")]).await;
    assert_eq!(status, 401);
}

async fn revoking_a_refresh_token_ends_its_grant_and_public_clients_revoke_with_their_id() {
    let server = TestServer::start().await;
    server.create_user("erin");
    let api = server.create_client(|c| {
        c.redirect_uris = Vec::new();
        c.grant_types = vec!["client_credentials".into()];
        c.options.resource_server = true;
    });
    // A confidential client: revoking the refresh token (hinted as an access token)
    // ends the access token issued with it.
    let web = server.create_client(|c| {
        c.first_party = true;
        c.refresh_without_offline_access = true;
    });
    let (_, tokens) = server.code_flow(&web, "erin", "openid").await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let info = introspect(&server, &api, refresh).await;
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["token_type"], "refresh_token");
    assert_eq!(info["username"], "erin");
    assert_eq!(introspect(&server, &api, access).await["username"], "erin");
    let (status, _) = call(
        &server,
        "/revoke",
        &web,
        &[("token", refresh), ("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        introspect(&server, &api, access).await,
        json!({"active": false})
    );
    assert_eq!(
        introspect(&server, &api, refresh).await,
        json!({"active": false})
    );
    let (status, body) = server
        .token_request(
            &web,
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // A public client revokes with its client_id alone.
    let public = server.create_client(|c| {
        c.client_type = idp_core::ClientType::Public;
        c.refresh_without_offline_access = true;
    });
    let client = server.oidc_client(&public).await;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, _) = auth(&client).set_pkce_challenge(challenge).url();
    let callback = Browser::new().authorize(url.as_str(), "erin").await;
    let tokens = client
        .exchange_code(AuthorizationCode::new(
            query_param(&callback, "code").unwrap(),
        ))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&api_http())
        .await
        .unwrap();
    assert!(tokens.id_token().is_some());
    let refresh = tokens.refresh_token().unwrap().secret().clone();
    let access = tokens.access_token().secret().clone();
    assert_eq!(introspect(&server, &api, &access).await["active"], true);
    // A public client proves nothing by its id: it may not introspect, even its own.
    let (status, body) = call(&server, "/introspect", &public, &[("token", &access)]).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("invalid_client"), "{body}");
    let (status, body) = call(&server, "/revoke", &public, &[("token", &refresh)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        introspect(&server, &api, &access).await,
        json!({"active": false})
    );
}

async fn discovery_announces_introspection_revocation_and_client_credentials() {
    let server = TestServer::start().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let meta = crate::support::get_json(&server.url(path)).await;
        assert_eq!(meta["introspection_endpoint"], server.url("/introspect"));
        assert_eq!(meta["revocation_endpoint"], server.url("/revoke"));
        assert_eq!(
            meta["introspection_endpoint_auth_methods_supported"],
            json!(["client_secret_basic", "client_secret_post"])
        );
        assert_eq!(
            meta["revocation_endpoint_auth_methods_supported"],
            json!(["client_secret_basic", "client_secret_post", "none"])
        );
        assert!(
            meta["grant_types_supported"]
                .as_array()
                .unwrap()
                .contains(&json!("client_credentials")),
            "{meta}"
        );
    }
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    client_credentials_then_introspection_then_revocation_then_inactive,
    client_credentials_is_refused_where_rfc_6749_says_so,
    revoking_a_refresh_token_ends_its_grant_and_public_clients_revoke_with_their_id,
    discovery_announces_introspection_revocation_and_client_credentials,
);
