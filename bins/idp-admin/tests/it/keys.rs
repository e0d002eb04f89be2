//! `key rotate --alg`, `key list`, `key retire`, and `key rewrap`: every private key and
//! every sealed client secret re-encrypted under a new key-encryption key.

use crate::{Admin, Run};

const OLD: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
const NEW: &str = "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=";

/// Runs `idp-admin` on `url` with `IDP_KEY_ENCRYPTION_KEY` = `kek` (if any).
fn run(url: &str, kek: Option<&str>, args: &[&str], stdin: &str) -> Run {
    let mut cmd = Admin::command();
    cmd.arg("--database-url")
        .arg(url)
        .args(args)
        .write_stdin(stdin);
    if let Some(kek) = kek {
        cmd.env("IDP_KEY_ENCRYPTION_KEY", kek);
    }
    Admin::collect(&mut cmd)
}

#[test]
fn rewrap_replaces_the_sqlite_key_file_and_the_old_key_stops_working() {
    let admin = Admin::fresh();
    admin.run(&["key", "rotate", "--json"]).json();
    let path = admin.key_file();
    let old = std::fs::read_to_string(&path).unwrap();

    let rewrapped = admin.rewrap(NEW);
    assert_eq!(rewrapped["keys"], 1);
    assert_eq!(rewrapped["key_file"], path.as_str());
    assert_eq!(std::fs::read_to_string(&path).unwrap().trim(), NEW);
    assert!(!std::path::Path::new(&format!("{path}.new")).exists());
    assert_eq!(admin.run(&["key", "rotate", "--json"]).code, 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The old key no longer opens them: a configuration error naming the setting.
    std::fs::write(&path, old).unwrap();
    let run = admin.run(&["key", "rotate"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("key_encryption_key"), "{}", run.stderr);
}

#[test]
fn a_bad_new_key_changes_nothing() {
    let admin = Admin::fresh();
    admin.run(&["key", "rotate", "--json"]).json();
    let path = admin.key_file();
    let before = std::fs::read_to_string(&path).unwrap();
    let run = admin.run_with_stdin(&["key", "rewrap", "--new-key-stdin"], "too-short\n");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("new key"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    assert_eq!(admin.run(&["key", "rotate", "--json"]).code, 0);
}

fn rewrap_under_the_setting_then_only_the_new_key_opens_the_keys() {
    let db = idp_testdb::TestDb::fresh();
    let url = db.url();
    // PostgreSQL has no key file: without the setting, a configuration error.
    let refused = run(url, None, &["key", "rotate"], "");
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("key_encryption_key"),
        "{}",
        refused.stderr
    );

    assert_eq!(
        run_ok(url, OLD, &["key", "rotate", "--json"], "")["alg"],
        "RS256"
    );
    assert_eq!(
        run_ok(url, OLD, &["key", "rotate", "--json"], "")["alg"],
        "RS256"
    );
    // An HS256 client's secret is sealed under the same key, and rewrapped with them.
    run_ok(
        url,
        OLD,
        &[
            "client",
            "create",
            "--name",
            "Server",
            "--redirect-uri",
            "https://server.example/cb",
            "--id-token-alg",
            "HS256",
            "--json",
        ],
        "",
    );
    let rewrapped = run_ok(
        url,
        OLD,
        &["key", "rewrap", "--new-key-stdin", "--json"],
        &format!("{NEW}\n"),
    );
    assert_eq!(rewrapped["keys"], 2);
    assert_eq!(rewrapped["client_secrets"], 1);
    assert!(rewrapped["key_file"].is_null());
    assert_eq!(run(url, Some(OLD), &["key", "rotate"], "").code, 2);
    assert_eq!(
        run_ok(url, NEW, &["key", "list", "--json"], "")
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The start-up check (every key and the client's secret open) passes with the new key.
    run_ok(url, NEW, &["key", "rotate", "--json"], "");
}

fn run_ok(url: &str, kek: &str, args: &[&str], stdin: &str) -> serde_json::Value {
    run(url, Some(kek), args, stdin).json()
}

/// Runs on a SQLite `admin` database with extra `IDP_` settings.
fn run_env(admin: &Admin, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = Admin::command();
    cmd.arg("--database-url").arg(&admin.url).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    Admin::collect(&mut cmd)
}

fn listed(admin: &Admin) -> Vec<serde_json::Value> {
    admin
        .run(&["key", "list", "--json"])
        .json()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn keys_rotate_per_algorithm_and_list_with_state_dates_and_publication() {
    let admin = Admin::fresh();
    let mut kids = Vec::new();
    for (args, alg) in [
        (&["key", "rotate", "--json"][..], "RS256"),
        (&["key", "rotate", "--alg", "ES256", "--json"][..], "ES256"),
        (&["key", "rotate", "--alg", "EdDSA", "--json"][..], "EdDSA"),
    ] {
        let key = admin.run(args).json();
        assert_eq!(key["alg"], alg);
        assert_eq!(
            key["state"], "published",
            "signs after the activation delay"
        );
        assert_eq!(key["in_jwks"], true);
        assert!(key["retired_at"].is_null());
        assert!(key["kid"].as_str().is_some_and(|k| k.len() == 43));
        kids.push(key["kid"].as_str().unwrap().to_owned());
    }
    let keys = listed(&admin);
    assert_eq!(keys.len(), 3);
    for key in &keys {
        for member in [
            "kid",
            "alg",
            "state",
            "created_at",
            "activate_at",
            "in_jwks",
        ] {
            assert!(!key[member].is_null(), "{member}: {key}");
        }
        assert!(kids.contains(&key["kid"].as_str().unwrap().to_owned()));
    }
    let text = admin.run(&["key", "list"]);
    assert_eq!(text.code, 0);
    for column in [
        "KID",
        "ALG",
        "STATE",
        "CREATED",
        "ACTIVATES",
        "RETIRED",
        "IN JWKS",
    ] {
        assert!(text.stdout.contains(column), "{}", text.stdout);
    }
    assert!(text.stdout.contains("EdDSA") && text.stdout.contains("published"));
    // HS256 has no provider key (it signs with client secrets), and `none` is no algorithm.
    for alg in ["HS256", "none"] {
        let run = admin.run(&["key", "rotate", "--alg", alg]);
        assert_eq!(run.code, 2, "{alg}: {}", run.stderr);
        assert!(run.stderr.contains("RS256, ES256, EdDSA"), "{}", run.stderr);
    }
}

#[test]
fn keys_retire_unless_they_are_the_only_one_of_their_algorithm_that_signs() {
    let admin = Admin::fresh();
    let now = [("IDP_KEY_ACTIVATION_DELAY", "0")];
    let first = run_env(&admin, &now, &["key", "rotate", "--alg", "ES256", "--json"]).json();
    assert_eq!(first["state"], "active");
    let first = first["kid"].as_str().unwrap().to_owned();
    admin.refused(&["key", "retire", &first], "only ES256 key");
    admin.refused(&["key", "retire", &first], "key rotate --alg ES256");
    admin.refused(&["key", "retire", "no-such-kid"], "no-such-kid");

    // With a newer ES256 key published, the old one may go; the newer one signs at once.
    let second = admin
        .run(&["key", "rotate", "--alg", "ES256", "--json"])
        .json()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let retired = admin.run(&["key", "retire", &first, "--json"]).json();
    assert_eq!(retired["kid"], first.as_str());
    assert_eq!(retired["state"], "retired");
    assert!(retired["retired_at"].is_string());
    assert_eq!(retired["in_jwks"], true, "published for the grace period");
    let keys = listed(&admin);
    let row = |kid: &str| keys.iter().find(|k| k["kid"] == kid).unwrap().clone();
    assert_eq!(row(&second)["state"], "active");
    assert_eq!(row(&first)["retired_at"], retired["retired_at"]);
    admin.refused(&["key", "retire", &first], "already retired");
    admin.refused(&["key", "retire", &second], "only ES256 key");

    // A grace period of 0: the retired key is no longer published.
    let gone = run_env(
        &admin,
        &[("IDP_RETIRED_KEY_GRACE", "0")],
        &["key", "list", "--json"],
    )
    .json();
    let gone = gone
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == first.as_str())
        .unwrap()
        .clone();
    assert_eq!(gone["in_jwks"], false, "{gone}");
}

#[test]
fn rewrap_reseals_the_secrets_of_hs256_clients_too() {
    let admin = Admin::fresh();
    let client = admin.create_client(&[
        "--name",
        "Server",
        "--redirect-uri",
        "https://server.example/cb",
        "--id-token-alg",
        "HS256",
    ]);
    let id = client["client_id"].as_str().unwrap().to_owned();
    let path = admin.key_file();
    let old = std::fs::read_to_string(&path).unwrap();

    let rewrapped = admin.rewrap(NEW);
    assert_eq!(rewrapped["keys"], 0);
    assert_eq!(rewrapped["client_secrets"], 1);
    assert_eq!(std::fs::read_to_string(&path).unwrap().trim(), NEW);
    assert_eq!(admin.run(&["key", "rotate", "--json"]).code, 0);

    // The secret no longer opens under the old key: the start-up check names the client.
    std::fs::write(&path, old).unwrap();
    let run = admin.run(&["key", "list"]);
    assert_eq!(run.code, 0, "listing needs no key-encryption key");
    let run = admin.run(&["key", "rotate"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("key_encryption_key"), "{}", run.stderr);
    assert!(run.stderr.contains(&id), "{}", run.stderr);
}

#[test]
fn postgres_rewrap() {
    idp_testdb::run_on(
        idp_testdb::Backend::Postgres,
        rewrap_under_the_setting_then_only_the_new_key_opens_the_keys,
    );
}
