//! The `idp-server` binary: configuration errors and start-up.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod declared;
mod key_encryption;

use std::process::Command;
use std::time::Duration;

use idp_testdb::process::Running;

/// A key-encryption key for tests (base64 of 32 bytes).
const TEST_KEK: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

fn server() -> Command {
    idp_testdb::process::command(std::path::Path::new(env!("CARGO_BIN_EXE_idp-server")))
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

/// A plain HTTP/1.1 GET; the whole response.
fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn starts_with_sqlite_under_idp_data_and_logs_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let mut running = Running::spawn(
        server()
            .args(["--listen", "127.0.0.1:0"])
            .env("IDP_LOG", "info")
            .current_dir(dir.path()),
    );
    let addr = running.listening_address(Duration::from_secs(60));
    assert!(
        addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"),
        "{addr}"
    );
    let body = http_get(&addr, "/.well-known/openid-configuration");
    drop(running);
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(
        body.contains(&format!("\"issuer\":\"http://{addr}\"")),
        "{body}"
    );
    assert!(dir.path().join("idp-data/idp.db").exists());
}

fn a_database_that_is_down_at_start_is_retried_with_back_off_until_it_answers() {
    let db = idp_testdb::TestDb::fresh();
    let name = db.postgres_name().unwrap().to_owned();
    db.admin_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
    // The local server trusts every connection, so the password is ignored: it is here
    // to show that logs never carry it.
    let mut url = url::Url::parse(db.url()).unwrap();
    url.set_password(Some("hunter2")).unwrap();
    let mut running = Running::spawn(
        server()
            .args(["--listen", "127.0.0.1:0", "--database-url", url.as_str()])
            .env("IDP_KEY_ENCRYPTION_KEY", TEST_KEK)
            .env("IDP_LOG", "info"),
    );
    let first = running.wait_for("database unavailable; retrying", Duration::from_secs(30));
    assert!(first.contains("attempt=1"), "{first}");
    running.wait_for("attempt=2", Duration::from_secs(30));
    db.admin_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
    let addr = running.listening_address(Duration::from_secs(60));
    let body = http_get(&addr, "/.well-known/openid-configuration");
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    let log = running.log();
    assert!(!log.contains("hunter2"), "{log}");
    assert!(log.contains("REDACTED"), "{log}");
}

#[test]
fn postgres_down_at_start() {
    idp_testdb::run_on(
        idp_testdb::Backend::Postgres,
        a_database_that_is_down_at_start_is_retried_with_back_off_until_it_answers,
    );
}

#[test]
fn metrics_are_served_on_their_own_listener_only_and_logs_can_be_json() {
    let dir = tempfile::tempdir().unwrap();
    let mut running = Running::spawn(
        server()
            .args(["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"])
            .env("IDP_LOG", "info")
            .env("IDP_LOG_FORMAT", "json")
            .current_dir(dir.path()),
    );
    let line = running.wait_for("metrics on http://", Duration::from_secs(60));
    let metrics_addr = line
        .split("metrics on http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    let addr = running.listening_address(Duration::from_secs(60));
    assert!(http_get(&addr, "/healthz").starts_with("HTTP/1.1 200"));
    assert!(http_get(&addr, "/metrics").starts_with("HTTP/1.1 404"));
    let metrics = http_get(&metrics_addr, "/metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(
        metrics.contains(
            "idp_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("idp_db_pool_connections "), "{metrics}");
    // The metrics listener serves nothing else.
    assert!(
        http_get(&metrics_addr, "/.well-known/openid-configuration").starts_with("HTTP/1.1 404")
    );
    for line in running.log().lines() {
        let parsed: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(parsed["level"].is_string(), "{line}");
    }
}

/// A raw HTTP/1.1 POST of a form; the whole response.
fn http_post_form(addr: &str, path: &str, form: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\
         content-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n{form}",
        form.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn sigterm_finishes_requests_in_flight_then_exits_0() {
    let db = idp_testdb::TestDb::fresh();
    let mut running = Running::spawn(
        server()
            .args(["--listen", "127.0.0.1:0", "--database-url", db.url()])
            .env("IDP_KEY_ENCRYPTION_KEY", TEST_KEK)
            .env("IDP_LOG", "info"),
    );
    let addr = running.listening_address(Duration::from_secs(60));
    // Hold the clients table, so a token request waits in the database.
    let lock = db.begin("LOCK TABLE clients IN ACCESS EXCLUSIVE MODE");
    let in_flight = {
        let addr = addr.clone();
        std::thread::spawn(move || {
            http_post_form(
                &addr,
                "/token",
                "grant_type=authorization_code&code=x&client_id=nobody&client_secret=s",
            )
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    let killed = Command::new("kill")
        .args(["-TERM", &running.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // Still finishing the request: the process waits for it.
    assert_eq!(running.wait_exit(Duration::from_millis(500)), None);
    lock.commit();
    let response = in_flight.join().unwrap();
    assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    assert_eq!(
        running.wait_exit(Duration::from_secs(30)),
        Some(0),
        "{}",
        running.log()
    );
    // No new connections after the signal.
    assert!(std::net::TcpStream::connect(&addr).is_err());
}

#[test]
fn sigterm_is_a_graceful_shutdown() {
    idp_testdb::run_on(
        idp_testdb::Backend::Postgres,
        sigterm_finishes_requests_in_flight_then_exits_0,
    );
}
