use std::sync::Arc;

use idp_core::{
    AccessToken, AuthorizationCode, ClientId, ClientRepo, CodeRepo, ConsumeOutcome, GrantId,
    KeyRepo, RedirectUri, RefreshToken, ScopeSet, SecretDigest, SigningKey, TokenRepo, UserId,
    UserRepo,
};
use idp_store::DieselStore;

use crate::{fresh_store, t};

fn setup() -> (DieselStore, tempfile::TempDir) {
    let (store, dir) = fresh_store();
    store
        .insert_user(&crate::users::user("u1", "alice"), &[])
        .unwrap();
    crate::clients::insert_client(&store, "c1");
    (store, dir)
}

fn code(digest: &str) -> AuthorizationCode {
    AuthorizationCode {
        digest: SecretDigest::from_hex(digest),
        grant_id: GrantId::new("g1"),
        client_id: ClientId::new("c1"),
        user_id: UserId::new("u1"),
        redirect_uri: Some(RedirectUri::from_trusted("https://app.example/cb")),
        scope: ScopeSet::parse("openid").unwrap(),
        nonce: Some("n".into()),
        code_challenge: Some("chS".into()),
        auth_time: t(0),
        created_at: t(1),
        expires_at: t(61),
    }
}

fn access(digest: &str, grant: &str) -> AccessToken {
    AccessToken {
        digest: SecretDigest::from_hex(digest),
        grant_id: GrantId::new(grant),
        client_id: ClientId::new("c1"),
        user_id: UserId::new("u1"),
        scope: ScopeSet::parse("openid").unwrap(),
        created_at: t(0),
        expires_at: t(3600),
        revoked: false,
    }
}

fn refresh(digest: &str, grant: &str) -> RefreshToken {
    RefreshToken {
        digest: SecretDigest::from_hex(digest),
        grant_id: GrantId::new(grant),
        client_id: ClientId::new("c1"),
        user_id: UserId::new("u1"),
        scope: ScopeSet::parse("openid offline_access").unwrap(),
        auth_time: t(0),
        created_at: t(0),
        expires_at: t(86400),
        revoked: false,
    }
}

#[test]
fn codes_are_consumed_once() {
    let (store, _dir) = setup();
    let c = code("aa");
    store.insert_code(&c).unwrap();
    let d = SecretDigest::from_hex("aa");
    assert_eq!(
        store.consume_code(&d, t(2)).unwrap(),
        ConsumeOutcome::Consumed(c.clone())
    );
    assert_eq!(
        store.consume_code(&d, t(3)).unwrap(),
        ConsumeOutcome::AlreadyUsed(c)
    );
    assert_eq!(
        store
            .consume_code(&SecretDigest::from_hex("bb"), t(3))
            .unwrap(),
        ConsumeOutcome::Unknown
    );
}

#[test]
fn concurrent_redemptions_of_one_code_succeed_exactly_once() {
    let (store, _dir) = setup();
    store.insert_code(&code("cc")).unwrap();
    let store = Arc::new(store);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                store
                    .consume_code(&SecretDigest::from_hex("cc"), t(2))
                    .unwrap()
            })
        })
        .collect();
    let outcomes: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let consumed = outcomes
        .iter()
        .filter(|o| matches!(o, ConsumeOutcome::Consumed(_)))
        .count();
    assert_eq!(consumed, 1, "{outcomes:?}");
}

#[test]
fn refresh_tokens_rotate_once_and_grants_revoke_everything() {
    let (store, _dir) = setup();
    store.insert_access_token(&access("a1", "g1")).unwrap();
    store.insert_access_token(&access("a2", "g2")).unwrap();
    store.insert_refresh_token(&refresh("r1", "g1")).unwrap();
    let d = SecretDigest::from_hex("r1");
    assert!(matches!(
        store.consume_refresh_token(&d, t(5)).unwrap(),
        ConsumeOutcome::Consumed(_)
    ));
    assert!(matches!(
        store.consume_refresh_token(&d, t(6)).unwrap(),
        ConsumeOutcome::AlreadyUsed(_)
    ));

    store.insert_refresh_token(&refresh("r2", "g1")).unwrap();
    store.revoke_grant(&GrantId::new("g1")).unwrap();
    assert!(
        store
            .access_token(&SecretDigest::from_hex("a1"))
            .unwrap()
            .unwrap()
            .revoked
    );
    assert!(
        !store
            .access_token(&SecretDigest::from_hex("a2"))
            .unwrap()
            .unwrap()
            .revoked
    );
    match store
        .consume_refresh_token(&SecretDigest::from_hex("r2"), t(7))
        .unwrap()
    {
        ConsumeOutcome::Consumed(r) => assert!(r.revoked),
        other => panic!("{other:?}"),
    }
}

#[test]
fn deleting_a_client_or_user_deletes_what_was_issued_to_them() {
    let (store, _dir) = setup();
    store.insert_access_token(&access("a1", "g1")).unwrap();
    store.insert_code(&code("c1")).unwrap();
    assert!(store.delete_client(&ClientId::new("c1")).unwrap());
    assert!(store
        .access_token(&SecretDigest::from_hex("a1"))
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .consume_code(&SecretDigest::from_hex("c1"), t(2))
            .unwrap(),
        ConsumeOutcome::Unknown
    );

    crate::clients::insert_client(&store, "c1");
    store.insert_access_token(&access("a3", "g3")).unwrap();
    assert!(store.delete_user("alice").unwrap());
    assert!(store
        .access_token(&SecretDigest::from_hex("a3"))
        .unwrap()
        .is_none());
}

#[test]
fn a_new_active_key_deactivates_the_others() {
    let (store, _dir) = fresh_store();
    let key = |kid: &str, at: i64| SigningKey {
        kid: kid.into(),
        alg: "RS256".into(),
        private_key_pkcs8: vec![1, 2, 3, 0, 255],
        created_at: t(at),
        active: true,
    };
    store.insert_signing_key(&key("k1", 0)).unwrap();
    store.insert_signing_key(&key("k2", 10)).unwrap();
    let keys = store.signing_keys().unwrap();
    assert_eq!(
        keys.iter()
            .map(|k| (k.kid.as_str(), k.active))
            .collect::<Vec<_>>(),
        [("k2", true), ("k1", false)]
    );
    assert_eq!(keys[0].private_key_pkcs8, vec![1, 2, 3, 0, 255]);
}

#[test]
fn data_survives_reopening_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/idp.db", dir.path().display());
    {
        let store = DieselStore::open(&url).unwrap();
        crate::clients::insert_client(&store, "c1");
    }
    let store = DieselStore::open(&url).unwrap();
    assert!(store.client(&ClientId::new("c1")).unwrap().is_some());
}

#[test]
fn a_new_database_file_is_private_and_admin_style_opening_migrates_only_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/idp.db", dir.path().display());
    let store = DieselStore::open_with(&url, idp_store::Migrations::OnlyIfNew).unwrap();
    crate::clients::insert_client(&store, "c1");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("idp.db"))
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
    let err = DieselStore::open("postgres://postgres:secret@127.0.0.1/test")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("PostgreSQL") && !err.contains("secret"),
        "{err}"
    );
}
