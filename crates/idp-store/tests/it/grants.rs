use std::sync::Arc;

use idp_core::{
    ClientId, ClientRepo, CodeRepo, Grant, GrantId, JwsAlgorithm, KeyRepo, KeySummary,
    MaintenanceRepo, PurgeBefore, Redemption, SigningKey, Subject, ThrottleRepo, TokenRepo, UserId,
    UserRepo,
};
use idp_store::DieselStore;

use crate::fixtures::{code, d, tokens};
use crate::{fresh_store, t};

/// A grant to user `u1`.
fn grant(id: &str) -> Grant {
    crate::fixtures::grant(id, Subject::User(UserId::new("u1")))
}

fn setup() -> (DieselStore, idp_testdb::TestDb) {
    let (store, db) = fresh_store();
    store
        .insert_user(&crate::users::user("u1", "alice"), &[])
        .unwrap();
    crate::clients::insert_client(&store, "c1");
    (store, db)
}

/// A grant with a code, redeemed for an access token `a-<g>` and a refresh token `r-<g>`.
fn issued(store: &DieselStore, g: &str) {
    store
        .insert_code(&grant(g), &code(&format!("c-{g}"), g))
        .unwrap();
    let r = format!("r-{g}");
    assert_eq!(
        store
            .redeem_code(
                &d(&format!("c-{g}")),
                t(2),
                &tokens(&format!("a-{g}"), Some(&r), g)
            )
            .unwrap(),
        Redemption::Redeemed
    );
}

fn a_code_is_read_with_its_grant_and_user_and_redeemed_once_with_its_tokens() {
    let (store, _db) = setup();
    store.insert_code(&grant("g1"), &code("c1", "g1")).unwrap();
    let found = store.code(&d("c1")).unwrap().unwrap();
    assert_eq!(found.record, code("c1", "g1"));
    assert_eq!(found.grant, grant("g1"));
    assert_eq!(found.user.unwrap().username, "alice");
    assert!(store.code(&d("nope")).unwrap().is_none());

    let first = tokens("a1", Some("r1"), "g1");
    assert_eq!(
        store.redeem_code(&d("c1"), t(2), &first).unwrap(),
        Redemption::Redeemed
    );
    // A second redemption stores nothing.
    let second = tokens("a2", Some("r2"), "g1");
    assert_eq!(
        store.redeem_code(&d("c1"), t(3), &second).unwrap(),
        Redemption::Refused
    );
    assert!(store.access_token(&d("a2")).unwrap().is_none());
    assert!(store.refresh_token(&d("r2")).unwrap().is_none());
    assert_eq!(
        store.code(&d("c1")).unwrap().unwrap().record.used_at,
        Some(t(2))
    );

    let access = store.access_token(&d("a1")).unwrap().unwrap();
    assert_eq!(access.record, first.access);
    assert_eq!(access.grant.id, GrantId::new("g1"));
    assert_eq!(access.user.unwrap().id, UserId::new("u1"));
    let refresh = store.refresh_token(&d("r1")).unwrap().unwrap();
    assert_eq!(Some(refresh.record), first.refresh);
}

fn a_failure_inside_the_redemption_leaves_the_code_redeemable() {
    let (store, _db) = setup();
    issued(&store, "g0");
    store.insert_code(&grant("g1"), &code("c1", "g1")).unwrap();
    // The access token's digest is taken, so its insert fails after the code was
    // marked used: the whole transaction rolls back.
    let clash = tokens("a-g0", Some("r1"), "g1");
    assert!(store.redeem_code(&d("c1"), t(2), &clash).is_err());
    assert_eq!(store.code(&d("c1")).unwrap().unwrap().record.used_at, None);
    assert!(store.refresh_token(&d("r1")).unwrap().is_none());
    assert_eq!(
        store
            .redeem_code(&d("c1"), t(3), &tokens("a1", Some("r1"), "g1"))
            .unwrap(),
        Redemption::Redeemed
    );
}

fn of_eight_concurrent_redemptions_of_one_code_exactly_one_wins() {
    let (store, _db) = setup();
    store.insert_code(&grant("g1"), &code("cc", "g1")).unwrap();
    let store = Arc::new(store);
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                store
                    .redeem_code(
                        &d("cc"),
                        t(2),
                        &tokens(&format!("a{i}"), Some(&format!("r{i}")), "g1"),
                    )
                    .unwrap()
            })
        })
        .collect();
    let outcomes: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let won = outcomes
        .iter()
        .filter(|o| **o == Redemption::Redeemed)
        .count();
    assert_eq!(won, 1, "{outcomes:?}");
    let stored = (0..8)
        .filter(|i| store.access_token(&d(&format!("a{i}"))).unwrap().is_some())
        .count();
    assert_eq!(stored, 1);
}

fn a_revoked_grant_refuses_redemption_and_shows_on_every_token() {
    let (store, _db) = setup();
    issued(&store, "g1");
    issued(&store, "g2");
    store.insert_code(&grant("g3"), &code("c3", "g3")).unwrap();
    store.revoke_grant(&GrantId::new("g1"), t(5)).unwrap();
    store.revoke_grant(&GrantId::new("g3"), t(5)).unwrap();
    // Revoking twice keeps the first time.
    store.revoke_grant(&GrantId::new("g1"), t(9)).unwrap();
    let a1 = store.access_token(&d("a-g1")).unwrap().unwrap();
    assert_eq!(a1.grant.revoked_at, Some(t(5)));
    assert!(store
        .access_token(&d("a-g2"))
        .unwrap()
        .unwrap()
        .grant
        .revoked_at
        .is_none());
    assert_eq!(
        store
            .redeem_code(&d("c3"), t(6), &tokens("a3", None, "g3"))
            .unwrap(),
        Redemption::Refused
    );
    assert_eq!(
        store
            .redeem_refresh_token(&d("r-g1"), t(6), &tokens("a4", None, "g1"))
            .unwrap(),
        Redemption::Refused
    );
}

fn revoking_one_access_token_leaves_its_grant_and_the_other_tokens() {
    let (store, _db) = setup();
    issued(&store, "g1");
    issued(&store, "g2");
    assert!(store.revoke_access_token(&d("a-g1")).unwrap());
    assert!(!store.revoke_access_token(&d("unknown")).unwrap());
    let a1 = store.access_token(&d("a-g1")).unwrap().unwrap();
    assert!(a1.record.revoked);
    assert!(a1.grant.revoked_at.is_none());
    assert!(
        !store
            .access_token(&d("a-g2"))
            .unwrap()
            .unwrap()
            .record
            .revoked
    );
    // The refresh token of the same grant still rotates.
    assert_eq!(
        store
            .redeem_refresh_token(&d("r-g1"), t(6), &tokens("a5", None, "g1"))
            .unwrap(),
        Redemption::Redeemed
    );
}

fn refresh_tokens_rotate_once() {
    let (store, _db) = setup();
    issued(&store, "g1");
    let next = tokens("a2", Some("r2"), "g1");
    assert_eq!(
        store.redeem_refresh_token(&d("r-g1"), t(5), &next).unwrap(),
        Redemption::Redeemed
    );
    assert_eq!(
        store
            .redeem_refresh_token(&d("r-g1"), t(6), &tokens("a3", Some("r3"), "g1"))
            .unwrap(),
        Redemption::Refused
    );
    assert!(store.access_token(&d("a3")).unwrap().is_none());
    let old = store.refresh_token(&d("r-g1")).unwrap().unwrap();
    assert_eq!(old.record.used_at, Some(t(5)));
    assert!(store
        .refresh_token(&d("r2"))
        .unwrap()
        .unwrap()
        .record
        .used_at
        .is_none());
}

fn deleting_a_client_or_user_deletes_what_was_issued_to_them() {
    let (store, _db) = setup();
    issued(&store, "g1");
    assert!(store.delete_client(&ClientId::new("c1")).unwrap());
    assert!(store.access_token(&d("a-g1")).unwrap().is_none());
    assert!(store.code(&d("c-g1")).unwrap().is_none());

    crate::clients::insert_client(&store, "c1");
    issued(&store, "g2");
    assert!(store.delete_user("alice").unwrap());
    assert!(store.access_token(&d("a-g2")).unwrap().is_none());
    assert!(store.refresh_token(&d("r-g2")).unwrap().is_none());
}

fn purging_keeps_what_is_needed_and_drops_the_rest() {
    let (store, _db) = setup();
    issued(&store, "g1");
    // Rotate once at t(100): r-g1 is used, r2 is live.
    store
        .redeem_refresh_token(&d("r-g1"), t(100), &tokens("a2", Some("r2"), "g1"))
        .unwrap();
    // g2: a grant whose code expired long ago and was never redeemed.
    store.insert_code(&grant("g2"), &code("c2", "g2")).unwrap();
    store.note_failure("k-old", t(0), t(0)).unwrap();
    store.note_failure("k-new", t(500), t(0)).unwrap();
    let n = store
        .purge_expired(&PurgeBefore {
            now: t(1_000),
            codes: t(100),
            used_refresh_tokens: t(200),
            failures: t(100),
        })
        .unwrap();
    assert!(n >= 4, "{n}");
    assert!(
        store.refresh_token(&d("r-g1")).unwrap().is_none(),
        "rotated out long ago"
    );
    assert!(store.refresh_token(&d("r2")).unwrap().is_some(), "live");
    assert!(store.access_token(&d("a2")).unwrap().is_some(), "unexpired");
    assert!(store.code(&d("c-g1")).unwrap().is_none());
    assert!(store.code(&d("c2")).unwrap().is_none());
    assert!(store.failures("k-old", t(-1)).unwrap().is_none());
    assert!(store.failures("k-new", t(-1)).unwrap().is_some());
    // g2 has nothing left and is gone: its id can be granted afresh.
    store.insert_code(&grant("g2"), &code("c2", "g2")).unwrap();
    // g1 still holds tokens, so it stays.
    assert!(store.insert_code(&grant("g1"), &code("c9", "g1")).is_err());
}

fn failures_are_counted_per_key_within_the_window() {
    let (store, _db) = fresh_store();
    assert_eq!(store.note_failure("k", t(0), t(-60)).unwrap().count, 1);
    assert_eq!(store.note_failure("k", t(1), t(-59)).unwrap().count, 2);
    assert_eq!(store.note_failure("other", t(1), t(-59)).unwrap().count, 1);
    let f = store.failures("k", t(-59)).unwrap().unwrap();
    assert_eq!((f.count, f.last), (2, t(1)));
    // The last failure is before the window: counting starts again.
    assert!(store.failures("k", t(2)).unwrap().is_none());
    assert_eq!(store.note_failure("k", t(100), t(40)).unwrap().count, 1);
    store.clear_failures("k").unwrap();
    assert!(store.failures("k", t(-100)).unwrap().is_none());
}

/// A key made at `at`, signing an hour later.
pub fn key(kid: &str, at: i64) -> SigningKey {
    SigningKey {
        summary: KeySummary {
            kid: kid.into(),
            alg: JwsAlgorithm::Rs256,
            created_at: t(at),
            activate_at: t(at + 3600),
            retired_at: None,
        },
        private_key_pkcs8: vec![1, 2, 3, 0, 255],
    }
}

fn key_summaries_leave_out_private_parts_which_load_one_by_one() {
    let (store, _db) = fresh_store();
    store.insert_signing_key(&key("k1", 0)).unwrap();
    store.insert_signing_key(&key("k2", 10)).unwrap();
    assert!(store.insert_signing_key(&key("k2", 10)).is_err());
    let summaries = store.key_summaries().unwrap();
    assert_eq!(summaries, [key("k2", 10).summary, key("k1", 0).summary]);
    assert_eq!(store.signing_key("k1").unwrap(), Some(key("k1", 0)));
    assert_eq!(store.signing_key("k9").unwrap(), None);
}

fn data_survives_reopening_the_database() {
    let db = idp_testdb::TestDb::fresh();
    let url = db.url();
    {
        let store = DieselStore::open(url).unwrap();
        crate::clients::insert_client(&store, "c1");
    }
    let store = DieselStore::open(url).unwrap();
    assert!(store.client(&ClientId::new("c1")).unwrap().is_some());
}

#[test]
fn a_new_database_file_is_private_and_admin_style_opening_migrates_only_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/dir/idp.db", dir.path().display());
    let store = DieselStore::open_with(&url, idp_store::Migrations::OnlyIfNew).unwrap();
    crate::clients::insert_client(&store, "c1");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("nested/dir/idp.db"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // An up-to-date database opens without change.
    let again = DieselStore::open_with(&url, idp_store::Migrations::OnlyIfNew).unwrap();
    assert!(again.client(&ClientId::new("c1")).unwrap().is_some());
}

#[test]
fn unsupported_database_urls_are_refused_clearly() {
    let err = DieselStore::open("mysql://root@127.0.0.1/test")
        .unwrap_err()
        .to_string();
    assert!(err.contains("invalid database URL"), "{err}");
    // Nothing listens on port 9: the error names the database, not the password.
    let err = DieselStore::open("postgres://postgres:secret@127.0.0.1:9/test")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot connect to database postgres://postgres:REDACTED@127.0.0.1:9/test")
            && !err.contains("secret"),
        "{err}"
    );
}

fn concurrent_read_then_write_transactions_wait_for_each_other_instead_of_failing() {
    // Concurrent failures each count: none is lost, none fails as busy.
    let (store, _db) = fresh_store();
    let store = Arc::new(store);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for _ in 0..5 {
                    store.note_failure("k", t(0), t(-60)).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(store.failures("k", t(-60)).unwrap().unwrap().count, 40);
}

#[test]
fn a_locked_database_is_reported_busy_after_the_busy_timeout() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("idp.db");
    let store = DieselStore::open_with_options(
        &format!("sqlite://{}", path.display()),
        &idp_store::StoreOptions {
            busy_timeout: std::time::Duration::from_millis(50),
            ..idp_store::StoreOptions::default()
        },
    )
    .unwrap();
    let mut other = diesel::SqliteConnection::establish(&path.display().to_string()).unwrap();
    other.batch_execute("BEGIN IMMEDIATE").unwrap();
    let err = store.note_failure("k", t(0), t(-60)).unwrap_err();
    assert!(
        matches!(err, idp_core::CoreError::Unavailable(_)),
        "{err:?}"
    );
    other.batch_execute("ROLLBACK").unwrap();
    assert_eq!(store.note_failure("k", t(0), t(-60)).unwrap().count, 1);
}

#[test]
fn immediate_lookups_answer_from_an_idle_connection_or_say_they_would_wait() {
    use idp_core::Immediate;
    let (store, _db) = setup();
    issued(&store, "g1");
    let Immediate::Ready(Some(found)) = store.access_token_immediate(&d("a-g1")).unwrap() else {
        panic!("an idle connection answers at once")
    };
    assert_eq!(found.grant.id, GrantId::new("g1"));
    assert_eq!(
        store.access_token_immediate(&d("nope")).unwrap(),
        Immediate::Ready(None)
    );
    // Without connections for immediate lookups, every one would wait.
    let dir = tempfile::tempdir().unwrap();
    let none = DieselStore::open_with_options(
        &format!("sqlite://{}/idp.db", dir.path().display()),
        &idp_store::StoreOptions {
            immediate_pool_size: 0,
            ..idp_store::StoreOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        none.access_token_immediate(&d("a-g1")).unwrap(),
        Immediate::WouldWait
    );
}

/// The implicit and hybrid flows store the grant with the code and the access token the
/// authorization endpoint issued, together: both are revoked with the grant.
fn a_grant_is_stored_with_the_code_and_access_token_of_the_authorization_response() {
    let (store, _db) = setup();
    let front = tokens("a-front", None, "g1").access;
    store
        .insert_grant_with_tokens(&grant("g1"), Some(&code("c1", "g1")), Some(&front))
        .unwrap();
    let found = store.access_token(&d("a-front")).unwrap().unwrap();
    assert_eq!(found.record, front);
    assert_eq!(found.grant, grant("g1"));
    assert_eq!(found.user.unwrap().username, "alice");
    assert_eq!(store.code(&d("c1")).unwrap().unwrap().grant, grant("g1"));
    // The code is redeemed as in the code flow, its tokens on the same grant.
    assert_eq!(
        store
            .redeem_code(&d("c1"), t(2), &tokens("a-back", Some("r1"), "g1"))
            .unwrap(),
        Redemption::Redeemed
    );
    // A replay revokes the grant: the front-channel token is dead too.
    store.revoke_grant(&GrantId::new("g1"), t(3)).unwrap();
    assert!(store
        .access_token(&d("a-front"))
        .unwrap()
        .unwrap()
        .grant
        .is_revoked());

    // An access token alone (`id_token token`), and a grant with only a code.
    let alone = tokens("a-alone", None, "g2").access;
    store
        .insert_grant_with_tokens(&grant("g2"), None, Some(&alone))
        .unwrap();
    assert_eq!(
        store.access_token(&d("a-alone")).unwrap().unwrap().grant,
        grant("g2")
    );
    store
        .insert_grant_with_tokens(&grant("g3"), Some(&code("c3", "g3")), None)
        .unwrap();
    assert_eq!(store.code(&d("c3")).unwrap().unwrap().grant, grant("g3"));
}

fn a_failed_insert_of_a_grant_with_tokens_stores_none_of_them() {
    let (store, _db) = setup();
    issued(&store, "g0");
    // The access token's digest is taken: the grant and code are not stored either.
    let clash = tokens("a-g0", None, "g1").access;
    assert!(store
        .insert_grant_with_tokens(&grant("g1"), Some(&code("c1", "g1")), Some(&clash))
        .is_err());
    assert!(store.code(&d("c1")).unwrap().is_none());
    store
        .insert_grant_with_tokens(
            &grant("g1"),
            Some(&code("c1", "g1")),
            Some(&tokens("a1", None, "g1").access),
        )
        .unwrap();
    assert!(store.access_token(&d("a1")).unwrap().is_some());
}

/// Tokens trusted code asks for are stored with their new grant, all or nothing.
fn a_grant_is_stored_with_directly_issued_tokens_all_or_nothing() {
    let (store, _db) = setup();
    let issued = tokens("a1", Some("r1"), "g1");
    store
        .insert_grant_with_issued_tokens(&grant("g1"), &issued)
        .unwrap();
    let access = store.access_token(&d("a1")).unwrap().unwrap();
    assert_eq!(access.record, issued.access);
    assert_eq!(access.grant, grant("g1"));
    assert_eq!(access.user.unwrap().username, "alice");
    let refresh = store.refresh_token(&d("r1")).unwrap().unwrap();
    assert_eq!(Some(refresh.record), issued.refresh);
    // Refreshing works as for any grant.
    assert_eq!(
        store
            .redeem_refresh_token(&d("r1"), t(2), &tokens("a2", Some("r2"), "g1"))
            .unwrap(),
        Redemption::Redeemed
    );
    // The refresh token's digest is taken: neither the grant nor the access token stays.
    assert!(store
        .insert_grant_with_issued_tokens(&grant("g2"), &tokens("a3", Some("r1"), "g2"))
        .is_err());
    assert!(store.access_token(&d("a3")).unwrap().is_none());
    store
        .insert_grant_with_issued_tokens(&grant("g2"), &tokens("a3", None, "g2"))
        .unwrap();
    assert!(store.access_token(&d("a3")).unwrap().is_some());
}

/// A grant made by token exchange keeps its chain of actors (RFC 8693 §4.1).
fn an_exchanged_grant_keeps_its_actor_chain() {
    let (store, _db) = setup();
    let prior = idp_core::Actor::new(&ClientId::new("api\u{e9}1"), None);
    let exchanged = Grant {
        act: Some(idp_core::Actor::new(&ClientId::new("api2"), Some(&prior))),
        ..grant("g1")
    };
    store
        .insert_grant_with_issued_tokens(&exchanged, &tokens("a1", None, "g1"))
        .unwrap();
    let found = store.access_token(&d("a1")).unwrap().unwrap();
    assert_eq!(found.grant, exchanged);
    assert_eq!(found.grant.act.unwrap().act.as_deref(), Some(&prior));
}

/// Revoking a grant revokes the grants made by exchanging its tokens, down the chain,
/// and nothing else.
fn revoking_a_grant_revokes_the_grants_exchanged_from_it() {
    let (store, _db) = setup();
    let child = |id: &str, parent: &str| Grant {
        parent: Some(GrantId::new(parent)),
        ..grant(id)
    };
    for g in [
        grant("g1"),
        child("g2", "g1"),
        child("g3", "g2"),
        grant("g4"),
        child("g5", "g4"),
    ] {
        let id = g.id.as_str().to_owned();
        store
            .insert_grant_with_issued_tokens(&g, &tokens(&format!("a-{id}"), None, &id))
            .unwrap();
    }
    assert_eq!(
        store
            .access_token(&d("a-g3"))
            .unwrap()
            .unwrap()
            .grant
            .parent,
        Some(GrantId::new("g2"))
    );
    store.revoke_grant(&GrantId::new("g1"), t(5)).unwrap();
    let revoked = |g: &str| {
        store
            .access_token(&d(&format!("a-{g}")))
            .unwrap()
            .unwrap()
            .grant
            .revoked_at
    };
    for g in ["g1", "g2", "g3"] {
        assert_eq!(revoked(g), Some(t(5)), "{g}");
    }
    for g in ["g4", "g5"] {
        assert_eq!(revoked(g), None, "{g}");
    }
    // A child revoked on its own leaves its parent.
    store.revoke_grant(&GrantId::new("g5"), t(6)).unwrap();
    assert_eq!((revoked("g4"), revoked("g5")), (None, Some(t(6))));
}

idp_testdb::on_both_backends!(
    an_exchanged_grant_keeps_its_actor_chain,
    revoking_a_grant_revokes_the_grants_exchanged_from_it,
    a_grant_is_stored_with_directly_issued_tokens_all_or_nothing,
    a_code_is_read_with_its_grant_and_user_and_redeemed_once_with_its_tokens,
    a_failure_inside_the_redemption_leaves_the_code_redeemable,
    of_eight_concurrent_redemptions_of_one_code_exactly_one_wins,
    a_revoked_grant_refuses_redemption_and_shows_on_every_token,
    revoking_one_access_token_leaves_its_grant_and_the_other_tokens,
    refresh_tokens_rotate_once,
    deleting_a_client_or_user_deletes_what_was_issued_to_them,
    purging_keeps_what_is_needed_and_drops_the_rest,
    failures_are_counted_per_key_within_the_window,
    key_summaries_leave_out_private_parts_which_load_one_by_one,
    data_survives_reopening_the_database,
    concurrent_read_then_write_transactions_wait_for_each_other_instead_of_failing,
    a_grant_is_stored_with_the_code_and_access_token_of_the_authorization_response,
    a_failed_insert_of_a_grant_with_tokens_stores_none_of_them,
);

/// libpq is compiled in with OpenSSL: `sslmode=require` in the URL gives an encrypted
/// connection (managed PostgreSQL services refuse others).
fn tls_to_the_database_works_with_sslmode_require() {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct Ssl {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        ssl: bool,
    }
    let db = idp_testdb::TestDb::fresh();
    let url = format!("{}?sslmode=require", db.url());
    let store = DieselStore::open(&url).unwrap();
    crate::clients::insert_client(&store, "c1");
    assert!(store.client(&ClientId::new("c1")).unwrap().is_some());
    let mut conn = PgConnection::establish(&url).unwrap();
    let rows: Vec<Ssl> =
        diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .load(&mut conn)
            .unwrap();
    assert!(rows[0].ssl, "the connection is not encrypted");
}

#[test]
fn postgres_over_tls() {
    idp_testdb::run_on(
        idp_testdb::Backend::Postgres,
        tls_to_the_database_works_with_sslmode_require,
    );
}
