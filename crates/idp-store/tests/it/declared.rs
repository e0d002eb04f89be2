use idp_core::{
    ClientId, ClientRepo, CoreError, DeclaredChanges, DeclaredItem, DeclaredKind, DeclaredRepo,
    Group, GroupRepo, ScopeDefinition, ScopeRepo, SecretDigest, UserRepo,
};

use crate::clients::client;
use crate::users::user;
use crate::{fresh_store, t};

fn item(kind: DeclaredKind, name: &str) -> DeclaredItem {
    DeclaredItem {
        kind,
        name: name.into(),
    }
}

fn scope(name: &str, description: &str) -> ScopeDefinition {
    ScopeDefinition {
        name: name.into(),
        description: description.into(),
        created_at: t(1),
    }
}

fn group(id: &str, name: &str, members: &[&str]) -> Group {
    Group {
        id: id.into(),
        name: name.into(),
        members: members.iter().map(|m| (*m).to_owned()).collect(),
    }
}

const ID: &str = "declareddeclareddeclareddeclared";

fn declared_changes_are_written_together_and_recorded() {
    let (store, _db) = fresh_store();
    store.insert_user(&user("u1", "alice"), &[]).unwrap();
    store.insert_user(&user("u2", "bob"), &[]).unwrap();
    let all = vec![
        item(DeclaredKind::Scope, "calendar"),
        item(DeclaredKind::Group, "staff"),
        item(DeclaredKind::Client, ID),
    ];
    store
        .apply_declared(
            &DeclaredChanges {
                insert_scopes: vec![scope("calendar", "Calendars")],
                insert_groups: vec![group("g1", "staff", &["alice"])],
                insert_clients: vec![client(ID)],
                record: all.clone(),
                ..DeclaredChanges::default()
            },
            t(2),
        )
        .unwrap();
    let mut items = store.declared_items().unwrap();
    items.sort();
    let mut expected = all.clone();
    expected.sort();
    assert_eq!(items, expected);
    assert_eq!(
        store.scope_definitions().unwrap()[0].description,
        "Calendars"
    );
    assert_eq!(store.groups().unwrap()[0].members, vec!["alice".to_owned()]);
    assert!(store.client(&ClientId::new(ID)).unwrap().is_some());

    // Updates: description, members (exactly), the whole client including its secret.
    let mut renamed = client(ID);
    renamed.name = "Renamed".into();
    renamed.secret_digest = Some(SecretDigest::from_hex("cd".repeat(32)));
    renamed.updated_at = t(9);
    store
        .apply_declared(
            &DeclaredChanges {
                update_scopes: vec![scope("calendar", "Your calendars")],
                set_group_members: vec![group("g1", "staff", &["bob"])],
                update_clients: vec![renamed],
                ..DeclaredChanges::default()
            },
            t(3),
        )
        .unwrap();
    assert_eq!(
        store.scope_definitions().unwrap()[0].description,
        "Your calendars"
    );
    assert_eq!(store.groups().unwrap()[0].members, vec!["bob".to_owned()]);
    let c = store.client(&ClientId::new(ID)).unwrap().unwrap();
    assert_eq!(c.name, "Renamed");
    assert_eq!(c.secret_digest.unwrap().as_hex(), "cd".repeat(32));

    // Deleting removes the items and their records.
    store
        .apply_declared(
            &DeclaredChanges {
                delete: all,
                ..DeclaredChanges::default()
            },
            t(4),
        )
        .unwrap();
    assert!(store.declared_items().unwrap().is_empty());
    assert!(store.scope_definitions().unwrap().is_empty());
    assert!(store.groups().unwrap().is_empty());
    assert!(store.client(&ClientId::new(ID)).unwrap().is_none());
}

fn a_failing_declaration_writes_nothing() {
    let (store, _db) = fresh_store();
    store.insert_client(&client(ID)).unwrap();
    // The scope is inserted first, then the client conflicts: nothing stays.
    let e = store
        .apply_declared(
            &DeclaredChanges {
                insert_scopes: vec![scope("calendar", "Calendars")],
                insert_clients: vec![client(ID)],
                record: vec![item(DeclaredKind::Client, ID)],
                ..DeclaredChanges::default()
            },
            t(2),
        )
        .unwrap_err();
    assert!(matches!(e, CoreError::Conflict(_)), "{e:?}");
    assert!(store.scope_definitions().unwrap().is_empty());
    assert!(store.declared_items().unwrap().is_empty());
    // An unknown member fails the same way.
    let e = store
        .apply_declared(
            &DeclaredChanges {
                insert_groups: vec![group("g1", "staff", &["nobody"])],
                ..DeclaredChanges::default()
            },
            t(2),
        )
        .unwrap_err();
    assert!(matches!(e, CoreError::NotFound(_)), "{e:?}");
    assert!(store.groups().unwrap().is_empty());
}

idp_testdb::on_both_backends!(
    declared_changes_are_written_together_and_recorded,
    a_failing_declaration_writes_nothing,
);
