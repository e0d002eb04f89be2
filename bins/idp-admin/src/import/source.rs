//! Where imported clients are read from: another application's database (SQLite or
//! PostgreSQL, opened read-only) or a JSON file exported from MySQL/MariaDB.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::SqlQuery;
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;
use diesel::QueryableByName;
use idp_store::DatabaseUrl;
use serde::{Deserialize, Deserializer};

use crate::Failure;

/// What SOURCE names.
pub(crate) enum Source {
    /// A JSON file produced by the query docs/migrating.md prints.
    Json(std::path::PathBuf),
    /// The application's own database.
    Database(ForeignDb),
}

impl Source {
    /// `*.json` is a file; anything else a database URL as `--database-url` takes.
    pub(crate) fn open(source: &str) -> Result<Self, Failure> {
        if source.to_ascii_lowercase().ends_with(".json") {
            return Ok(Source::Json(source.into()));
        }
        ForeignDb::open(source).map(Source::Database)
    }
}

/// Reads a JSON export.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
) -> Result<T, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Refused(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(text.trim()).map_err(|e| {
        Failure::Refused(format!(
            "{} is not the JSON the export query in docs/migrating.md prints: {e}",
            path.display()
        ))
    })
}

/// A connection to the application's database that never writes.
pub(crate) enum ForeignDb {
    /// Opened with `mode=ro`.
    Sqlite(SqliteConnection),
    /// Every transaction of the session is read-only.
    Postgres(PgConnection),
}

fn refused(e: impl std::fmt::Display) -> Failure {
    Failure::Refused(e.to_string())
}

impl ForeignDb {
    fn open(source: &str) -> Result<Self, Failure> {
        let url = DatabaseUrl::parse(source).map_err(|e| Failure::Config(e.to_string()))?;
        match url {
            DatabaseUrl::Sqlite(path) => {
                if !path.is_file() {
                    return Err(Failure::Refused(format!(
                        "{} is not a file (SOURCE is a database URL, or a .json export)",
                        path.display()
                    )));
                }
                // SQLite URI filename (https://sqlite.org/uri.html): read-only, and never
                // created; `?`, `#` and `%` in the path are escaped.
                let escaped = path
                    .to_string_lossy()
                    .replace('%', "%25")
                    .replace('?', "%3f")
                    .replace('#', "%23");
                let conn = SqliteConnection::establish(&format!("file:{escaped}?mode=ro"))
                    .map_err(|e| refused(format!("cannot open {}: {e}", path.display())))?;
                Ok(ForeignDb::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(&url).map_err(|e| {
                    // The message never repeats the URL, so no password reaches it.
                    refused(format!("cannot connect to the source database: {e}"))
                })?;
                diesel::connection::SimpleConnection::batch_execute(
                    &mut conn,
                    "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
                )
                .map_err(refused)?;
                Ok(ForeignDb::Postgres(conn))
            }
        }
    }

    /// The rows `sql` selects.
    pub(crate) fn rows<R>(&mut self, sql: &str) -> Result<Vec<R>, Failure>
    where
        R: QueryableByName<Sqlite> + QueryableByName<Pg> + 'static,
    {
        let query: SqlQuery = diesel::sql_query(sql);
        match self {
            ForeignDb::Sqlite(c) => query.load(c),
            ForeignDb::Postgres(c) => query.load(c),
        }
        .map_err(|e| refused(format!("reading the source database failed: {e}")))
    }

    /// The column names of `table` (none if it does not exist).
    pub(crate) fn columns(&mut self, table: &str) -> Result<Vec<String>, Failure> {
        #[derive(QueryableByName)]
        struct Column {
            #[diesel(sql_type = Text)]
            name: String,
        }
        let found: Vec<Column> = match self {
            ForeignDb::Sqlite(c) => diesel::sql_query("SELECT name FROM pragma_table_info(?)")
                .bind::<Text, _>(table)
                .load(c),
            ForeignDb::Postgres(c) => diesel::sql_query(
                "SELECT column_name::text AS name FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1",
            )
            .bind::<Text, _>(table)
            .load(c),
        }
        .map_err(|e| refused(format!("reading the source database failed: {e}")))?;
        Ok(found.into_iter().map(|c| c.name).collect())
    }

    /// The columns of `table`, which must exist and have every one of `required`.
    pub(crate) fn table(&mut self, table: &str, required: &[&str]) -> Result<Table, Failure> {
        let columns = self.columns(table)?;
        if columns.is_empty() {
            return Err(Failure::Refused(format!(
                "the source database has no table {table} (is the application installed there, and is --table-prefix right?)"
            )));
        }
        if let Some(missing) = required.iter().find(|c| !columns.iter().any(|k| k == *c)) {
            return Err(Failure::Refused(format!(
                "table {table} has no column {missing}: not a schema this import knows"
            )));
        }
        Ok(Table {
            name: table.to_owned(),
            columns,
        })
    }
}

/// A table of the source and the columns it has (older releases of an application lack
/// columns later ones added).
pub(crate) struct Table {
    /// Its name, prefix included.
    pub(crate) name: String,
    columns: Vec<String>,
}

impl Table {
    /// Whether the table has `column`.
    pub(crate) fn has(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c == column)
    }

    /// `column AS alias` if the table has the column, otherwise `fallback AS alias` (SQL).
    pub(crate) fn select(&self, column: &str, fallback: &str, alias: &str) -> String {
        if self.has(column) {
            format!("{column} AS {alias}")
        } else {
            format!("{fallback} AS {alias}")
        }
    }
}

/// Checks a Nextcloud/ownCloud table prefix: it becomes part of SQL text.
pub(crate) fn check_prefix(prefix: &str) -> Result<(), Failure> {
    if prefix.len() <= 32
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        Ok(())
    } else {
        Err(Failure::Config(format!(
            "--table-prefix {prefix:?}: letters, digits and '_' only"
        )))
    }
}

/// A JSON list that MySQL's `JSON_ARRAYAGG` writes as `null` when it is empty.
pub(crate) fn list_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<Option<String>>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect())
}

/// A boolean column as MySQL exports it (0/1), or as JSON `true`/`false`, or `null`.
pub(crate) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Number(i64),
        Text(String),
    }
    Ok(match Option::<Flag>::deserialize(d)? {
        None => false,
        Some(Flag::Bool(b)) => b,
        Some(Flag::Number(n)) => n != 0,
        Some(Flag::Text(t)) => matches!(t.as_str(), "1" | "true" | "t"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_identifiers() {
        assert!(check_prefix("oc_").is_ok());
        assert!(check_prefix("").is_ok());
        assert!(check_prefix("oc_; DROP TABLE x").is_err());
    }

    #[test]
    fn mysql_nulls_and_numbers_are_read() {
        #[derive(Deserialize)]
        struct Row {
            #[serde(deserialize_with = "list_or_null")]
            uris: Vec<String>,
            #[serde(deserialize_with = "flag")]
            dcr: bool,
        }
        let row: Row = serde_json::from_str(r#"{"uris": null, "dcr": 1}"#).unwrap();
        assert!(row.uris.is_empty() && row.dcr);
        let row: Row = serde_json::from_str(r#"{"uris": ["a"], "dcr": false}"#).unwrap();
        assert_eq!(row.uris, ["a"]);
        assert!(!row.dcr);
    }
}
