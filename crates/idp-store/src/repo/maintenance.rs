use diesel::dsl::{exists, not};
use diesel::prelude::*;
use idp_core::{MaintenanceRepo, PurgeBefore, Result};

use super::{rows, run};
use crate::pool::{Backend, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use crate::postgres::{lock_keys, ExclusiveJob};
use crate::rows::to_unix;
use crate::schema::{
    access_tokens, authorization_codes, browser_sessions, client_metadata_documents,
    client_registrations, clients, device_authorizations, failure_counters, grants,
    initial_access_tokens, pending_authorizations, refresh_tokens,
};
use crate::{DieselStore, StoreError};
use diesel_migrations::MigrationHarness;

impl MaintenanceRepo for DieselStore {
    fn purge_expired(&self, before: &PurgeBefore) -> Result<u64> {
        run(|| {
            let now = to_unix(before.now);
            // Each delete is its own short statement (indexed on the column it tests), so
            // housekeeping never holds the write lock for long. With several instances on
            // one PostgreSQL database, one purges at a time; the others skip the round.
            with_conn!(self, conn => conn.unless_running(lock_keys::PURGE, |conn| {
                let mut n = 0;
                n += diesel::delete(browser_sessions::table.filter(browser_sessions::expires_at.le(now)))
                    .execute(conn)?;
                n += diesel::delete(
                    pending_authorizations::table.filter(pending_authorizations::expires_at.le(now)),
                )
                .execute(conn)?;
                n += diesel::delete(access_tokens::table.filter(access_tokens::expires_at.le(now)))
                    .execute(conn)?;
                // RFC 8628 §3.2: a device code is worthless once expired, redeemed or not.
                n += diesel::delete(
                    device_authorizations::table.filter(device_authorizations::expires_at.le(now)),
                )
                .execute(conn)?;
                n += diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.le(now)))
                    .execute(conn)?;
                n += diesel::delete(
                    refresh_tokens::table
                        .filter(refresh_tokens::used_at.le(to_unix(before.used_refresh_tokens))),
                )
                .execute(conn)?;
                n += diesel::delete(
                    authorization_codes::table
                        .filter(authorization_codes::expires_at.le(to_unix(before.codes))),
                )
                .execute(conn)?;
                n += diesel::delete(
                    failure_counters::table
                        .filter(failure_counters::last_failure_at.le(to_unix(before.failures))),
                )
                .execute(conn)?;
                // Self-registered clients past their lifetime, with everything issued to
                // them (the foreign keys cascade), and expired initial access tokens.
                n += diesel::delete(
                    clients::table.filter(
                        clients::client_id.eq_any(
                            client_registrations::table
                                .filter(client_registrations::expires_at.le(now))
                                .select(client_registrations::client_id),
                        ),
                    ),
                )
                .execute(conn)?;
                // Clients of metadata documents whose cache record expired and that
                // nothing references any more (no grant, no parked request): the next use
                // fetches the document anew. Their cache records cascade.
                n += diesel::delete(
                    clients::table
                        .filter(
                            clients::client_id.eq_any(
                                client_metadata_documents::table
                                    .filter(client_metadata_documents::expires_at.le(now))
                                    .select(client_metadata_documents::client_id),
                            ),
                        )
                        .filter(not(exists(
                            grants::table.filter(grants::client_id.eq(clients::client_id)),
                        )))
                        .filter(not(exists(
                            pending_authorizations::table
                                .filter(pending_authorizations::client_id.eq(clients::client_id)),
                        ))),
                )
                .execute(conn)?;
                n += diesel::delete(
                    initial_access_tokens::table
                        .filter(initial_access_tokens::expires_at.le(now)),
                )
                .execute(conn)?;
                // A grant with nothing left goes too, unless it was issued in a browser
                // session that is still live: then it records that its client took part
                // in the session, for Front-/Back-Channel Logout.
                n += diesel::delete(
                    grants::table
                        .filter(not(exists(
                            browser_sessions::table
                                .filter(browser_sessions::sid.nullable().eq(grants::sid))
                                .filter(browser_sessions::expires_at.gt(now)),
                        )))
                        .filter(not(exists(
                            authorization_codes::table
                                .filter(authorization_codes::grant_id.eq(grants::id)),
                        )))
                        .filter(not(exists(
                            access_tokens::table.filter(access_tokens::grant_id.eq(grants::id)),
                        )))
                        .filter(not(exists(
                            refresh_tokens::table.filter(refresh_tokens::grant_id.eq(grants::id)),
                        ))),
                )
                .execute(conn)?;
                Ok(rows(n))
            }).map(Option::unwrap_or_default))
        })
    }

    fn schema_is_current(&self) -> Result<bool> {
        run(|| {
            with_conn!(self, conn => {
                // A query that failed is reported as such (so a lost connection is
                // recognised and answered 503), anything else as a migration problem.
                let failed = |e: Box<dyn std::error::Error + Send + Sync>| {
                    match e.downcast::<diesel::result::Error>() {
                        Ok(query) => StoreError::Query(*query),
                        Err(other) => StoreError::Migration(other.to_string()),
                    }
                };
                let pending = match &*self.backend {
                    Backend::Sqlite { .. } => SQLITE_MIGRATIONS,
                    Backend::Postgres { .. } => POSTGRES_MIGRATIONS,
                };
                Ok(!conn.has_pending_migration(pending).map_err(failed)?)
            })
        })
    }
}
