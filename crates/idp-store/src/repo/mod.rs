//! `idp-core` repository traits implemented on [`DieselStore`](crate::DieselStore).

mod clients;
mod grants;
mod keys;
mod maintenance;
mod sessions;
mod throttle;
mod users;

use crate::StoreError;

/// Runs a store operation and converts its error into the domain's.
fn run<T>(op: impl FnOnce() -> Result<T, StoreError>) -> idp_core::Result<T> {
    op().map_err(Into::into)
}

/// A count of changed rows as the traits report it.
fn rows(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}
