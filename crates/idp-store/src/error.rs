//! The crate's one error type.

use idp_core::CoreError;

/// Storage failures. Messages carry context for operators, never secrets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL is not one the store understands.
    #[error("invalid database URL {url:?}: {reason}")]
    Url {
        /// The URL, with any password removed.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database could not be opened.
    #[error("cannot open database {location}: {reason}")]
    Open {
        /// Where it was looked for.
        location: String,
        /// Why it failed.
        reason: String,
    },
    /// The database server could not be reached (or refused the connection): it may be
    /// starting, restarting or unreachable for a moment, so opening is worth retrying.
    #[error("cannot connect to database {location}: {reason}")]
    Unreachable {
        /// The database URL, with any password removed.
        location: String,
        /// Why it failed.
        reason: String,
    },
    /// Applying migrations failed.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// No connection could be had from the pool.
    #[error("database connection unavailable: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    /// A unique value is taken.
    #[error("{0} already exists")]
    Conflict(String),
    /// A referenced record does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A stored value cannot be read back into the domain model.
    #[error("stored {0} is corrupt")]
    Corrupt(&'static str),
    /// [`copy_database`](crate::copy_database): the target database holds data already.
    #[error("the target database is not empty: table {table} holds {rows} row(s); copying needs an empty database")]
    NotEmpty {
        /// The first table found with rows.
        table: String,
        /// How many it has.
        rows: u64,
    },
    /// [`copy_database`](crate::copy_database): a database is not at the schema this
    /// program knows.
    #[error("schema mismatch: {0}")]
    SchemaMismatch(String),
    /// [`copy_database`](crate::copy_database): after copying, a table holds a different
    /// number of rows in the target than in the source (the copy was rolled back).
    #[error("copy incomplete: table {table} has {in_source} rows in the source but {in_target} in the target")]
    CountMismatch {
        /// The table.
        table: String,
        /// Its rows in the source.
        in_source: u64,
        /// Its rows in the target after copying.
        in_target: u64,
    },
}

impl StoreError {
    /// Whether opening the database failed for a reason that may pass by itself (the
    /// server is down or unreachable), so that opening again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unreachable { .. } | StoreError::Pool(_))
    }

    /// Turns a unique-constraint violation into [`StoreError::Conflict`] naming `what`.
    pub(crate) fn conflict_as(e: diesel::result::Error, what: impl FnOnce() -> String) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                StoreError::Conflict(what())
            }
            other => StoreError::Query(other),
        }
    }
}

impl StoreError {
    /// Whether the database is momentarily unavailable — no free connection in time (also
    /// what a database that cannot be reached gives), SQLite's write lock not obtained
    /// within the busy timeout, or a PostgreSQL connection lost mid-query: worth a retry
    /// later, so answered 503 rather than 500.
    pub(crate) fn is_busy(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            StoreError::Pool(_) => true,
            StoreError::Query(Error::DatabaseError(DatabaseErrorKind::Unknown, info)) => {
                info.message().contains("database is locked")
            }
            lost => lost.is_connection_lost(),
        }
    }

    /// Whether the connection to the database server broke (server restarted, network
    /// cut, administrator terminated the backend): the connection is unusable from then on.
    pub(crate) fn is_connection_lost(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        matches!(
            self,
            StoreError::Query(Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _))
                | StoreError::Query(Error::BrokenTransactionManager)
        )
    }
}

impl From<StoreError> for CoreError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => CoreError::Conflict(what),
            StoreError::NotFound(what) => CoreError::NotFound(what),
            busy if busy.is_busy() => CoreError::Unavailable(Box::new(busy)),
            other => CoreError::Storage(Box::new(other)),
        }
    }
}
