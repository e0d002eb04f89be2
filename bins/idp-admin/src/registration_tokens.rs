//! `idp-admin registration-token …`: initial access tokens for dynamic client
//! registration (RFC 7591 §3).

use clap::Subcommand;
use idp_core::SystemClock;
use idp_protocol::manage;
use idp_store::DieselStore;
use serde::Serialize;

use crate::output::{table, Report};
use crate::Failure;

#[derive(Debug, Subcommand)]
pub(crate) enum RegistrationTokenCommand {
    /// Make an initial access token; it is printed once. It may be used for any number
    /// of registrations until it expires or is revoked.
    Create {
        /// Seconds until it expires (default: never).
        #[arg(long, value_name = "SECONDS")]
        expires: Option<u64>,
    },
    /// List initial access tokens (ids and times, never the tokens).
    List,
    /// Revoke an initial access token.
    Revoke {
        /// Its id (as `list` shows it; ids may begin with `-`).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
}

#[derive(Serialize)]
struct TokenView {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    created_at: String,
    expires_at: Option<String>,
}

fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn view(t: &idp_core::InitialAccessToken, token: Option<String>) -> TokenView {
    TokenView {
        id: t.id.clone(),
        token,
        created_at: timestamp(t.created_at),
        expires_at: t.expires_at.map(timestamp),
    }
}

pub(crate) fn run(
    store: &DieselStore,
    command: RegistrationTokenCommand,
) -> Result<Report, Failure> {
    match command {
        RegistrationTokenCommand::Create { expires } => {
            let new = manage::create_registration_token(store, &SystemClock, expires)?;
            let v = view(&new.token, Some(new.secret.clone()));
            let text = format!(
                "id:         {}\ntoken:      {}   (shown once: store it now)\nexpires_at: {}",
                v.id,
                new.secret,
                v.expires_at.as_deref().unwrap_or("never")
            );
            Ok(Report::new(v, text))
        }
        RegistrationTokenCommand::List => {
            let views: Vec<TokenView> = manage::registration_tokens(store)?
                .iter()
                .map(|t| view(t, None))
                .collect();
            let rows: Vec<Vec<String>> = views
                .iter()
                .map(|v| {
                    vec![
                        v.id.clone(),
                        v.created_at.clone(),
                        v.expires_at.clone().unwrap_or_else(|| "never".into()),
                    ]
                })
                .collect();
            let text = table(&["ID", "CREATED_AT", "EXPIRES_AT"], &rows);
            Ok(Report::new(views, text))
        }
        RegistrationTokenCommand::Revoke { id } => {
            manage::revoke_registration_token(store, &id)?;
            Ok(Report::new(
                serde_json::json!({ "revoked": id }),
                format!("revoked registration token {id}"),
            ))
        }
    }
}
