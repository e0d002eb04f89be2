//! `idp-admin client …`

use clap::{Subcommand, ValueEnum};
use idp_core::{Client, ClientId, ClientRepo, ClientType, SystemClock};
use idp_protocol::manage::{self, NewClient};
use idp_store::DieselStore;
use serde::Serialize;

use crate::output::{or_dash, table, Report};
use crate::Failure;

/// `--type`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum TypeArg {
    /// Has a secret (server-side applications).
    Confidential,
    /// Has no secret and must use PKCE (apps, single-page and command-line clients).
    Public,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ClientCommand {
    /// Register a client; a confidential client's secret is printed once.
    Create(CreateArgs),
    /// List clients.
    List,
    /// Show one client.
    Show {
        /// Client id.
        client_id: String,
    },
    /// Remove a client and everything issued to it.
    Remove {
        /// Client id.
        client_id: String,
    },
    /// Replace a confidential client's secret; the new one is printed once.
    RotateSecret {
        /// Client id.
        client_id: String,
    },
}

/// `client create` options.
#[derive(Debug, clap::Args)]
pub(crate) struct CreateArgs {
    /// Name shown on the consent page.
    #[arg(long)]
    name: String,
    /// Redirect URI, matched exactly; repeatable.
    #[arg(long = "redirect-uri", value_name = "URI")]
    redirect_uris: Vec<String>,
    /// Client type.
    #[arg(long = "type", value_enum, default_value = "confidential")]
    client_type: TypeArg,
    /// Use this client id (32–64 letters and digits) instead of a generated one.
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
    /// Use this secret (32–64 letters and digits) instead of a generated one.
    #[arg(long, value_name = "SECRET", requires = "client_id")]
    client_secret: Option<String>,
    /// Skip the consent page (the operator's own applications).
    #[arg(long)]
    first_party: bool,
    /// Allowed scope; repeatable (default: all supported scopes).
    #[arg(long = "scope", value_name = "S")]
    scopes: Vec<String>,
    /// Scope granted when an authorization request names none; repeatable (default:
    /// none, so such requests are refused with invalid_scope). Must be allowed scopes.
    #[arg(long = "default-scope", value_name = "S")]
    default_scopes: Vec<String>,
    /// Allowed grant type; repeatable (default: authorization_code, refresh_token).
    #[arg(long = "grant-type", value_name = "T")]
    grant_types: Vec<String>,
    /// Issue refresh tokens even when offline_access is not requested
    /// (ownCloud/Nextcloud desktop and mobile clients).
    #[arg(long)]
    refresh_without_offline_access: bool,
    /// Put `user_id` (the username) in token responses, as ownCloud clients expect.
    #[arg(long)]
    token_response_user_id: bool,
}

impl CreateArgs {
    fn into_new_client(self) -> NewClient {
        NewClient {
            client_type: match self.client_type {
                TypeArg::Confidential => ClientType::Confidential,
                TypeArg::Public => ClientType::Public,
            },
            client_id: self.client_id,
            client_secret: self.client_secret,
            first_party: self.first_party,
            scopes: self.scopes,
            default_scopes: self.default_scopes,
            grant_types: self.grant_types,
            refresh_without_offline_access: self.refresh_without_offline_access,
            include_user_id: self.token_response_user_id,
            ..NewClient::new(self.name, self.redirect_uris)
        }
    }
}

/// A client as printed: the secret only right after it was made, never its digest.
#[derive(Serialize)]
struct ClientView {
    client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    name: String,
    #[serde(rename = "type")]
    client_type: &'static str,
    redirect_uris: Vec<String>,
    grant_types: Vec<&'static str>,
    scopes: Vec<String>,
    default_scopes: Vec<String>,
    first_party: bool,
    refresh_without_offline_access: bool,
    token_response_user_id: bool,
    created_at: String,
}

fn view(c: &Client, secret: Option<String>) -> ClientView {
    ClientView {
        client_id: c.id.to_string(),
        client_secret: secret,
        name: c.name.clone(),
        client_type: c.client_type.as_str(),
        redirect_uris: c
            .redirect_uris
            .iter()
            .map(|u| u.as_str().to_owned())
            .collect(),
        grant_types: c.grant_types.iter().map(|g| g.as_str()).collect(),
        scopes: c.scopes.iter().map(str::to_owned).collect(),
        default_scopes: c.default_scopes.iter().map(str::to_owned).collect(),
        first_party: c.first_party,
        refresh_without_offline_access: c.refresh_without_offline_access,
        token_response_user_id: c.include_user_id,
        created_at: c
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

fn describe(v: &ClientView) -> String {
    let mut out = format!("client_id:     {}\n", v.client_id);
    if let Some(secret) = &v.client_secret {
        out.push_str(&format!(
            "client_secret: {secret}   (shown once: store it now)\n"
        ));
    }
    out.push_str(&format!(
        "name:          {}\ntype:          {}\nredirect_uris: {}\ngrant_types:   {}\nscopes:        {}\ndefault_scope: {}\nfirst_party:   {}\nflags:         {}\ncreated_at:    {}",
        v.name,
        v.client_type,
        v.redirect_uris.join(" "),
        v.grant_types.join(" "),
        v.scopes.join(" "),
        or_dash(v.default_scopes.join(" ")),
        v.first_party,
        or_dash(
            [
                v.refresh_without_offline_access.then_some("refresh-without-offline-access"),
                v.token_response_user_id.then_some("token-response-user-id"),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
        ),
        v.created_at
    ));
    out
}

fn find(store: &DieselStore, id: &str) -> Result<Client, Failure> {
    store
        .client(&ClientId::new(id))?
        .ok_or_else(|| Failure::Refused(format!("client {id} not found")))
}

pub(crate) fn run(store: &DieselStore, command: ClientCommand) -> Result<Report, Failure> {
    match command {
        ClientCommand::Create(args) => {
            let created = manage::create_client(store, &SystemClock, args.into_new_client())?;
            let v = view(&created.client, created.secret);
            let text = describe(&v);
            Ok(Report::new(v, text))
        }
        ClientCommand::List => {
            let views: Vec<ClientView> = store.clients()?.iter().map(|c| view(c, None)).collect();
            let rows: Vec<Vec<String>> = views
                .iter()
                .map(|v| {
                    vec![
                        v.client_id.clone(),
                        v.client_type.to_owned(),
                        v.name.clone(),
                        v.redirect_uris.join(" "),
                    ]
                })
                .collect();
            let text = table(&["CLIENT_ID", "TYPE", "NAME", "REDIRECT_URIS"], &rows);
            Ok(Report::new(views, text))
        }
        ClientCommand::Show { client_id } => {
            let v = view(&find(store, &client_id)?, None);
            let text = describe(&v);
            Ok(Report::new(v, text))
        }
        ClientCommand::Remove { client_id } => {
            manage::remove_client(store, &ClientId::new(client_id.as_str()))?;
            Ok(Report::new(
                serde_json::json!({ "removed": client_id }),
                format!("removed client {client_id}"),
            ))
        }
        ClientCommand::RotateSecret { client_id } => {
            let secret = manage::rotate_client_secret(store, &ClientId::new(client_id.as_str()))?;
            let text = format!(
                "client_id:     {client_id}\nclient_secret: {secret}   (shown once: store it now)"
            );
            Ok(Report::new(
                serde_json::json!({ "client_id": client_id, "client_secret": secret }),
                text,
            ))
        }
    }
}
