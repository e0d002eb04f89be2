//! Upgrading a database made by an earlier release keeps its data.

use idp_core::{
    CodeRepo, GrantId, KeyRepo, KeyState, KeySummary, SecretDigest, SessionRepo, Subject,
    TokenRepo, UserId,
};
use idp_store::DieselStore;

use crate::t;

const SQLITE_INITIAL: &str = include_str!("../../migrations/sqlite/2026-11-25-000000_init/up.sql");
const POSTGRES_INITIAL: &str =
    include_str!("../../migrations/postgres/2026-11-25-000000_init/up.sql");

fn upgrading_from_the_first_schema_keeps_codes_tokens_sessions_and_the_active_key() {
    let db = idp_testdb::TestDb::fresh();
    let (initial, blob1, blob2) = match db.backend() {
        idp_testdb::Backend::Sqlite => (SQLITE_INITIAL, "x'01'", "x'02'"),
        idp_testdb::Backend::Postgres => (POSTGRES_INITIAL, "'\\x01'", "'\\x02'"),
    };
    {
        db.execute(initial);
        db.execute(
            &"CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, \
               run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
             INSERT INTO __diesel_schema_migrations (version) VALUES ('20261125000000');
             INSERT INTO users VALUES ('u1', 'alice', 'hash', NULL, FALSE, NULL, 1800000000);
             INSERT INTO clients VALUES ('c1', 'App', 'confidential', 'ab', '[\"https://a/cb\"]',
               'authorization_code refresh_token', 'openid offline_access', FALSE, FALSE, FALSE, 1800000000);
             INSERT INTO authorization_codes VALUES ('cd', 'g1', 'c1', 'u1', 'https://a/cb',
               'openid offline_access', 'n', NULL, 1800000000, 1800000001, 1800000061, 1800000002);
             INSERT INTO access_tokens VALUES ('at', 'g1', 'c1', 'u1', 'openid', 1800000002, 1800003602, FALSE);
             INSERT INTO refresh_tokens VALUES ('rt', 'g1', 'c1', 'u1', 'openid offline_access',
               1800000000, 1800000002, 1800086400, NULL, FALSE);
             INSERT INTO refresh_tokens VALUES ('r2', 'g2', 'c1', 'u1', 'openid', 1799990000,
               1799990000, 1800086400, NULL, TRUE);
             INSERT INTO signing_keys VALUES ('old', 'RS256', BLOB1, 1799000000, FALSE);
             INSERT INTO signing_keys VALUES ('cur', 'RS256', BLOB2, 1800000000, TRUE);
             INSERT INTO browser_sessions VALUES ('sd', 'u1', 1800000000, 'csrf', 1800000000, 1800043200);"
                .replace("BLOB1", blob1)
                .replace("BLOB2", blob2),
        );
    }
    let store = DieselStore::open(db.url()).unwrap();

    let code = store.code(&SecretDigest::from_hex("cd")).unwrap().unwrap();
    assert_eq!(code.record.used_at, Some(t(2)));
    assert_eq!(code.grant.id, GrantId::new("g1"));
    assert_eq!(code.grant.subject, Subject::User(UserId::new("u1")));
    assert_eq!(code.grant.scope.to_string(), "offline_access openid");
    assert_eq!(code.grant.auth_time, t(0));

    let access = store
        .access_token(&SecretDigest::from_hex("at"))
        .unwrap()
        .unwrap();
    assert_eq!(access.grant.id, GrantId::new("g1"));
    assert_eq!(access.user.unwrap().username, "alice");
    // A grant known only from its refresh token, whose revoked flag survives.
    let r2 = store
        .refresh_token(&SecretDigest::from_hex("r2"))
        .unwrap()
        .unwrap();
    assert!(r2.record.revoked);
    assert_eq!(r2.grant.auth_time, t(-10_000));

    let keys = store.key_summaries().unwrap();
    let states = KeySummary::states(&keys, t(10));
    let active: Vec<_> = keys
        .iter()
        .zip(states)
        .filter(|(_, s)| *s == KeyState::Active)
        .map(|(k, _)| k.kid.as_str())
        .collect();
    assert_eq!(active, ["cur"]);

    let session = store
        .session(&SecretDigest::from_hex("sd"), t(1))
        .unwrap()
        .unwrap();
    assert_eq!(session.sid.len(), 32);
}

idp_testdb::on_both_backends!(
    upgrading_from_the_first_schema_keeps_codes_tokens_sessions_and_the_active_key,
);
