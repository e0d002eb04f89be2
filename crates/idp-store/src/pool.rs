//! Opening the database: connection pool, per-connection settings, migrations.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::{DatabaseUrl, StoreError};

pub(crate) const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// The same schema changes for PostgreSQL, folder for folder (same names, same meaning).
pub(crate) const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How the store opens its database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// When opening may change the schema.
    pub migrations: Migrations,
    /// Connections in the pool. SQLite serialises writers anyway; readers run in
    /// parallel (WAL).
    pub pool_size: u32,
    /// How long a request waits for a free connection before the store reports itself
    /// busy ([`idp_core::CoreError::Unavailable`], answered 503): short, so an overloaded
    /// server sheds load instead of queueing.
    pub pool_timeout: Duration,
    /// SQLite: how long a write waits for another writer's lock before the store reports
    /// itself busy.
    pub busy_timeout: Duration,
    /// Connections for lookups that must not wait (bearer-token checks served straight
    /// from the HTTP event loop); about one per HTTP worker. 0: none, such lookups always
    /// go to the blocking pool.
    pub immediate_pool_size: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            migrations: Migrations::Apply,
            pool_size: 8,
            pool_timeout: Duration::from_secs(2),
            busy_timeout: Duration::from_secs(5),
            immediate_pool_size: 2,
        }
    }
}

/// The connection pools of one backend.
pub(crate) enum Backend {
    Sqlite {
        /// For everything; waits for a connection up to the pool timeout.
        pool: Pool<ConnectionManager<SqliteConnection>>,
        /// For lookups that must not wait (served on an async executor thread): taken only
        /// if a connection is idle, with a zero busy timeout.
        immediate: Option<Pool<ConnectionManager<SqliteConnection>>>,
    },
    Postgres {
        /// For everything; waits for a connection up to the pool timeout.
        pool: Pool<crate::postgres::PgManager>,
    },
}

/// Runs `body`, so that a `?` in a macro's body ends the body, not the enclosing function.
pub(crate) fn scoped<T>(body: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    body()
}

/// Runs `$body` (a `Result<T, StoreError>`, in which `?` may be used) with `$conn` bound to
/// a pooled connection of whichever backend the store uses. The body is compiled once per
/// backend, so it must be backend-neutral diesel. A PostgreSQL connection whose server
/// went away is marked broken, so the pool replaces it instead of handing it out again.
macro_rules! with_conn {
    ($store:expr, $conn:ident => $body:expr) => {
        match &*$store.backend {
            $crate::pool::Backend::Sqlite { pool, .. } => {
                let mut pooled = pool.get().map_err($crate::StoreError::from)?;
                let $conn = &mut *pooled;
                $crate::pool::scoped(|| $body)
            }
            $crate::pool::Backend::Postgres { pool } => {
                let mut pooled = pool.get().map_err($crate::StoreError::from)?;
                let result = {
                    let $conn = &mut pooled.conn;
                    $crate::pool::scoped(|| $body)
                };
                $crate::postgres::check_connection(&mut pooled, result)
            }
        }
    };
}

/// Runs `$body` (a `Result<T, StoreError>`) with `$conn` bound to an idle connection of
/// the store's immediate pool, giving `Immediate::Ready`, or `Immediate::WouldWait` when
/// no connection is idle or the database is locked. PostgreSQL has no immediate pool: a
/// network round trip must not run on an async executor thread, so its lookups always
/// go to the blocking pool.
macro_rules! with_immediate_conn {
    ($store:expr, $conn:ident => $body:expr) => {
        match &*$store.backend {
            $crate::pool::Backend::Sqlite {
                immediate: Some(pool),
                ..
            } => match pool.try_get() {
                None => Ok(idp_core::Immediate::WouldWait),
                Some(mut pooled) => {
                    let $conn = &mut *pooled;
                    match $crate::pool::scoped(|| $body) {
                        Ok(v) => Ok(idp_core::Immediate::Ready(v)),
                        Err(e) if e.is_busy() => Ok(idp_core::Immediate::WouldWait),
                        Err(e) => Err(e),
                    }
                }
            },
            $crate::pool::Backend::Sqlite {
                immediate: None, ..
            }
            | $crate::pool::Backend::Postgres { .. } => Ok(idp_core::Immediate::WouldWait),
        }
    };
}

/// When opening a database may change its schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Migrations {
    /// Apply every pending migration (what the server does at start).
    Apply,
    /// Set up a new, empty database, but refuse to upgrade an existing one: a newer
    /// `idp-admin` must not change the schema under an older running server.
    OnlyIfNew,
}

/// The diesel-backed store. Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct DieselStore {
    pub(crate) backend: std::sync::Arc<Backend>,
}

impl std::fmt::Debug for DieselStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match *self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres { .. } => "postgres",
        };
        f.debug_struct("DieselStore")
            .field("backend", &kind)
            .finish()
    }
}

/// SQLite settings every pooled connection needs: foreign keys (for `ON DELETE CASCADE`),
/// WAL so readers do not block the writer, and a busy timeout instead of instant
/// `database is locked` errors under concurrent writes. The WAL is checkpointed every
/// 4000 pages (16 MiB) rather than SQLite's 1000: hot pages (token tables and their
/// indexes) are then written back once for many commits, which took a tenth of the
/// refresh path's time (docs/performance.md); the file is cut back to 64 MiB after.
#[derive(Debug)]
struct SqlitePragmas {
    busy_timeout_ms: u128,
}

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; \
             PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
             PRAGMA wal_autocheckpoint = 4000; PRAGMA journal_size_limit = 67108864;",
            self.busy_timeout_ms
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// A transaction that will write. On SQLite it starts with `BEGIN IMMEDIATE`: a plain
/// `BEGIN` that reads first and then writes fails at once with `SQLITE_BUSY` when another
/// writer got in between, whereas an immediate one waits for the write lock up front
/// (busy timeout) and then cannot be interrupted.
pub(crate) trait WriteTransaction: Sized {
    /// Runs `f` in a write transaction: committed if it returns `Ok`, rolled back if not.
    fn write_transaction<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, StoreError>,
    ) -> Result<T, StoreError>;
}

impl WriteTransaction for SqliteConnection {
    fn write_transaction<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.immediate_transaction(f)
    }
}

/// PostgreSQL's default `READ COMMITTED` suffices: the single-use `UPDATE … WHERE used_at
/// IS NULL` of a concurrent second redemption waits for the first one's row lock and then
/// re-checks its condition against the committed row, so it changes nothing.
impl WriteTransaction for diesel::pg::PgConnection {
    fn write_transaction<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        diesel::Connection::transaction(self, f)
    }
}

/// How many connections a store's main pool holds, and how many of them are idle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolUsage {
    /// Open connections (idle or in use).
    pub connections: u32,
    /// Connections not in use.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

impl DieselStore {
    /// The main pool's connections now (for metrics).
    pub fn pool_usage(&self) -> PoolUsage {
        let (state, max) = match &*self.backend {
            Backend::Sqlite { pool, .. } => (pool.state(), pool.max_size()),
            Backend::Postgres { pool } => (pool.state(), pool.max_size()),
        };
        PoolUsage {
            connections: state.connections,
            idle: state.idle_connections,
            max,
        }
    }

    /// Opens the database named by `url` and applies pending migrations. A SQLite file and
    /// its directory are created if missing.
    ///
    /// # Errors
    /// [`StoreError::Url`] for an unusable URL, [`StoreError::Open`] if the database cannot
    /// be reached, [`StoreError::Migration`] if the schema cannot be brought up to date.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, Migrations::Apply)
    }

    /// Opens the database named by `url`, migrating it as `migrations` allows.
    ///
    /// # Errors
    /// As [`DieselStore::open`]; with [`Migrations::OnlyIfNew`], also
    /// [`StoreError::Migration`] for an existing database whose schema is out of date.
    pub fn open_with(url: &str, migrations: Migrations) -> Result<Self, StoreError> {
        Self::open_with_options(
            url,
            &StoreOptions {
                migrations,
                ..StoreOptions::default()
            },
        )
    }

    /// Opens the database named by `url` as `options` say.
    ///
    /// # Errors
    /// As [`DieselStore::open_with`].
    pub fn open_with_options(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        match DatabaseUrl::parse(url)? {
            DatabaseUrl::Sqlite(path) => Self::open_sqlite(&path, options),
            DatabaseUrl::Postgres(url) => crate::postgres::open(&url, options),
        }
    }

    fn open_sqlite(path: &std::path::Path, options: &StoreOptions) -> Result<Self, StoreError> {
        let location = path.display().to_string();
        let open_err = |reason: String| StoreError::Open {
            location: location.clone(),
            reason,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        }
        create_private_file(path).map_err(|e| open_err(e.to_string()))?;
        let manager = ConnectionManager::<SqliteConnection>::new(location.clone());
        let pool = Pool::builder()
            .max_size(options.pool_size.max(1))
            // Connections are opened as needed: opening the store waits for one only
            // (a CLI needs no more), and a loaded machine does not time out opening eight.
            .min_idle(Some(1))
            .connection_timeout(options.pool_timeout)
            // No ping per checkout: a broken connection fails its query, which reports
            // the error; r2d2 then replaces connections that report themselves broken.
            .test_on_check_out(false)
            .connection_customizer(Box::new(SqlitePragmas {
                busy_timeout_ms: options.busy_timeout.as_millis().min(i32::MAX as u128),
            }))
            .build(manager)
            .map_err(|e| open_err(e.to_string()))?;
        let mut conn = pool.get().map_err(|e| open_err(e.to_string()))?;
        migrate(&mut *conn, || SQLITE_MIGRATIONS, options.migrations)?;
        drop(conn);
        let immediate = match options.immediate_pool_size {
            0 => None,
            n => Some(
                Pool::builder()
                    .max_size(n)
                    .min_idle(Some(n))
                    .connection_timeout(options.pool_timeout)
                    .test_on_check_out(false)
                    .connection_customizer(Box::new(SqlitePragmas { busy_timeout_ms: 0 }))
                    .build(ConnectionManager::<SqliteConnection>::new(location.clone()))
                    .map_err(|e| open_err(e.to_string()))?,
            ),
        };
        Ok(DieselStore {
            backend: std::sync::Arc::new(Backend::Sqlite { pool, immediate }),
        })
    }
}

/// Brings the schema up to date as `policy` allows.
pub(crate) fn migrate<C>(
    conn: &mut C,
    source: fn() -> EmbeddedMigrations,
    policy: Migrations,
) -> Result<(), StoreError>
where
    C: MigrationHarness<C::Backend> + diesel::Connection,
{
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Migration(e.to_string());
    let run = match policy {
        Migrations::Apply => true,
        Migrations::OnlyIfNew => {
            let new = conn.applied_migrations().map_err(failed)?.is_empty();
            if !new && conn.has_pending_migration(source()).map_err(failed)? {
                return Err(StoreError::Migration(
                    "the database schema is older than this program; start the matching \
                     idp-server once to upgrade it"
                        .into(),
                ));
            }
            new
        }
    };
    if run {
        conn.run_pending_migrations(source()).map_err(failed)?;
    }
    Ok(())
}

/// Creates a missing database file readable by its owner only: it holds the private
/// signing keys. (SQLite gives its `-wal` and `-shm` files the same mode.)
fn create_private_file(path: &std::path::Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}
