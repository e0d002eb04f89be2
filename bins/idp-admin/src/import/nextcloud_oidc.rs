//! Nextcloud's `oidc` app (github.com/H2CK/oidc, checked at release 2.0.9; tables from
//! lib/Migration/Version0001… to Version0021…): `oidc_clients`, `oidc_redirect_uris`,
//! `oidc_group_map`, `oidc_custom_claims` and the provider-wide `oidc_loredirect_uris`.
//! Secrets are stored in clear (lib/Db/ClientMapper.php generates 64 letters and digits;
//! `occ oidc:create --client_secret` accepts 32–64 printable characters).

use std::collections::BTreeMap;

use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::QueryableByName;
use idp_core::{ClientType, IdTokenAlg, Scope};
use idp_protocol::manage::NewClient;
use serde::Deserialize;

use super::plan::{exact_redirect_uris, Candidate, SecretSource, Skipped};
use super::source::{flag, list_or_null, read_json, ForeignDb, Source};
use super::Read;
use crate::Failure;

/// Every client and the provider-wide logout URIs: the JSON the MySQL export query
/// prints, and what the database path assembles from the same columns.
#[derive(Deserialize)]
struct Export {
    clients: Vec<OidcClient>,
    #[serde(default, deserialize_with = "list_or_null")]
    logout_redirect_uris: Vec<String>,
}

/// One row of `oidc_clients` with its related rows.
#[derive(Deserialize)]
struct OidcClient {
    name: String,
    client_identifier: String,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    signing_alg: Option<String>,
    #[serde(default, rename = "type")]
    client_type: Option<String>,
    #[serde(default)]
    flow_type: Option<String>,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    allowed_scopes: Option<String>,
    #[serde(default)]
    email_regex: Option<String>,
    #[serde(default)]
    resource_url: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    dcr: bool,
    #[serde(default, deserialize_with = "list_or_null")]
    redirect_uris: Vec<String>,
    #[serde(default, deserialize_with = "list_or_null")]
    groups: Vec<String>,
    #[serde(default, deserialize_with = "list_or_null")]
    custom_claims: Vec<String>,
}

/// `oidc_clients` as the database path selects it.
#[derive(QueryableByName)]
struct ClientRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    client_identifier: String,
    #[diesel(sql_type = Nullable<Text>)]
    secret: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    signing_alg: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    client_type: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    flow_type: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    token_type: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    allowed_scopes: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    email_regex: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    resource_url: Option<String>,
    #[diesel(sql_type = BigInt)]
    dcr: i64,
}

/// A row of a table related to clients by `client_id` (`oidc_clients.id`).
#[derive(QueryableByName)]
struct Related {
    #[diesel(sql_type = BigInt)]
    client_id: i64,
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(QueryableByName)]
struct Value {
    #[diesel(sql_type = Text)]
    value: String,
}

/// Reads the clients from `source`.
pub(crate) fn read(source: Source, prefix: &str) -> Result<Read, Failure> {
    let export = match source {
        Source::Json(path) => read_json::<Export>(&path)?,
        Source::Database(mut db) => from_database(&mut db, prefix)?,
    };
    Ok(map(export))
}

fn from_database(db: &mut ForeignDb, prefix: &str) -> Result<Export, Failure> {
    let clients = db.table(
        &format!("{prefix}oidc_clients"),
        &["id", "name", "client_identifier", "secret"],
    )?;
    // Columns later releases added are read as their defaults when missing.
    let sql = format!(
        "SELECT CAST(id AS BIGINT) AS id, name, client_identifier, secret, {}, {}, {}, {}, {}, {}, {}, \
         CAST(CASE WHEN {} THEN 1 ELSE 0 END AS BIGINT) AS dcr FROM {} ORDER BY id",
        clients.select("signing_alg", "'RS256'", "signing_alg"),
        clients.select("type", "'confidential'", "client_type"),
        clients.select("flow_type", "'code'", "flow_type"),
        clients.select("token_type", "'opaque'", "token_type"),
        clients.select("allowed_scopes", "''", "allowed_scopes"),
        clients.select("email_regex", "''", "email_regex"),
        clients.select("resource_url", "NULL", "resource_url"),
        if clients.has("dcr") { "dcr" } else { "1 = 0" },
        clients.name
    );
    let rows: Vec<ClientRow> = db.rows(&sql)?;
    let mut related = |table: &str, column: &str| -> Result<BTreeMap<i64, Vec<String>>, Failure> {
        let mut by_client: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        let table = format!("{prefix}{table}");
        if db.columns(&table)?.is_empty() {
            return Ok(by_client);
        }
        let rows: Vec<Related> = db.rows(&format!(
            "SELECT CAST(client_id AS BIGINT) AS client_id, {column} AS value FROM {table} ORDER BY id"
        ))?;
        for r in rows {
            by_client.entry(r.client_id).or_default().push(r.value);
        }
        Ok(by_client)
    };
    let mut redirect_uris = related("oidc_redirect_uris", "redirect_uri")?;
    let mut groups = related("oidc_group_map", "group_id")?;
    let mut custom_claims = related("oidc_custom_claims", "name")?;
    let logout_table = format!("{prefix}oidc_loredirect_uris");
    let logout_redirect_uris = if db.columns(&logout_table)?.is_empty() {
        Vec::new()
    } else {
        db.rows::<Value>(&format!(
            "SELECT redirect_uri AS value FROM {logout_table} ORDER BY id"
        ))?
        .into_iter()
        .map(|v| v.value)
        .collect()
    };
    let clients = rows
        .into_iter()
        .map(|r| OidcClient {
            redirect_uris: redirect_uris.remove(&r.id).unwrap_or_default(),
            groups: groups.remove(&r.id).unwrap_or_default(),
            custom_claims: custom_claims.remove(&r.id).unwrap_or_default(),
            name: r.name,
            client_identifier: r.client_identifier,
            secret: r.secret,
            signing_alg: r.signing_alg,
            client_type: r.client_type,
            flow_type: r.flow_type,
            token_type: r.token_type,
            allowed_scopes: r.allowed_scopes,
            email_regex: r.email_regex,
            resource_url: r.resource_url,
            dcr: r.dcr != 0,
        })
        .collect();
    Ok(Export {
        clients,
        logout_redirect_uris,
    })
}

/// The origin (scheme, host, port) of a URL, to compare logout and redirect URIs.
fn origin(uri: &str) -> Option<String> {
    url::Url::parse(uri)
        .ok()
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
}

/// The one mapping from the app's rows to registrations here.
fn map(export: Export) -> Read {
    let mut warnings = Vec::new();
    let mut logout_used = vec![false; export.logout_redirect_uris.len()];
    let mut clients = Vec::new();
    for c in export.clients {
        let mut w = Vec::new();
        let redirect_uris = exact_redirect_uris(&c.redirect_uris, &mut w);
        if redirect_uris.is_empty() {
            clients.push(Err(Skipped {
                client_id: c.client_identifier,
                name: c.name,
                reason: "no redirect URI this provider can match exactly".to_owned(),
            }));
            continue;
        }
        let public = c.client_type.as_deref() == Some("public");
        let client_type = if public {
            ClientType::Public
        } else {
            ClientType::Confidential
        };
        // lib/Db/Client.php: RS256, else HS256.
        let id_token_alg = match c.signing_alg.as_deref() {
            Some("HS256") if public => {
                w.push("HS256 signs with the client secret, which a public client does not have: imported with RS256".to_owned());
                IdTokenAlg::Rs256
            }
            Some("HS256") => IdTokenAlg::Hs256,
            Some("RS256") | None => IdTokenAlg::Rs256,
            Some(other) => {
                w.push(format!(
                    "signing algorithm {other:?} is unknown: imported with RS256"
                ));
                IdTokenAlg::Rs256
            }
        };
        let jwt_access_token = match c.token_type.as_deref() {
            Some("jwt") => true,
            Some("opaque" | "") | None => false,
            Some(other) => {
                w.push(format!(
                    "access token type {other:?} is unknown: opaque access tokens are issued"
                ));
                false
            }
        };
        // flow_type `code id_token` allows the implicit flow (response types with id_token).
        let implicit = c
            .flow_type
            .as_deref()
            .is_some_and(|f| f.contains("id_token"));
        // Empty allowed_scopes: any scope (the app accepts every requested one).
        let listed: Vec<String> = c
            .allowed_scopes
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        let (mut scopes, unknown): (Vec<String>, Vec<String>) =
            listed.iter().cloned().partition(|s| Scope::is_standard(s));
        if !unknown.is_empty() {
            w.push(format!(
                "allowed scopes {} are not defined here: not imported (define them with `idp-admin scope create` and add them with `client update --scope`)",
                unknown.join(" ")
            ));
            if scopes.is_empty() {
                // Never widen a restricted client to every scope.
                scopes.push(Scope::OPENID.to_owned());
            }
        }
        scopes.dedup();
        if c.email_regex
            .as_deref()
            .is_some_and(|r| !r.trim().is_empty())
        {
            w.push("email_regex (which of the user's addresses is the email claim) is not imported: the email claim is the user's email here".to_owned());
        }
        if !c.custom_claims.is_empty() {
            w.push(format!(
                "custom claims {} are not imported",
                c.custom_claims.join(", ")
            ));
        }
        if c.dcr {
            w.push("registered itself through dynamic client registration in Nextcloud, where it expires; imported as a client the operator registered, which does not expire".to_owned());
        }
        let resources: Vec<String> = c
            .resource_url
            .filter(|r| !r.trim().is_empty())
            .into_iter()
            .collect();
        // The app's logout URIs are provider-wide; each goes to the clients with a
        // redirect URI of the same origin, so no client gains another's logout target.
        let origins: Vec<String> = redirect_uris.iter().filter_map(|u| origin(u)).collect();
        let mut post_logout = Vec::new();
        for (i, uri) in export.logout_redirect_uris.iter().enumerate() {
            if origin(uri).is_some_and(|o| origins.contains(&o)) && !uri.contains('*') {
                logout_used[i] = true;
                post_logout.push(uri.clone());
            }
        }
        let secret = if public {
            SecretSource::Public
        } else {
            SecretSource::stored(c.secret.as_deref(), |_| {
                "the app's secret is not 32-64 letters and digits, which this provider requires"
                    .to_owned()
            })
        };
        let mut new = NewClient {
            client_type,
            client_id: Some(c.client_identifier),
            scopes,
            ..NewClient::new(c.name, redirect_uris)
        };
        new.options.implicit = implicit;
        new.options.id_token_alg = id_token_alg;
        new.options.jwt_access_token = jwt_access_token;
        new.options.resources = resources;
        new.options.allowed_groups = c.groups;
        new.options.post_logout_redirect_uris = post_logout
            .iter()
            .filter_map(|u| idp_core::RedirectUri::parse(u).ok())
            .collect();
        clients.push(Ok(Candidate {
            new,
            secret,
            warnings: w,
        }));
    }
    for (uri, used) in export.logout_redirect_uris.iter().zip(logout_used) {
        if !used {
            warnings.push(format!(
                "post-logout redirect URI {uri} has the origin of no imported client's redirect URIs: not imported (add it with `client update ID --post-logout-redirect-uri`)"
            ));
        }
    }
    Read { clients, warnings }
}
