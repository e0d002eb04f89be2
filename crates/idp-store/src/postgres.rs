//! PostgreSQL: the connection pool, migrations under a lock, and cluster-wide locks for
//! jobs that one instance of many should run at a time.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool};
use diesel::sql_types::BigInt;

use crate::database_url::redact_password;
use crate::pool::{migrate, Backend, StoreOptions, POSTGRES_MIGRATIONS};
use crate::{DieselStore, StoreError};

diesel::define_sql_function! {
    /// Waits for the session-level advisory lock `key`.
    fn pg_advisory_lock(key: BigInt);
}
diesel::define_sql_function! {
    /// Takes the session-level advisory lock `key` if it is free.
    fn pg_try_advisory_lock(key: BigInt) -> Bool;
}
diesel::define_sql_function! {
    /// Releases the session-level advisory lock `key`.
    fn pg_advisory_unlock(key: BigInt) -> Bool;
}
diesel::define_sql_function! {
    /// Waits for the transaction-level advisory lock `key` (released at commit or rollback).
    fn pg_advisory_xact_lock(key: BigInt);
}

/// Advisory-lock keys. Arbitrary constants, distinct per job ("idp" plus a number).
pub(crate) mod lock_keys {
    /// Held while migrations run, so instances starting together migrate one at a time.
    pub const MIGRATIONS: i64 = 0x6964_7000_0001;
    /// Held while expired rows are purged, so only one instance purges at a time.
    pub const PURGE: i64 = 0x6964_7000_0002;
    /// Held by a transaction that counts self-registered clients and adds one, so that
    /// concurrent registrations are counted one after the other.
    pub const REGISTRATION: i64 = 0x6964_7000_0003;
    /// Held by a transaction that applies a configuration file's declarations, so that
    /// instances starting together apply them one after the other.
    pub const DECLARATIONS: i64 = 0x6964_7000_0004;
}

/// Transactions that must run one after the other (count, then insert), across instances.
pub(crate) trait SerialTransaction: Sized {
    /// Inside a write transaction: waits until no other transaction holds `key`, and holds
    /// it until this one ends.
    fn serialise(&mut self, key: i64) -> Result<(), StoreError>;
}

/// SQLite's write transactions (`BEGIN IMMEDIATE`) already run one at a time.
impl SerialTransaction for diesel::sqlite::SqliteConnection {
    fn serialise(&mut self, _key: i64) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Under `READ COMMITTED` two transactions could each count before the other's insert;
/// a transaction-level advisory lock orders them.
impl SerialTransaction for PgConnection {
    fn serialise(&mut self, key: i64) -> Result<(), StoreError> {
        diesel::select(pg_advisory_xact_lock(key)).execute(self)?;
        Ok(())
    }
}

/// A pooled connection and whether it is known to be broken.
pub(crate) struct PgConn {
    /// The connection.
    pub conn: PgConnection,
    /// Set when a query found the server gone, so the pool drops the connection.
    pub broken: bool,
}

/// After a query on `pooled`: a connection that failed because its server went away is
/// marked broken (the pool then replaces it) and its error reported as a lost connection,
/// which callers answer with 503. A server that ended the session (restart, an
/// administrator's `pg_terminate_backend`) first sends an error libpq does not classify as
/// a connection failure, so on any unclassified database error the connection is pinged
/// — a round trip only on the rare error path.
pub(crate) fn check_connection<T>(
    pooled: &mut PgConn,
    result: Result<T, StoreError>,
) -> Result<T, StoreError> {
    use diesel::result::{DatabaseErrorKind, Error};
    match result {
        Err(e) if e.is_connection_lost() => {
            pooled.broken = true;
            Err(e)
        }
        Err(StoreError::Query(e))
            if !is_about_the_data(&e)
                && diesel::sql_query("SELECT 1")
                    .execute(&mut pooled.conn)
                    .is_err() =>
        {
            pooled.broken = true;
            Err(StoreError::Query(Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection,
                Box::new(e.to_string()),
            )))
        }
        other => other,
    }
}

/// Whether a query error is about the data (a missing row, a violated constraint) rather
/// than possibly about the connection.
fn is_about_the_data(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    matches!(
        e,
        Error::NotFound
            | Error::DatabaseError(
                DatabaseErrorKind::UniqueViolation
                    | DatabaseErrorKind::ForeignKeyViolation
                    | DatabaseErrorKind::NotNullViolation
                    | DatabaseErrorKind::CheckViolation,
                _
            )
    )
}

/// Opens PostgreSQL connections for the pool. Written here rather than using diesel's
/// `ConnectionManager` because that one reuses a connection whose server has gone away
/// (it only checks for a broken transaction manager), so after a database restart every
/// pooled connection would fail forever; pinging on every checkout instead would add a
/// round trip to every request.
pub(crate) struct PgManager {
    url: String,
}

impl ManageConnection for PgManager {
    type Connection = PgConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PgConn, Self::Error> {
        PgConnection::establish(&self.url)
            .map(|conn| PgConn {
                conn,
                broken: false,
            })
            .map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, c: &mut PgConn) -> Result<(), Self::Error> {
        diesel::sql_query("SELECT 1")
            .execute(&mut c.conn)
            .map(|_| ())
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, c: &mut PgConn) -> bool {
        c.broken
            || std::thread::panicking()
            || AnsiTransactionManager::is_broken_transaction_manager(&mut c.conn)
    }
}

/// Opens the PostgreSQL database at `url`: one connection to migrate (under an advisory
/// lock, so instances starting at once do not race), then the pool.
pub(crate) fn open(url: &str, options: &StoreOptions) -> Result<DieselStore, StoreError> {
    // libpq's TLS is the compiled-in OpenSSL. Initialised here first, with OpenSSL's
    // exit-time cleanup switched off: otherwise a pool thread still opening a connection
    // while the process exits runs into the freed library and crashes.
    openssl_sys::init();
    let location = redact_password(url);
    let mut conn = PgConnection::establish(url).map_err(|e| StoreError::Unreachable {
        location: location.clone(),
        reason: e.to_string().trim_end().to_owned(),
    })?;
    with_advisory_lock(&mut conn, lock_keys::MIGRATIONS, |conn| {
        migrate(conn, || POSTGRES_MIGRATIONS, options.migrations)
    })?;
    drop(conn);
    let pool = Pool::builder()
        .max_size(options.pool_size.max(1))
        .min_idle(Some(1))
        .connection_timeout(options.pool_timeout)
        // No ping per checkout; a connection that finds its server gone is marked broken
        // (`with_conn!`) and replaced.
        .test_on_check_out(false)
        .build(PgManager {
            url: url.to_owned(),
        })
        .map_err(|e| StoreError::Unreachable {
            location,
            reason: e.to_string(),
        })?;
    Ok(DieselStore {
        backend: std::sync::Arc::new(Backend::Postgres { pool }),
    })
}

/// Runs `f` holding the session-level advisory lock `key`, waiting for it.
fn with_advisory_lock<T>(
    conn: &mut PgConnection,
    key: i64,
    f: impl FnOnce(&mut PgConnection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    diesel::select(pg_advisory_lock(key)).execute(conn)?;
    let result = f(conn);
    diesel::select(pg_advisory_unlock(key)).execute(conn)?;
    result
}

/// A job that, with several instances on one database, one instance at a time should run.
pub(crate) trait ExclusiveJob: Sized {
    /// Runs `f` unless another instance is running the job `key`; `None` if it is.
    fn unless_running<T>(
        &mut self,
        key: i64,
        f: impl FnOnce(&mut Self) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError>;
}

/// A SQLite file serves one `idp-server` process, which runs each job on one thread.
impl ExclusiveJob for diesel::sqlite::SqliteConnection {
    fn unless_running<T>(
        &mut self,
        _key: i64,
        f: impl FnOnce(&mut Self) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        f(self).map(Some)
    }
}

impl ExclusiveJob for PgConnection {
    fn unless_running<T>(
        &mut self,
        key: i64,
        f: impl FnOnce(&mut Self) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        if !diesel::select(pg_try_advisory_lock(key)).get_result::<bool>(self)? {
            return Ok(None);
        }
        let result = f(self);
        diesel::select(pg_advisory_unlock(key)).execute(self)?;
        result.map(Some)
    }
}
