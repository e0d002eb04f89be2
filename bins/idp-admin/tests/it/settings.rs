//! `idp-admin settings` and `idp-admin scope`.

use crate::Admin;

#[test]
fn settings_show_their_source_and_are_checked_before_they_are_stored() {
    let admin = Admin::fresh();
    let all = admin.run(&["settings", "get", "--json"]).json();
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "access_token_lifetime",
            "refresh_token_lifetime",
            "code_lifetime",
            "id_token_lifetime",
            "session_lifetime",
            "retired_key_grace",
            "dynamic_registration",
            "dynamic_registration_max_clients",
            "dynamic_registration_lifetime",
            "dynamic_registration_requires_token",
            "any_https_resource",
            "shared_resources"
        ]
    );
    // Switches and counts, not only durations.
    assert_eq!(
        admin
            .run(&["settings", "set", "dynamic_registration", "yes"])
            .stdout
            .trim(),
        "dynamic_registration = true"
    );
    assert_ne!(
        admin
            .run(&["settings", "set", "dynamic_registration", "maybe"])
            .code,
        0
    );
    assert_ne!(
        admin
            .run(&["settings", "set", "dynamic_registration_max_clients", "1h"])
            .code,
        0
    );
    assert_eq!(
        admin
            .run(&["settings", "get", "dynamic_registration_lifetime"])
            .stdout
            .trim(),
        "2592000"
    );
    admin.run(&["settings", "unset", "dynamic_registration"]);
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["source"] == "configuration"));

    assert_eq!(
        admin
            .run(&["settings", "set", "id_token_lifetime", "5m"])
            .stdout
            .trim(),
        "id_token_lifetime = 300"
    );
    let one = admin
        .run(&["settings", "get", "id_token_lifetime", "--json"])
        .json();
    assert_eq!(one["value"], "300");
    assert_eq!(one["source"], "database");
    assert_eq!(
        admin
            .run(&["settings", "get", "id_token_lifetime"])
            .stdout
            .trim(),
        "300"
    );
    for (key, value) in [
        ("refresh_token_lifetime", "0"),
        ("refresh_token_lifetime", "none"),
    ] {
        let run = admin.run(&["settings", "set", key, value, "--json"]).json();
        assert_eq!(run["value"], "0");
    }
    assert_eq!(
        admin
            .run(&["settings", "get", "refresh_token_lifetime"])
            .stdout
            .trim(),
        "none"
    );

    admin.refused(&["settings", "set", "colour", "blue"], "colour");
    admin.refused(
        &["settings", "set", "code_lifetime", "11m"],
        "code_lifetime",
    );
    admin.refused(
        &["settings", "set", "access_token_lifetime", "soon"],
        "access_token_lifetime",
    );
    admin.refused(
        &["settings", "set", "access_token_lifetime", "none"],
        "none",
    );
    admin.refused(&["settings", "get", "colour"], "colour");
    assert_eq!(
        admin
            .run(&["settings", "get", "id_token_lifetime"])
            .stdout
            .trim(),
        "300",
        "a refused set changes nothing"
    );

    assert_eq!(
        admin.run(&["settings", "unset", "id_token_lifetime"]).code,
        0
    );
    admin.refused(&["settings", "unset", "id_token_lifetime"], "not found");
    let one = admin
        .run(&["settings", "get", "id_token_lifetime", "--json"])
        .json();
    assert_eq!(one["value"], "3600");
    assert_eq!(one["source"], "configuration");
}

#[test]
fn the_configuration_gives_settings_the_database_does_not_have() {
    let admin = Admin::fresh();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("idp.toml");
    std::fs::write(
        &file,
        "code_lifetime = 30\nrefresh_token_lifetime = 0\nid_token_lifetime = 900\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let all = admin
        .run(&["--config", file, "settings", "get", "--json"])
        .json();
    let value = |name: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()["value"]
            .clone()
    };
    assert_eq!(value("code_lifetime"), "30");
    assert_eq!(value("refresh_token_lifetime"), "none");
    assert_eq!(value("id_token_lifetime"), "900");
}

#[test]
fn scopes_are_defined_listed_and_removed() {
    let admin = Admin::fresh();
    let created = admin
        .run(&[
            "scope",
            "create",
            "event:write",
            "--description",
            "Create events",
            "--json",
        ])
        .json();
    assert_eq!(created["name"], "event:write");
    admin.refused(
        &["scope", "create", "event:write", "--description", "again"],
        "already exists",
    );
    admin.refused(
        &["scope", "create", "email", "--description", "mine"],
        "standard scope",
    );
    admin.refused(
        &["scope", "create", "bad\"scope", "--description", "x"],
        "not allowed",
    );
    admin.refused(
        &["scope", "create", "empty", "--description", " "],
        "description",
    );
    let list = admin.run(&["scope", "list"]);
    assert!(list.stdout.contains("event:write") && list.stdout.contains("Create events"));
    // A client may now be allowed it.
    let client = admin.create_client(&[
        "--name",
        "Events",
        "--redirect-uri",
        "https://events.example/cb",
        "--scope",
        "openid",
        "--scope",
        "event:write",
    ]);
    assert_eq!(
        client["scopes"],
        serde_json::json!(["event:write", "openid"])
    );
    assert_eq!(admin.run(&["scope", "remove", "event:write"]).code, 0);
    admin.refused(&["scope", "remove", "event:write"], "not found");
}
