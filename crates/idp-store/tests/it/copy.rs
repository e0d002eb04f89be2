//! Copying a whole database into an empty one (`idp-admin migrate`), within a backend and
//! across: what the repository traits read back from the copy is what they read from the
//! original.

use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use idp_core::{
    AuthorizationRequestRepo, ClientDocumentRepo, ClientId, ClientRepo, ClientType, CodeRepo,
    ConsentRepo, DeclaredRepo, DeviceRepo, GrantId, GroupRepo, JwsAlgorithm, KeyRepo, KeySummary,
    LogoutRepo, Redemption, RegistrationRepo, ScopeDefinition, ScopeRepo, ScopeSet, SessionRepo,
    SettingsRepo, SigningKey, Subject, ThrottleRepo, TokenRepo, UserId, UserRepo,
};
use idp_store::{copy_database, CopyReport, DieselStore, StoreError};
use idp_testdb::{Backend, TestDb};

use crate::fixtures::{code, d, grant, pending, session, tokens};
use crate::t;

/// Users beyond the first two: more than one batch (1000 rows), all in one group, so
/// both single and two-column keys are paged across a batch boundary.
const MANY: usize = 1_100;

/// A client described by a Client ID Metadata Document.
const DOCUMENT_CLIENT: &str = "https://app.example/client.json";

fn key() -> SigningKey {
    SigningKey {
        summary: KeySummary {
            kid: "k1".into(),
            alg: JwsAlgorithm::Rs256,
            created_at: t(0),
            activate_at: t(3600),
            retired_at: Some(t(7200)),
        },
        private_key_pkcs8: vec![0, 1, 2, 127, 128, 255, 0],
    }
}

/// Puts a row into every table through the repository traits, with `many` more users in
/// the group `staff`.
fn fill(store: &DieselStore, many: usize) {
    store.insert_group("id-staff", "staff", t(0)).unwrap();
    store.insert_group("id-admins", "admins", t(1)).unwrap();
    store
        .insert_user(
            &crate::users::user_with_profile("u1", "alice"),
            &["staff".into(), "admins".into()],
        )
        .unwrap();
    let mut bob = crate::users::user("u2", "bob");
    (bob.email, bob.name, bob.email_verified) = (None, None, false);
    store.insert_user(&bob, &[]).unwrap();
    for i in 0..many {
        let user = crate::users::user(&format!("m{i:05}"), &format!("member{i:05}"));
        store.insert_user(&user, &["staff".into()]).unwrap();
    }

    store
        .insert_client(&crate::clients::client_with_options("c1"))
        .unwrap();
    let mut public = crate::clients::client("c2");
    (public.client_type, public.secret_digest) = (ClientType::Public, None);
    store.insert_client(&public).unwrap();
    store
        .insert_registered_client(
            &crate::clients::client("c3"),
            &idp_core::RegistrationRecord {
                registration: idp_core::SelfRegistration {
                    registered_at: t(1),
                    expires_at: Some(t(99_999)),
                },
                access_token_digest: idp_core::SecretDigest::from_hex("ef".repeat(32)),
                application_type: "web".into(),
                token_endpoint_auth_method: "client_secret_post".into(),
            },
            10,
            t(1),
        )
        .unwrap();
    store
        .insert_logout_deliveries(&[idp_core::LogoutDelivery {
            id: "ld1".into(),
            client_id: ClientId::new("c1"),
            uri: "https://rp.example/logout".into(),
            claims: idp_core::LogoutClaims {
                sub: Some("u1".into()),
                sid: Some("sid-\u{e9}".into()),
                jti: "j1".into(),
            },
            attempts: 2,
            next_attempt_at: t(9),
            created_at: t(3),
        }])
        .unwrap();
    store
        .insert_initial_access_token(&idp_core::InitialAccessToken {
            id: "iat1".into(),
            digest: idp_core::SecretDigest::from_hex("12".repeat(32)),
            created_at: t(2),
            expires_at: None,
        })
        .unwrap();
    let mut documented = crate::clients::client(DOCUMENT_CLIENT);
    (documented.client_type, documented.secret_digest) = (ClientType::Public, None);
    documented.options.metadata_document = Some(idp_core::DocumentedClient::default());
    store
        .store_client_document(
            &documented,
            &idp_core::ClientDocumentRecord {
                fetched_at: t(4),
                expires_at: t(604),
            },
        )
        .unwrap();
    store
        .apply_declared(
            &idp_core::DeclaredChanges {
                record: vec![idp_core::DeclaredItem {
                    kind: idp_core::DeclaredKind::Client,
                    name: "c1".into(),
                }],
                ..idp_core::DeclaredChanges::default()
            },
            t(2),
        )
        .unwrap();
    store
        .save_consent(
            &UserId::new("u1"),
            &ClientId::new("c1"),
            &ScopeSet::parse("openid email").unwrap(),
            t(3),
        )
        .unwrap();

    // g1: a code redeemed, its refresh token rotated once (so used).
    let alice = || Subject::User(UserId::new("u1"));
    store
        .insert_code(
            &idp_core::Grant {
                sid: Some("sid-1".into()),
                ..grant("g1", alice())
            },
            &code("c-g1", "g1"),
        )
        .unwrap();
    let redeemed = |r| assert_eq!(r, Redemption::Redeemed);
    redeemed(
        store
            .redeem_code(&d("c-g1"), t(2), &tokens("a-g1", Some("r-g1"), "g1"))
            .unwrap(),
    );
    redeemed(
        store
            .redeem_refresh_token(&d("r-g1"), t(5), &tokens("a2-g1", Some("r2-g1"), "g1"))
            .unwrap(),
    );
    // g2: the client's own grant (no user); g3: revoked.
    let client = Subject::Client(ClientId::new("c1"));
    store
        .insert_code(&grant("g2", client), &code("c-g2", "g2"))
        .unwrap();
    store
        .insert_code(&grant("g3", alice()), &code("c-g3", "g3"))
        .unwrap();
    store.revoke_grant(&GrantId::new("g3"), t(4)).unwrap();

    store.insert_signing_key(&key()).unwrap();
    store.insert_session(&session("5e01", Some("u1"))).unwrap();
    store.insert_session(&session("5e02", None)).unwrap();
    store.insert_pending(&pending()).unwrap();
    store.note_failure("user:alice", t(0), t(-60)).unwrap();
    store.note_failure("user:alice", t(1), t(-60)).unwrap();
    store.note_failure("ip:192.0.2.1", t(2), t(-60)).unwrap();
    store
        .insert_scope(&ScopeDefinition {
            name: "event:write".into(),
            description: "Create events".into(),
            created_at: t(1),
        })
        .unwrap();
    store
        .set_setting("access_token_lifetime", "600", t(2))
        .unwrap();
    store
        .insert_device_authorization(&crate::device::device_authorization("dc1", "uc1"))
        .unwrap();
    store
        .decide_device_authorization(&d("uc1"), Some(&crate::device::approval()), t(1))
        .unwrap();
    store.record_device_poll(&d("dc1"), t(2), 5).unwrap();
}

/// Everything [`fill`] stored, as the repository traits read it back.
fn contents(store: &DieselStore) -> Vec<String> {
    let mut out = Vec::new();
    let mut users = store.users().unwrap();
    users.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    for user in users {
        out.push(format!("{user:?} {:?}", store.groups_of(&user.id).unwrap()));
    }
    let mut groups = store.groups().unwrap();
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    for mut group in groups {
        group.members.sort();
        out.push(format!("{group:?}"));
    }
    let mut clients = store.clients().unwrap();
    clients.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    out.push(format!("{clients:?}"));
    out.push(format!(
        "{:?} {:?}",
        store.registration_record(&ClientId::new("c3")).unwrap(),
        store.initial_access_tokens().unwrap()
    ));
    out.push(format!("{:?}", store.logout_deliveries().unwrap()));
    out.push(format!(
        "{:?}",
        store
            .client_document(&ClientId::new(DOCUMENT_CLIENT))
            .unwrap()
    ));
    let consent = store.consent(&UserId::new("u1"), &ClientId::new("c1"));
    out.push(format!("{:?}", consent.unwrap()));
    for c in ["c-g1", "c-g2", "c-g3"] {
        out.push(format!("{:?}", store.code(&d(c)).unwrap()));
    }
    for a in ["a-g1", "a2-g1"] {
        out.push(format!("{:?}", store.access_token(&d(a)).unwrap()));
    }
    for r in ["r-g1", "r2-g1"] {
        out.push(format!("{:?}", store.refresh_token(&d(r)).unwrap()));
    }
    out.push(format!("{:?}", store.key_summaries().unwrap()));
    out.push(format!("{:?}", store.signing_key("k1").unwrap()));
    for s in ["5e01", "5e02"] {
        out.push(format!("{:?}", store.session(&d(s), t(1)).unwrap()));
    }
    out.push(format!("{:?}", store.pending("req1", t(1)).unwrap()));
    out.push(format!("{:?}", store.declared_items().unwrap()));
    for k in ["user:alice", "ip:192.0.2.1"] {
        out.push(format!("{k}: {:?}", store.failures(k, t(-100)).unwrap()));
    }
    out.push(format!("{:?}", store.scope_definitions().unwrap()));
    out.push(format!("{:?}", store.settings().unwrap()));
    out.push(format!(
        "{:?}",
        store.device_authorization(&d("dc1")).unwrap()
    ));
    out
}

fn open(db: &TestDb) -> DieselStore {
    DieselStore::open(db.url()).unwrap()
}

/// Copies a filled database of `from` into an empty one of `to` and compares.
fn copies_everything(from: Backend, to: Backend) {
    let (source_db, target_db) = (TestDb::of(from), TestDb::of(to));
    let (source, target) = (open(&source_db), open(&target_db));
    fill(&source, MANY);
    let before = contents(&source);
    // Something of everything was stored (so a lost column shows below).
    assert!(
        before.iter().all(|line| !line.ends_with("None")),
        "{before:#?}"
    );

    let report = copy_database(&source, &target).unwrap();

    assert_eq!(contents(&target), before);
    assert_eq!(contents(&source), before, "the source is unchanged");
    let rows = |table: &str| {
        report
            .tables
            .iter()
            .find(|t| t.table == table)
            .unwrap_or_else(|| panic!("{table} not in {report:?}"))
            .rows
    };
    assert!(report.tables.iter().all(|t| t.rows > 0), "{report:?}");
    assert_eq!(rows("users"), 2 + MANY as u64);
    assert_eq!(rows("group_members"), 2 + MANY as u64);
    assert_eq!(rows("grants"), 3);
    assert_eq!(rows("access_tokens"), 2);
    assert_eq!(rows("failure_counters"), 2);
    assert_eq!(
        report.total(),
        report.tables.iter().map(|t| t.rows).sum::<u64>()
    );
    // The copy is a working database: it takes new rows and enforces its constraints.
    assert!(target
        .insert_user(&crate::users::user("u1", "alice2"), &[])
        .is_err());
    assert_eq!(
        target
            .redeem_refresh_token(&d("r2-g1"), t(9), &tokens("a3", None, "g1"))
            .unwrap(),
        Redemption::Redeemed
    );
    assert!(target.delete_user("alice").unwrap());
    assert!(target.access_token(&d("a-g1")).unwrap().is_none());
}

#[test]
fn copies_sqlite_to_sqlite() {
    copies_everything(Backend::Sqlite, Backend::Sqlite);
}

#[test]
fn copies_sqlite_to_postgres() {
    idp_testdb::run_on(Backend::Postgres, || {
        copies_everything(Backend::Sqlite, Backend::Postgres);
    });
}

#[test]
fn copies_postgres_to_sqlite() {
    idp_testdb::run_on(Backend::Postgres, || {
        copies_everything(Backend::Postgres, Backend::Sqlite);
    });
}

#[test]
fn copies_postgres_to_postgres() {
    idp_testdb::run_on(Backend::Postgres, || {
        copies_everything(Backend::Postgres, Backend::Postgres);
    });
}

/// A filled SQLite source, and an empty target of the test's backend.
fn source_and_target() -> [(DieselStore, TestDb); 2] {
    let source_db = TestDb::of(Backend::Sqlite);
    let source = open(&source_db);
    fill(&source, 3);
    let target_db = TestDb::fresh();
    [(source, source_db), (open(&target_db), target_db)]
}

fn a_non_empty_target_is_refused_and_left_unchanged() {
    let [(source, _s), (target, _t)] = source_and_target();
    let before = contents(&source);
    // Only the last table copied holds something.
    target.note_failure("k", t(0), t(-60)).unwrap();
    let err = copy_database(&source, &target).unwrap_err();
    assert!(
        matches!(&err, StoreError::NotEmpty { table, rows: 1 } if table == "failure_counters"),
        "{err:?}"
    );
    assert!(err.to_string().contains("not empty"), "{err}");
    assert!(target.users().unwrap().is_empty());
    assert!(target.clients().unwrap().is_empty());
    assert_eq!(target.failures("k", t(-60)).unwrap().unwrap().count, 1);
    assert_eq!(contents(&source), before);
}

fn a_failed_copy_leaves_the_target_empty() {
    let [(source, source_db), (target, _t)] = source_and_target();
    // A membership of a group that does not exist (SQLite stored it because foreign keys
    // were off): copying it fails after users and groups went into the target.
    idp_testdb::TestDb::execute(
        &source_db,
        "PRAGMA foreign_keys = OFF; INSERT INTO group_members VALUES ('ghosts', 'u1');",
    );
    let err = copy_database(&source, &target).unwrap_err();
    assert!(matches!(err, StoreError::Query(_)), "{err:?}");
    assert!(target.users().unwrap().is_empty());
    assert!(target.groups().unwrap().is_empty());
    // And the target can be copied into once the source is repaired.
    idp_testdb::TestDb::execute(
        &source_db,
        "DELETE FROM group_members WHERE group_name = 'ghosts';",
    );
    copy_database(&source, &target).unwrap();
    assert_eq!(contents(&target), contents(&source));
}

fn a_database_of_another_schema_version_is_refused() {
    let [(source, _s), (target, target_db)] = source_and_target();
    // As if a newer release had migrated the target.
    idp_testdb::TestDb::execute(
        &target_db,
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231000000');",
    );
    let err = copy_database(&source, &target).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, StoreError::SchemaMismatch(_)), "{err:?}");
    assert!(
        message.contains("target") && message.contains("29991231000000"),
        "{message}"
    );
    assert!(target.users().unwrap().is_empty());
}

/// The tables of the test's database, as its catalogue lists them.
fn tables_in(db: &TestDb) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let names: Vec<Name> = match db.backend() {
        Backend::Sqlite => diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .load(&mut SqliteConnection::establish(db.url().trim_start_matches("sqlite://")).unwrap())
        .unwrap(),
        Backend::Postgres => diesel::sql_query(
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = 'public'",
        )
        .load(&mut PgConnection::establish(db.url()).unwrap())
        .unwrap(),
    };
    let mut names: Vec<String> = names
        .into_iter()
        .map(|n| n.name)
        .filter(|n| n != "__diesel_schema_migrations")
        .collect();
    names.sort();
    names
}

fn every_table_of_the_database_is_copied() {
    let (source_db, target_db) = (TestDb::fresh(), TestDb::fresh());
    let (source, target) = (open(&source_db), open(&target_db));
    let report: CopyReport = copy_database(&source, &target).unwrap();
    assert_eq!(report.total(), 0);
    let mut copied: Vec<String> = report.tables.iter().map(|t| t.table.to_owned()).collect();
    copied.sort();
    assert_eq!(copied, tables_in(&target_db));
}

idp_testdb::on_both_backends!(
    a_non_empty_target_is_refused_and_left_unchanged,
    a_failed_copy_leaves_the_target_empty,
    a_database_of_another_schema_version_is_refused,
    every_table_of_the_database_is_copied,
);
