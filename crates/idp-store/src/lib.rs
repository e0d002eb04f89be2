//! Storage for the identity provider on diesel.
//!
//! [`DieselStore`] implements every repository trait of `idp-core`. SQLite (bundled, no
//! system library) is the embedded backend; the store is written so that PostgreSQL is
//! one more arm of the `with_conn!` macro and one more migrations folder, not a
//! rewrite: every query is backend-neutral diesel DSL, timestamps are Unix seconds and
//! booleans and blobs use types both backends share.
//!
//! Invariants, stated as absences: this crate knows no protocol rule (it never decides
//! whether a token is valid, only stores and finds it), no HTTP and no cryptography —
//! it receives digests, never secrets. Single-use redemption is a conditional `UPDATE`,
//! never a read followed by a write.

mod database_url;
mod error;
#[macro_use]
mod pool;
mod repo;
mod rows;
mod schema;

pub use database_url::DatabaseUrl;
pub use error::StoreError;
pub use pool::{DieselStore, Migrations, StoreOptions};
