use crate::Admin;

fn is_unreserved(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[test]
fn confidential_clients_get_a_generated_id_and_a_secret_shown_once() {
    let admin = Admin::fresh();
    let run = admin.run(&[
        "client",
        "create",
        "--name",
        "Files",
        "--redirect-uri",
        "https://files.example/cb",
        "--json",
    ]);
    let client = run.json();
    let id = client["client_id"].as_str().unwrap();
    let secret = client["client_secret"].as_str().unwrap();
    assert!(is_unreserved(id) && id.len() >= 22, "{id}");
    assert_eq!(secret.len(), 43);
    assert!(is_unreserved(secret));
    assert_eq!(client["type"], "confidential");
    assert_eq!(
        client["redirect_uris"],
        serde_json::json!(["https://files.example/cb"])
    );

    for args in [
        vec!["client", "show", id, "--json"],
        vec!["client", "list", "--json"],
        vec!["client", "show", id],
    ] {
        let out = admin.run(&args);
        assert_eq!(out.code, 0);
        assert!(
            !out.stdout.contains(secret) && !out.stdout.contains("digest"),
            "{}",
            out.stdout
        );
    }

    let rotated = admin.run(&["client", "rotate-secret", id, "--json"]).json();
    assert_eq!(rotated["client_id"], id);
    assert_ne!(rotated["client_secret"], secret);
    assert_eq!(rotated["client_secret"].as_str().unwrap().len(), 43);
}

#[test]
fn public_clients_have_no_secret() {
    let admin = Admin::fresh();
    let client = admin.create_client(&[
        "--name",
        "CLI",
        "--type",
        "public",
        "--redirect-uri",
        "http://127.0.0.1:8400/cb",
    ]);
    assert!(client.get("client_secret").is_none(), "{client}");
    assert_eq!(client["type"], "public");
    admin.refused(
        &[
            "client",
            "rotate-secret",
            client["client_id"].as_str().unwrap(),
        ],
        "public",
    );
}

#[test]
fn custom_credentials_must_be_32_to_64_alphanumerics_and_unique() {
    let admin = Admin::fresh();
    let id = "a".repeat(32);
    let secret = "S3cr3t".repeat(6);
    let client = admin.create_client(&[
        "--name",
        "Calendar",
        "--redirect-uri",
        "https://cal.example/cb",
        "--client-id",
        &id,
        "--client-secret",
        &secret,
    ]);
    assert_eq!(client["client_id"], id.as_str());
    assert_eq!(client["client_secret"], secret.as_str());
    admin.refused(
        &[
            "client",
            "create",
            "--name",
            "Again",
            "--redirect-uri",
            "https://cal.example/cb",
            "--client-id",
            &id,
            "--client-secret",
            &secret,
        ],
        "already exists",
    );
    admin.refused(
        &[
            "client",
            "create",
            "--name",
            "Short",
            "--redirect-uri",
            "https://x.example/cb",
            "--client-id",
            "tooshort42",
            "--client-secret",
            &secret,
        ],
        "32 to 64",
    );
    admin.refused(
        &[
            "client",
            "create",
            "--name",
            "Dashes",
            "--redirect-uri",
            "https://x.example/cb",
            "--client-id",
            &format!("{id}-x"),
        ],
        "A-Z, a-z and 0-9",
    );
}

#[test]
fn client_flags_scopes_and_grants_are_stored() {
    let admin = Admin::fresh();
    let client = admin.create_client(&[
        "--name",
        "ownCloud desktop",
        "--redirect-uri",
        "http://127.0.0.1:0/cb",
        "--first-party",
        "--scope",
        "openid",
        "--scope",
        "email",
        "--default-scope",
        "email",
        "--grant-type",
        "authorization_code",
        "--refresh-without-offline-access",
        "--token-response-user-id",
    ]);
    assert_eq!(client["scopes"], serde_json::json!(["email", "openid"]));
    assert_eq!(client["default_scopes"], serde_json::json!(["email"]));
    let id = client["client_id"].as_str().unwrap();
    let shown = admin.run(&["client", "show", id]);
    assert!(
        shown
            .stdout
            .lines()
            .any(|l| l.starts_with("default_scopes:") && l.ends_with(" email")),
        "{}",
        shown.stdout
    );
    // A default scope must be one the client may have.
    admin.refused(
        &[
            "client",
            "create",
            "--name",
            "x",
            "--redirect-uri",
            "https://x.example/cb",
            "--scope",
            "openid",
            "--default-scope",
            "email",
        ],
        "default scope",
    );
    assert_eq!(
        client["grant_types"],
        serde_json::json!(["authorization_code"])
    );
    assert_eq!(client["first_party"], true);
    assert_eq!(client["refresh_without_offline_access"], true);
    assert_eq!(client["token_response_user_id"], true);
}

#[test]
fn bad_client_input_is_refused_clearly() {
    let admin = Admin::fresh();
    admin.refused(
        &[
            "client",
            "create",
            "--name",
            "X",
            "--redirect-uri",
            "https://x.example/cb#frag",
        ],
        "fragment",
    );
    admin.refused(&["client", "create", "--name", "X"], "redirect URI");
    admin.refused(
        &[
            "client",
            "create",
            "--name",
            "X",
            "--redirect-uri",
            "https://x.example/cb",
            "--scope",
            "admin",
        ],
        "neither a standard scope",
    );
    admin.refused(
        &[
            "client",
            "create",
            "--name",
            "X",
            "--redirect-uri",
            "https://x.example/cb",
            "--grant-type",
            "password",
        ],
        "grant type",
    );
    admin.refused(&["client", "show", "nope"], "not found");
    admin.refused(&["client", "remove", "nope"], "not found");
    assert_eq!(
        admin.run(&["client", "list", "--json"]).json(),
        serde_json::json!([])
    );
}

#[test]
fn removed_clients_are_gone() {
    let admin = Admin::fresh();
    let client = admin.create_client(&["--name", "Tmp", "--redirect-uri", "https://t.example/cb"]);
    let id = client["client_id"].as_str().unwrap();
    assert_eq!(
        admin.run(&["client", "remove", id, "--json"]).json()["removed"],
        id
    );
    admin.refused(&["client", "show", id], "not found");
}

#[test]
fn every_create_flag_is_shown_and_updates_follow_the_same_rules() {
    let admin = Admin::fresh();
    assert_eq!(admin.run(&["group", "create", "staff"]).code, 0);
    let client = admin.create_client(&[
        "--name",
        "Cloud",
        "--redirect-uri",
        "https://cloud.example/cb",
        "--implicit",
        "--id-token-alg",
        "ES256",
        "--jwt-access-token",
        "--resource",
        "https://cloud.example/api",
        "--access-token-lifetime",
        "15m",
        "--refresh-token-lifetime",
        "none",
        "--id-token-lifetime",
        "300",
        "--claims-in-id-token",
        "--group-claim",
        "ids",
        "--allowed-group",
        "staff",
        "--post-logout-redirect-uri",
        "https://cloud.example/bye",
        "--backchannel-logout-uri",
        "https://cloud.example/bcl",
        "--backchannel-logout-session-required",
        "--frontchannel-logout-uri",
        "https://cloud.example/fcl",
    ]);
    let id = client["client_id"].as_str().unwrap().to_owned();
    let expected = serde_json::json!({
        "implicit": true,
        "id_token_alg": "ES256",
        "jwt_access_token": true,
        "resources": ["https://cloud.example/api"],
        "access_token_lifetime": 900,
        "refresh_token_lifetime": 0,
        "id_token_lifetime": 300,
        "claims_in_id_token": true,
        "group_claim": "ids",
        "allowed_groups": ["staff"],
        "post_logout_redirect_uris": ["https://cloud.example/bye"],
        "backchannel_logout_uri": "https://cloud.example/bcl",
        "backchannel_logout_session_required": true,
        "frontchannel_logout_uri": "https://cloud.example/fcl",
        "frontchannel_logout_session_required": false,
    });
    for (k, v) in expected.as_object().unwrap() {
        assert_eq!(&client[k], v, "{k}");
    }
    let shown = admin.run(&["client", "show", &id, "--json"]).json();
    for (k, v) in expected.as_object().unwrap() {
        assert_eq!(&shown[k], v, "{k}");
    }

    // Switches turn off with =false; a list given once empty is emptied; lifetimes go
    // back to the provider's with `default`.
    let updated = admin
        .run(&[
            "client",
            "update",
            &id,
            "--implicit=false",
            "--allowed-group",
            "",
            "--access-token-lifetime",
            "default",
            "--backchannel-logout-uri",
            "",
            "--json",
        ])
        .json();
    assert_eq!(updated["implicit"], false);
    assert_eq!(updated["backchannel_logout_uri"], serde_json::Value::Null);
    assert_eq!(
        updated["frontchannel_logout_uri"],
        "https://cloud.example/fcl"
    );
    assert_eq!(updated["allowed_groups"], serde_json::json!([]));
    assert_eq!(updated["access_token_lifetime"], serde_json::Value::Null);
    assert_eq!(updated["id_token_alg"], "ES256", "untouched");
    assert_eq!(updated["name"], "Cloud");

    admin.refused(
        &["client", "update", &id, "--allowed-group", "nobody"],
        "group nobody not found",
    );
    admin.refused(
        &[
            "client",
            "update",
            &id,
            "--frontchannel-logout-uri",
            "javascript:alert(1)",
        ],
        "must be an http or https URL",
    );
    admin.refused(
        &[
            "client",
            "update",
            &id,
            "--backchannel-logout-uri",
            "https://cloud.example/x#f",
        ],
        "must not contain a fragment",
    );
    admin.refused(
        &["client", "update", &id, "--group-claim", "emails"],
        "names or ids",
    );
    admin.refused(
        &[
            "client",
            "update",
            &id,
            "--resource",
            "https://x.example/#f",
        ],
        "fragment",
    );
    admin.refused(
        &["client", "update", &id, "--resource", "not a uri"],
        "resource",
    );
    admin.refused(&["client", "update", "nope", "--name", "X"], "not found");
    admin.refused(&["client", "update", &id, "--scope", ""], "at least one");
    // RFC 8707 §2: any absolute URI names a resource.
    let urn = admin
        .run(&[
            "client",
            "update",
            &id,
            "--resource",
            "urn:example:api",
            "--json",
        ])
        .json();
    assert_eq!(urn["resources"], serde_json::json!(["urn:example:api"]));
    // A scope whose definition was removed may stay while other things change.
    assert_eq!(
        admin
            .run(&["scope", "create", "tmp:x", "--description", "x"])
            .code,
        0
    );
    let run = admin.run(&[
        "client", "update", &id, "--scope", "openid", "--scope", "tmp:x",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(admin.run(&["scope", "remove", "tmp:x"]).code, 0);
    let renamed = admin
        .run(&["client", "update", &id, "--name", "Cloud 2", "--json"])
        .json();
    assert_eq!(renamed["scopes"], serde_json::json!(["openid", "tmp:x"]));
    admin.refused(
        &[
            "client", "update", &id, "--scope", "openid", "--scope", "tmp:y",
        ],
        "tmp:y",
    );
    admin.refused(
        &["client", "update", &id, "--redirect-uri", ""],
        "at least one is required",
    );
}

#[test]
fn hs256_needs_a_confidential_client_and_keeps_its_secret_sealed() {
    let admin = Admin::fresh();
    admin.refused(
        &[
            "client",
            "create",
            "--name",
            "SPA",
            "--type",
            "public",
            "--redirect-uri",
            "https://spa.example/cb",
            "--id-token-alg",
            "HS256",
        ],
        "public clients have none",
    );
    let client = admin.create_client(&[
        "--name",
        "Server",
        "--redirect-uri",
        "https://server.example/cb",
    ]);
    let id = client["client_id"].as_str().unwrap();
    let first = client["client_secret"].as_str().unwrap();
    // Only sealing needs the key-encryption key: no key file until then.
    let key_file = admin.key_file();
    assert!(!std::path::Path::new(&key_file).exists());
    // Switching to HS256 needs the secret itself, which was never kept: a new one.
    let switched = admin
        .run(&["client", "update", id, "--id-token-alg", "HS256", "--json"])
        .json();
    let second = switched["client_secret"].as_str().unwrap();
    assert!(std::path::Path::new(&key_file).exists());
    assert_ne!(first, second);
    assert_eq!(switched["id_token_alg"], "HS256");
    // Further updates keep the secret.
    let again = admin
        .run(&["client", "update", id, "--name", "Server 2", "--json"])
        .json();
    assert!(again.get("client_secret").is_none());
    // The database holds the sealed secret, never the clear one.
    let db = admin.url.trim_start_matches("sqlite://");
    let bytes = std::fs::read(db).unwrap();
    assert!(!bytes.windows(second.len()).any(|w| w == second.as_bytes()));
    let rotated = admin.run(&["client", "rotate-secret", id, "--json"]).json();
    assert_ne!(rotated["client_secret"].as_str().unwrap(), second);
}
