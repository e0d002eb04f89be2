//! The `idp-server` binary: configuration errors and start-up.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn server() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("idp-server"));
    for (key, _) in std::env::vars() {
        if key.starts_with("IDP_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

fn fails_with_exit_2(args: &[&str], envs: &[(&str, &str)], mentions: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = server()
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?} {envs:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(mentions), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(
        !dir.path().join("idp-data").exists(),
        "nothing created on a config error"
    );
}

#[test]
fn bad_configuration_is_one_line_naming_the_setting_and_exit_2() {
    fails_with_exit_2(&["--listen", "not-an-address"], &[], "listen");
    fails_with_exit_2(&["--issuer", "ftp://x"], &[], "issuer");
    fails_with_exit_2(
        &[],
        &[("IDP_ACCESS_TOKEN_LIFETIME", "soon")],
        "access_token_lifetime",
    );
    fails_with_exit_2(&["--config", "missing.toml"], &[], "missing.toml");
}

#[test]
fn a_bad_config_file_value_names_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("idp.toml");
    std::fs::write(
        &file,
        "issuer = \"https://idp.example\"\nauthorization_code_lifetime = 3600\n",
    )
    .unwrap();
    fails_with_exit_2(
        &["--config", file.to_str().unwrap()],
        &[],
        "authorization_code_lifetime",
    );
}

#[test]
fn starts_with_sqlite_under_idp_data_and_logs_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = server()
        .args(["--listen", "127.0.0.1:0"])
        .env("IDP_LOG", "info")
        .current_dir(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut listening = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            listening = Some(rest.split_whitespace().next().unwrap().to_owned());
            break;
        }
    }
    // Keep draining the log so the server never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let addr = listening.expect("the server logs the address it listens on");
    assert!(
        addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"),
        "{addr}"
    );
    let body = std::net::TcpStream::connect(&addr).map(|mut s| {
        use std::io::{Read, Write};
        write!(s, "GET /.well-known/openid-configuration HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let body = body.unwrap();
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(
        body.contains(&format!("\"issuer\":\"http://{addr}\"")),
        "{body}"
    );
    assert!(dir.path().join("idp-data/idp.db").exists());
}
