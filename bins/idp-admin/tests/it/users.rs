use crate::Admin;

const PASSWORD: &str = "correct horse battery staple\n";

#[test]
fn user_create_prints_the_user_as_json_without_the_password() {
    let admin = Admin::fresh();
    let run = admin.run_with_stdin(
        &[
            "user",
            "create",
            "--username",
            "alice",
            "--password-stdin",
            "--email",
            "alice@example.com",
            "--email-verified",
            "--name",
            "Alice Example",
            "--json",
        ],
        PASSWORD,
    );
    let user = run.json();
    assert_eq!(user["username"], "alice");
    assert_eq!(user["email"], "alice@example.com");
    assert_eq!(user["email_verified"], true);
    assert_eq!(user["name"], "Alice Example");
    assert_eq!(user["id"].as_str().unwrap().len(), 36);
    assert!(!run.stdout.contains("argon2") && !run.stdout.contains("correct horse"));

    let shown = admin.run(&["user", "show", "alice", "--json"]).json();
    assert_eq!(shown["id"], user["id"]);
    let text = admin.run(&["user", "show", "alice"]);
    assert!(text.stdout.contains("alice@example.com"), "{}", text.stdout);
}

#[test]
fn duplicate_usernames_and_weak_passwords_are_refused() {
    let admin = Admin::fresh();
    assert_eq!(
        admin
            .run_with_stdin(
                &["user", "create", "--username", "bob", "--password-stdin"],
                PASSWORD
            )
            .code,
        0
    );
    let run = admin.run_with_stdin(
        &[
            "user",
            "create",
            "--username",
            "bob",
            "--password-stdin",
            "--json",
        ],
        PASSWORD,
    );
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    let run = admin.run_with_stdin(
        &["user", "create", "--username", "carl", "--password-stdin"],
        "short\n",
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("at least 8"), "{}", run.stderr);
    let run = admin.run_with_stdin(
        &["user", "create", "--username", "carl", "--password-stdin"],
        "",
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("stdin"), "{}", run.stderr);
}

#[test]
fn a_missing_group_leaves_no_user_behind() {
    let admin = Admin::fresh();
    let run = admin.run_with_stdin(
        &[
            "user",
            "create",
            "--username",
            "dave",
            "--password-stdin",
            "--group",
            "nope",
        ],
        PASSWORD,
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("group nope"), "{}", run.stderr);
    assert_eq!(
        admin.run(&["user", "list", "--json"]).json(),
        serde_json::json!([])
    );
}

#[test]
fn groups_and_members_are_managed() {
    let admin = Admin::fresh();
    admin.run(&["group", "create", "staff"]);
    admin.run_with_stdin(
        &[
            "user",
            "create",
            "--username",
            "erin",
            "--password-stdin",
            "--group",
            "staff",
        ],
        PASSWORD,
    );
    admin.run_with_stdin(
        &["user", "create", "--username", "frank", "--password-stdin"],
        PASSWORD,
    );
    admin
        .run(&["group", "add-member", "staff", "frank", "--json"])
        .json();
    let groups = admin.run(&["group", "list", "--json"]).json();
    assert_eq!(groups.as_array().unwrap().len(), 1);
    assert_eq!(groups[0]["name"], "staff");
    assert_eq!(groups[0]["members"], serde_json::json!(["erin", "frank"]));
    // A stable id, what clients asking for group ids see.
    assert_eq!(groups[0]["id"].as_str().unwrap().len(), 22);
    assert_eq!(
        admin.run(&["user", "show", "erin", "--json"]).json()["groups"],
        serde_json::json!(["staff"])
    );
    admin
        .run(&["group", "remove-member", "staff", "erin", "--json"])
        .json();
    admin.refused(&["group", "remove-member", "staff", "erin"], "not a member");
    admin.refused(&["group", "create", "staff"], "already exists");
    admin.refused(&["group", "add-member", "nope", "frank"], "group nope");
}

#[test]
fn users_are_removed_and_passwords_changed() {
    let admin = Admin::fresh();
    admin.run_with_stdin(
        &["user", "create", "--username", "gina", "--password-stdin"],
        PASSWORD,
    );
    let run = admin.run_with_stdin(
        &["user", "set-password", "gina", "--password-stdin", "--json"],
        "another long password\n",
    );
    assert_eq!(run.json()["password_changed"], true);
    admin.refused(&["user", "show", "nobody"], "not found");
    assert_eq!(
        admin.run(&["user", "remove", "gina", "--json"]).json()["removed"],
        "gina"
    );
    admin.refused(&["user", "remove", "gina"], "not found");
    let list = admin.run(&["user", "list"]);
    assert!(!list.stdout.contains("gina"));
}
