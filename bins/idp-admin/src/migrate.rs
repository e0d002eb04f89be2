//! `idp-admin migrate --from URL --to URL`: copy every table into an empty database,
//! e.g. from SQLite to PostgreSQL or back.

use clap::Args;
use idp_core::error_chain;
use idp_store::{copy_database, DatabaseUrl, DieselStore, Migrations, StoreError, StoreOptions};
use serde::Serialize;

use crate::output::Report;
use crate::Failure;

#[derive(Debug, Args)]
pub(crate) struct MigrateArgs {
    /// The database to copy (only read): sqlite://PATH, a path, or
    /// postgres://USER[:PASSWORD]@HOST[:PORT]/DBNAME. It must exist and have the schema of
    /// this release.
    #[arg(long, value_name = "URL")]
    from: String,
    /// The database to copy into, in the same forms. It must be empty: a new SQLite file
    /// or PostgreSQL database gets the schema first; one with any row is refused.
    #[arg(long, value_name = "URL")]
    to: String,
}

/// A copied table as printed.
#[derive(Serialize)]
struct TableView {
    table: &'static str,
    rows: u64,
}

/// The whole copy as printed.
#[derive(Serialize)]
struct MigrateView {
    tables: Vec<TableView>,
    total: u64,
}

/// Opens the database of the flag `--{flag}`, as the other commands do: a new one gets
/// the schema, an out-of-date one is refused rather than upgraded. With one connection,
/// all a copy uses: the pool then opens none in the background, where one still being
/// opened when the process exits can crash it (a PostgreSQL connection's TLS library
/// torn down under it).
fn open(flag: &str, url: &str) -> Result<DieselStore, Failure> {
    let options = StoreOptions {
        migrations: Migrations::OnlyIfNew,
        pool_size: 1,
        immediate_pool_size: 0,
        ..StoreOptions::default()
    };
    DieselStore::open_with_options(url, &options).map_err(|e| match e {
        StoreError::Url { .. } => Failure::Config(format!("--{flag}: {e}")),
        other => Failure::Refused(format!("--{flag}: {}", error_chain(&other))),
    })
}

pub(crate) fn run(args: &MigrateArgs) -> Result<Report, Failure> {
    // Opening a SQLite file creates it: a mistyped source would copy an empty database.
    if let DatabaseUrl::Sqlite(path) =
        DatabaseUrl::parse(&args.from).map_err(|e| Failure::Config(format!("--from: {e}")))?
    {
        if !path.exists() {
            return Err(Failure::Refused(format!(
                "--from: the SQLite database {} does not exist",
                path.display()
            )));
        }
    }
    let from = open("from", &args.from)?;
    let to = open("to", &args.to)?;
    let report = copy_database(&from, &to).map_err(|e| Failure::Refused(error_chain(&e)))?;
    let width = report
        .tables
        .iter()
        .map(|t| t.table.len())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for t in &report.tables {
        text.push_str(&format!("{:<width$}  {}\n", t.table, t.rows));
    }
    text.push_str(&format!("{:<width$}  {}", "total", report.total()));
    let view = MigrateView {
        tables: report
            .tables
            .iter()
            .map(|t| TableView {
                table: t.table,
                rows: t.rows,
            })
            .collect(),
        total: report.total(),
    };
    Ok(Report::new(view, text))
}
