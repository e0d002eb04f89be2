//! The whole path an MCP client takes to a protected MCP server, with the examples' own
//! code: `examples/src/resource_server.rs` (an API on idp-resource) and
//! `examples/src/mcp_flow.rs` (the client: challenge → RFC 9728 → RFC 8414 → RFC 7591 →
//! code + PKCE with a loopback listener and `resource` → the API). A browser signs in on
//! the provider's pages and is redirected to the flow's real loopback listener.

use std::net::TcpListener;

use idp_examples::{mcp_flow, resource_server};
use serde_json::json;

use crate::support::{api_http, jwt_payload, Browser, TestServer, PASSWORD};

async fn an_mcp_client_finds_registers_signs_in_and_calls_the_server() {
    let server = TestServer::start().await;
    let alice = server.create_user("alice");
    let run = server.admin(&[
        "scope",
        "create",
        resource_server::SCOPE,
        "--description",
        "Read files",
    ]);
    assert!(run.ok, "{}", run.stderr);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let resource = format!(
        "http://127.0.0.1:{}/mcp",
        listener.local_addr().unwrap().port()
    );
    server
        .set_settings(&[
            ("dynamic_registration", "true"),
            ("shared_resources", &resource),
        ])
        .await;
    let issuer = server.url("");
    let issuer = issuer.trim_end_matches('/').to_owned();
    let api = resource_server::serve(listener, &issuer, &resource)
        .await
        .unwrap();
    let api_handle = api.handle();
    actix_web::rt::spawn(api);

    let browser = Browser::new();
    let outcome = mcp_flow::run(&resource, |url| {
        let browser = &browser;
        async move {
            let login = browser.open(&url).await;
            let consent = browser.log_in(login, "alice", PASSWORD).await;
            // A self-registered client is never first-party: the person is asked.
            let (_, page) = consent.page();
            assert!(page.contains("mcp-flow example"), "{page}");
            let landing = browser.submit(&page, &[("decision", "allow")]).await;
            // The browser followed the redirect to the flow's loopback listener.
            let (status, body) = landing.page();
            assert_eq!(
                (status, body.as_str()),
                (200, "Signed in. You can close this window.")
            );
            Ok(())
        }
    })
    .await
    .unwrap();

    assert_eq!(outcome.resource, resource);
    assert_eq!(outcome.issuer, issuer);
    assert_eq!(outcome.scope, resource_server::SCOPE);
    assert_eq!(outcome.tools["tools"][0]["name"], "whoami");
    assert_eq!(
        outcome.whoami,
        format!(
            "user {} through client {}",
            alice.id.as_str(),
            outcome.client_id
        )
    );
    // The token is an RFC 9068 JWT for the resource, though the client registered no
    // token format: the resource server reads it, not the client.
    let claims = jwt_payload(&outcome.access_token);
    assert_eq!(claims["aud"], json!(resource));
    assert_eq!(claims["client_id"], json!(outcome.client_id));

    // A client that registers without `scope` (as MCP clients often do, before they know
    // the server's scopes) may still ask for the operator's scopes.
    let registered: serde_json::Value = api_http()
        .post(server.url("/register"))
        .json(&json!({
            "redirect_uris": ["http://127.0.0.1/callback"],
            "token_endpoint_auth_method": "none",
            "application_type": "native",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        registered["scope"],
        "address email files.read groups offline_access openid phone profile roles"
    );
    api_handle.stop(false).await;
}

async fn without_the_shared_resource_the_flow_ends_in_invalid_target() {
    let server = TestServer::start().await;
    server.create_user("alice");
    let run = server.admin(&[
        "scope",
        "create",
        resource_server::SCOPE,
        "--description",
        "Read files",
    ]);
    assert!(run.ok, "{}", run.stderr);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let resource = format!(
        "http://127.0.0.1:{}/mcp",
        listener.local_addr().unwrap().port()
    );
    server
        .set_settings(&[("dynamic_registration", "true")])
        .await;
    let issuer = server.url("");
    let api = resource_server::serve(listener, issuer.trim_end_matches('/'), &resource)
        .await
        .unwrap();
    let api_handle = api.handle();
    actix_web::rt::spawn(api);
    let browser = Browser::new();
    let error = mcp_flow::run(&resource, |url| {
        let browser = &browser;
        async move {
            // The provider answers at once, before any sign-in: straight to the listener.
            let (status, _) = browser.open(&url).await.page();
            assert_eq!(status, 200);
            Ok(())
        }
    })
    .await
    .unwrap_err();
    assert!(error.to_string().contains("invalid_target"), "{error}");
    api_handle.stop(false).await;
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    an_mcp_client_finds_registers_signs_in_and_calls_the_server,
    without_the_shared_resource_the_flow_ends_in_invalid_target,
);
