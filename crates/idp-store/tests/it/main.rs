//! The store against a real SQLite database, one fresh file per test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod clients;
mod grants;
mod migrations;
mod sessions;
mod users;

use chrono::{DateTime, TimeZone, Utc};
use idp_store::DieselStore;

/// A store on a new database, and the directory that holds it.
pub fn fresh_store() -> (DieselStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = DieselStore::open(&format!(
        "sqlite://{}/nested/dir/idp.db",
        dir.path().display()
    ))
    .unwrap();
    (store, dir)
}

/// A fixed instant.
pub fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
}
