//! Self-registered clients and initial access tokens (RFC 7591, RFC 7592).

use idp_core::{
    ClientId, ClientRepo, InitialAccessToken, MaintenanceRepo, PurgeBefore, RegistrationRecord,
    RegistrationRepo, SecretDigest, SelfRegistration,
};

use crate::clients::client;
use crate::{fresh_store, t};

fn record(expires: Option<i64>) -> RegistrationRecord {
    RegistrationRecord {
        registration: SelfRegistration {
            registered_at: t(0),
            expires_at: expires.map(t),
        },
        access_token_digest: SecretDigest::from_hex("cd".repeat(32)),
        application_type: "native".into(),
        token_endpoint_auth_method: "none".into(),
    }
}

fn self_registered_clients_are_counted_found_converted_and_purged() {
    let (store, _db) = fresh_store();
    assert!(store
        .insert_registered_client(&client("r1"), &record(Some(100)), 2, t(0))
        .unwrap());
    assert!(store
        .insert_registered_client(&client("r2"), &record(None), 2, t(0))
        .unwrap());
    // The limit counts live registrations only.
    assert!(!store
        .insert_registered_client(&client("r3"), &record(None), 2, t(50))
        .unwrap());
    assert!(store.client(&ClientId::new("r3")).unwrap().is_none());
    assert!(store
        .insert_registered_client(&client("r3"), &record(None), 2, t(100))
        .unwrap());

    let found = store.client(&ClientId::new("r1")).unwrap().unwrap();
    assert_eq!(found.self_registered, Some(record(Some(100)).registration));
    assert_eq!(
        store.registration_record(&ClientId::new("r1")).unwrap(),
        Some(record(Some(100)))
    );
    let listed = store.clients().unwrap();
    assert_eq!(
        listed
            .iter()
            .filter(|c| c.self_registered.is_some())
            .count(),
        3
    );

    // Conversion: the record goes, the client stays.
    assert!(store.end_registration(&ClientId::new("r2")).unwrap());
    assert!(!store.end_registration(&ClientId::new("r2")).unwrap());
    let r2 = store.client(&ClientId::new("r2")).unwrap().unwrap();
    assert_eq!(r2.self_registered, None);
    assert_eq!(
        store.registration_record(&ClientId::new("r2")).unwrap(),
        None
    );

    // The purge removes the expired registration's client.
    store
        .purge_expired(&PurgeBefore {
            now: t(100),
            codes: t(0),
            used_refresh_tokens: t(0),
            failures: t(0),
        })
        .unwrap();
    assert!(store.client(&ClientId::new("r1")).unwrap().is_none());
    assert!(store.client(&ClientId::new("r2")).unwrap().is_some());
    assert!(store.client(&ClientId::new("r3")).unwrap().is_some());
}

fn initial_access_tokens_are_stored_by_digest_listed_revoked_and_purged() {
    let (store, _db) = fresh_store();
    let token = |id: &str, digest: &str, expires: Option<i64>| InitialAccessToken {
        id: id.into(),
        digest: SecretDigest::from_hex(digest.repeat(32)),
        created_at: t(0),
        expires_at: expires.map(t),
    };
    store
        .insert_initial_access_token(&token("a", "01", Some(10)))
        .unwrap();
    store
        .insert_initial_access_token(&token("b", "02", None))
        .unwrap();
    assert!(store
        .insert_initial_access_token(&token("a", "03", None))
        .is_err());
    assert_eq!(
        store
            .initial_access_token(&SecretDigest::from_hex("02".repeat(32)))
            .unwrap(),
        Some(token("b", "02", None))
    );
    assert_eq!(store.initial_access_tokens().unwrap().len(), 2);
    store
        .purge_expired(&PurgeBefore {
            now: t(10),
            codes: t(0),
            used_refresh_tokens: t(0),
            failures: t(0),
        })
        .unwrap();
    assert_eq!(
        store.initial_access_tokens().unwrap(),
        vec![token("b", "02", None)]
    );
    assert!(store.delete_initial_access_token("b").unwrap());
    assert!(!store.delete_initial_access_token("b").unwrap());
}

idp_testdb::on_both_backends!(
    self_registered_clients_are_counted_found_converted_and_purged,
    initial_access_tokens_are_stored_by_digest_listed_revoked_and_purged,
);
