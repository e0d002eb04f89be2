//! Clients imported with `idp-admin import` work at the running server: the secret the
//! app stored in clear, and the one generated when it did not, both authenticate at the
//! token endpoint after a code flow.

use idp_core::{ClientId, ClientRepo};
use idp_protocol::manage::CreatedClient;
use idp_testdb::{Backend, TestDb};

use crate::support::{TestServer, REDIRECT_URI};

const OWNCLOUD_ID: &str = "OwnApp0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU";
const OWNCLOUD_SECRET: &str = "OwnSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR";
const NEXTCLOUD_ID: &str = "NcApp0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV";

/// The imported client `id` with `secret`, as the code-flow helpers take it.
fn imported(server: &TestServer, id: &str, secret: &str) -> CreatedClient {
    CreatedClient {
        client: server.store.client(&ClientId::new(id)).unwrap().unwrap(),
        secret: Some(secret.to_owned()),
    }
}

async fn imported_clients_complete_a_code_flow_with_their_secret() {
    let server = TestServer::start().await;
    server.create_user("alice");
    // An ownCloud oauth2 database (github.com/owncloud/oauth2 0.7.1, appinfo/database.xml
    // and Migrations/Version20201123114127) and a Nextcloud 30 oauth2 one
    // (nextcloud/server apps/oauth2, Version010401Date20181207190718 and
    // Version011601Date20230522143227), whose secret is only an HMAC.
    let source = TestDb::of(Backend::Sqlite);
    source.execute(&format!(
        "CREATE TABLE oc_oauth2_clients (id INTEGER PRIMARY KEY AUTOINCREMENT,
           identifier VARCHAR(64) NOT NULL, secret VARCHAR(64) NOT NULL,
           redirect_uri VARCHAR(2000) NOT NULL, name VARCHAR(80) NOT NULL,
           allow_subdomains BOOLEAN NOT NULL DEFAULT false, trusted BOOLEAN NOT NULL DEFAULT false);
         INSERT INTO oc_oauth2_clients (identifier, secret, redirect_uri, name, trusted)
           VALUES ('{OWNCLOUD_ID}', '{OWNCLOUD_SECRET}', '{REDIRECT_URI}', 'Files', true);
         CREATE TABLE nc_oauth2_clients (id INTEGER PRIMARY KEY AUTOINCREMENT,
           name VARCHAR(64) NOT NULL, redirect_uri VARCHAR(2000) NOT NULL,
           client_identifier VARCHAR(64) NOT NULL, secret VARCHAR(512) NOT NULL);
         INSERT INTO nc_oauth2_clients (name, redirect_uri, client_identifier, secret)
           VALUES ('Notes', '{REDIRECT_URI}', '{NEXTCLOUD_ID}', '{}');",
        "0f".repeat(64)
    ));
    let out = server
        .admin(&["import", "owncloud-oauth2", source.url(), "--json"])
        .json();
    assert_eq!(out["clients"][0]["secret"], "imported");
    let out = server
        .admin(&[
            "import",
            "nextcloud-oauth2",
            source.url(),
            "--table-prefix",
            "nc_",
            "--json",
        ])
        .json();
    assert_eq!(out["clients"][0]["secret"], "generated");
    let generated = out["clients"][0]["client_secret"].as_str().unwrap();

    for client in [
        imported(&server, OWNCLOUD_ID, OWNCLOUD_SECRET),
        imported(&server, NEXTCLOUD_ID, generated),
    ] {
        let (status, tokens) = server.code_flow(&client, "alice", "openid").await;
        assert_eq!(status, 200, "{tokens}");
        assert!(tokens["id_token"].is_string());
        // Refresh tokens without offline_access, as the apps issued them.
        assert!(tokens["refresh_token"].is_string(), "{tokens}");
        // A wrong secret is still refused.
        let wrong = CreatedClient {
            secret: Some("x".repeat(43)),
            ..imported(&server, client.client.id.as_str(), "")
        };
        let (status, _) = server.exchange(&wrong, "any").await;
        assert_eq!(status, 401);
    }
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    imported_clients_complete_a_code_flow_with_their_secret,
);
