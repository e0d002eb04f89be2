//! The `idp-admin` binary run as a process against a fresh SQLite database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod clients;
mod config;
mod import;
mod keys;
mod migrate;
mod settings;
mod users;

use assert_cmd::Command;
use serde_json::Value;

/// A temporary database and a way to run `idp-admin` against it.
pub struct Admin {
    pub url: String,
    _dir: tempfile::TempDir,
}

/// What a run printed.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {:?}", self.stdout))
    }
}

impl Admin {
    pub fn fresh() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Admin {
            url: format!("sqlite://{}/idp.db", dir.path().display()),
            _dir: dir,
        }
    }

    /// `client create ARGS --json`, which must succeed, as JSON.
    pub fn create_client(&self, args: &[&str]) -> Value {
        let mut full = vec!["client", "create"];
        full.extend_from_slice(args);
        full.push("--json");
        self.run(&full).json()
    }

    /// The key file beside the SQLite database (made when a key is first sealed).
    pub fn key_file(&self) -> String {
        format!("{}.kek", self.url.trim_start_matches("sqlite://"))
    }

    /// `key rewrap` to `new_key` (base64), as JSON.
    pub fn rewrap(&self, new_key: &str) -> Value {
        self.run_with_stdin(
            &["key", "rewrap", "--new-key-stdin", "--json"],
            &format!("{new_key}\n"),
        )
        .json()
    }

    fn command() -> Command {
        let mut cmd = Command::cargo_bin("idp-admin").unwrap();
        for (key, _) in std::env::vars() {
            if key.starts_with("IDP_") {
                cmd.env_remove(key);
            }
        }
        cmd
    }

    /// Runs a prepared command and collects what it printed.
    fn collect(cmd: &mut Command) -> Run {
        let out = cmd.output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// Runs with `--database-url` and `stdin`.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        Self::collect(
            Self::command()
                .arg("--database-url")
                .arg(&self.url)
                .args(args)
                .write_stdin(stdin),
        )
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    /// Runs and expects failure with exit code 1, nothing on stdout and a message.
    pub fn refused(&self, args: &[&str], mentions: &str) {
        let run = self.run(args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stdout);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(
            run.stderr.starts_with("error: ") && run.stderr.contains(mentions),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn configuration_errors_exit_2() {
    let run = Admin::command()
        .args(["--config", "/nonexistent/idp.toml", "user", "list"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("/nonexistent/idp.toml"));
    let run = Admin::command()
        .args(["--database-url", "mysql://x/y", "user", "list"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let run = Admin::command()
        .args(["user", "frobnicate"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
}

#[test]
fn the_database_url_can_come_from_the_environment() {
    let admin = Admin::fresh();
    Admin::collect(
        Admin::command()
            .env("IDP_DATABASE_URL", &admin.url)
            .args(["group", "create", "staff", "--json"]),
    )
    .json();
    let groups = admin.run(&["group", "list", "--json"]).json();
    assert_eq!(groups[0]["name"], "staff");
}

#[test]
fn rotated_keys_are_published_first_and_activate_after_the_delay() {
    let admin = Admin::fresh();
    assert_eq!(
        admin.run(&["key", "list", "--json"]).json(),
        serde_json::json!([])
    );
    let rotate = |delay: &str| {
        Admin::collect(
            Admin::command()
                .env("IDP_KEY_ACTIVATION_DELAY", delay)
                .args(["--database-url", &admin.url, "key", "rotate", "--json"]),
        )
        .json()
    };
    let first = rotate("0");
    assert_eq!(first["state"], "active");
    // The default delay (an hour) publishes the key but keeps the first one signing.
    let second = admin.run(&["key", "rotate", "--json"]).json();
    assert_eq!(second["state"], "published");
    assert_ne!(first["kid"], second["kid"]);
    let states = |admin: &Admin| {
        admin
            .run(&["key", "list", "--json"])
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    k["kid"].as_str().unwrap().to_owned(),
                    k["state"].as_str().unwrap().to_owned(),
                )
            })
            .collect::<std::collections::HashMap<_, _>>()
    };
    let s = states(&admin);
    assert_eq!(s[first["kid"].as_str().unwrap()], "active");
    assert_eq!(s[second["kid"].as_str().unwrap()], "published");
    // A key activated at once supersedes the first, which is then retired (within the
    // first key's second it activates a second later, so wait for that).
    let third = rotate("0");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let s = states(&admin);
    assert_eq!(s[first["kid"].as_str().unwrap()], "retired");
    assert_eq!(s[third["kid"].as_str().unwrap()], "active");
    let keys = admin.run(&["key", "list", "--json"]).json();
    assert_eq!(keys[0]["alg"], "RS256");
    assert!(keys[0]["activate_at"].is_string());
    let text = admin.run(&["key", "list"]);
    for state in ["active", "published", "retired"] {
        assert!(text.stdout.contains(state), "{}", text.stdout);
    }
}
