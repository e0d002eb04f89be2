//! Settings, operator-defined scopes and key retirement.

use idp_core::{CoreError, KeyRepo, ScopeDefinition, ScopeRepo, SettingsRepo};

use crate::{fresh_store, t};

fn settings_are_set_replaced_and_unset() {
    let (store, _db) = fresh_store();
    assert!(store.settings().unwrap().is_empty());
    store.set_setting("code_lifetime", "30", t(0)).unwrap();
    store
        .set_setting("access_token_lifetime", "600", t(0))
        .unwrap();
    store.set_setting("code_lifetime", "45", t(1)).unwrap();
    assert_eq!(
        store.settings().unwrap(),
        [
            ("access_token_lifetime".to_owned(), "600".to_owned()),
            ("code_lifetime".to_owned(), "45".to_owned()),
        ]
    );
    assert!(store.unset_setting("code_lifetime").unwrap());
    assert!(!store.unset_setting("code_lifetime").unwrap());
    assert_eq!(store.settings().unwrap().len(), 1);
}

fn scopes_are_defined_once_and_removed() {
    let (store, _db) = fresh_store();
    let scope = |name: &str| ScopeDefinition {
        name: name.into(),
        description: format!("{name} access"),
        created_at: t(0),
    };
    store.insert_scope(&scope("event:write")).unwrap();
    store.insert_scope(&scope("calendar")).unwrap();
    assert!(matches!(
        store.insert_scope(&scope("calendar")),
        Err(CoreError::Conflict(_))
    ));
    let names: Vec<String> = store
        .scope_definitions()
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["calendar", "event:write"]);
    assert!(store.delete_scope("calendar").unwrap());
    assert!(!store.delete_scope("calendar").unwrap());
    assert_eq!(store.scope_definitions().unwrap(), [scope("event:write")]);
}

fn a_key_is_retired_once() {
    let (store, _db) = fresh_store();
    store
        .insert_signing_key(&crate::grants::key("k1", 0))
        .unwrap();
    assert!(store.retire_key("k1", t(100)).unwrap());
    assert!(!store.retire_key("k1", t(200)).unwrap(), "already retired");
    assert!(!store.retire_key("nope", t(200)).unwrap());
    let summary = &store.key_summaries().unwrap()[0];
    assert_eq!(summary.retired_at, Some(t(100)));
    let full = store.signing_key("k1").unwrap().unwrap();
    assert_eq!(full.summary.retired_at, Some(t(100)));
}

idp_testdb::on_both_backends!(
    settings_are_set_replaced_and_unset,
    scopes_are_defined_once_and_removed,
    a_key_is_retired_once,
);
