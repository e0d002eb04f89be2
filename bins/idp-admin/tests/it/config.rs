//! `config check|apply FILE`: clients, scopes and groups declared in a configuration file.

use idp_core::{ClientId, ClientRepo};
use serde_json::{json, Value};

use crate::Admin;

const CLOUD: &str = "cloudcloudcloudcloudcloudcloud01";
const SPA: &str = "spaspaspaspaspaspaspaspaspaspa01";
const SECRET: &str = "s3cretS3cretS3cretS3cretS3cret0123";

/// A directory with a secret file and a configuration file whose clients are `clients`
/// (TOML), after a scope and a group.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cloud.secret"), format!("{SECRET}\n")).unwrap();
        Files { dir }
    }

    fn write(&self, contents: &str) -> String {
        let path = self.dir.path().join("idp.toml");
        std::fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

fn cloud(name: &str) -> String {
    format!(
        r#"
[[clients]]
client_id = "{CLOUD}"
name = "{name}"
redirect_uris = ["https://cloud.example/cb"]
scopes = ["openid", "profile", "calendar"]
allowed_groups = ["staff"]
client_secret_file = "cloud.secret"
"#
    )
}

const SCOPE_AND_GROUP: &str = r#"
[[scopes]]
name = "calendar"
description = "Your calendars"

[[groups]]
name = "staff"
"#;

const SPA_CLIENT: &str = r#"
[[clients]]
client_id = "spaspaspaspaspaspaspaspaspaspa01"
name = "SPA"
type = "public"
redirect_uris = ["https://spa.example/cb"]
"#;

/// The names of one list of an `apply --json` report, as `kind name`.
fn listed(report: &Value, list: &str) -> Vec<String> {
    report[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{} {}",
                i["kind"].as_str().unwrap(),
                i["name"].as_str().unwrap()
            )
        })
        .collect()
}

fn client_ids(admin: &Admin) -> Vec<String> {
    admin
        .run(&["client", "list", "--json"])
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn check_validates_without_writing_and_exits_2_naming_the_entry() {
    let admin = Admin::fresh();
    let files = Files::new();
    let good = files.write(&format!("{SCOPE_AND_GROUP}{}{SPA_CLIENT}", cloud("Cloud")));
    let run = admin.run(&["config", "check", &good]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("would create client"), "{}", run.stdout);
    assert!(run.stdout.contains("ok: 4 created"), "{}", run.stdout);
    assert!(client_ids(&admin).is_empty(), "check writes nothing");

    // A client using a scope neither standard, defined, nor declared.
    let bad = files.write(&cloud("Cloud"));
    let run = admin.run(&["config", "check", &bad]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.starts_with("error: clients[0] (client_id cloud")
            && run.stderr.contains("calendar"),
        "{}",
        run.stderr
    );
    // Every entry at fault is named, one line each.
    let two = files.write(&format!(
        "{}\n[[groups]]\nname = \"staff\"\nmembers = [\"ghost\"]\n",
        cloud("Cloud")
    ));
    let run = admin.run(&["config", "check", &two]);
    assert_eq!(run.code, 2);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(lines[0].starts_with("error: groups[0] (name staff)") && lines[0].contains("ghost"));
    assert!(lines[1].starts_with("error: clients[0] (client_id cloud"));
    // Mistakes in the file itself: an inline secret, an unknown key.
    let inline = files.write(&format!(
        "[[clients]]\nclient_id = \"{CLOUD}\"\nname = \"C\"\nclient_secret = \"{SECRET}\"\n"
    ));
    let run = admin.run(&["config", "check", &inline]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("client_secret is not allowed"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(SECRET), "{}", run.stderr);
    let unknown = files.write("[[scopes]]\nname = \"a\"\ndescription = \"A\"\nowner = \"x\"\n");
    let run = admin.run(&["config", "check", &unknown]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("scopes[0] (name a)") && run.stderr.contains("owner"));
    assert!(client_ids(&admin).is_empty());
}

#[test]
fn apply_creates_then_changes_nothing_then_updates_what_changed() {
    let admin = Admin::fresh();
    let files = Files::new();
    let file = files.write(&format!("{SCOPE_AND_GROUP}{}{SPA_CLIENT}", cloud("Cloud")));

    // --dry-run writes nothing.
    let dry = admin
        .run(&["config", "apply", &file, "--dry-run", "--json"])
        .json();
    assert_eq!(listed(&dry, "created").len(), 4);
    assert_eq!(dry["dry_run"], true);
    assert!(client_ids(&admin).is_empty());
    assert_eq!(admin.run(&["scope", "list", "--json"]).json(), json!([]));

    let first = admin.run(&["config", "apply", &file, "--json"]).json();
    assert_eq!(
        listed(&first, "created"),
        [
            "scope calendar".to_owned(),
            "group staff".into(),
            format!("client {CLOUD}"),
            format!("client {SPA}"),
        ]
    );
    let shown = admin.run(&["client", "show", CLOUD, "--json"]).json();
    assert_eq!(shown["name"], "Cloud");
    assert_eq!(shown["allowed_groups"], json!(["staff"]));
    assert_eq!(shown["scopes"], json!(["calendar", "openid", "profile"]));
    assert!(shown.get("client_secret").is_none());
    assert_eq!(
        admin.run(&["client", "show", SPA, "--json"]).json()["type"],
        "public"
    );
    // The secret is the file's (stored as its digest).
    let store = idp_store::DieselStore::open(&admin.url).unwrap();
    let stored = store.client(&ClientId::new(CLOUD)).unwrap().unwrap();
    assert!(idp_protocol::manage::client_secret_is(&stored, SECRET));

    // Applying again changes nothing and writes nothing.
    let second = admin.run(&["config", "apply", &file, "--json"]).json();
    assert!(listed(&second, "created").is_empty());
    assert!(listed(&second, "updated").is_empty());
    assert_eq!(listed(&second, "unchanged").len(), 4);
    let after = store.client(&ClientId::new(CLOUD)).unwrap().unwrap();
    assert_eq!(after, stored);

    // A changed field and a changed secret file update the client.
    let new_secret = "n3wS3cretn3wS3cretn3wS3cretn3wS3cret";
    std::fs::write(files.dir.path().join("cloud.secret"), new_secret).unwrap();
    let file = files.write(&format!(
        "{SCOPE_AND_GROUP}{}{SPA_CLIENT}",
        cloud("Cloud 2")
    ));
    let third = admin.run(&["config", "apply", &file, "--json"]).json();
    assert_eq!(listed(&third, "updated"), [format!("client {CLOUD}")]);
    let updated = store.client(&ClientId::new(CLOUD)).unwrap().unwrap();
    assert_eq!(updated.name, "Cloud 2");
    assert!(idp_protocol::manage::client_secret_is(&updated, new_secret));
    assert!(!idp_protocol::manage::client_secret_is(&updated, SECRET));
    assert_eq!(updated.created_at, stored.created_at);
}

#[test]
fn prune_deletes_only_declared_items_no_longer_listed() {
    let admin = Admin::fresh();
    let files = Files::new();
    let file = files.write(&format!("{SCOPE_AND_GROUP}{}{SPA_CLIENT}", cloud("Cloud")));
    admin.run(&["config", "apply", &file, "--json"]).json();
    let by_hand =
        admin.create_client(&["--name", "Hand", "--redirect-uri", "https://h.example/cb"]);
    let by_hand = by_hand["client_id"].as_str().unwrap().to_owned();

    // Without the SPA: not deleted without --prune ...
    let file = files.write(&format!("{SCOPE_AND_GROUP}{}", cloud("Cloud")));
    let kept = admin.run(&["config", "apply", &file, "--json"]).json();
    assert!(listed(&kept, "pruned").is_empty());
    assert!(client_ids(&admin).contains(&SPA.to_owned()));
    // ... a dry run only says it would be ...
    let dry = admin
        .run(&["config", "apply", &file, "--prune", "--dry-run", "--json"])
        .json();
    assert_eq!(listed(&dry, "pruned"), [format!("client {SPA}")]);
    assert!(client_ids(&admin).contains(&SPA.to_owned()));
    // ... and --prune deletes it, never the client made by hand.
    let pruned = admin
        .run(&["config", "apply", &file, "--prune", "--json"])
        .json();
    assert_eq!(listed(&pruned, "pruned"), [format!("client {SPA}")]);
    let ids = client_ids(&admin);
    assert!(!ids.contains(&SPA.to_owned()), "{ids:?}");
    assert!(
        ids.contains(&by_hand) && ids.contains(&CLOUD.to_owned()),
        "{ids:?}"
    );

    // A hand-made scope taken up by a file is updated but stays the operator's.
    admin
        .run(&[
            "scope",
            "create",
            "files",
            "--description",
            "Files",
            "--json",
        ])
        .json();
    let file = files.write(&format!(
        "{SCOPE_AND_GROUP}{}\n[[scopes]]\nname = \"files\"\ndescription = \"Your files\"\n",
        cloud("Cloud")
    ));
    let taken = admin.run(&["config", "apply", &file, "--json"]).json();
    assert_eq!(listed(&taken, "updated"), ["scope files".to_owned()]);
    // An empty file with --prune removes what declarations made, and only that.
    let file = files.write("");
    let all = admin
        .run(&["config", "apply", &file, "--prune", "--json"])
        .json();
    assert_eq!(listed(&all, "pruned").len(), 3, "{all}");
    assert_eq!(client_ids(&admin), [by_hand]);
    let scopes = admin.run(&["scope", "list", "--json"]).json();
    assert_eq!(scopes.as_array().unwrap().len(), 1, "{scopes}");
    assert_eq!(scopes[0]["name"], "files");
}
