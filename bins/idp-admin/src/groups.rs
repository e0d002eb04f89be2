//! `idp-admin group …`

use clap::Subcommand;
use idp_core::{GroupRepo, SystemClock};
use idp_protocol::manage;
use idp_store::DieselStore;

use crate::output::{table, Report};
use crate::Failure;

#[derive(Debug, Subcommand)]
pub(crate) enum GroupCommand {
    /// Create a group.
    Create {
        /// Group name.
        name: String,
    },
    /// List groups with their members.
    List,
    /// Add a user to a group.
    AddMember {
        /// Group name.
        group: String,
        /// Username.
        username: String,
    },
    /// Remove a user from a group.
    RemoveMember {
        /// Group name.
        group: String,
        /// Username.
        username: String,
    },
}

pub(crate) fn run(store: &DieselStore, command: GroupCommand) -> Result<Report, Failure> {
    match command {
        GroupCommand::Create { name } => {
            let group = manage::create_group(store, &SystemClock, &name)?;
            Ok(Report::new(group, format!("created group {name}")))
        }
        GroupCommand::List => {
            let groups = store.groups()?;
            let rows: Vec<Vec<String>> = groups
                .iter()
                .map(|g| vec![g.name.clone(), g.id.clone(), g.members.join(",")])
                .collect();
            let text = table(&["GROUP", "ID", "MEMBERS"], &rows);
            Ok(Report::new(groups, text))
        }
        GroupCommand::AddMember { group, username } => {
            manage::add_group_member(store, &group, &username)?;
            Ok(Report::new(
                serde_json::json!({ "group": group, "added": username }),
                format!("added {username} to {group}"),
            ))
        }
        GroupCommand::RemoveMember { group, username } => {
            manage::remove_group_member(store, &group, &username)?;
            Ok(Report::new(
                serde_json::json!({ "group": group, "removed": username }),
                format!("removed {username} from {group}"),
            ))
        }
    }
}
