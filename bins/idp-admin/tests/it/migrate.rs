//! `idp-admin migrate --from URL --to URL`.

use serde_json::Value;

use crate::{Admin, Run};

const PASSWORD: &str = "correct horse battery staple\n";

/// A user `alice` in the group `staff` and a client, made with the binary on `admin`'s
/// database; gives the client's id.
fn populate(admin: &Admin) -> String {
    admin.run(&["group", "create", "staff", "--json"]).json();
    admin
        .run_with_stdin(
            &[
                "user",
                "create",
                "--username",
                "alice",
                "--password-stdin",
                "--group",
                "staff",
                "--json",
            ],
            PASSWORD,
        )
        .json();
    let client = admin.create_client(&[
        "--name",
        "Files",
        "--redirect-uri",
        "https://files.example/cb",
    ]);
    client["client_id"].as_str().unwrap().to_owned()
}

/// Runs `idp-admin ARGS` with no configured database.
fn admin(args: &[&str]) -> Run {
    Admin::collect(Admin::command().args(args))
}

/// The users and clients on the database at `url`, as `idp-admin` lists them.
fn listed(url: &str) -> (Value, Value) {
    let list = |what| admin(&["--database-url", url, what, "list", "--json"]).json();
    (list("user"), list("client"))
}

/// Checks that `idp-admin` finds `alice` and the client `client_id` at `url`.
fn has_alice_and_client(url: &str, client_id: &str) {
    let (users, clients) = listed(url);
    assert_eq!(users.as_array().unwrap().len(), 1, "{users}");
    assert_eq!(users[0]["username"], "alice");
    assert_eq!(clients.as_array().unwrap().len(), 1, "{clients}");
    assert_eq!(clients[0]["client_id"], client_id);
    assert_eq!(clients[0]["name"], "Files");
}

/// A second copy into the same target (holding `alice` and the client `client_id`) fails,
/// says why, and changes nothing.
fn refused_as_not_empty(from: &str, to: &str, client_id: &str) {
    let run = admin(&["migrate", "--from", from, "--to", to]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.starts_with("error: ") && run.stderr.contains("not empty"),
        "{}",
        run.stderr
    );
    has_alice_and_client(to, client_id);
}

#[test]
fn migrate_copies_into_an_empty_database_printing_rows_per_table() {
    let (source, target) = (Admin::fresh(), Admin::fresh());
    let client_id = populate(&source);
    let run = admin(&["migrate", "--from", &source.url, "--to", &target.url]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<(&str, u64)> = run
        .stdout
        .lines()
        .map(
            |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                [table, rows] => (table, rows.parse().unwrap()),
                _ => panic!("not TABLE ROWS: {line:?}"),
            },
        )
        .collect();
    assert_eq!(
        &lines[..4],
        [
            ("users", 1),
            ("user_groups", 1),
            ("group_members", 1),
            ("clients", 1)
        ]
    );
    assert_eq!(lines.last(), Some(&("total", 4)));
    assert_eq!(lines.len(), 22, "{}", run.stdout);
    has_alice_and_client(&target.url, &client_id);
    let groups = target.run(&["group", "list", "--json"]).json();
    assert_eq!(groups[0]["members"], serde_json::json!(["alice"]));
    refused_as_not_empty(&source.url, &target.url, &client_id);
}

#[test]
fn migrate_copies_sqlite_into_postgresql() {
    idp_testdb::run_on(idp_testdb::Backend::Postgres, || {
        let source = Admin::fresh();
        let client_id = populate(&source);
        let pg = idp_testdb::TestDb::of(idp_testdb::Backend::Postgres);
        let report = admin(&["migrate", "--from", &source.url, "--to", pg.url(), "--json"]).json();
        assert_eq!(report["total"], 4);
        assert_eq!(report["tables"][0]["table"], "users");
        assert_eq!(report["tables"][0]["rows"], 1);
        assert_eq!(report["tables"].as_array().unwrap().len(), 21);
        has_alice_and_client(pg.url(), &client_id);
        refused_as_not_empty(&source.url, pg.url(), &client_id);
    });
}

#[test]
fn migrate_refuses_a_missing_source_and_never_prints_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let target = format!("sqlite://{}/target.db", dir.path().display());
    let run = admin(&[
        "migrate",
        "--from",
        &format!("sqlite://{}", missing.display()),
        "--to",
        &target,
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
    assert!(!missing.exists());

    let source = Admin::fresh();
    populate(&source);
    // Nothing listens on port 9.
    let run = admin(&[
        "migrate",
        "--from",
        &source.url,
        "--to",
        "postgres://postgres:hunter2@127.0.0.1:9/idp",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("--to")
            && run.stderr.contains("REDACTED")
            && !run.stderr.contains("hunter2"),
        "{}",
        run.stderr
    );
    let run = admin(&[
        "migrate",
        "--from",
        "mysql://root:hunter2@127.0.0.1/idp",
        "--to",
        &target,
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--from") && !run.stderr.contains("hunter2"),
        "{}",
        run.stderr
    );
}
