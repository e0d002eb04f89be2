//! `idp-core` repository traits implemented on [`DieselStore`](crate::DieselStore).

mod client_documents;
mod clients;
mod declared;
pub(crate) mod device;
mod grants;
mod keys;
mod logout;
mod maintenance;
mod registration;
mod scopes;
mod sessions;
mod settings;
mod throttle;
mod users;

use crate::StoreError;

// Lookups by a unique key use `.load()` and take the one row, never `.first()`: `.first()`
// adds `LIMIT ?`, and SQLite plans with a bound LIMIT's value, so it re-prepares (parses
// and plans anew) a statement whose LIMIT is re-bound — on every call. With `.load()`
// the cached prepared statement is reused. (`clippy.toml` disallows `first`.)

/// Runs a store operation and converts its error into the domain's.
fn run<T>(op: impl FnOnce() -> Result<T, StoreError>) -> idp_core::Result<T> {
    op().map_err(Into::into)
}

/// A count of changed rows as the traits report it.
fn rows(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}
