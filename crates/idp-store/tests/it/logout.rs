//! Ending sessions and the back-channel logout queue.

use std::sync::Arc;

use idp_core::{
    ClientId, CodeRepo, EndedSession, LogoutClaims, LogoutDelivery, LogoutRepo, MaintenanceRepo,
    PurgeBefore, SessionRepo, Subject, TokenRepo, UserId, UserRepo,
};
use idp_store::DieselStore;

use crate::fixtures::{code, d, grant, session};
use crate::{fresh_store, t};

/// Users u1 (alice) and u2 (bob), clients c1 and c2.
fn setup() -> (DieselStore, idp_testdb::TestDb) {
    let (store, db) = fresh_store();
    store
        .insert_user(&crate::users::user("u1", "alice"), &[])
        .unwrap();
    store
        .insert_user(&crate::users::user("u2", "bob"), &[])
        .unwrap();
    crate::clients::insert_client(&store, "c1");
    crate::clients::insert_client(&store, "c2");
    (store, db)
}

fn delivery(id: &str, client: &str, at: i64) -> LogoutDelivery {
    LogoutDelivery {
        id: id.into(),
        client_id: ClientId::new(client),
        uri: "https://rp.example/bc-logout?x=\u{e9}".into(),
        claims: LogoutClaims {
            sub: Some("u1".into()),
            sid: Some("sid-\u{e9}".into()),
            jti: format!("jti-{id}"),
        },
        attempts: 0,
        next_attempt_at: t(at),
        created_at: t(at),
    }
}

/// A grant of `client` for `user` issued in the session `sid`.
fn insert_grant_in(store: &DieselStore, id: &str, client: &str, user: &str, sid: Option<&str>) {
    let mut g = grant(id, Subject::User(UserId::new(user)));
    g.client_id = ClientId::new(client);
    g.sid = sid.map(str::to_owned);
    store.insert_code(&g, &code(&format!("c{id}"), id)).unwrap();
}

fn the_sid_of_a_grant_round_trips() {
    let (store, _db) = setup();
    insert_grant_in(&store, "g1", "c1", "u1", Some("sid-\u{e9}"));
    insert_grant_in(&store, "g2", "c1", "u1", None);
    let found = store.code(&d("cg1")).unwrap().unwrap();
    assert_eq!(found.grant.sid.as_deref(), Some("sid-\u{e9}"));
    assert_eq!(store.code(&d("cg2")).unwrap().unwrap().grant.sid, None);
}

fn ending_sessions_reports_them_once_and_lists_the_clients_of_each() {
    let (store, _db) = setup();
    store.insert_session(&session("a1", Some("u1"))).unwrap();
    store.insert_session(&session("a2", Some("u1"))).unwrap();
    store.insert_session(&session("b1", Some("u2"))).unwrap();
    insert_grant_in(&store, "g1", "c1", "u1", Some("sid-a1"));
    insert_grant_in(&store, "g2", "c2", "u1", Some("sid-a1"));
    insert_grant_in(&store, "g3", "c2", "u1", Some("sid-a2"));
    insert_grant_in(&store, "g4", "c1", "u2", Some("sid-b1"));
    insert_grant_in(&store, "g5", "c1", "u1", None);
    insert_grant_in(&store, "g6", "c2", "u1", Some("sid-a1"));
    store
        .revoke_grant(&idp_core::GrantId::new("g6"), t(5))
        .unwrap();

    let ended = store.end_session(&d("a1")).unwrap();
    assert_eq!(
        ended,
        Some(EndedSession {
            sid: "sid-a1".into(),
            user_id: Some(UserId::new("u1"))
        })
    );
    assert_eq!(store.end_session(&d("a1")).unwrap(), None, "only once");
    let ids = |sid: &str, user: &str| -> Vec<String> {
        store
            .session_grants(sid, &UserId::new(user))
            .unwrap()
            .into_iter()
            .map(|g| g.id.as_str().to_owned())
            .collect()
    };
    // Revoked grants and grants of other sessions or users are not the session's.
    assert_eq!(ids("sid-a1", "u1"), ["g1", "g2"]);
    assert_eq!(ids("sid-a1", "u2"), Vec::<String>::new());

    let of_alice = store.end_sessions_of(&UserId::new("u1")).unwrap();
    assert_eq!(
        of_alice,
        vec![EndedSession {
            sid: "sid-a2".into(),
            user_id: Some(UserId::new("u1"))
        }]
    );
    assert_eq!(ids("sid-a2", "u1"), ["g3"]);
    // Bob's session is untouched.
    assert!(store.session(&d("b1"), t(1)).unwrap().is_some());
    assert!(store
        .end_sessions_of(&UserId::new("u1"))
        .unwrap()
        .is_empty());
}

fn of_eight_concurrent_claims_each_delivery_goes_to_exactly_one() {
    let (store, _db) = setup();
    let queued: Vec<_> = (0..12)
        .map(|i| delivery(&format!("d{i}"), if i % 2 == 0 { "c1" } else { "c2" }, 0))
        .collect();
    store.insert_logout_deliveries(&queued).unwrap();
    assert_eq!(store.logout_deliveries().unwrap().len(), 12);
    let store = Arc::new(store);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || store.claim_logout_deliveries(t(1), t(60), 12).unwrap())
        })
        .collect();
    let mut claimed: Vec<LogoutDelivery> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    claimed.sort_by(|a, b| a.id.cmp(&b.id));
    let mut ids: Vec<_> = claimed.iter().map(|d| d.id.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), claimed.len(), "a delivery was claimed twice");
    assert_eq!(claimed.len(), 12);
    let first = claimed.iter().find(|c| c.id == "d0").unwrap();
    assert_eq!(first.attempts, 1);
    assert_eq!(first.next_attempt_at, t(60));
    assert_eq!(first.claims, queued[0].claims);
    assert_eq!(first.uri, queued[0].uri);

    // Leased: nothing is due again before the lease ends.
    assert!(store
        .claim_logout_deliveries(t(59), t(120), 12)
        .unwrap()
        .is_empty());
    // A failed attempt is retried when it says; a delivered one is gone.
    assert!(store.retry_logout_delivery("d0", t(10)).unwrap());
    assert!(store.delete_logout_delivery("d1").unwrap());
    assert!(!store.delete_logout_delivery("d1").unwrap());
    let again = store.claim_logout_deliveries(t(10), t(70), 12).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, "d0");
    assert_eq!(again[0].attempts, 2);
    // Every delivery leased until t(60) or later is due then.
    assert_eq!(
        store
            .claim_logout_deliveries(t(70), t(130), 100)
            .unwrap()
            .len(),
        11 - 1 + 1
    );
}

fn deliveries_outlive_their_user_but_go_with_their_client() {
    let (store, _db) = setup();
    store
        .insert_logout_deliveries(&[delivery("d1", "c1", 0), delivery("d2", "c2", 0)])
        .unwrap();
    assert!(store.delete_user("alice").unwrap());
    assert_eq!(store.logout_deliveries().unwrap().len(), 2);
    assert!(idp_core::ClientRepo::delete_client(&store, &ClientId::new("c1")).unwrap());
    let left: Vec<_> = store
        .logout_deliveries()
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(left, ["d2"]);
}

fn purge_keeps_an_empty_grant_while_its_session_lives() {
    let (store, _db) = setup();
    store.insert_session(&session("a1", Some("u1"))).unwrap();
    let mut live = grant("g1", Subject::User(UserId::new("u1")));
    live.sid = Some("sid-a1".into());
    let mut gone = grant("g2", Subject::User(UserId::new("u1")));
    gone.sid = Some("sid-ended".into());
    for g in [&live, &gone] {
        store.insert_grant_with_tokens(g, None, None).unwrap();
    }
    let before = PurgeBefore {
        now: t(10),
        codes: t(10),
        used_refresh_tokens: t(10),
        failures: t(10),
    };
    store.purge_expired(&before).unwrap();
    assert_eq!(
        store
            .session_grants("sid-a1", &UserId::new("u1"))
            .unwrap()
            .len(),
        1
    );
    assert!(store
        .session_grants("sid-ended", &UserId::new("u1"))
        .unwrap()
        .is_empty());
    // Once the session has expired, the empty grant goes too.
    store
        .purge_expired(&PurgeBefore {
            now: t(2000),
            ..before
        })
        .unwrap();
    assert!(store
        .session_grants("sid-a1", &UserId::new("u1"))
        .unwrap()
        .is_empty());
}

idp_testdb::on_both_backends!(
    the_sid_of_a_grant_round_trips,
    ending_sessions_reports_them_once_and_lists_the_clients_of_each,
    of_eight_concurrent_claims_each_delivery_goes_to_exactly_one,
    deliveries_outlive_their_user_but_go_with_their_client,
    purge_keeps_an_empty_grant_while_its_session_lives,
);
