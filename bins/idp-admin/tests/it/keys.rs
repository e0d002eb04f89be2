//! `key rewrap`: every private key re-encrypted under a new key-encryption key.

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
    let path = admin.url.trim_start_matches("sqlite://").to_owned() + ".kek";
    let old = std::fs::read_to_string(&path).unwrap();

    let rewrapped = admin
        .run_with_stdin(
            &["key", "rewrap", "--new-key-stdin", "--json"],
            &format!("{NEW}\n"),
        )
        .json();
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
    let path = admin.url.trim_start_matches("sqlite://").to_owned() + ".kek";
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
    let rewrapped = run_ok(
        url,
        OLD,
        &["key", "rewrap", "--new-key-stdin", "--json"],
        &format!("{NEW}\n"),
    );
    assert_eq!(rewrapped["keys"], 2);
    assert!(rewrapped["key_file"].is_null());
    assert_eq!(run(url, Some(OLD), &["key", "rotate"], "").code, 2);
    assert_eq!(
        run_ok(url, NEW, &["key", "list", "--json"], "")
            .as_array()
            .unwrap()
            .len(),
        2
    );
    run_ok(url, NEW, &["key", "rotate", "--json"], "");
}

fn run_ok(url: &str, kek: &str, args: &[&str], stdin: &str) -> serde_json::Value {
    run(url, Some(kek), args, stdin).json()
}

#[test]
fn postgres_rewrap() {
    idp_testdb::run_on(
        idp_testdb::Backend::Postgres,
        rewrap_under_the_setting_then_only_the_new_key_opens_the_keys,
    );
}
