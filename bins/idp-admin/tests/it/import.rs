//! `idp-admin import`: clients of Nextcloud's oidc and oauth2 apps and ownCloud's oauth2
//! app, read from a database in the app's schema (SQLite and PostgreSQL) or from the JSON
//! export, registered here with the same ids.

use idp_testdb::{Backend, TestDb};
use serde_json::{json, Value};

use crate::Admin;

/// `id INTEGER` auto-incremented on either backend, as Nextcloud's migrations declare it.
fn schema(db: &TestDb, sql: &str) {
    let id = match db.backend() {
        Backend::Sqlite => "id INTEGER PRIMARY KEY AUTOINCREMENT",
        Backend::Postgres => "id SERIAL PRIMARY KEY",
    };
    db.execute(&sql.replace("{id}", id));
}

/// The tables of Nextcloud's oidc app as its migrations leave them (github.com/H2CK/oidc
/// 2.0.9, lib/Migration/Version0001Date20220209222100 (oidc_clients), Version0002 (type),
/// Version0003 (oidc_redirect_uris), Version0005 (redirect_uri dropped), Version0007
/// (oidc_group_map), Version0008 (flow_type), Version0010 (oidc_loredirect_uris),
/// Version0011 (dcr, issued_at), Version0012 (token_type), Version0013 (allowed_scopes,
/// email_regex), Version0018 (resource_url), Version0019 (oidc_custom_claims)).
const OIDC_SCHEMA: &str = "
CREATE TABLE oc_oidc_clients ({id}, name VARCHAR(64) NOT NULL,
  client_identifier VARCHAR(64) NOT NULL, secret VARCHAR(64) NOT NULL,
  signing_alg VARCHAR(16) NOT NULL, type VARCHAR(16) DEFAULT 'confidential',
  flow_type VARCHAR(16) DEFAULT 'code', dcr BOOLEAN DEFAULT false,
  issued_at INTEGER NOT NULL DEFAULT 0, token_type VARCHAR(16) DEFAULT 'opaque',
  allowed_scopes VARCHAR(512) DEFAULT '', email_regex VARCHAR(256) DEFAULT '',
  resource_url VARCHAR(512) DEFAULT NULL);
CREATE UNIQUE INDEX oidc_client_id_idx ON oc_oidc_clients (client_identifier);
CREATE TABLE oc_oidc_redirect_uris ({id}, client_id INTEGER NOT NULL,
  redirect_uri VARCHAR(2000) NOT NULL);
CREATE TABLE oc_oidc_group_map ({id}, client_id INTEGER NOT NULL, group_id VARCHAR(256) NOT NULL);
CREATE TABLE oc_oidc_loredirect_uris ({id}, redirect_uri VARCHAR(2000) NOT NULL);
CREATE TABLE oc_oidc_custom_claims ({id}, client_id INTEGER NOT NULL, scope VARCHAR(128) NOT NULL,
  name VARCHAR(128) NOT NULL, function VARCHAR(128) NOT NULL, parameter VARCHAR(128));
";

const WIKI_ID: &str = "WikiClient0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR";
const WIKI_SECRET: &str = "WikiSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR";
const SPA_ID: &str = "SpaClient0123456789abcdefghijklmn";
const CHAT_ID: &str = "ChatClient0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR";
/// `occ oidc:create --client_id` accepts printable ASCII but ':'; this provider does not.
const ODD_ID: &str = "my-app-client-id-for-nextcloud-01";

const OIDC_ROWS: &str = "
INSERT INTO oc_oidc_clients (name, client_identifier, secret, signing_alg, type, flow_type,
  dcr, token_type, allowed_scopes, email_regex, resource_url) VALUES
 ('Wiki', 'WikiClient0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR',
  'WikiSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR', 'RS256', 'confidential',
  'code', false, 'opaque', 'openid profile email groups', '', NULL),
 ('SPA', 'SpaClient0123456789abcdefghijklmn', 'unusedSecretOfAPublicClient0123456789', 'RS256',
  'public', 'code id_token', true, 'jwt', '', '', NULL),
 ('Chat', 'ChatClient0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR',
  'chat-secret-with-hyphens-0123456789-abcdef', 'HS256', 'confidential', 'code', false,
  'opaque', 'openid roles custom:read', '.*@example\\.org', 'https://api.example/'),
 ('Odd', 'my-app-client-id-for-nextcloud-01', 'OddSecret0123456789abcdefghijklmnopqr', 'RS256',
  'confidential', 'code', false, 'opaque', '', '', NULL);
INSERT INTO oc_oidc_redirect_uris (client_id, redirect_uri) VALUES
 (1, 'https://wiki.example/callback'), (1, 'https://wiki.example/other'),
 (2, 'https://spa.example/cb'), (2, 'https://*.spa.example/cb'),
 (3, 'https://chat.example/oidc'), (4, 'https://odd.example/cb');
INSERT INTO oc_oidc_group_map (client_id, group_id) VALUES (1, 'staff');
INSERT INTO oc_oidc_loredirect_uris (redirect_uri) VALUES
 ('https://wiki.example/logged-out'), ('https://nowhere.example/bye');
INSERT INTO oc_oidc_custom_claims (client_id, scope, name, function, parameter) VALUES
 (3, 'profile', 'department', 'isInGroup', 'dept');
";

/// The same clients as the JSON the MySQL query of docs/migrating.md prints.
fn oidc_json() -> Value {
    json!({
        "clients": [
            {"id": 1, "name": "Wiki", "client_identifier": WIKI_ID, "secret": WIKI_SECRET,
             "signing_alg": "RS256", "type": "confidential", "flow_type": "code", "dcr": 0,
             "token_type": "opaque", "allowed_scopes": "openid profile email groups",
             "email_regex": "", "resource_url": null,
             "redirect_uris": ["https://wiki.example/callback", "https://wiki.example/other"],
             "groups": ["staff"], "custom_claims": null},
            {"id": 2, "name": "SPA", "client_identifier": SPA_ID,
             "secret": "unusedSecretOfAPublicClient0123456789", "signing_alg": "RS256",
             "type": "public", "flow_type": "code id_token", "dcr": 1, "token_type": "jwt",
             "allowed_scopes": "", "email_regex": "", "resource_url": null,
             "redirect_uris": ["https://spa.example/cb", "https://*.spa.example/cb"],
             "groups": null, "custom_claims": null},
            {"id": 3, "name": "Chat", "client_identifier": CHAT_ID,
             "secret": "chat-secret-with-hyphens-0123456789-abcdef", "signing_alg": "HS256",
             "type": "confidential", "flow_type": "code", "dcr": 0, "token_type": "opaque",
             "allowed_scopes": "openid roles custom:read", "email_regex": ".*@example\\.org",
             "resource_url": "https://api.example/",
             "redirect_uris": ["https://chat.example/oidc"], "groups": null,
             "custom_claims": ["department"]},
            {"id": 4, "name": "Odd", "client_identifier": ODD_ID,
             "secret": "OddSecret0123456789abcdefghijklmnopqr", "signing_alg": "RS256",
             "type": "confidential", "flow_type": "code", "dcr": 0, "token_type": "opaque",
             "allowed_scopes": "", "email_regex": "", "resource_url": null,
             "redirect_uris": ["https://odd.example/cb"], "groups": null, "custom_claims": null}
        ],
        "logout_redirect_uris": ["https://wiki.example/logged-out", "https://nowhere.example/bye"]
    })
}

fn import(admin: &Admin, app: &str, source: &str, extra: &[&str]) -> Value {
    let mut args = vec!["import", app, source, "--json"];
    args.extend_from_slice(extra);
    admin.run(&args).json()
}

fn show(admin: &Admin, id: &str) -> Value {
    let mut v = admin.run(&["client", "show", id, "--json"]).json();
    let o = v.as_object_mut().unwrap();
    o.remove("created_at");
    o.remove("updated_at");
    v
}

/// The entry for `id` in an import's output.
fn entry<'a>(out: &'a Value, id: &str) -> &'a Value {
    out["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {out}"))
}

fn warned(entry: &Value, about: &str) -> bool {
    entry["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains(about))
}

fn nextcloud_oidc_clients_are_imported_with_their_flags() {
    let source = TestDb::fresh();
    schema(&source, OIDC_SCHEMA);
    source.execute(OIDC_ROWS);
    let admin = Admin::fresh();

    // Allowed groups must exist here: the import refuses, naming them, and writes nothing.
    admin.refused(
        &["import", "nextcloud-oidc", source.url()],
        "staff (for Wiki)",
    );
    assert_eq!(admin.run(&["client", "list", "--json"]).json(), json!([]));
    admin.run(&["group", "create", "staff", "--json"]).json();

    let dry = import(&admin, "nextcloud-oidc", source.url(), &["--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(entry(&dry, WIKI_ID)["action"], "created");
    assert_eq!(entry(&dry, CHAT_ID)["secret"], "generated");
    assert!(entry(&dry, CHAT_ID)["client_secret"].is_null());
    assert_eq!(admin.run(&["client", "list", "--json"]).json(), json!([]));

    let out = import(&admin, "nextcloud-oidc", source.url(), &[]);
    assert_eq!(out["dry_run"], false);
    let wiki = entry(&out, WIKI_ID);
    assert_eq!(
        (&wiki["action"], &wiki["secret"]),
        (&json!("created"), &json!("imported"))
    );
    assert!(wiki["client_secret"].is_null());
    let shown = show(&admin, WIKI_ID);
    assert_eq!(shown["name"], "Wiki");
    assert_eq!(shown["type"], "confidential");
    assert_eq!(
        shown["redirect_uris"],
        json!([
            "https://wiki.example/callback",
            "https://wiki.example/other"
        ])
    );
    assert_eq!(shown["allowed_groups"], json!(["staff"]));
    assert_eq!(
        shown["scopes"],
        json!(["email", "groups", "openid", "profile"])
    );
    assert_eq!(
        shown["post_logout_redirect_uris"],
        json!(["https://wiki.example/logged-out"])
    );
    assert_eq!(shown["id_token_alg"], "RS256");

    let spa = entry(&out, SPA_ID);
    assert_eq!(spa["secret"], "none");
    assert!(warned(spa, "wildcard") && warned(spa, "dynamic client registration"));
    let shown = show(&admin, SPA_ID);
    assert_eq!(shown["type"], "public");
    assert_eq!(shown["implicit"], true);
    assert_eq!(shown["jwt_access_token"], true);
    assert_eq!(shown["redirect_uris"], json!(["https://spa.example/cb"]));

    let chat = entry(&out, CHAT_ID);
    assert_eq!(chat["secret"], "generated");
    let secret = chat["client_secret"].as_str().unwrap();
    assert_eq!(secret.len(), 43);
    assert!(warned(chat, "email_regex") && warned(chat, "department"));
    assert!(warned(chat, "custom:read"));
    let shown = show(&admin, CHAT_ID);
    assert_eq!(shown["id_token_alg"], "HS256");
    assert_eq!(shown["resources"], json!(["https://api.example/"]));
    assert_eq!(shown["scopes"], json!(["openid", "roles"]));

    let odd = entry(&out, ODD_ID);
    assert_eq!(odd["action"], "skipped");
    assert!(
        odd["reason"].as_str().unwrap().contains("client id"),
        "{odd}"
    );
    assert!(out["warnings"][0]
        .as_str()
        .unwrap()
        .contains("https://nowhere.example/bye"));
    admin.refused(&["client", "show", ODD_ID], "not found");

    // Again: nothing changes, no secret is issued again.
    let before = show(&admin, CHAT_ID);
    let again = import(&admin, "nextcloud-oidc", source.url(), &[]);
    for id in [WIKI_ID, SPA_ID, CHAT_ID] {
        assert_eq!(entry(&again, id)["action"], "unchanged", "{again}");
    }
    assert!(entry(&again, CHAT_ID)["client_secret"].is_null());
    assert_eq!(show(&admin, CHAT_ID), before);

    // A change in the source updates the client, and the dry run says so first.
    source.execute("UPDATE oc_oidc_clients SET name = 'Team wiki' WHERE id = 1");
    let dry = import(&admin, "nextcloud-oidc", source.url(), &["--dry-run"]);
    assert_eq!(entry(&dry, WIKI_ID)["action"], "updated");
    assert_eq!(show(&admin, WIKI_ID)["name"], "Wiki");
    let updated = import(&admin, "nextcloud-oidc", source.url(), &[]);
    assert_eq!(entry(&updated, WIKI_ID)["action"], "updated");
    assert_eq!(entry(&updated, WIKI_ID)["changes"], json!(["name"]));
    assert_eq!(show(&admin, WIKI_ID)["name"], "Team wiki");

    // The JSON export gives the same registrations as the database.
    let other = Admin::fresh();
    other.run(&["group", "create", "staff", "--json"]).json();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("oidc.json");
    std::fs::write(&file, oidc_json().to_string()).unwrap();
    let from_json = import(&other, "nextcloud-oidc", file.to_str().unwrap(), &[]);
    assert_eq!(entry(&from_json, ODD_ID)["action"], "skipped");
    let fresh = Admin::fresh();
    fresh.run(&["group", "create", "staff", "--json"]).json();
    source.execute("UPDATE oc_oidc_clients SET name = 'Wiki' WHERE id = 1");
    import(&fresh, "nextcloud-oidc", source.url(), &[]);
    for id in [WIKI_ID, SPA_ID, CHAT_ID] {
        assert_eq!(show(&other, id), show(&fresh, id), "{id}");
    }
}

/// apps/oauth2 of github.com/nextcloud/server, lib/Migration/Version010401Date20181207190718
/// (secret widened to 512 by Version011601Date20230522143227).
const NEXTCLOUD_OAUTH2_SCHEMA: &str = "
CREATE TABLE oc_oauth2_clients ({id}, name VARCHAR(64) NOT NULL,
  redirect_uri VARCHAR(2000) NOT NULL, client_identifier VARCHAR(64) NOT NULL,
  secret VARCHAR(512) NOT NULL);
";

fn nextcloud_oauth2_secrets_are_imported_only_in_clear() {
    let source = TestDb::fresh();
    schema(&source, NEXTCLOUD_OAUTH2_SCHEMA);
    let clear = "ClearSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
    let hmac = "ab".repeat(64);
    source.execute(&format!(
        "INSERT INTO oc_oauth2_clients (name, redirect_uri, client_identifier, secret) VALUES
         ('Old app', 'https://old.example/cb', 'OldApp0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU', '{clear}'),
         ('New app', 'https://new.example/cb', 'NewApp0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU', '{hmac}'),
         ('Mid app', 'https://mid.example/cb', 'MidApp0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU', 'c2VjcmV0|00ff|abcd|v2')"
    ));
    let admin = Admin::fresh();
    let out = import(&admin, "nextcloud-oauth2", source.url(), &[]);
    let old = entry(
        &out,
        "OldApp0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU",
    );
    assert_eq!(
        (&old["action"], &old["secret"]),
        (&json!("created"), &json!("imported"))
    );
    let new = entry(
        &out,
        "NewApp0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU",
    );
    assert_eq!(new["secret"], "generated");
    assert!(new["client_secret"].is_string() && warned(new, "HMAC"));
    let mid = entry(
        &out,
        "MidApp0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU",
    );
    assert!(mid["client_secret"].is_string() && warned(mid, "encrypted"));
    let shown = show(
        &admin,
        "OldApp0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU",
    );
    assert_eq!(shown["redirect_uris"], json!(["https://old.example/cb"]));
    assert_eq!(shown["refresh_without_offline_access"], true);
    // Again: the secrets generated the first time stay.
    let again = import(&admin, "nextcloud-oauth2", source.url(), &[]);
    assert!(again["clients"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["action"] == "unchanged" && c["client_secret"].is_null()));
}

/// github.com/owncloud/oauth2 0.7.1: appinfo/database.xml, `trusted` from
/// appinfo/Migrations/Version20201123114127; the rows Version20170329194544 adds.
pub const OWNCLOUD_SCHEMA: &str = "
CREATE TABLE oc_oauth2_clients ({id}, identifier VARCHAR(64) NOT NULL,
  secret VARCHAR(64) NOT NULL, redirect_uri VARCHAR(2000) NOT NULL, name VARCHAR(80) NOT NULL,
  allow_subdomains BOOLEAN NOT NULL DEFAULT false, trusted BOOLEAN NOT NULL DEFAULT false);
CREATE UNIQUE INDEX name_idx ON oc_oauth2_clients (name);
INSERT INTO oc_oauth2_clients (identifier, secret, redirect_uri, name, allow_subdomains, trusted) VALUES
 ('xdXOt13JKxym1B1QcEncf2XDkLAexMBFwiT9j6EfhhHFJhs2KM9jbjTmf8JBXE69',
  'UBntmLjC2yYCeHwsyj73Uwo9TAaecAetRwMw0xYcvNL9yRdLSUi0hUAHfvCHFeFh', 'http://localhost:*',
  'Desktop Client', false, false),
 ('e4rAsNUSIUs0lF4nbv9FmCeUkTlV9GdgTLDH1b5uie7syb90SzEVrbN7HIpmWJeD',
  'dInFYGV33xKzhbRmpqQltYNdfLdJIfJ9L5ISoKhNoT9qZftpdWSP71VrpGR9pmoD', 'oc://android.owncloud.com',
  'Android', false, false);
";

/// The ownCloud Android app's id and secret, as the app ships them.
pub const OWNCLOUD_ANDROID: (&str, &str) = (
    "e4rAsNUSIUs0lF4nbv9FmCeUkTlV9GdgTLDH1b5uie7syb90SzEVrbN7HIpmWJeD",
    "dInFYGV33xKzhbRmpqQltYNdfLdJIfJ9L5ISoKhNoT9qZftpdWSP71VrpGR9pmoD",
);

fn owncloud_clients_keep_their_secrets_and_flags() {
    let source = TestDb::fresh();
    schema(&source, OWNCLOUD_SCHEMA);
    source.execute(
        "INSERT INTO oc_oauth2_clients (identifier, secret, redirect_uri, name, allow_subdomains, trusted)
         VALUES ('Portal0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV',
                 'PortalSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP',
                 'https://portal.example/cb', 'Portal', true, true)",
    );
    let admin = Admin::fresh();
    let out = import(&admin, "owncloud-oauth2", source.url(), &[]);
    let desktop = entry(
        &out,
        "xdXOt13JKxym1B1QcEncf2XDkLAexMBFwiT9j6EfhhHFJhs2KM9jbjTmf8JBXE69",
    );
    assert_eq!(desktop["action"], "skipped");
    assert!(desktop["reason"].as_str().unwrap().contains("localhost:*"));
    let android = entry(&out, OWNCLOUD_ANDROID.0);
    assert_eq!(
        (&android["action"], &android["secret"]),
        (&json!("created"), &json!("imported"))
    );
    let shown = show(&admin, OWNCLOUD_ANDROID.0);
    assert_eq!(shown["redirect_uris"], json!(["oc://android.owncloud.com"]));
    assert_eq!(shown["token_response_user_id"], true);
    assert_eq!(shown["first_party"], false);
    let portal = entry(
        &out,
        "Portal0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV",
    );
    assert!(warned(portal, "allow_subdomains"));
    let shown = show(
        &admin,
        "Portal0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV",
    );
    assert_eq!(shown["first_party"], true);
    // Text output names every client and what happened.
    let text = admin.run(&["import", "owncloud-oauth2", source.url(), "--dry-run"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(text.stdout.contains("unchanged") && text.stdout.contains("skipped"));
    assert!(
        text.stdout.contains("dry run: nothing was written"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_source_that_is_not_the_apps_database_is_refused() {
    let admin = Admin::fresh();
    let source = TestDb::of(Backend::Sqlite);
    source.execute("CREATE TABLE unrelated (x INTEGER)");
    admin.refused(
        &["import", "nextcloud-oidc", source.url()],
        "no table oc_oidc_clients",
    );
    admin.refused(
        &["import", "owncloud-oauth2", "/nonexistent/owncloud.db"],
        "is not a file",
    );
    let run = admin.run(&[
        "import",
        "nextcloud-oauth2",
        source.url(),
        "--table-prefix",
        "x;y",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

idp_testdb::on_both_backends!(
    nextcloud_oidc_clients_are_imported_with_their_flags,
    nextcloud_oauth2_secrets_are_imported_only_in_clear,
    owncloud_clients_keep_their_secrets_and_flags,
);
