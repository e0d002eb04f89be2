//! `idp-admin scope …`

use clap::Subcommand;
use idp_core::{ScopeDefinition, ScopeRepo, SystemClock};
use idp_protocol::manage;
use idp_store::DieselStore;

use crate::output::{table, Report};
use crate::Failure;

#[derive(Debug, Subcommand)]
pub(crate) enum ScopeCommand {
    /// Define a scope for your own APIs; clients may then be allowed it (`--scope`).
    Create {
        /// The scope token, e.g. event:write.
        name: String,
        /// What it allows, shown on the consent page.
        #[arg(long)]
        description: String,
    },
    /// List the scopes you defined (the standard ones are always there).
    List,
    /// Remove a scope you defined; it is then no longer granted to any client.
    Remove {
        /// The scope token.
        name: String,
    },
}

fn row(s: &ScopeDefinition) -> Vec<String> {
    vec![
        s.name.clone(),
        s.description.clone(),
        s.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    ]
}

pub(crate) fn run(store: &DieselStore, command: ScopeCommand) -> Result<Report, Failure> {
    match command {
        ScopeCommand::Create { name, description } => {
            let scope = manage::create_scope(store, &SystemClock, &name, &description)?;
            let text = format!("created scope {}", scope.name);
            Ok(Report::new(scope, text))
        }
        ScopeCommand::List => {
            let scopes = store.scope_definitions()?;
            let rows: Vec<Vec<String>> = scopes.iter().map(row).collect();
            let text = table(&["SCOPE", "DESCRIPTION", "CREATED_AT"], &rows);
            Ok(Report::new(scopes, text))
        }
        ScopeCommand::Remove { name } => {
            manage::remove_scope(store, &name)?;
            Ok(Report::new(
                serde_json::json!({ "removed": name }),
                format!("removed scope {name}"),
            ))
        }
    }
}
