//! Settings, operator-defined scopes, key retirement and re-sealing.

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
    sealed_keys_and_client_secrets_are_replaced_together_or_not_at_all,
);

fn sealed_keys_and_client_secrets_are_replaced_together_or_not_at_all() {
    use idp_core::{ClientId, ClientRepo, SealedKeyChange, SealedSecretChange};
    let (store, _db) = fresh_store();
    store
        .insert_signing_key(&crate::grants::key("k1", 0))
        .unwrap();
    crate::clients::insert_client(&store, "c1");
    let id = ClientId::new("c1");
    let digest = store.client(&id).unwrap().unwrap().secret_digest.unwrap();
    store
        .set_client_secret(&id, &digest, Some(&[7, 7]))
        .unwrap();
    let key_change = |old: &[u8], new: &[u8]| SealedKeyChange {
        kid: "k1".into(),
        old: old.to_vec(),
        new: new.to_vec(),
    };
    let secret_change = |old: &[u8], new: &[u8]| SealedSecretChange {
        client_id: id.clone(),
        old: old.to_vec(),
        new: new.to_vec(),
    };
    let key_now = || store.signing_key("k1").unwrap().unwrap().private_key_pkcs8;
    let secret_now = || store.client(&id).unwrap().unwrap().secret_sealed;

    // A stale client secret aborts the keys' replacement too.
    let err = store
        .replace_sealed(
            &[key_change(&[1, 2, 3, 0, 255], &[4, 4])],
            &[secret_change(&[0], &[8, 8])],
        )
        .unwrap_err();
    assert!(matches!(err, CoreError::NotFound(_)), "{err:?}");
    assert!(err.to_string().contains("c1"), "{err}");
    assert_eq!(key_now(), [1, 2, 3, 0, 255]);
    assert_eq!(secret_now(), Some(vec![7, 7]));

    // Both as read: both replaced, in one transaction.
    store
        .replace_sealed(
            &[key_change(&[1, 2, 3, 0, 255], &[4, 4])],
            &[secret_change(&[7, 7], &[8, 8])],
        )
        .unwrap();
    assert_eq!(key_now(), [4, 4]);
    assert_eq!(secret_now(), Some(vec![8, 8]));

    // And the keys alone.
    store
        .replace_sealed_private_keys(&[key_change(&[4, 4], &[5])])
        .unwrap();
    assert_eq!(key_now(), [5]);
    assert!(store
        .replace_sealed_private_keys(&[key_change(&[4, 4], &[6])])
        .is_err());
}
