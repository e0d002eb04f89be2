//! `idp-admin client …`

use clap::{Subcommand, ValueEnum};
use idp_core::{
    Client, ClientId, ClientOptions, ClientRepo, ClientType, GroupClaim, IdTokenAlg, SettingKey,
    SystemClock,
};
use idp_protocol::manage::{self, ClientUpdate, NewClient};
use idp_protocol::KeyEncryptionKey;
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
    /// Change a client: only the flags given change; a repeatable flag replaces the whole
    /// list (give it once with an empty value to empty the list).
    Update {
        /// Client id.
        client_id: String,
        #[command(flatten)]
        flags: ClientFlags,
    },
    /// List clients.
    List,
    /// Show one client with everything registered for it.
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
    /// Client type.
    #[arg(long = "type", value_enum, default_value = "confidential")]
    client_type: TypeArg,
    /// Use this client id (32–64 letters and digits) instead of a generated one.
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
    /// Use this secret (32–64 letters and digits) instead of a generated one.
    #[arg(long, value_name = "SECRET", requires = "client_id")]
    client_secret: Option<String>,
    #[command(flatten)]
    flags: ClientFlags,
}

/// The flags `client create` and `client update` share. A switch given bare turns the
/// option on; `--switch=false` turns it off.
#[derive(Debug, clap::Args)]
pub(crate) struct ClientFlags {
    /// Name shown on the consent page (required by `create`).
    #[arg(long)]
    name: Option<String>,
    /// Redirect URI, matched exactly; repeatable.
    #[arg(long = "redirect-uri", value_name = "URI")]
    redirect_uris: Vec<String>,
    /// Skip the consent page (the operator's own applications).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    first_party: Option<bool>,
    /// Allowed scope, standard or defined with `scope create`; repeatable (default: the
    /// standard scopes).
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
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    refresh_without_offline_access: Option<bool>,
    /// Put `user_id` (the username) in token responses, as ownCloud clients expect.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    token_response_user_id: Option<bool>,
    /// Allow the implicit and hybrid flows (off by default: OAuth 2.1 drops them).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    implicit: Option<bool>,
    /// ID token signing algorithm: RS256 (default), ES256, EdDSA, or HS256 (with the
    /// client secret; confidential clients only).
    #[arg(long, value_name = "ALG")]
    id_token_alg: Option<String>,
    /// Issue RFC 9068 JWT access tokens instead of opaque ones.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    jwt_access_token: Option<bool>,
    /// Resource identifier (RFC 8707) the client's access tokens are for; the first is
    /// the `aud` of its JWT access tokens (default: the issuer); repeatable.
    #[arg(long = "resource", value_name = "URI")]
    resources: Vec<String>,
    /// Access token lifetime for this client (seconds, or with s/m/h/d; `default`: the
    /// provider's setting).
    #[arg(long, value_name = "SECONDS")]
    access_token_lifetime: Option<String>,
    /// Refresh token lifetime for this client (`none` or 0: no expiry; `default`).
    #[arg(long, value_name = "SECONDS")]
    refresh_token_lifetime: Option<String>,
    /// ID token lifetime for this client (`default`: the provider's setting).
    #[arg(long, value_name = "SECONDS")]
    id_token_lifetime: Option<String>,
    /// Put the scope's claims in the ID token too (by default they are only at UserInfo
    /// when an access token is issued, OIDC Core §5.4).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    claims_in_id_token: Option<bool>,
    /// How `groups` and `roles` name groups: names (default) or ids.
    #[arg(long, value_name = "names|ids")]
    group_claim: Option<String>,
    /// Only members of this group may sign in; repeatable (default: everyone).
    #[arg(long = "allowed-group", value_name = "G")]
    allowed_groups: Vec<String>,
    /// Where logout may return the browser, matched exactly; repeatable.
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    post_logout_redirect_uris: Vec<String>,
}

/// A repeatable flag as an update: not given → unchanged.
fn list(values: Vec<String>) -> Option<Vec<String>> {
    (!values.is_empty()).then_some(values)
}

/// A list for `create`: an empty value stands for no entry, as with `update`.
fn nonempty(values: Option<Vec<String>>) -> Vec<String> {
    values
        .unwrap_or_default()
        .into_iter()
        .filter(|v| !v.is_empty())
        .collect()
}

/// A per-client lifetime: `default` clears the override; otherwise seconds (or with a
/// unit), checked as the provider's setting of the same name.
fn lifetime(key: SettingKey, value: Option<String>) -> Result<Option<Option<u64>>, Failure> {
    let Some(value) = value else {
        return Ok(None);
    };
    if value.trim() == "default" {
        return Ok(Some(None));
    }
    let secs = key
        .normalise(&value)?
        .parse::<u64>()
        .map_err(|e| Failure::Refused(e.to_string()))?;
    Ok(Some(Some(secs)))
}

impl ClientFlags {
    fn into_update(self) -> Result<ClientUpdate, Failure> {
        Ok(ClientUpdate {
            name: self.name,
            redirect_uris: list(self.redirect_uris),
            scopes: list(self.scopes),
            default_scopes: list(self.default_scopes),
            grant_types: list(self.grant_types),
            first_party: self.first_party,
            refresh_without_offline_access: self.refresh_without_offline_access,
            include_user_id: self.token_response_user_id,
            implicit: self.implicit,
            id_token_alg: self
                .id_token_alg
                .map(|a| a.parse::<IdTokenAlg>())
                .transpose()?,
            jwt_access_token: self.jwt_access_token,
            resources: list(self.resources),
            access_token_lifetime: lifetime(
                SettingKey::AccessTokenLifetime,
                self.access_token_lifetime,
            )?,
            refresh_token_lifetime: lifetime(
                SettingKey::RefreshTokenLifetime,
                self.refresh_token_lifetime,
            )?,
            id_token_lifetime: lifetime(SettingKey::IdTokenLifetime, self.id_token_lifetime)?,
            claims_in_id_token: self.claims_in_id_token,
            group_claim: self
                .group_claim
                .map(|g| g.parse::<GroupClaim>())
                .transpose()?,
            allowed_groups: list(self.allowed_groups),
            post_logout_redirect_uris: list(self.post_logout_redirect_uris),
        })
    }
}

impl CreateArgs {
    /// The client to create: the shared flags as an update of the defaults.
    fn into_new_client(self) -> Result<NewClient, Failure> {
        let u = self.flags.into_update()?;
        let name = u
            .name
            .ok_or_else(|| Failure::Refused("client create needs --name".into()))?;
        let defaults = ClientOptions::default();
        let options = ClientOptions {
            implicit: u.implicit.unwrap_or(defaults.implicit),
            id_token_alg: u.id_token_alg.unwrap_or(defaults.id_token_alg),
            jwt_access_token: u.jwt_access_token.unwrap_or(defaults.jwt_access_token),
            resources: nonempty(u.resources),
            access_token_lifetime: u.access_token_lifetime.flatten(),
            refresh_token_lifetime: u.refresh_token_lifetime.flatten(),
            id_token_lifetime: u.id_token_lifetime.flatten(),
            claims_in_id_token: u.claims_in_id_token.unwrap_or(defaults.claims_in_id_token),
            group_claim: u.group_claim.unwrap_or(defaults.group_claim),
            allowed_groups: nonempty(u.allowed_groups),
            post_logout_redirect_uris: Vec::new(),
        };
        let mut new = NewClient {
            client_type: match self.client_type {
                TypeArg::Confidential => ClientType::Confidential,
                TypeArg::Public => ClientType::Public,
            },
            client_id: self.client_id,
            client_secret: self.client_secret,
            first_party: u.first_party.unwrap_or(false),
            scopes: u.scopes.unwrap_or_default(),
            default_scopes: u.default_scopes.unwrap_or_default(),
            grant_types: u.grant_types.unwrap_or_default(),
            refresh_without_offline_access: u.refresh_without_offline_access.unwrap_or(false),
            include_user_id: u.include_user_id.unwrap_or(false),
            options,
            ..NewClient::new(name, u.redirect_uris.unwrap_or_default())
        };
        new.options.post_logout_redirect_uris = u
            .post_logout_redirect_uris
            .unwrap_or_default()
            .iter()
            .filter(|uri| !uri.is_empty())
            .map(|uri| idp_core::RedirectUri::parse(uri))
            .collect::<Result<_, _>>()?;
        Ok(new)
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
    implicit: bool,
    id_token_alg: &'static str,
    jwt_access_token: bool,
    resources: Vec<String>,
    access_token_lifetime: Option<u64>,
    refresh_token_lifetime: Option<u64>,
    id_token_lifetime: Option<u64>,
    claims_in_id_token: bool,
    group_claim: &'static str,
    allowed_groups: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    created_at: String,
    updated_at: String,
}

fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn view(c: &Client, secret: Option<String>) -> ClientView {
    let o = &c.options;
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
        implicit: o.implicit,
        id_token_alg: o.id_token_alg.as_str(),
        jwt_access_token: o.jwt_access_token,
        resources: o.resources.clone(),
        access_token_lifetime: o.access_token_lifetime,
        refresh_token_lifetime: o.refresh_token_lifetime,
        id_token_lifetime: o.id_token_lifetime,
        claims_in_id_token: o.claims_in_id_token,
        group_claim: o.group_claim.as_str(),
        allowed_groups: o.allowed_groups.clone(),
        post_logout_redirect_uris: o
            .post_logout_redirect_uris
            .iter()
            .map(|u| u.as_str().to_owned())
            .collect(),
        created_at: timestamp(c.created_at),
        updated_at: timestamp(c.updated_at),
    }
}

fn describe(v: &ClientView) -> String {
    let mut out = format!("client_id:                 {}\n", v.client_id);
    if let Some(secret) = &v.client_secret {
        out.push_str(&format!(
            "client_secret:             {secret}   (shown once: store it now)\n"
        ));
    }
    let lifetime = |l: Option<u64>| match l {
        None => "default".to_owned(),
        Some(0) => "none".to_owned(),
        Some(s) => format!("{s}s"),
    };
    let flags = [
        v.refresh_without_offline_access
            .then_some("refresh-without-offline-access"),
        v.token_response_user_id.then_some("token-response-user-id"),
        v.implicit.then_some("implicit"),
        v.jwt_access_token.then_some("jwt-access-token"),
        v.claims_in_id_token.then_some("claims-in-id-token"),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let lines = [
        ("name", v.name.clone()),
        ("type", v.client_type.to_owned()),
        ("redirect_uris", v.redirect_uris.join(" ")),
        ("grant_types", v.grant_types.join(" ")),
        ("scopes", v.scopes.join(" ")),
        ("default_scopes", or_dash(v.default_scopes.join(" "))),
        ("first_party", v.first_party.to_string()),
        ("flags", or_dash(flags)),
        ("id_token_alg", v.id_token_alg.to_owned()),
        ("resources", or_dash(v.resources.join(" "))),
        (
            "lifetimes",
            format!(
                "access {} refresh {} id_token {}",
                lifetime(v.access_token_lifetime),
                lifetime(v.refresh_token_lifetime),
                lifetime(v.id_token_lifetime)
            ),
        ),
        ("group_claim", v.group_claim.to_owned()),
        ("allowed_groups", or_dash(v.allowed_groups.join(" "))),
        (
            "post_logout_redirect_uris",
            or_dash(v.post_logout_redirect_uris.join(" ")),
        ),
        ("created_at", v.created_at.clone()),
        ("updated_at", v.updated_at.clone()),
    ];
    let body: Vec<String> = lines
        .iter()
        .map(|(k, value)| format!("{:<26} {value}", format!("{k}:")))
        .collect();
    out.push_str(&body.join("\n"));
    out
}

fn find(store: &DieselStore, id: &str) -> Result<Client, Failure> {
    store
        .client(&ClientId::new(id))?
        .ok_or_else(|| Failure::Refused(format!("client {id} not found")))
}

pub(crate) fn run(
    store: &DieselStore,
    command: ClientCommand,
    kek: impl Fn() -> Option<KeyEncryptionKey>,
) -> Result<Report, Failure> {
    match command {
        ClientCommand::Create(args) => {
            let new = args.into_new_client()?;
            // The key-encryption key is looked for only when the secret is to be sealed.
            let seals = new.options.id_token_alg == IdTokenAlg::Hs256
                && new.client_type == ClientType::Confidential;
            let kek = seals.then(kek).flatten();
            let created = manage::create_client(store, &SystemClock, kek.as_ref(), new)?;
            let v = view(&created.client, created.secret);
            let text = describe(&v);
            Ok(Report::new(v, text))
        }
        ClientCommand::Update { client_id, flags } => {
            let update = flags.into_update()?;
            let kek = (update.id_token_alg == Some(IdTokenAlg::Hs256))
                .then(kek)
                .flatten();
            let updated = manage::update_client(
                store,
                &SystemClock,
                kek.as_ref(),
                &ClientId::new(client_id.as_str()),
                update,
            )?;
            let v = view(&updated.client, updated.secret);
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
            let hs256 = find(store, &client_id)?.options.id_token_alg == IdTokenAlg::Hs256;
            let kek = hs256.then(kek).flatten();
            let secret = manage::rotate_client_secret(
                store,
                kek.as_ref(),
                &ClientId::new(client_id.as_str()),
            )?;
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
