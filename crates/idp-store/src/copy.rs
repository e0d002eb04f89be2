//! Copying a whole database into an empty one, between backends or within one
//! (`idp-admin migrate`).
//!
//! The source is read inside one read-only snapshot, so a copy taken while a server still
//! writes is consistent; the target is written inside one write transaction, so a copy
//! that fails (or counts differently at the end) leaves the target as it was: empty.
//! Tables are read in batches in primary-key order (keyset paging), so a large database
//! never sits in memory whole.

use std::collections::BTreeSet;

use diesel::migration::MigrationSource;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::MigrationHarness;

use crate::pool::{WriteTransaction, POSTGRES_MIGRATIONS};
use crate::repo::device::DeviceAuthorizationRow;
use crate::rows::{
    AccessTokenRow, ClientDocumentRow, ClientRow, CodeRow, GrantRow, InitialAccessTokenRow,
    LogoutDeliveryRow, PendingRow, RefreshTokenRow, RegistrationRow, SessionRow, SigningKeyRow,
    UserRow,
};
use crate::schema::{
    access_tokens, authorization_codes, browser_sessions, client_metadata_documents,
    client_registrations, clients, consents, declared_items, device_authorizations,
    failure_counters, grants, group_members, initial_access_tokens, logout_deliveries,
    pending_authorizations, refresh_tokens, scopes, settings, signing_keys, user_groups, users,
};
use crate::{DieselStore, StoreError};

/// Rows read and inserted at a time: few enough that a multi-row insert stays within every
/// backend's limit on bound parameters (at most 15 columns × 1000 rows; the bundled SQLite
/// allows 32766, PostgreSQL 65535), many enough that round trips do not dominate. (Diesel
/// inserts a SQLite batch whose rows have a `NULL`able field one row per statement.)
const BATCH: i64 = 1000;

/// Runs `$then!($($args)*; TABLE: ROW [KEY, ...], ...)` with every table of the schema —
/// its `diesel::table!` module, its row type (fields in schema order) and its primary-key
/// columns — parents before children, so every foreign key points at a row copied
/// earlier. The one list of tables: a table missing here is caught by the test below.
macro_rules! tables {
    ($then:ident!($($args:tt)*)) => {
        $then!($($args)*;
            users: UserRow [id],
            user_groups: GroupRow [name],
            group_members: GroupMemberRow [group_name, user_id],
            clients: ClientRow [client_id],
            consents: ConsentRow [user_id, client_id],
            grants: GrantRow [id],
            authorization_codes: CodeRow [code_digest],
            access_tokens: AccessTokenRow [token_digest],
            refresh_tokens: RefreshTokenRow [token_digest],
            signing_keys: SigningKeyRow [kid],
            browser_sessions: SessionRow [session_digest],
            pending_authorizations: PendingRow [id],
            failure_counters: FailureCounterRow [counter_key],
            scopes: ScopeRow [name],
            settings: SettingRow [name],
            client_registrations: RegistrationRow [client_id],
            initial_access_tokens: InitialAccessTokenRow [id],
            logout_deliveries: LogoutDeliveryRow [id],
            declared_items: DeclaredItemRow [kind, name],
            client_metadata_documents: ClientDocumentRow [client_id],
            device_authorizations: DeviceAuthorizationRow [device_code_digest],
        )
    };
}

/// A group (the other tables' rows live in `rows.rs`).
#[derive(Queryable, Insertable)]
#[diesel(table_name = user_groups)]
struct GroupRow {
    name: String,
    created_at: i64,
    id: String,
}

/// A scope the operator defined.
#[derive(Queryable, Insertable)]
#[diesel(table_name = scopes)]
struct ScopeRow {
    name: String,
    description: String,
    created_at: i64,
}

/// An item a configuration file declared.
#[derive(Queryable, Insertable)]
#[diesel(table_name = declared_items)]
struct DeclaredItemRow {
    kind: String,
    name: String,
    applied_at: i64,
}

/// A stored setting.
#[derive(Queryable, Insertable)]
#[diesel(table_name = settings)]
struct SettingRow {
    name: String,
    value: String,
    updated_at: i64,
}

/// A user's membership of a group.
#[derive(Queryable, Insertable)]
#[diesel(table_name = group_members)]
struct GroupMemberRow {
    group_name: String,
    user_id: String,
}

/// The scopes a user consented to for a client.
#[derive(Queryable, Insertable)]
#[diesel(table_name = consents)]
struct ConsentRow {
    user_id: String,
    client_id: String,
    scope: String,
    updated_at: i64,
}

/// Failures counted for one key.
#[derive(Queryable, Insertable)]
#[diesel(table_name = failure_counters)]
struct FailureCounterRow {
    counter_key: String,
    failures: i64,
    last_failure_at: i64,
}

/// What [`copy_database`] copied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyReport {
    /// Every table of the schema, in the order copied (parents before children).
    pub tables: Vec<CopiedTable>,
}

impl CopyReport {
    /// Rows copied over all tables.
    pub fn total(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

/// One table of a [`CopyReport`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopiedTable {
    /// The table's name.
    pub table: &'static str,
    /// Rows copied (the source's and, after the copy, the target's count).
    pub rows: u64,
}

/// `vec![(TABLE, rows in TABLE)]` on `$conn` for every table listed, in list order.
macro_rules! count_rows {
    ($conn:ident; $($table:ident: $row:ident [$($key:ident),+]),+ $(,)?) => {
        vec![$(
            (stringify!($table), count($table::table.count().get_result::<i64>($conn)?)),
        )+]
    };
}

/// Copies each listed table from `$src` to `$dst`, giving a `Vec<CopiedTable>`.
macro_rules! copy_tables {
    ($src:ident, $dst:ident; $($table:ident: $row:ident [$($key:ident),+]),+ $(,)?) => {
        vec![$(
            CopiedTable {
                table: stringify!($table),
                rows: copy_table!($src, $dst, $table, $row, [$($key),+]),
            },
        )+]
    };
}

/// Copies `$table` from `$src` to `$dst` in batches of [`BATCH`] rows in primary-key
/// order, each batch read after the last row of the one before; gives the rows copied.
macro_rules! copy_table {
    ($src:ident, $dst:ident, $table:ident, $row:ident, [$($key:ident),+]) => {{
        let mut copied: u64 = 0;
        let mut last: Option<$row> = None;
        loop {
            let mut query = $table::table.into_boxed();
            if let Some(last) = &last {
                query = query.filter(after!($table, last, [$($key),+]));
            }
            let mut batch = query
                .order(($($table::$key),+))
                .limit(BATCH)
                .load::<$row>($src)?;
            if batch.is_empty() {
                break;
            }
            diesel::insert_into($table::table).values(&batch).execute($dst)?;
            copied += count_of(batch.len());
            if count_of(batch.len()) < count(BATCH) {
                break;
            }
            last = batch.pop();
        }
        copied
    }};
}

/// The rows of `$table` that come after the row `$last` in primary-key order.
macro_rules! after {
    ($table:ident, $last:ident, [$key:ident]) => {
        $table::$key.gt(&$last.$key)
    };
    ($table:ident, $last:ident, [$first:ident, $second:ident]) => {
        $table::$first.gt(&$last.$first).or($table::$first
            .eq(&$last.$first)
            .and($table::$second.gt(&$last.$second)))
    };
}

/// Copies every row of every table from `from` into `to`, which must be empty. Both must
/// be open (so migrated) and at the schema this program knows; they may be of different
/// backends or the same.
///
/// # Errors
/// [`StoreError::SchemaMismatch`] if either database has migrations this program does
/// not know or lacks some it does; [`StoreError::NotEmpty`] if a table of `to` has rows
/// (nothing is written then); [`StoreError::CountMismatch`] if the copied counts differ
/// at the end; [`StoreError::Query`] or [`StoreError::Pool`] if the databases fail. On
/// any error nothing stays written to `to`. `from` is only read.
pub fn copy_database(from: &DieselStore, to: &DieselStore) -> Result<CopyReport, StoreError> {
    with_conn!(from, src => with_conn!(to, dst => {
        check_schema(src, dst)?;
        src.read_snapshot(|src| dst.write_transaction(|dst| {
            let before = tables!(count_rows!(dst));
            if let Some(&(table, rows)) = before.iter().find(|(_, rows)| *rows > 0) {
                return Err(StoreError::NotEmpty { table: table.to_owned(), rows });
            }
            let copied = tables!(copy_tables!(src, dst));
            verify(&copied, &tables!(count_rows!(src)), &tables!(count_rows!(dst)))?;
            Ok(CopyReport { tables: copied })
        }))
    }))
}

/// A row count as reported.
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A batch's length as a row count.
fn count_of(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Every table must hold in the target what the source holds, which is what was copied.
fn verify(
    copied: &[CopiedTable],
    in_source: &[(&'static str, u64)],
    in_target: &[(&'static str, u64)],
) -> Result<(), StoreError> {
    for ((c, &(table, source)), &(_, target)) in copied.iter().zip(in_source).zip(in_target) {
        if c.rows != source || target != source {
            return Err(StoreError::CountMismatch {
                table: table.to_owned(),
                in_source: source,
                in_target: target,
            });
        }
    }
    Ok(())
}

/// Refuses unless both databases have applied exactly the migrations this program has:
/// a database with more was made by a newer release, whose columns this one would not
/// copy. (The SQLite and PostgreSQL folders hold the same migration names, so one list
/// serves both; a test checks that.)
fn check_schema<S, T>(src: &mut S, dst: &mut T) -> Result<(), StoreError>
where
    S: MigrationHarness<S::Backend> + diesel::Connection,
    T: MigrationHarness<T::Backend> + diesel::Connection,
{
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Migration(e.to_string());
    let known: BTreeSet<String> =
        MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES_MIGRATIONS)
            .map_err(failed)?
            .iter()
            .map(|m| m.name().version().to_string())
            .collect();
    let versions = |applied: Vec<diesel::migration::MigrationVersion<'static>>| {
        applied
            .iter()
            .map(ToString::to_string)
            .collect::<BTreeSet<String>>()
    };
    let databases = [
        (
            "source",
            versions(src.applied_migrations().map_err(failed)?),
        ),
        (
            "target",
            versions(dst.applied_migrations().map_err(failed)?),
        ),
    ];
    for (which, applied) in databases {
        let unknown: Vec<&str> = applied.difference(&known).map(String::as_str).collect();
        if !unknown.is_empty() {
            return Err(StoreError::SchemaMismatch(format!(
                "the {which} database has migrations this program does not know ({}); \
                 use the idp-admin of the release that made it",
                unknown.join(", ")
            )));
        }
        let missing: Vec<&str> = known.difference(&applied).map(String::as_str).collect();
        if !missing.is_empty() {
            return Err(StoreError::SchemaMismatch(format!(
                "the {which} database lacks migrations ({}); start the matching idp-server \
                 once to upgrade it",
                missing.join(", ")
            )));
        }
    }
    Ok(())
}

/// A read-only transaction that sees one snapshot of the database throughout.
trait ReadSnapshot: Sized {
    /// Runs `f` in the snapshot; ends it (changing nothing) afterwards.
    fn read_snapshot<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, StoreError>,
    ) -> Result<T, StoreError>;
}

/// A deferred transaction: its first read fixes the snapshot (WAL), while the server's
/// writers carry on.
impl ReadSnapshot for SqliteConnection {
    fn read_snapshot<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction(f)
    }
}

/// `REPEATABLE READ`: every statement sees the snapshot the first one took.
impl ReadSnapshot for PgConnection {
    fn read_snapshot<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.build_transaction()
            .read_only()
            .repeatable_read()
            .run(f)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The names of the listed tables.
    macro_rules! names {
        (; $($table:ident: $row:ident [$($key:ident),+]),+ $(,)?) => {
            [$(stringify!($table)),+]
        };
    }

    #[test]
    fn every_table_of_the_schema_is_copied_once() {
        let listed = tables!(names!());
        let schema = include_str!("schema.rs");
        let mut declared = BTreeSet::new();
        let mut lines = schema.lines();
        while let Some(line) = lines.next() {
            if line.trim() == "diesel::table! {" {
                let next = lines.next().unwrap_or_default().trim();
                let name = next.split([' ', '(']).next().unwrap_or_default();
                declared.insert(name.to_owned());
            }
        }
        let unique: BTreeSet<String> = listed.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(unique.len(), listed.len(), "a table is listed twice");
        assert_eq!(
            unique, declared,
            "tables!{{}} must list every table of schema.rs"
        );
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        let names = |backend: &str| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(backend);
            std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect::<BTreeSet<_>>()
        };
        assert_eq!(names("sqlite"), names("postgres"));
    }
}
