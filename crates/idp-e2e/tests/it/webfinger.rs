//! WebFinger issuer discovery (OIDC Discovery §2, RFC 7033).

use crate::support::{api_http, TestServer};

const REL: &str = "http://openid.net/specs/connect/1.0/issuer";

/// GET /.well-known/webfinger with `query`: status, content type, CORS origin, body.
async fn finger(server: &TestServer, query: &str) -> (u16, String, String, String) {
    let response = api_http()
        .get(server.url(&format!("/.well-known/webfinger?{query}")))
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (content_type, origin) = (
        header("content-type"),
        header("access-control-allow-origin"),
    );
    (
        response.status().as_u16(),
        content_type,
        origin,
        response.text().await.unwrap(),
    )
}

fn encoded(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn any_account_on_our_host_finds_the_issuer_and_nothing_else_does() {
    let server = TestServer::start().await;
    let host = "127.0.0.1";
    let query = format!(
        "resource={}&rel={}",
        encoded(&format!("acct:nobody-in-particular@{host}")),
        encoded(REL)
    );
    let (status, content_type, origin, body) = finger(&server, &query).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(content_type, "application/jrd+json");
    assert_eq!(origin, "*");
    let jrd: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(jrd["subject"], format!("acct:nobody-in-particular@{host}"));
    assert_eq!(jrd["links"][0]["rel"], REL);
    assert_eq!(jrd["links"][0]["href"], server.base);
    // The issuer's discovery document is where the link points.
    let issuer = jrd["links"][0]["href"].as_str().unwrap();
    let meta: serde_json::Value =
        crate::support::get_json(&format!("{issuer}/.well-known/openid-configuration")).await;
    assert_eq!(meta["issuer"], issuer);

    // A URL on our host names us too; another rel gets no links.
    let (status, _, _, body) = finger(
        &server,
        &format!("resource={}", encoded(&format!("{}/users/x", server.base))),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, _, body) = finger(
        &server,
        &format!(
            "resource={}&rel=http%3A%2F%2Fwebfinger.net%2Frel%2Favatar",
            encoded(&format!("acct:a@{host}"))
        ),
    )
    .await;
    assert_eq!(status, 200);
    let jrd: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(jrd["links"], serde_json::json!([]));

    // Another host is not ours; no resource, or two, is a bad request.
    let (status, _, origin, _) = finger(
        &server,
        &format!("resource={}", encoded("acct:a@example.com")),
    )
    .await;
    assert_eq!((status, origin.as_str()), (404, "*"));
    assert_eq!(finger(&server, "rel=x").await.0, 400);
    let two = format!(
        "resource={0}&resource={0}",
        encoded(&format!("acct:a@{host}"))
    );
    assert_eq!(finger(&server, &two).await.0, 400);
    assert_eq!(
        finger(&server, "resource=mailto%3Aa%40127.0.0.1").await.0,
        404
    );
}

async fn only_existing_users_are_found_when_the_operator_says_so() {
    let server = TestServer::start_with(|s| s.webfinger_existing_users_only = true).await;
    server.create_user("alice");
    let found = finger(
        &server,
        &format!("resource={}", encoded("acct:alice@127.0.0.1")),
    )
    .await;
    assert_eq!(found.0, 200, "{}", found.3);
    let unknown = finger(
        &server,
        &format!("resource={}", encoded("acct:mallory@127.0.0.1")),
    )
    .await;
    assert_eq!(unknown.0, 404);
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    any_account_on_our_host_finds_the_issuer_and_nothing_else_does,
    only_existing_users_are_found_when_the_operator_says_so,
);
