//! Device authorizations (RFC 8628): one decision, paced polls, one redemption.

use std::sync::Arc;

use idp_core::{
    ClientId, CoreError, DeviceApproval, DeviceAuthorization, DeviceRepo, DeviceStatus,
    MaintenanceRepo, PollTiming, PurgeBefore, Redemption, ScopeSet, Subject, TokenRepo, UserId,
    UserRepo,
};
use idp_store::DieselStore;

use crate::fixtures::{d, grant, tokens};
use crate::{fresh_store, t};

/// A pending device authorization of client c1, asked for at t(0), expiring at t(600),
/// polled every 5 s.
pub fn device_authorization(device_code: &str, user_code: &str) -> DeviceAuthorization {
    DeviceAuthorization {
        device_code_digest: d(device_code),
        user_code_digest: d(user_code),
        client_id: ClientId::new("c1"),
        scope: ScopeSet::parse("openid offline_access").unwrap(),
        status: DeviceStatus::Pending,
        approval: None,
        created_at: t(0),
        expires_at: t(600),
        last_polled_at: None,
        interval_secs: 5,
        redeemed_at: None,
        resources: vec!["https://api.example/mcp".into()],
    }
}

pub fn approval() -> DeviceApproval {
    DeviceApproval {
        user_id: UserId::new("u1"),
        auth_time: t(-30),
        sid: "sid-\u{e9}".into(),
    }
}

/// User u1 (alice), client c1.
fn setup() -> (DieselStore, idp_testdb::TestDb) {
    let (store, db) = fresh_store();
    store
        .insert_user(&crate::users::user("u1", "alice"), &[])
        .unwrap();
    crate::clients::insert_client(&store, "c1");
    (store, db)
}

fn a_device_authorization_is_found_by_its_user_code_while_pending_and_unexpired() {
    let (store, _db) = setup();
    let stored = device_authorization("dc1", "uc1");
    store.insert_device_authorization(&stored).unwrap();
    assert_eq!(
        store.device_authorization(&d("dc1")).unwrap(),
        Some(stored.clone())
    );
    assert_eq!(store.device_authorization(&d("uc1")).unwrap(), None);
    assert_eq!(
        store.pending_device_authorization(&d("uc1"), t(1)).unwrap(),
        Some(stored)
    );
    assert_eq!(
        store
            .pending_device_authorization(&d("uc1"), t(600))
            .unwrap(),
        None
    );
    assert_eq!(
        store.pending_device_authorization(&d("dc1"), t(1)).unwrap(),
        None
    );
    // A user code names one live authorization.
    assert!(matches!(
        store.insert_device_authorization(&device_authorization("dc2", "uc1")),
        Err(CoreError::Conflict(_))
    ));
}

fn a_device_authorization_is_decided_once() {
    let (store, _db) = setup();
    store
        .insert_device_authorization(&device_authorization("dc1", "uc1"))
        .unwrap();
    store
        .insert_device_authorization(&device_authorization("dc2", "uc2"))
        .unwrap();
    assert!(store
        .decide_device_authorization(&d("uc1"), Some(&approval()), t(5))
        .unwrap());
    assert!(!store
        .decide_device_authorization(&d("uc1"), None, t(6))
        .unwrap());
    let approved = store.device_authorization(&d("dc1")).unwrap().unwrap();
    assert_eq!(approved.status, DeviceStatus::Approved);
    assert_eq!(approved.approval, Some(approval()));
    assert_eq!(
        store.pending_device_authorization(&d("uc1"), t(7)).unwrap(),
        None
    );
    // Denied: no user recorded. Past its expiry nothing is decided.
    assert!(!store
        .decide_device_authorization(&d("uc2"), None, t(600))
        .unwrap());
    assert!(store
        .decide_device_authorization(&d("uc2"), None, t(8))
        .unwrap());
    let denied = store.device_authorization(&d("dc2")).unwrap().unwrap();
    assert_eq!(denied.status, DeviceStatus::Denied);
    assert_eq!(denied.approval, None);
}

fn a_poll_before_the_interval_lengthens_it() {
    let (store, _db) = setup();
    store
        .insert_device_authorization(&device_authorization("dc1", "uc1"))
        .unwrap();
    let poll = |at| store.record_device_poll(&d("dc1"), t(at), 5).unwrap();
    let interval = || {
        store
            .device_authorization(&d("dc1"))
            .unwrap()
            .unwrap()
            .interval_secs
    };
    assert_eq!(poll(10), PollTiming::OnTime);
    assert_eq!(poll(15), PollTiming::OnTime);
    assert_eq!(interval(), 5);
    // Too soon: 5 s more from then on, counted from this poll.
    assert_eq!(poll(17), PollTiming::TooSoon);
    assert_eq!(interval(), 10);
    assert_eq!(poll(26), PollTiming::TooSoon);
    assert_eq!(interval(), 15);
    assert_eq!(poll(41), PollTiming::OnTime);
    assert_eq!(
        store
            .device_authorization(&d("dc1"))
            .unwrap()
            .unwrap()
            .last_polled_at,
        Some(t(41))
    );
    // Decided: no longer a pending authorization to pace.
    assert!(store
        .decide_device_authorization(&d("uc1"), Some(&approval()), t(42))
        .unwrap());
    assert_eq!(poll(60), PollTiming::Unknown);
    assert_eq!(
        store.record_device_poll(&d("nope"), t(60), 5).unwrap(),
        PollTiming::Unknown
    );
}

fn of_eight_concurrent_redemptions_exactly_one_gets_tokens() {
    let (store, _db) = setup();
    store
        .insert_device_authorization(&device_authorization("dc1", "uc1"))
        .unwrap();
    // Not approved yet: nothing to redeem.
    let alice = || Subject::User(UserId::new("u1"));
    assert_eq!(
        store
            .redeem_device_code(
                &d("dc1"),
                t(5),
                &grant("g-early", alice()),
                &tokens("a-early", None, "g-early")
            )
            .unwrap(),
        Redemption::Refused
    );
    assert!(store
        .decide_device_authorization(&d("uc1"), Some(&approval()), t(5))
        .unwrap());
    let store = Arc::new(store);
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let g = format!("g{i}");
                let outcome = store
                    .redeem_device_code(
                        &d("dc1"),
                        t(6),
                        &grant(&g, Subject::User(UserId::new("u1"))),
                        &tokens(&format!("a{i}"), Some(&format!("r{i}")), &g),
                    )
                    .unwrap();
                (i, outcome)
            })
        })
        .collect();
    let winners: Vec<usize> = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|(_, outcome)| *outcome == Redemption::Redeemed)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(winners.len(), 1, "{winners:?}");
    let winner = winners[0];
    for i in 0..8 {
        let access = store.access_token(&d(&format!("a{i}"))).unwrap();
        let refresh = store.refresh_token(&d(&format!("r{i}"))).unwrap();
        assert_eq!(access.is_some(), i == winner, "access token {i}");
        assert_eq!(refresh.is_some(), i == winner, "refresh token {i}");
    }
    let granted = store
        .access_token(&d(&format!("a{winner}")))
        .unwrap()
        .unwrap();
    assert_eq!(granted.grant.id.as_str(), format!("g{winner}"));
    assert_eq!(granted.user.unwrap().username, "alice");
    assert_eq!(
        store
            .device_authorization(&d("dc1"))
            .unwrap()
            .unwrap()
            .redeemed_at,
        Some(t(6))
    );
    // Once redeemed, never again; past its expiry not at all.
    assert_eq!(
        store
            .redeem_device_code(
                &d("dc1"),
                t(7),
                &grant("g-late", alice()),
                &tokens("a-late", None, "g-late")
            )
            .unwrap(),
        Redemption::Refused
    );
}

fn an_expired_device_code_is_not_redeemed_and_is_purged() {
    let (store, _db) = setup();
    store
        .insert_device_authorization(&device_authorization("dc1", "uc1"))
        .unwrap();
    store
        .insert_device_authorization(&DeviceAuthorization {
            expires_at: t(900),
            ..device_authorization("dc2", "uc2")
        })
        .unwrap();
    assert!(store
        .decide_device_authorization(&d("uc1"), Some(&approval()), t(5))
        .unwrap());
    let alice = Subject::User(UserId::new("u1"));
    assert_eq!(
        store
            .redeem_device_code(
                &d("dc1"),
                t(600),
                &grant("g1", alice),
                &tokens("a1", None, "g1")
            )
            .unwrap(),
        Redemption::Refused
    );
    assert!(store.access_token(&d("a1")).unwrap().is_none());
    store
        .purge_expired(&PurgeBefore {
            now: t(600),
            codes: t(600),
            used_refresh_tokens: t(600),
            failures: t(600),
        })
        .unwrap();
    assert_eq!(store.device_authorization(&d("dc1")).unwrap(), None);
    assert!(store.device_authorization(&d("dc2")).unwrap().is_some());
    // Deleting the user who approved takes the authorization with them.
    assert!(store
        .decide_device_authorization(&d("uc2"), Some(&approval()), t(601))
        .unwrap());
    assert!(store.delete_user("alice").unwrap());
    assert_eq!(store.device_authorization(&d("dc2")).unwrap(), None);
}

idp_testdb::on_both_backends!(
    a_device_authorization_is_found_by_its_user_code_while_pending_and_unexpired,
    a_device_authorization_is_decided_once,
    a_poll_before_the_interval_lengthens_it,
    of_eight_concurrent_redemptions_exactly_one_gets_tokens,
    an_expired_device_code_is_not_redeemed_and_is_purged,
);
