//! Storage for the identity provider on diesel.
//!
//! [`DieselStore`] implements every repository trait of `idp-core`. SQLite (bundled, no
//! system library) is the embedded backend; PostgreSQL (libpq compiled in) serves many
//! instances. Both are arms of the `with_conn!` macro, with a migrations folder each
//! (same names, same meaning): every query is backend-neutral diesel DSL, timestamps are
//! Unix seconds and booleans and blobs use types both backends share. What a backend
//! needs for itself (SQLite's pragmas and `BEGIN IMMEDIATE`, PostgreSQL's advisory locks)
//! sits side by side in `pool.rs` and `postgres.rs`.
//!
//! Invariants, stated as absences: this crate knows no protocol rule (it never decides
//! whether a token is valid, only stores and finds it), no HTTP and no cryptography —
//! it receives digests, never secrets. Single-use redemption is a conditional `UPDATE`,
//! never a read followed by a write.

mod database_url;
mod error;
#[macro_use]
mod pool;
mod copy;
mod postgres;
mod repo;
mod rows;
mod schema;

pub use copy::{copy_database, CopiedTable, CopyReport};
pub use database_url::DatabaseUrl;
pub use error::StoreError;
pub use pool::{DieselStore, Migrations, PoolUsage, StoreOptions};
