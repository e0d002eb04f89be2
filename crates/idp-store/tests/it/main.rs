//! The store against real databases: each test runs on a fresh SQLite file and, when
//! `IDP_TEST_POSTGRES_URL` is set, again on a fresh PostgreSQL database (`idp-testdb`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod client_documents;
mod clients;
mod copy;
mod declared;
mod device;
mod fixtures;
mod grants;
mod logout;
mod migrations;
mod registration;
mod sessions;
mod settings;
mod users;

use chrono::{DateTime, TimeZone, Utc};
use idp_store::DieselStore;

/// A store on a new database of the test's backend, and that database (dropped with it).
pub fn fresh_store() -> (DieselStore, idp_testdb::TestDb) {
    let db = idp_testdb::TestDb::fresh();
    let store = DieselStore::open(db.url()).unwrap();
    (store, db)
}

/// A fixed instant.
pub fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
}
