//! Scopes and claims: the standard scopes' claims set with `idp-admin user update`,
//! `groups`/`roles`, withheld claims, claims in the ID token on request, and scopes the
//! operator defines.

use crate::support::{jwt_payload, TestServer};

const ALL: &str = "openid profile email address phone groups roles";

/// A server with alice (in group `staff`) described by every profile flag.
async fn server_with_alice() -> TestServer {
    let server = TestServer::start().await;
    server.create_user("alice");
    assert!(server.admin(&["group", "create", "staff"]).ok);
    assert!(server.admin(&["group", "add-member", "staff", "alice"]).ok);
    let updated = server
        .admin(&[
            "user",
            "update",
            "alice",
            "--given-name",
            "Alice",
            "--family-name",
            "Liddell",
            "--phone",
            "+33 1 23 45 67 89",
            "--address-json",
            r#"{"locality":"Paris","country":"FR"}"#,
            "--website",
            "https://alice.example",
            "--picture",
            "https://alice.example/a.png",
            "--locale",
            "fr-FR",
            "--zoneinfo",
            "Europe/Paris",
            "--json",
        ])
        .json();
    assert_eq!(updated["given_name"], "Alice");
    assert_eq!(updated["address"]["locality"], "Paris");
    server
}

async fn the_standard_scopes_release_their_claims_at_userinfo_and_withheld_ones_never() {
    let server = server_with_alice().await;
    let created = server.create_client(|c| c.first_party = true);
    let (status, tokens) = server.code_flow(&created, "alice", ALL).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();

    // OIDC Core §5.4: with an access token, the claims are at UserInfo only.
    let id = jwt_payload(tokens["id_token"].as_str().unwrap());
    for claim in ["email", "given_name", "address", "groups", "roles"] {
        assert!(id.get(claim).is_none(), "{claim} in the ID token: {id}");
    }

    let (status, info) = server.userinfo(access).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["sub"], id["sub"]);
    assert_eq!(info["preferred_username"], "alice");
    assert_eq!(info["given_name"], "Alice");
    assert_eq!(info["family_name"], "Liddell");
    assert_eq!(info["website"], "https://alice.example");
    assert_eq!(info["picture"], "https://alice.example/a.png");
    assert_eq!(info["locale"], "fr-FR");
    assert_eq!(info["zoneinfo"], "Europe/Paris");
    assert!(
        info["updated_at"].as_i64().unwrap() > 1_700_000_000,
        "{info}"
    );
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["phone_number"], "+33 1 23 45 67 89");
    assert_eq!(info["phone_number_verified"], false);
    assert_eq!(
        info["address"],
        serde_json::json!({"locality": "Paris", "country": "FR"})
    );
    assert_eq!(info["groups"], serde_json::json!(["staff"]));
    assert_eq!(info["roles"], serde_json::json!(["staff"]));

    // The user withholds some claims: from then on no client sees them, even with a
    // token issued before.
    assert!(
        server
            .admin(&[
                "user",
                "update",
                "alice",
                "--withhold",
                "picture,address,phone"
            ])
            .ok
    );
    let (_, info) = server.userinfo(access).await;
    for claim in [
        "picture",
        "address",
        "phone_number",
        "phone_number_verified",
    ] {
        assert!(info.get(claim).is_none(), "{claim} still released: {info}");
    }
    assert_eq!(info["given_name"], "Alice");
    assert_eq!(info["website"], "https://alice.example");

    // A narrower scope releases less.
    let (_, tokens) = server.code_flow(&created, "alice", "openid email").await;
    let (_, info) = server
        .userinfo(tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(info["email"], "alice@example.com");
    for claim in ["given_name", "preferred_username", "groups", "roles"] {
        assert!(
            info.get(claim).is_none(),
            "{claim} without its scope: {info}"
        );
    }
}

async fn a_client_may_have_the_claims_in_its_id_token_and_group_ids() {
    let server = server_with_alice().await;
    let created = server.create_client(|c| {
        c.first_party = true;
        c.options.claims_in_id_token = true;
        c.options.group_claim = idp_core::GroupClaim::Ids;
    });
    let (status, tokens) = server.code_flow(&created, "alice", ALL).await;
    assert_eq!(status, 200, "{tokens}");
    let id = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["email"], "alice@example.com");
    assert_eq!(id["given_name"], "Alice");
    assert_eq!(id["address"]["country"], "FR");
    let staff_id = server.admin(&["group", "list", "--json"]).json()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(staff_id, "staff");
    assert_eq!(id["groups"], serde_json::json!([staff_id]));
    assert_eq!(id["roles"], serde_json::json!([staff_id]));
    let (_, info) = server
        .userinfo(tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(info["groups"], serde_json::json!([staff_id]));
}

async fn operator_scopes_are_granted_while_defined_and_unknown_scopes_are_dropped() {
    let server = TestServer::start().await;
    server.create_user("alice");
    let defined = server
        .admin(&[
            "scope",
            "create",
            "event:write",
            "--description",
            "Create and edit events",
            "--json",
        ])
        .json();
    assert_eq!(defined["name"], "event:write");
    // A client may be allowed only known scopes.
    let refused = server.admin(&[
        "client",
        "create",
        "--name",
        "Events",
        "--redirect-uri",
        crate::support::REDIRECT_URI,
        "--scope",
        "event:delete",
    ]);
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains("event:delete"),
        "{}",
        refused.stderr
    );

    let created = server.create_client(|c| {
        c.first_party = true;
        c.refresh_without_offline_access = true;
        c.scopes = vec!["openid".into(), "event:write".into()];
    });
    let (status, tokens) = server
        .code_flow(&created, "alice", "openid event:write bogus profile")
        .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["scope"], "event:write openid");

    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();

    // The consent page says what each scope means, in the operator's words for theirs.
    let asking = server.create_client(|c| c.scopes = vec!["openid".into(), "event:write".into()]);
    let browser = crate::support::Browser::new();
    let query = format!(
        "/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20event%3Awrite&state=s&nonce=n",
        asking.client.id.as_str(),
        crate::support::REDIRECT_URI
    );
    let landing = browser.open(&server.url(&query)).await;
    let (status, page) = browser
        .log_in(landing, "alice", crate::support::PASSWORD)
        .await
        .page();
    assert_eq!(status, 200);
    assert!(page.contains("Create and edit events"), "{page}");
    assert!(page.contains("know who you are"), "{page}");

    assert!(server.admin(&["scope", "remove", "event:write"]).ok);
    // Neither a new authorization nor a refresh grants it any more.
    let (status, refreshed) = server
        .token_request(
            &created,
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(refreshed["scope"], "openid");
    let listed = server.admin(&["scope", "list", "--json"]).json();
    assert_eq!(listed, serde_json::json!([]));
    let (_, tokens) = server
        .code_flow(&created, "alice", "openid event:write")
        .await;
    assert_eq!(
        tokens["scope"], "openid",
        "a removed scope is no longer granted"
    );
}

async fn discovery_lists_the_standard_scopes_and_every_claim_they_release() {
    let server = TestServer::start().await;
    let meta: serde_json::Value =
        crate::support::get_json(&server.url("/.well-known/openid-configuration")).await;
    let list = |name: &str| -> Vec<String> {
        meta[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        list("scopes_supported"),
        [
            "openid",
            "profile",
            "email",
            "address",
            "phone",
            "offline_access",
            "groups",
            "roles"
        ]
    );
    let claims = list("claims_supported");
    for claim in [
        "given_name",
        "family_name",
        "address",
        "phone_number",
        "updated_at",
        "groups",
        "roles",
    ] {
        assert!(
            claims.iter().any(|c| c == claim),
            "{claim} missing: {claims:?}"
        );
    }
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    discovery_lists_the_standard_scopes_and_every_claim_they_release,
    the_standard_scopes_release_their_claims_at_userinfo_and_withheld_ones_never,
    a_client_may_have_the_claims_in_its_id_token_and_group_ids,
    operator_scopes_are_granted_while_defined_and_unknown_scopes_are_dropped,
);
