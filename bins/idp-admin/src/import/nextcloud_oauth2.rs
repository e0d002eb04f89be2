//! Nextcloud server's built-in `oauth2` app (apps/oauth2 in github.com/nextcloud/server):
//! `oauth2_clients` (lib/Migration/Version010401Date20181207190718: `name`,
//! `redirect_uri` — one —, `client_identifier`, `secret`). The secret was stored in
//! clear until app 1.16 (Nextcloud 27), encrypted with Nextcloud's `ICrypto` from then
//! (Version011601Date20230522143227), and as an HMAC in hex since app 1.19 (Nextcloud 30,
//! Version011901Date20240829164356): only the clear form is usable here.

use diesel::sql_types::Text;
use diesel::QueryableByName;
use idp_core::ClientType;
use idp_protocol::manage::NewClient;
use serde::Deserialize;

use super::plan::{exact_redirect_uris, Candidate, SecretSource, Skipped};
use super::source::{read_json, Source};
use super::Read;
use crate::Failure;

/// The JSON the MySQL export query prints.
#[derive(Deserialize)]
struct Export {
    #[serde(default)]
    clients: Option<Vec<OauthClient>>,
}

/// One row of `oauth2_clients`.
#[derive(Deserialize, QueryableByName)]
struct OauthClient {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    redirect_uri: String,
    #[diesel(sql_type = Text)]
    client_identifier: String,
    #[diesel(sql_type = Text)]
    secret: String,
}

/// Reads the clients from `source`.
pub(crate) fn read(source: Source, prefix: &str) -> Result<Read, Failure> {
    let clients = match source {
        Source::Json(path) => read_json::<Export>(&path)?.clients.unwrap_or_default(),
        Source::Database(mut db) => {
            let table = db.table(
                &format!("{prefix}oauth2_clients"),
                &["id", "name", "redirect_uri", "client_identifier", "secret"],
            )?;
            db.rows(&format!(
                "SELECT name, redirect_uri, client_identifier, secret FROM {} ORDER BY id",
                table.name
            ))?
        }
    };
    Ok(Read {
        clients: clients.into_iter().map(map).collect(),
        warnings: Vec::new(),
    })
}

/// Why a stored secret is not usable, by its form.
fn why_not(secret: &str) -> String {
    if secret.len() == 128 && secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        "Nextcloud 30 and later keep only an HMAC of the secret".to_owned()
    } else if secret.contains('|') {
        "Nextcloud 27 to 29 keep the secret encrypted with the instance's secret".to_owned()
    } else {
        "the stored secret is not 32-64 letters and digits, which this provider requires".to_owned()
    }
}

/// The one mapping from the app's rows to registrations here.
fn map(c: OauthClient) -> Result<Candidate, Skipped> {
    let mut warnings = Vec::new();
    let redirect_uris = exact_redirect_uris(std::slice::from_ref(&c.redirect_uri), &mut warnings);
    if redirect_uris.is_empty() {
        return Err(Skipped {
            client_id: c.client_identifier,
            name: c.name,
            reason: "no redirect URI this provider can match exactly".to_owned(),
        });
    }
    let new = NewClient {
        client_type: ClientType::Confidential,
        client_id: Some(c.client_identifier),
        // Nextcloud's oauth2 app answers every token request with a refresh token.
        refresh_without_offline_access: true,
        ..NewClient::new(c.name, redirect_uris)
    };
    Ok(Candidate {
        new,
        secret: SecretSource::stored(Some(&c.secret), why_not),
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_secret_forms_are_told_apart() {
        assert!(why_not(&"a1".repeat(64)).contains("HMAC"));
        assert!(why_not("3f2a|c0ffee|beef|v2").contains("encrypted"));
    }
}
