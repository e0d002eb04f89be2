use idp_core::{
    AuthorizationRequestRepo, BrowserSession, SecretDigest, SessionRepo, UserId, UserRepo,
};

use crate::{fresh_store, t};

fn sessions_are_found_until_they_expire() {
    let (store, _db) = fresh_store();
    store
        .insert_user(&crate::users::user("u1", "alice"), &[])
        .unwrap();
    let s = BrowserSession {
        digest: SecretDigest::from_hex("5e"),
        sid: "sid-1".into(),
        user_id: Some(UserId::new("u1")),
        auth_time: Some(t(0)),
        csrf_token: "csrf".into(),
        created_at: t(0),
        expires_at: t(100),
    };
    store.insert_session(&s).unwrap();
    assert_eq!(store.session(&s.digest, t(99)).unwrap(), Some(s.clone()));
    assert_eq!(store.session(&s.digest, t(100)).unwrap(), None);
    assert!(store.set_csrf_token(&s.digest, "fresh").unwrap());
    assert_eq!(
        store.session(&s.digest, t(1)).unwrap().unwrap().csrf_token,
        "fresh"
    );
    assert!(!store
        .set_csrf_token(&SecretDigest::from_hex("00"), "x")
        .unwrap());
    store.delete_session(&s.digest).unwrap();
    assert_eq!(store.session(&s.digest, t(1)).unwrap(), None);
}

fn pending_requests_round_trip_and_are_deleted_once() {
    let (store, _db) = fresh_store();
    crate::clients::insert_client(&store, "c1");
    let pending = crate::fixtures::pending();
    store.insert_pending(&pending).unwrap();
    assert_eq!(store.pending("req1", t(1)).unwrap(), Some(pending));
    assert_eq!(store.pending("req1", t(900)).unwrap(), None);
    assert!(store.delete_pending("req1").unwrap());
    assert!(!store.delete_pending("req1").unwrap());
}

fn purge_removes_only_what_has_expired() {
    use idp_core::MaintenanceRepo;
    let (store, _db) = fresh_store();
    let session = |d: &str, expires: i64| BrowserSession {
        digest: SecretDigest::from_hex(d),
        sid: format!("sid-{d}"),
        user_id: None,
        auth_time: None,
        csrf_token: "c".into(),
        created_at: t(0),
        expires_at: t(expires),
    };
    store.insert_session(&session("01", 10)).unwrap();
    store.insert_session(&session("02", 1000)).unwrap();
    let before = idp_core::PurgeBefore {
        now: t(10),
        codes: t(0),
        used_refresh_tokens: t(0),
        failures: t(0),
    };
    assert_eq!(store.purge_expired(&before).unwrap(), 1);
    assert!(store
        .session(&SecretDigest::from_hex("02"), t(11))
        .unwrap()
        .is_some());
    assert_eq!(store.purge_expired(&before).unwrap(), 0);
}

/// With several instances on one PostgreSQL database, one purges at a time: while
/// another holds the purge lock, a purge skips its round (and deletes nothing).
fn while_another_instance_purges_a_purge_skips_its_round() {
    use idp_core::MaintenanceRepo;
    let (store, db) = fresh_store();
    store
        .insert_session(&BrowserSession {
            digest: SecretDigest::from_hex("01"),
            sid: "sid-01".into(),
            user_id: None,
            auth_time: None,
            csrf_token: "c".into(),
            created_at: t(0),
            expires_at: t(10),
        })
        .unwrap();
    let before = idp_core::PurgeBefore {
        now: t(10),
        codes: t(0),
        used_refresh_tokens: t(0),
        failures: t(0),
    };
    // The key of the purge lock (idp-store/src/postgres.rs).
    let other = db.begin("SELECT pg_advisory_xact_lock(x'696470000002'::bigint)");
    assert_eq!(store.purge_expired(&before).unwrap(), 0);
    other.commit();
    assert_eq!(store.purge_expired(&before).unwrap(), 1);
}

#[test]
fn postgres_purges_one_instance_at_a_time() {
    idp_testdb::run_on(
        idp_testdb::Backend::Postgres,
        while_another_instance_purges_a_purge_skips_its_round,
    );
}

idp_testdb::on_both_backends!(
    sessions_are_found_until_they_expire,
    pending_requests_round_trip_and_are_deleted_once,
    purge_removes_only_what_has_expired,
);
