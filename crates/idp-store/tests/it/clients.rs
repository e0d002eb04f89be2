use idp_core::{
    Client, ClientId, ClientRepo, ClientType, CoreError, GrantType, RedirectUri, ScopeSet,
    SecretDigest,
};
use idp_store::DieselStore;

use crate::{fresh_store, t};

pub fn client(id: &str) -> Client {
    Client {
        id: ClientId::new(id),
        name: "App".into(),
        client_type: ClientType::Confidential,
        secret_digest: Some(SecretDigest::from_hex("ab".repeat(32))),
        redirect_uris: vec![
            RedirectUri::from_trusted("https://app.example/cb"),
            RedirectUri::from_trusted("http://127.0.0.1:9000/cb?x=\"1\""),
        ],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        scopes: ScopeSet::parse("openid profile").unwrap(),
        default_scopes: ScopeSet::parse("profile").unwrap(),
        first_party: true,
        refresh_without_offline_access: true,
        include_user_id: false,
        options: idp_core::ClientOptions::default(),
        secret_sealed: None,
        created_at: t(5),
        updated_at: t(5),
        self_registered: None,
    }
}

/// A client with every option set.
pub fn client_with_options(id: &str) -> Client {
    Client {
        options: idp_core::ClientOptions {
            implicit: true,
            id_token_alg: idp_core::IdTokenAlg::Hs256,
            jwt_access_token: true,
            access_token_alg: idp_core::JwsAlgorithm::EdDsa,
            resources: vec!["https://api.example/".into()],
            access_token_lifetime: Some(600),
            refresh_token_lifetime: Some(0),
            id_token_lifetime: Some(300),
            claims_in_id_token: true,
            group_claim: idp_core::GroupClaim::Ids,
            allowed_groups: vec!["staff".into()],
            post_logout_redirect_uris: vec![RedirectUri::from_trusted("https://app.example/bye")],
            backchannel_logout_uri: Some("https://app.example/bcl".into()),
            backchannel_logout_session_required: true,
            frontchannel_logout_uri: Some("https://app.example/fcl".into()),
            frontchannel_logout_session_required: true,
            token_endpoint_auth_method: Some(idp_core::SecretMethod::Post),
            resource_server: true,
        },
        secret_sealed: Some(vec![0, 1, 2, 255]),
        updated_at: t(8),
        ..client(id)
    }
}

fn clients_are_updated_but_keep_id_type_and_secret() {
    let (store, _db) = fresh_store();
    insert_client(&store, "c1");
    let mut changed = client_with_options("c1");
    changed.name = "Renamed".into();
    changed.secret_digest = Some(SecretDigest::from_hex("ee".repeat(32)));
    changed.client_type = ClientType::Public;
    assert!(store.update_client(&changed).unwrap());
    let read = store.client(&ClientId::new("c1")).unwrap().unwrap();
    assert_eq!(read.name, "Renamed");
    assert_eq!(read.options, changed.options);
    assert_eq!(read.updated_at, t(8));
    assert_eq!(read.client_type, ClientType::Confidential);
    assert_eq!(read.secret_digest, client("c1").secret_digest);
    assert_eq!(
        read.secret_sealed, None,
        "the sealed secret changes only with the secret"
    );
    assert!(!store.update_client(&client("nope")).unwrap());
    let digest = SecretDigest::from_hex("cd".repeat(32));
    let id = ClientId::new("c1");
    assert!(store
        .set_client_secret(&id, &digest, Some(&[9, 9]))
        .unwrap());
    assert_eq!(
        store.client(&id).unwrap().unwrap().secret_sealed,
        Some(vec![9, 9])
    );
    assert!(store.set_client_secret(&id, &digest, None).unwrap());
    assert_eq!(store.client(&id).unwrap().unwrap().secret_sealed, None);
}

pub fn insert_client(store: &DieselStore, id: &str) {
    store.insert_client(&client(id)).unwrap();
}

fn clients_round_trip_every_field() {
    let (store, _db) = fresh_store();
    let c = client_with_options("c1");
    store.insert_client(&c).unwrap();
    assert_eq!(store.client(&ClientId::new("c1")).unwrap(), Some(c.clone()));
    assert!(store.client(&ClientId::new("C1")).unwrap().is_none());
    let err = store.insert_client(&c).unwrap_err();
    assert!(matches!(err, CoreError::Conflict(_)), "{err:?}");
    let mut public = client("c0");
    public.client_type = ClientType::Public;
    public.secret_digest = None;
    store.insert_client(&public).unwrap();
    let all = store.clients().unwrap();
    assert_eq!(
        all.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["c0", "c1"]
    );
    assert_eq!(all[0], public);
}

fn secrets_are_replaced_and_clients_removed() {
    let (store, _db) = fresh_store();
    insert_client(&store, "c1");
    let id = ClientId::new("c1");
    let digest = SecretDigest::from_hex("cd".repeat(32));
    assert!(store.set_client_secret(&id, &digest, None).unwrap());
    assert_eq!(
        store.client(&id).unwrap().unwrap().secret_digest,
        Some(digest.clone())
    );
    assert!(!store
        .set_client_secret(&ClientId::new("nope"), &digest, None)
        .unwrap());
    assert!(store.delete_client(&id).unwrap());
    assert!(!store.delete_client(&id).unwrap());
    assert!(store.client(&id).unwrap().is_none());
}

idp_testdb::on_both_backends!(
    clients_round_trip_every_field,
    clients_are_updated_but_keep_id_type_and_secret,
    secrets_are_replaced_and_clients_removed,
);
