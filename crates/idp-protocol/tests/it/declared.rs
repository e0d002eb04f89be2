//! `manage::declared`: planning and applying a configuration file's declarations.

use chrono::TimeZone;
use idp_core::{
    ClientDeclaration, ClientId, ClientRepo, CoreError, Declarations, DeclaredSecret, FixedClock,
    GroupDeclaration, GroupRepo, IdTokenAlg, ScopeDeclaration,
};
use idp_protocol::manage::{self, NewUser};
use idp_protocol::{KeyEncryptionKey, ProtocolError};
use idp_store::DieselStore;

const ID: &str = "declareddeclareddeclareddeclared";
const SECRET: &str = "s3cretS3cretS3cretS3cretS3cret0123";

fn setup() -> (DieselStore, FixedClock, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = DieselStore::open(&format!("sqlite://{}/idp.db", dir.path().display())).unwrap();
    let clock = FixedClock::new(chrono::Utc.timestamp_opt(1_800_000_000, 0).unwrap());
    (store, clock, dir)
}

fn client() -> ClientDeclaration {
    ClientDeclaration {
        client_id: ID.into(),
        name: "Declared".into(),
        redirect_uris: vec!["https://app.example/cb".into()],
        secret: Some(DeclaredSecret::new(SECRET)),
        ..ClientDeclaration::default()
    }
}

fn clients(c: ClientDeclaration) -> Declarations {
    Declarations {
        clients: vec![c],
        ..Declarations::default()
    }
}

fn refusal(e: ProtocolError) -> (String, String) {
    match e {
        ProtocolError::Declaration { entry, reason } => (entry, reason),
        other => panic!("{other:?}"),
    }
}

#[test]
fn hs256_clients_are_sealed_once_and_a_second_apply_changes_nothing() {
    let (store, clock, _dir) = setup();
    let kek = KeyEncryptionKey::from_bytes(&[7; 32]).unwrap();
    let hs256 = clients(ClientDeclaration {
        id_token_alg: Some("HS256".into()),
        ..client()
    });
    // Without the key-encryption key the secret cannot be sealed: refused, naming the entry.
    let (entry, reason) = refusal(manage::plan(&store, &clock, None, &hs256, false).unwrap_err());
    assert_eq!(entry, format!("clients[0] (client_id {ID})"));
    assert!(reason.contains("key-encryption key"), "{reason}");

    let first = manage::apply_declarations(&store, &clock, Some(&kek), &hs256, false).unwrap();
    assert_eq!(first.created.len(), 1);
    let stored = store.client(&ClientId::new(ID)).unwrap().unwrap();
    assert_eq!(stored.options.id_token_alg, IdTokenAlg::Hs256);
    assert!(stored.secret_sealed.is_some());
    assert!(manage::client_secret_is(&stored, SECRET));

    clock.advance(chrono::Duration::seconds(60));
    let second = manage::apply_declarations(&store, &clock, Some(&kek), &hs256, false).unwrap();
    assert!(second.is_noop(), "{second:?}");
    assert_eq!(second.unchanged.len(), 1);
    assert_eq!(store.client(&ClientId::new(ID)).unwrap().unwrap(), stored);
}

#[test]
fn a_declared_client_may_exchange_tokens_for_its_exchange_audiences() {
    let (store, clock, _dir) = setup();
    let exchanging = clients(ClientDeclaration {
        redirect_uris: Vec::new(),
        grant_types: vec!["token_exchange".into()],
        resources: vec!["https://a.example/api".into()],
        exchange_audiences: vec!["https://b.example/api".into()],
        ..client()
    });
    manage::apply_declarations(&store, &clock, None, &exchanging, false).unwrap();
    let stored = store.client(&ClientId::new(ID)).unwrap().unwrap();
    assert_eq!(stored.grant_types, [idp_core::GrantType::TokenExchange]);
    assert_eq!(
        stored.options.exchange_audiences,
        ["https://b.example/api".to_owned()]
    );
    let public = clients(ClientDeclaration {
        client_type: Some("public".into()),
        secret: None,
        ..ClientDeclaration {
            client_id: "publicpublicpublicpublicpublic01".into(),
            ..exchanging.clients[0].clone()
        }
    });
    let (_, reason) = refusal(manage::plan(&store, &clock, None, &public, false).unwrap_err());
    assert!(reason.contains("confidential clients only"), "{reason}");
}

#[test]
fn a_stale_plan_conflicts_and_applying_again_plans_anew() {
    let (store, clock, _dir) = setup();
    let declared = clients(client());
    let stale = manage::plan(&store, &clock, None, &declared, false).unwrap();
    // Another instance applies the same file first.
    manage::apply_declarations(&store, &clock, None, &declared, false).unwrap();
    let e = manage::apply(&store, &clock, &stale).unwrap_err();
    assert!(
        matches!(e, ProtocolError::Refused(CoreError::Conflict(_))),
        "{e:?}"
    );
    let again = manage::apply_declarations(&store, &clock, None, &declared, false).unwrap();
    assert!(again.is_noop());
    assert_eq!(store.clients().unwrap().len(), 1);
}

#[test]
fn entries_that_break_a_rule_are_refused_by_name() {
    let (store, clock, _dir) = setup();
    let check = |declared: Declarations, entry: &str, mentions: &str| {
        let (e, reason) =
            refusal(manage::plan(&store, &clock, None, &declared, false).unwrap_err());
        assert_eq!(e, entry);
        assert!(reason.contains(mentions), "{reason}");
    };
    let entry = format!("clients[0] (client_id {ID})");
    check(
        clients(ClientDeclaration {
            secret: None,
            ..client()
        }),
        &entry,
        "client_secret_file",
    );
    check(
        clients(ClientDeclaration {
            client_type: Some("public".into()),
            ..client()
        }),
        &entry,
        "public clients have no secret",
    );
    check(
        clients(ClientDeclaration {
            redirect_uris: vec!["not a uri".into()],
            ..client()
        }),
        &entry,
        "not a uri",
    );
    check(
        clients(ClientDeclaration {
            allowed_groups: vec!["nobody".into()],
            ..client()
        }),
        &entry,
        "nobody",
    );
    check(
        Declarations {
            clients: vec![client(), client()],
            ..Declarations::default()
        },
        &format!("clients[1] ({ID})"),
        "declared twice",
    );
    check(
        Declarations {
            groups: vec![GroupDeclaration {
                name: "staff".into(),
                members: Some(vec!["ghost".into()]),
            }],
            ..Declarations::default()
        },
        "groups[0] (name staff)",
        "ghost",
    );
    check(
        Declarations {
            scopes: vec![ScopeDeclaration {
                name: "openid".into(),
                description: "Mine".into(),
            }],
            ..Declarations::default()
        },
        "scopes[0] (name openid)",
        "openid",
    );
    // The type of an existing client cannot change.
    manage::apply_declarations(&store, &clock, None, &clients(client()), false).unwrap();
    check(
        clients(ClientDeclaration {
            client_type: Some("public".into()),
            secret: None,
            ..client()
        }),
        &entry,
        "type cannot change",
    );
}

#[test]
fn declared_members_are_exactly_the_group_and_scopes_and_groups_may_be_used_at_once() {
    let (store, clock, _dir) = setup();
    for username in ["alice", "bob"] {
        manage::create_user(
            &store,
            &clock,
            NewUser {
                username: username.into(),
                password: "correct horse battery staple".into(),
                ..NewUser::default()
            },
        )
        .unwrap();
    }
    let declared = |members: &[&str]| Declarations {
        scopes: vec![ScopeDeclaration {
            name: "calendar".into(),
            description: "Calendars".into(),
        }],
        groups: vec![GroupDeclaration {
            name: "staff".into(),
            members: Some(members.iter().map(|m| (*m).to_owned()).collect()),
        }],
        clients: vec![ClientDeclaration {
            scopes: vec!["openid".into(), "calendar".into()],
            allowed_groups: vec!["staff".into()],
            ..client()
        }],
    };
    manage::apply_declarations(&store, &clock, None, &declared(&["alice"]), false).unwrap();
    assert_eq!(store.groups().unwrap()[0].members, ["alice".to_owned()]);
    let plan =
        manage::apply_declarations(&store, &clock, None, &declared(&["bob"]), false).unwrap();
    assert_eq!(plan.updated.len(), 1);
    assert_eq!(store.groups().unwrap()[0].members, ["bob".to_owned()]);
    // A group declared without members leaves its membership alone.
    let mut without = declared(&[]);
    without.groups[0].members = None;
    let plan = manage::apply_declarations(&store, &clock, None, &without, false).unwrap();
    assert!(plan.is_noop());
    assert_eq!(store.groups().unwrap()[0].members, ["bob".to_owned()]);
}
