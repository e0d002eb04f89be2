//! Clients, scopes and groups declared in the configuration file, applied at start.

use std::time::Duration;

use idp_core::{ClientId, ClientRepo, DeclaredRepo, GroupRepo, ScopeRepo};
use idp_testdb::process::Running;

use crate::{fails_with_exit_2, http_post_form, server, TEST_KEK};

const CLIENT_ID: &str = "cloudcloudcloudcloudcloudcloud01";
const SECRET: &str = "s3cretS3cretS3cretS3cretS3cret0123";

/// A configuration file in `dir` declaring a scope, a group and a confidential client
/// whose secret is in a file beside it.
fn config(dir: &std::path::Path) -> String {
    std::fs::write(dir.join("cloud.secret"), format!("{SECRET}\n")).unwrap();
    let file = dir.join("idp.toml");
    std::fs::write(
        &file,
        format!(
            r#"
[[scopes]]
name = "calendar"
description = "Your calendars"

[[groups]]
name = "staff"

[[clients]]
client_id = "{CLIENT_ID}"
name = "Cloud"
redirect_uris = ["https://cloud.example/cb"]
scopes = ["openid", "calendar"]
allowed_groups = ["staff"]
client_secret_file = "cloud.secret"
"#
        ),
    )
    .unwrap();
    file.to_str().unwrap().to_owned()
}

fn start(config: &str, db: &idp_testdb::TestDb) -> Running {
    Running::spawn(
        server()
            .args(["--listen", "127.0.0.1:0", "--config", config])
            .args(["--database-url", db.url()])
            .env("IDP_KEY_ENCRYPTION_KEY", TEST_KEK)
            .env("IDP_LOG", "info"),
    )
}

/// The token endpoint's answer to a code exchange with `secret` (the code is made up,
/// so a client that authenticates gets `invalid_grant`).
fn exchange(addr: &str, secret: &str) -> String {
    http_post_form(
        addr,
        "/token",
        &format!(
            "grant_type=authorization_code&code=madeup&redirect_uri=https%3A%2F%2Fcloud.example%2Fcb&client_id={CLIENT_ID}&client_secret={secret}"
        ),
    )
}

fn declared_items_are_applied_at_start_and_the_client_authenticates() {
    let dir = tempfile::tempdir().unwrap();
    let db = idp_testdb::TestDb::fresh();
    let config = config(dir.path());
    let mut running = start(&config, &db);
    let addr = running.listening_address(Duration::from_secs(60));
    let answer = exchange(&addr, SECRET);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("invalid_grant"), "{answer}");
    let answer = exchange(&addr, "wrongWrongWrongWrongWrongWrong0123");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let log = running.log();
    assert!(!log.contains(SECRET), "{log}");
    drop(running);

    let store = idp_store::DieselStore::open(db.url()).unwrap();
    let client = store.client(&ClientId::new(CLIENT_ID)).unwrap().unwrap();
    assert_eq!(client.name, "Cloud");
    assert_eq!(client.options.allowed_groups, vec!["staff".to_owned()]);
    assert_eq!(store.scope_definitions().unwrap()[0].name, "calendar");
    assert_eq!(store.groups().unwrap()[0].name, "staff");
    assert_eq!(store.declared_items().unwrap().len(), 3);

    // A second start changes nothing.
    let mut again = start(&config, &db);
    again.listening_address(Duration::from_secs(60));
    let log = again.log();
    let line = log
        .lines()
        .find(|l| l.contains("applied the configuration file"))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(
        line.contains("created=0") && line.contains("updated=0"),
        "{line}"
    );
    assert_eq!(
        store
            .client(&ClientId::new(CLIENT_ID))
            .unwrap()
            .unwrap()
            .updated_at,
        client.updated_at
    );
}

fn instances_starting_together_apply_the_declarations_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = idp_testdb::TestDb::fresh();
    let config = config(dir.path());
    // Migrated first: two processes creating one SQLite file's schema at once is another
    // matter (PostgreSQL's migrations take an advisory lock).
    let store = idp_store::DieselStore::open(db.url()).unwrap();
    let mut first = start(&config, &db);
    let mut second = start(&config, &db);
    let a = first.listening_address(Duration::from_secs(60));
    let b = second.listening_address(Duration::from_secs(60));
    for addr in [&a, &b] {
        assert!(exchange(addr, SECRET).contains("invalid_grant"));
    }
    assert_eq!(store.clients().unwrap().len(), 1);
    assert_eq!(store.groups().unwrap().len(), 1);
    assert_eq!(store.declared_items().unwrap().len(), 3);
}

fn a_declaration_that_breaks_a_rule_stops_the_start_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = idp_testdb::TestDb::fresh();
    let file = dir.path().join("idp.toml");
    std::fs::write(
        &file,
        format!(
            "[[clients]]\nclient_id = \"{CLIENT_ID}\"\nname = \"Cloud\"\ntype = \"public\"\nredirect_uris = [\"https://cloud.example/cb\"]\nscopes = [\"openid\", \"undefined-scope\"]\n"
        ),
    )
    .unwrap();
    let mut running = start(file.to_str().unwrap(), &db);
    assert_eq!(running.wait_exit(Duration::from_secs(60)), Some(2));
    std::thread::sleep(Duration::from_millis(200));
    let log = running.log();
    let last = log.trim().lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: invalid configuration: clients[0] (client_id cloud")
            && last.contains("undefined-scope"),
        "{log}"
    );
    let store = idp_store::DieselStore::open(db.url()).unwrap();
    assert!(store.clients().unwrap().is_empty());
}

#[test]
fn a_mistake_in_the_file_is_one_line_naming_the_entry_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("idp.toml");
    std::fs::write(
        &file,
        "[[clients]]\nclient_id = \"abc\"\nname = \"A\"\nclient_secret = \"inline\"\n",
    )
    .unwrap();
    fails_with_exit_2(
        &["--config", file.to_str().unwrap()],
        &[],
        "clients[0] (client_id abc): client_secret is not allowed",
    );
    std::fs::write(&file, "[[groups]]\nname = \"staff\"\nowner = \"alice\"\n").unwrap();
    fails_with_exit_2(
        &["--config", file.to_str().unwrap()],
        &[],
        "groups[0] (name staff): unknown field `owner`",
    );
}

idp_testdb::on_both_backends!(
    declared_items_are_applied_at_start_and_the_client_authenticates,
    instances_starting_together_apply_the_declarations_once,
    a_declaration_that_breaks_a_rule_stops_the_start_with_exit_2,
);
