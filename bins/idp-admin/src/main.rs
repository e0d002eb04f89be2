//! `idp-admin`: manage the identity provider's users, groups, clients and signing keys.
//!
//! Every command opens the database named by the configuration (applying migrations to
//! a new one), does its work through `idp_protocol::manage` and the store, and prints
//! text, or with `--json` one JSON value on stdout. Errors go to stderr: exit code 2 for
//! configuration problems, 1 for everything else.
//!
//! `migrate` instead opens the two databases its `--from` and `--to` flags name, and
//! copies the one into the other (`idp_store::copy_database`).

mod clients;
mod declared;
mod groups;
mod import;
mod keys;
mod migrate;
mod output;
mod registration_tokens;
mod scopes;
mod settings;
mod users;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use idp_config::{ConfigArgs, ServerArgs};
use idp_core::error_chain;
use idp_store::{DieselStore, Migrations, StoreOptions};

use crate::output::Report;

/// Administer the identity provider.
#[derive(Debug, Parser)]
#[command(name = "idp-admin", version, about)]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,
    /// Print one JSON value (an array for `list`) instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// People who log in.
    #[command(subcommand)]
    User(users::UserCommand),
    /// Groups of users.
    #[command(subcommand)]
    Group(groups::GroupCommand),
    /// Applications that use the provider.
    #[command(subcommand)]
    Client(clients::ClientCommand),
    /// Token signing keys.
    #[command(subcommand)]
    Key(keys::KeyCommand),
    /// Scopes you define for your own APIs.
    #[command(subcommand)]
    Scope(scopes::ScopeCommand),
    /// Initial access tokens for dynamic client registration (RFC 7591 §3).
    #[command(subcommand)]
    RegistrationToken(registration_tokens::RegistrationTokenCommand),
    /// Settings every instance reads from the database (token lifetimes, ...).
    #[command(subcommand)]
    Settings(settings::SettingsCommand),
    /// Copy every table into an empty database (SQLite to PostgreSQL or back); reads
    /// `--from` and `--to`, not the configured database.
    Migrate(migrate::MigrateArgs),
    /// Clients, scopes and groups declared in a configuration file: check or apply.
    #[command(subcommand)]
    Config(declared::ConfigCommand),
    /// Register the clients of Nextcloud's oidc or oauth2 app, or ownCloud's oauth2 app,
    /// here with the same ids (docs/migrating.md).
    Import(import::ImportArgs),
}

/// Why a command failed, and so which exit code it gets.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The configuration or database URL is unusable (exit code 2).
    Config(String),
    /// The command could not be carried out (exit code 1).
    Refused(String),
}

impl From<idp_protocol::ProtocolError> for Failure {
    fn from(e: idp_protocol::ProtocolError) -> Self {
        Failure::Refused(error_chain(&e))
    }
}

impl From<idp_core::CoreError> for Failure {
    fn from(e: idp_core::CoreError) -> Self {
        Failure::Refused(error_chain(&e))
    }
}

fn open_store(settings: &idp_config::Settings) -> Result<DieselStore, Failure> {
    // One command, one connection: no pool threads that could still be opening
    // connections when the process exits.
    let options = StoreOptions {
        migrations: Migrations::OnlyIfNew,
        pool_size: 1,
        immediate_pool_size: 0,
        ..StoreOptions::default()
    };
    DieselStore::open_with_options(&settings.database_url, &options).map_err(|e| match e {
        idp_store::StoreError::Url { .. } => Failure::Config(e.to_string()),
        other => Failure::Refused(error_chain(&other)),
    })
}

fn run(cli: Cli) -> Result<Report, Failure> {
    let settings = idp_config::load(&cli.config, &ServerArgs::default(), None)
        .map_err(|e| Failure::Config(e.to_string()))?;
    let store = || open_store(&settings);
    match cli.command {
        Command::User(c) => users::run(&store()?, c),
        Command::Group(c) => groups::run(&store()?, c),
        Command::Client(c) => {
            let store = store()?;
            // Only HS256 clients need the key-encryption key (their secret is kept
            // sealed); without it, such a change is refused with the reason.
            let kek = || {
                idp_server::unlock_signing_keys(&settings, &store)
                    .ok()
                    .map(|(kek, _)| kek)
            };
            clients::run(&store, c, kek)
        }
        Command::Scope(c) => scopes::run(&store()?, c),
        Command::RegistrationToken(c) => registration_tokens::run(&store()?, c),
        Command::Settings(c) => settings::run(&store()?, c, &idp_server::lifetimes(&settings)),
        Command::Key(c) => keys::run(&store()?, c, &settings),
        Command::Migrate(args) => migrate::run(&args),
        Command::Config(c) => {
            let store = store()?;
            // As for `client`: the key is needed only to seal an HS256 client's secret.
            let kek = || {
                idp_server::unlock_signing_keys(&settings, &store)
                    .ok()
                    .map(|(kek, _)| kek)
            };
            declared::run(&store, c, kek)
        }
        Command::Import(args) => {
            let store = store()?;
            // As for `client`: the key is needed only to seal an HS256 client's secret.
            let kek = || {
                idp_server::unlock_signing_keys(&settings, &store)
                    .ok()
                    .map(|(kek, _)| kek)
            };
            import::run(&store, &args, kek)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli) {
        Ok(report) => {
            report.print(json);
            ExitCode::SUCCESS
        }
        Err(Failure::Config(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Refused(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_begin_with_a_hyphen_are_values_not_options() {
        for args in [
            ["idp-admin", "key", "retire", "-scxQYnMsFrImNiCEl"],
            ["idp-admin", "client", "show", "-Ab3_x"],
            ["idp-admin", "client", "remove", "-Ab3_x"],
        ] {
            assert!(Cli::try_parse_from(args).is_ok(), "{args:?}");
        }
        let update =
            Cli::try_parse_from(["idp-admin", "client", "update", "-Ab3_x", "--name", "N"]);
        assert!(update.is_ok());
    }
}
