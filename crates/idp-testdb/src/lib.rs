//! Test support: databases for the tests of every crate that stores something, and
//! server processes ([`process`]).
//!
//! A test asks for [`TestDb::fresh`] and gets a new, empty database of the backend the
//! test runs on: a SQLite file in a temporary directory, or — when
//! `IDP_TEST_POSTGRES_URL` names a PostgreSQL server (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`) — a uniquely named database created on
//! it. Either is removed when the [`TestDb`] is dropped, also when the test panics; a
//! database left behind by a test process that was killed is dropped by the next run.
//!
//! [`on_both_backends!`] turns test functions into one test per backend. Without
//! `IDP_TEST_POSTGRES_URL` the PostgreSQL variants pass without running (and say so on
//! stderr), unless `IDP_TEST_REQUIRE_POSTGRES=1`, which makes them fail instead: CI sets
//! both, so a PostgreSQL test that did not run fails the build.

pub mod process;

use std::cell::Cell;
use std::sync::Once;

use diesel::prelude::*;

/// The variable naming the PostgreSQL server for tests (a URL of an existing database,
/// used to create and drop the test databases).
pub const POSTGRES_URL_VAR: &str = "IDP_TEST_POSTGRES_URL";
/// Set to `1` to make PostgreSQL tests fail, rather than skip, without a server.
pub const REQUIRE_POSTGRES_VAR: &str = "IDP_TEST_REQUIRE_POSTGRES";
/// The prefix of every test database's name.
const NAME_PREFIX: &str = "idp_test_";

/// A storage backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, a file per test.
    Sqlite,
    /// PostgreSQL, a database per test.
    Postgres,
}

thread_local! {
    static CURRENT: Cell<Backend> = const { Cell::new(Backend::Sqlite) };
}

/// The backend the running test was started for (SQLite outside [`run_on`]).
pub fn current_backend() -> Backend {
    CURRENT.with(Cell::get)
}

/// Runs `test` with [`current_backend`] set to `backend`. For PostgreSQL without
/// `IDP_TEST_POSTGRES_URL`, `test` is skipped (or, with `IDP_TEST_REQUIRE_POSTGRES=1`,
/// this panics).
pub fn run_on<T>(backend: Backend, test: impl FnOnce() -> T) -> Option<T> {
    if backend == Backend::Postgres && postgres_admin_url().is_none() {
        assert!(
            std::env::var(REQUIRE_POSTGRES_VAR).as_deref() != Ok("1"),
            "{REQUIRE_POSTGRES_VAR}=1 but {POSTGRES_URL_VAR} is not set"
        );
        eprintln!("skipped: set {POSTGRES_URL_VAR} to run the PostgreSQL variant");
        return None;
    }
    let previous = CURRENT.with(|c| c.replace(backend));
    struct Restore(Backend);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(previous);
    Some(test())
}

/// The URL of the PostgreSQL server for tests, if one is configured.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// A fresh database, removed on drop.
pub struct TestDb {
    url: String,
    backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    /// The directory holding the SQLite file.
    Dir(#[allow(dead_code)] tempfile::TempDir),
    /// The PostgreSQL database to drop, and where to connect to drop it.
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// A new database of the running test's backend ([`current_backend`]).
    ///
    /// # Panics
    /// If the database cannot be created.
    pub fn fresh() -> TestDb {
        Self::of(current_backend())
    }

    /// A new database of `backend`.
    ///
    /// # Panics
    /// If the database cannot be created, or for PostgreSQL without
    /// `IDP_TEST_POSTGRES_URL`.
    pub fn of(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
                TestDb {
                    url: format!("sqlite://{}/idp.db", dir.path().display()),
                    backend,
                    cleanup: Cleanup::Dir(dir),
                }
            }
            Backend::Postgres => Self::postgres_at(
                &postgres_admin_url().unwrap_or_else(|| panic!("{POSTGRES_URL_VAR} is not set")),
            ),
        }
    }

    /// A new PostgreSQL database on the server `admin_url` names (a URL of an existing
    /// database whose user may create databases).
    ///
    /// # Panics
    /// If the database cannot be created.
    pub fn postgres_at(admin_url: &str) -> TestDb {
        static LEFTOVERS: Once = Once::new();
        LEFTOVERS.call_once(|| drop_leftovers(admin_url));
        let name = format!(
            "{NAME_PREFIX}{}_{:016x}",
            std::process::id(),
            rand::random::<u64>()
        );
        execute(admin_url, &format!("CREATE DATABASE {name}"));
        TestDb {
            url: with_database(admin_url, &name),
            backend: Backend::Postgres,
            cleanup: Cleanup::Postgres {
                admin_url: admin_url.to_owned(),
                name,
            },
        }
    }

    /// The database URL, as `--database-url` takes it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs `sql` (one or more statements) in this database, as its owner.
    ///
    /// # Panics
    /// If the statements fail.
    pub fn execute(&self, sql: &str) {
        use diesel::connection::SimpleConnection;
        let result = match self.backend {
            Backend::Sqlite => {
                let path = self.url.trim_start_matches("sqlite://");
                SqliteConnection::establish(path)
                    .map_err(|e| e.to_string())
                    .and_then(|mut c| c.batch_execute(sql).map_err(|e| e.to_string()))
            }
            Backend::Postgres => PgConnection::establish(&self.url)
                .map_err(|e| e.to_string())
                .and_then(|mut c| c.batch_execute(sql).map_err(|e| e.to_string())),
        };
        result.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Opens a transaction in this PostgreSQL database that runs `sql` (e.g. takes a
    /// lock) and stays open until [`OpenTransaction::commit`] or drop.
    ///
    /// # Panics
    /// On SQLite, or if the statements fail.
    pub fn begin(&self, sql: &str) -> OpenTransaction {
        use diesel::connection::SimpleConnection;
        assert_eq!(self.backend, Backend::Postgres, "begin is for PostgreSQL");
        let mut conn = PgConnection::establish(&self.url).unwrap_or_else(|e| panic!("{e}"));
        conn.batch_execute(&format!("BEGIN; {sql}"))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        OpenTransaction { conn }
    }

    /// Runs `sql` on the PostgreSQL server as the test administrator, outside this
    /// database (e.g. to refuse or cut its connections).
    ///
    /// # Panics
    /// On SQLite, or if the statement fails.
    pub fn admin_execute(&self, sql: &str) {
        match &self.cleanup {
            Cleanup::Postgres { admin_url, .. } => execute(admin_url, sql),
            Cleanup::Dir(_) => panic!("admin_execute is for PostgreSQL"),
        }
    }

    /// This database's name on the PostgreSQL server (for [`TestDb::admin_execute`]).
    pub fn postgres_name(&self) -> Option<&str> {
        match &self.cleanup {
            Cleanup::Postgres { name, .. } => Some(name),
            Cleanup::Dir(_) => None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            // FORCE ends connections a server under test still holds.
            if let Err(e) = try_execute(
                admin_url,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            ) {
                eprintln!("could not drop test database {name}: {e}");
            }
        }
    }
}

/// A transaction left open by [`TestDb::begin`]; rolled back if dropped uncommitted.
pub struct OpenTransaction {
    conn: PgConnection,
}

impl OpenTransaction {
    /// Commits, releasing what the transaction held.
    ///
    /// # Panics
    /// If the commit fails.
    pub fn commit(mut self) {
        use diesel::connection::SimpleConnection;
        self.conn
            .batch_execute("COMMIT")
            .unwrap_or_else(|e| panic!("COMMIT: {e}"));
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let mut parsed =
        url::Url::parse(url).unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR} is not a URL: {e}"));
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

fn try_execute(url: &str, sql: &str) -> Result<(), String> {
    // As the store does: OpenSSL without exit-time cleanup (see idp-store's postgres.rs).
    openssl_sys::init();
    let mut conn = PgConnection::establish(url).map_err(|e| e.to_string())?;
    diesel::sql_query(sql)
        .execute(&mut conn)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn execute(url: &str, sql: &str) {
    try_execute(url, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Drops test databases whose process (the pid in the name) is gone: a test run that was
/// killed cannot clean up after itself.
fn drop_leftovers(admin_url: &str) {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let Ok(mut conn) = PgConnection::establish(admin_url) else {
        return;
    };
    let names = diesel::sql_query(format!(
        "SELECT datname FROM pg_database WHERE datname LIKE '{NAME_PREFIX}%'"
    ))
    .load::<Name>(&mut conn)
    .unwrap_or_default();
    for Name { datname } in names {
        let pid = datname
            .strip_prefix(NAME_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {datname} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

/// One test per backend from each listed function: `mod sqlite { #[test] fn NAME() }` and
/// `mod postgres { #[test] fn NAME() }`, each calling `NAME()` with
/// [`current_backend`] set. With `async`, the functions are async and run on an actix
/// system (give the macro the path of `actix_web::rt::System`).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { $crate::run_on($crate::Backend::Sqlite, super::$name); } )*
        }
        mod postgres {
            $( #[test] fn $name() { $crate::run_on($crate::Backend::Postgres, super::$name); } )*
        }
    };
    (async $system:path; $($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() {
                $crate::run_on($crate::Backend::Sqlite, || <$system>::new().block_on(super::$name()));
            } )*
        }
        mod postgres {
            $( #[test] fn $name() {
                $crate::run_on($crate::Backend::Postgres, || <$system>::new().block_on(super::$name()));
            } )*
        }
    };
}
