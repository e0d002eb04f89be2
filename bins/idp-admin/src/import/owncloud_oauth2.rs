//! ownCloud's `oauth2` app (github.com/owncloud/oauth2, checked at release 0.7.1):
//! `oauth2_clients` (appinfo/database.xml: `identifier`, `secret` in clear,
//! `redirect_uri` — one, where `http://localhost:*` allows any port —, `name`,
//! `allow_subdomains`; `trusted` since appinfo/Migrations/Version20201123114127).

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use idp_core::ClientType;
use idp_protocol::manage::NewClient;
use serde::Deserialize;

use super::plan::{exact_redirect_uris, Candidate, SecretSource, Skipped};
use super::source::{flag, read_json, Source};
use super::Read;
use crate::Failure;

/// The JSON the MySQL export query prints.
#[derive(Deserialize)]
struct Export {
    #[serde(default)]
    clients: Option<Vec<OwncloudClient>>,
}

/// One row of `oauth2_clients`.
#[derive(Deserialize)]
struct OwncloudClient {
    name: String,
    identifier: String,
    secret: String,
    redirect_uri: String,
    #[serde(default, deserialize_with = "flag")]
    allow_subdomains: bool,
    #[serde(default, deserialize_with = "flag")]
    trusted: bool,
}

/// `oauth2_clients` as the database path selects it.
#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    identifier: String,
    #[diesel(sql_type = Text)]
    secret: String,
    #[diesel(sql_type = Text)]
    redirect_uri: String,
    #[diesel(sql_type = BigInt)]
    allow_subdomains: i64,
    #[diesel(sql_type = BigInt)]
    trusted: i64,
}

/// Reads the clients from `source`.
pub(crate) fn read(source: Source, prefix: &str) -> Result<Read, Failure> {
    let clients = match source {
        Source::Json(path) => read_json::<Export>(&path)?.clients.unwrap_or_default(),
        Source::Database(mut db) => {
            let table = db.table(
                &format!("{prefix}oauth2_clients"),
                &["id", "identifier", "secret", "redirect_uri", "name"],
            )?;
            let boolean = |column: &str| {
                if table.has(column) {
                    format!("CAST(CASE WHEN {column} THEN 1 ELSE 0 END AS BIGINT) AS {column}")
                } else {
                    format!("CAST(0 AS BIGINT) AS {column}")
                }
            };
            let rows: Vec<Row> = db.rows(&format!(
                "SELECT name, identifier, secret, redirect_uri, {}, {} FROM {} ORDER BY id",
                boolean("allow_subdomains"),
                boolean("trusted"),
                table.name
            ))?;
            rows.into_iter()
                .map(|r| OwncloudClient {
                    name: r.name,
                    identifier: r.identifier,
                    secret: r.secret,
                    redirect_uri: r.redirect_uri,
                    allow_subdomains: r.allow_subdomains != 0,
                    trusted: r.trusted != 0,
                })
                .collect()
        }
    };
    Ok(Read {
        clients: clients.into_iter().map(map).collect(),
        warnings: Vec::new(),
    })
}

/// The one mapping from the app's rows to registrations here.
fn map(c: OwncloudClient) -> Result<Candidate, Skipped> {
    let mut warnings = Vec::new();
    let redirect_uris = exact_redirect_uris(std::slice::from_ref(&c.redirect_uri), &mut warnings);
    if redirect_uris.is_empty() {
        return Err(Skipped {
            client_id: c.identifier,
            name: c.name,
            reason: format!(
                "its only redirect URI, {}, cannot be matched exactly here (any port or wildcard)",
                c.redirect_uri
            ),
        });
    }
    if c.allow_subdomains {
        warnings.push("allow_subdomains is not imported: redirect URIs on subdomains no longer match (redirect URIs are compared exactly, RFC 9700 §4.1.3)".to_owned());
    }
    let new = NewClient {
        client_type: ClientType::Confidential,
        client_id: Some(c.identifier),
        // `trusted`: the app skips the authorization page.
        first_party: c.trusted,
        // ownCloud clients get a refresh token with every token response, and `user_id`.
        refresh_without_offline_access: true,
        include_user_id: true,
        ..NewClient::new(c.name, redirect_uris)
    };
    Ok(Candidate {
        new,
        secret: SecretSource::stored(Some(&c.secret), |_| {
            "the app's secret is not 32-64 letters and digits, which this provider requires"
                .to_owned()
        }),
        warnings,
    })
}
