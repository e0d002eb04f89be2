//! `--seed-tokens N --seed-clients M` (or `--growth`): a large database, written before
//! the scenarios straight through a diesel connection in multi-row `INSERT`s — not
//! through the server, which would take hours for a million tokens.
//!
//! The rows look like the server's own: clients copied from the bench's
//! client_credentials client (each with its own id and secret digest), and for each
//! token a grant of one of those clients (no user, as client_credentials grants are)
//! with one access token whose key is the SHA-256 hex digest of a random secret, as the
//! server stores them. One in ten tokens has expired and one in fifty is revoked, so
//! the rows the scenarios look up sit among live, dead and revoked ones alike.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use rand::RngCore;
use ring::digest::{digest, SHA256};

/// Rows per `INSERT` statement.
const ROWS_PER_STATEMENT: u64 = 500;
/// Rows per transaction.
const ROWS_PER_TRANSACTION: u64 = 50_000;

/// What was seeded, and how long it took.
pub(crate) struct Seeded {
    clients: u64,
    tokens: u64,
    took: Duration,
}

impl Seeded {
    /// A progress line.
    pub(crate) fn describe(&self) -> String {
        format!(
            "seeded {} clients and {} access tokens with their grants in {:.1} s",
            self.clients,
            self.tokens,
            self.took.as_secs_f64()
        )
    }
}

/// The columns of `clients` copied from the template (all but the id, the secret's
/// digest and its sealed form).
const CLIENT_COLUMNS: &str = "name, client_type, redirect_uris, grant_types, scopes, first_party, \
     refresh_without_offline_access, include_user_id, created_at, default_scopes, options, updated_at";

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A random identifier (hex: nothing in it needs quoting in SQL).
fn random_hex(rng: &mut impl RngCore, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rng.fill_bytes(&mut buf);
    hex(&buf)
}

/// The SHA-256 hex digest of a random 256-bit secret, as the server stores a token or
/// a client secret.
fn random_digest(rng: &mut impl RngCore) -> String {
    let mut secret = [0u8; 32];
    rng.fill_bytes(&mut secret);
    hex(digest(&SHA256, &secret).as_ref())
}

/// The SQL that seeds the database, in transactions, one string per transaction.
fn statements(template: &str, clients: u64, tokens: u64, now: i64) -> Vec<String> {
    let mut rng = rand::thread_rng();
    let mut batches = Vec::new();
    let mut ids = Vec::new();
    let template = template.replace('\'', "''");
    let mut sql = String::from("BEGIN;\n");
    for n in 0..clients {
        let id = format!("seed{n:06}{}", random_hex(&mut rng, 8));
        let _ = writeln!(
            sql,
            "INSERT INTO clients (client_id, secret_digest, {CLIENT_COLUMNS}) \
             SELECT '{id}', '{}', {CLIENT_COLUMNS} FROM clients WHERE client_id = '{template}';",
            random_digest(&mut rng)
        );
        ids.push(id);
        if (n + 1) % ROWS_PER_TRANSACTION == 0 {
            sql.push_str("COMMIT;\n");
            batches.push(std::mem::replace(&mut sql, String::from("BEGIN;\n")));
        }
    }
    if ids.is_empty() {
        ids.push(template.clone());
    }
    let mut n = 0;
    while n < tokens {
        let rows = ROWS_PER_STATEMENT.min(tokens - n);
        let mut grants = String::from(
            "INSERT INTO grants (id, client_id, user_id, scope, auth_time, created_at, revoked_at, sid) VALUES ",
        );
        let mut access = String::from(
            "INSERT INTO access_tokens (token_digest, grant_id, scope, created_at, expires_at, revoked) VALUES ",
        );
        for i in 0..rows {
            let k = n + i;
            let grant = random_hex(&mut rng, 16);
            let client = &ids[usize::try_from(k).unwrap_or(0) % ids.len()];
            let created = now - i64::try_from(k % 3000).unwrap_or(0);
            // One in ten expired an hour ago, the rest live for an hour.
            let expires = if k % 10 == 0 { now - 3600 } else { now + 3600 };
            let revoked = if k % 50 == 1 { "TRUE" } else { "FALSE" };
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(
                grants,
                "{sep}('{grant}', '{client}', NULL, 'bench.read', {created}, {created}, NULL, NULL)"
            );
            let _ = write!(
                access,
                "{sep}('{}', '{grant}', 'bench.read', {created}, {expires}, {revoked})",
                random_digest(&mut rng)
            );
        }
        let _ = writeln!(sql, "{grants};\n{access};");
        n += rows;
        if n % ROWS_PER_TRANSACTION == 0 || n == tokens {
            sql.push_str("COMMIT;\n");
            batches.push(std::mem::replace(&mut sql, String::from("BEGIN;\n")));
        }
    }
    if sql != "BEGIN;\n" {
        sql.push_str("COMMIT;\n");
        batches.push(sql);
    }
    batches
}

/// Seeds the database at `db_url` (as `--database-url` takes it; already migrated by
/// the server) with `clients` copies of the client `template` and `tokens` access
/// tokens with their grants; then refreshes the planner's statistics, as a database
/// that grew over time would have them.
pub(crate) fn seed(db_url: &str, template: &str, clients: u64, tokens: u64) -> Result<Seeded> {
    let start = Instant::now();
    #[expect(
        clippy::disallowed_methods,
        reason = "seeded rows are stamped with wall time, as the server stamps them"
    )]
    let now = chrono::Utc::now().timestamp();
    let batches = statements(template, clients, tokens, now);
    if let Some(path) = db_url.strip_prefix("sqlite://") {
        let mut conn =
            SqliteConnection::establish(path).with_context(|| format!("cannot open {path}"))?;
        // The server is idle but holds the file open: wait for its locks, and skip the
        // fsyncs of a throw-away database.
        conn.batch_execute("PRAGMA busy_timeout = 30000; PRAGMA synchronous = OFF;")?;
        for batch in &batches {
            conn.batch_execute(batch).context("seeding SQLite")?;
        }
        conn.batch_execute("ANALYZE;")?;
    } else {
        let mut conn = PgConnection::establish(db_url)
            .with_context(|| format!("cannot connect to {db_url}"))?;
        conn.batch_execute("SET synchronous_commit = off;")?;
        for batch in &batches {
            conn.batch_execute(batch).context("seeding PostgreSQL")?;
        }
        conn.batch_execute("ANALYZE;")?;
    }
    Ok(Seeded {
        clients,
        tokens,
        took: start.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_cover_every_row_in_transactions() {
        let batches = statements("tmpl", 3, 1201, 1_000);
        let all = batches.concat();
        assert_eq!(all.matches("INSERT INTO clients").count(), 3);
        assert_eq!(all.matches("INSERT INTO grants").count(), 3);
        assert_eq!(all.matches("NULL, NULL)").count(), 1201);
        assert_eq!(
            all.matches(", FALSE)").count() + all.matches(", TRUE)").count(),
            1201
        );
        for b in &batches {
            assert!(b.starts_with("BEGIN;") && b.ends_with("COMMIT;\n"), "{b}");
        }
        assert!(statements("tmpl", 0, 0, 0).is_empty());
    }
}
