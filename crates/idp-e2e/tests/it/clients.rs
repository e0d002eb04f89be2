//! Clients as the operator changes them with `idp-admin`: updates, allowed groups,
//! lifetimes per client and in the database's settings.

use std::time::Duration;

use crate::support::{Browser, Landing, TestServer, REDIRECT_URI};

async fn only_members_of_an_allowed_group_sign_in_and_leaving_it_ends_refresh() {
    let server = TestServer::start().await;
    server.create_user("alice");
    server.create_user("bob");
    assert!(server.admin(&["group", "create", "staff"]).ok);
    assert!(server.admin(&["group", "add-member", "staff", "alice"]).ok);
    let created = server.create_client(|c| {
        c.first_party = true;
        c.refresh_without_offline_access = true;
    });
    let id = created.client.id.as_str();
    let shown = server
        .admin(&["client", "update", id, "--allowed-group", "staff", "--json"])
        .json();
    assert_eq!(shown["allowed_groups"], serde_json::json!(["staff"]));
    let missing = server.admin(&["client", "update", id, "--allowed-group", "nobody"]);
    assert!(
        !missing.ok && missing.stderr.contains("nobody"),
        "{}",
        missing.stderr
    );

    // bob is not a member: an error page at the provider, nothing for the client.
    let browser = Browser::new();
    let outcome = server
        .authorize_for(&browser, &created, "bob", "openid")
        .await;
    match outcome {
        Err(Landing::Page { status, body }) => {
            assert_eq!(status, 403, "{body}");
            assert!(body.contains("may not sign in"), "{body}");
        }
        other => panic!("bob got through: {other:?}"),
    }

    // alice is: tokens, and refreshes while she stays a member.
    let (status, tokens) = server.code_flow(&created, "alice", "openid").await;
    assert_eq!(status, 200, "{tokens}");
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, refreshed) = server
        .token_request(
            &created,
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await;
    assert_eq!(status, 200, "{refreshed}");
    let refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();
    assert!(
        server
            .admin(&["group", "remove-member", "staff", "alice"])
            .ok
    );
    let (status, refused) = server
        .token_request(
            &created,
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(refused["error"], "invalid_grant");
}

async fn client_update_changes_what_the_running_server_does() {
    let server = TestServer::start().await;
    server.create_user("alice");
    let created = server.create_client(|c| c.first_party = true);
    let id = created.client.id.as_str();
    let updated = server
        .admin(&[
            "client",
            "update",
            id,
            "--name",
            "Renamed",
            "--redirect-uri",
            "http://127.0.0.1:9/other",
            "--access-token-lifetime",
            "10m",
            "--post-logout-redirect-uri",
            "https://app.example/bye",
            "--claims-in-id-token",
            "--json",
        ])
        .json();
    assert_eq!(updated["name"], "Renamed");
    assert_eq!(updated["access_token_lifetime"], 600);
    assert_eq!(
        updated["post_logout_redirect_uris"],
        serde_json::json!(["https://app.example/bye"])
    );
    assert!(updated.get("client_secret").is_none(), "no new secret");
    let shown = server.admin(&["client", "show", id, "--json"]).json();
    assert_eq!(shown, updated);
    let text = server.admin(&["client", "show", id]);
    for expected in [
        "Renamed",
        "claims-in-id-token",
        "access 600s",
        "https://app.example/bye",
    ] {
        assert!(
            text.stdout.contains(expected),
            "{expected}: {}",
            text.stdout
        );
    }

    // The old redirect URI is gone: an error page, no redirect.
    let browser = Browser::new();
    match server
        .authorize_for(&browser, &created, "alice", "openid")
        .await
    {
        Err(Landing::Page { status, .. }) => assert_eq!(status, 400),
        other => panic!("old redirect URI still accepted: {other:?}"),
    }
    // Back to the test's redirect URI; the lifetime override applies.
    assert!(
        server
            .admin(&["client", "update", id, "--redirect-uri", REDIRECT_URI])
            .ok
    );
    let (status, tokens) = server.code_flow(&created, "alice", "openid").await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["expires_in"], 600);

    // Refused updates change nothing.
    for args in [
        vec!["--id-token-alg", "none"],
        vec!["--resource", "not a uri"],
        vec!["--access-token-lifetime", "0"],
        vec!["--scope", "openid", "--default-scope", "email"],
    ] {
        let mut full = vec!["client", "update", id];
        full.extend(args.iter().copied());
        let run = server.admin(&full);
        assert!(!run.ok, "{args:?} accepted");
    }
    assert_eq!(
        server.admin(&["client", "show", id, "--json"]).json()["name"],
        "Renamed"
    );
}

async fn settings_in_the_database_reach_every_running_server() {
    let server = TestServer::start().await;
    server.create_user("alice");
    let created = server.create_client(|c| {
        c.first_party = true;
        c.refresh_without_offline_access = true;
    });
    let (_, tokens) = server.code_flow(&created, "alice", "openid").await;
    assert_eq!(tokens["expires_in"], 3600);

    let set = server
        .admin(&["settings", "set", "access_token_lifetime", "2m", "--json"])
        .json();
    assert_eq!(set["value"], "120");
    assert!(
        server
            .admin(&["settings", "set", "refresh_token_lifetime", "none"])
            .ok
    );
    let all = server.admin(&["settings", "get", "--json"]).json();
    let get = |name: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(get("access_token_lifetime")["source"], "database");
    assert_eq!(get("refresh_token_lifetime")["value"], "none");
    assert_eq!(get("code_lifetime")["source"], "configuration");
    assert_eq!(get("code_lifetime")["value"], "60");
    let bad = server.admin(&["settings", "set", "code_lifetime", "1h"]);
    assert!(
        !bad.ok && bad.stderr.contains("code_lifetime"),
        "{}",
        bad.stderr
    );
    assert!(!server.admin(&["settings", "set", "colour", "1"]).ok);

    // The server reads the settings at most a second late.
    let mut expires_in = serde_json::Value::Null;
    let mut tokens = serde_json::Value::Null;
    for _ in 0..30 {
        (_, tokens) = server.code_flow(&created, "alice", "openid").await;
        expires_in = tokens["expires_in"].clone();
        if expires_in == 120 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(expires_in, 120);
    // A refresh token that does not expire is stored with the furthest expiry.
    use idp_core::TokenRepo;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let digest = idp_core::SecretDigest::from_hex(idp_crypto::sha256_hex(refresh.as_bytes()));
    let stored = server.store.refresh_token(&digest).unwrap().unwrap();
    assert_eq!(stored.record.expires_at.timestamp(), 253_402_300_799);

    assert!(
        server
            .admin(&["settings", "unset", "access_token_lifetime"])
            .ok
    );
    assert_eq!(
        server
            .admin(&["settings", "get", "access_token_lifetime"])
            .stdout
            .trim(),
        "3600"
    );
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    only_members_of_an_allowed_group_sign_in_and_leaving_it_ends_refresh,
    client_update_changes_what_the_running_server_does,
    settings_in_the_database_reach_every_running_server,
);
