//! `idp-admin user …`

use clap::Subcommand;
use idp_core::{SystemClock, User, UserRepo};
use idp_protocol::manage::{self, NewUser};
use idp_store::DieselStore;
use serde::Serialize;

use crate::output::{or_dash, password_from_stdin, table, Report};
use crate::Failure;

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create a user; the password is read from stdin.
    Create {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Read the password from the first line of stdin.
        #[arg(long, required = true)]
        password_stdin: bool,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Mark the e-mail address as verified.
        #[arg(long)]
        email_verified: bool,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Group to join (must exist); repeatable.
        #[arg(long = "group", value_name = "G")]
        groups: Vec<String>,
    },
    /// List users.
    List,
    /// Show one user.
    Show {
        /// Username.
        username: String,
    },
    /// Remove a user and everything issued for them.
    Remove {
        /// Username.
        username: String,
    },
    /// Set a user's password; the password is read from stdin.
    SetPassword {
        /// Username.
        username: String,
        /// Read the password from the first line of stdin.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// A user as printed: never the password hash.
#[derive(Serialize)]
struct UserView {
    id: String,
    username: String,
    email: Option<String>,
    email_verified: bool,
    name: Option<String>,
    groups: Vec<String>,
    created_at: String,
}

fn view(store: &DieselStore, user: &User) -> Result<UserView, Failure> {
    Ok(UserView {
        id: user.id.to_string(),
        username: user.username.clone(),
        email: user.email.clone(),
        email_verified: user.email_verified,
        name: user.name.clone(),
        groups: store
            .groups_of(&user.id)?
            .into_iter()
            .map(|g| g.name)
            .collect(),
        created_at: user
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

fn describe(v: &UserView) -> String {
    format!(
        "id:             {}\nusername:       {}\nemail:          {}\nemail_verified: {}\nname:           {}\ngroups:         {}\ncreated_at:     {}",
        v.id,
        v.username,
        v.email.as_deref().unwrap_or("-"),
        v.email_verified,
        v.name.as_deref().unwrap_or("-"),
        or_dash(v.groups.join(", ")),
        v.created_at
    )
}

fn find(store: &DieselStore, username: &str) -> Result<User, Failure> {
    store
        .user_by_username(username)?
        .ok_or_else(|| Failure::Refused(format!("user {username} not found")))
}

pub(crate) fn run(store: &DieselStore, command: UserCommand) -> Result<Report, Failure> {
    match command {
        UserCommand::Create {
            username,
            password_stdin: _,
            email,
            email_verified,
            name,
            groups,
        } => {
            let password = password_from_stdin()?;
            let user = manage::create_user(
                store,
                &SystemClock,
                NewUser {
                    username,
                    password,
                    email,
                    email_verified,
                    name,
                    groups,
                },
            )?;
            let v = view(store, &user)?;
            let text = format!("created user {} (id {})", v.username, v.id);
            Ok(Report::new(v, text))
        }
        UserCommand::List => {
            let views = store
                .users()?
                .iter()
                .map(|u| view(store, u))
                .collect::<Result<Vec<_>, _>>()?;
            let rows: Vec<Vec<String>> = views
                .iter()
                .map(|v| {
                    vec![
                        v.username.clone(),
                        v.email.clone().unwrap_or_default(),
                        v.name.clone().unwrap_or_default(),
                        v.groups.join(","),
                        v.id.clone(),
                    ]
                })
                .collect();
            let text = table(&["USERNAME", "EMAIL", "NAME", "GROUPS", "ID"], &rows);
            Ok(Report::new(views, text))
        }
        UserCommand::Show { username } => {
            let v = view(store, &find(store, &username)?)?;
            let text = describe(&v);
            Ok(Report::new(v, text))
        }
        UserCommand::Remove { username } => {
            manage::remove_user(store, &username)?;
            Ok(Report::new(
                serde_json::json!({ "removed": username }),
                format!("removed user {username}"),
            ))
        }
        UserCommand::SetPassword {
            username,
            password_stdin: _,
        } => {
            let password = password_from_stdin()?;
            manage::set_password(store, &username, &password)?;
            Ok(Report::new(
                serde_json::json!({ "username": username, "password_changed": true }),
                format!("changed the password of {username}"),
            ))
        }
    }
}
