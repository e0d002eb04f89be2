//! `idp-admin user …`

use clap::Subcommand;
use idp_core::{Address, SystemClock, User, UserProfile, UserRepo};
use idp_protocol::manage::{self, NewUser, ProfileUpdate, UserUpdate};
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
        #[command(flatten)]
        profile: ProfileFlags,
    },
    /// Change the claims about a user (only the flags given change; an empty value
    /// removes a claim).
    Update {
        /// Username.
        username: String,
        /// E-mail address (a changed address is no longer verified).
        #[arg(long)]
        email: Option<String>,
        /// Whether the e-mail address is verified.
        #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
        email_verified: Option<bool>,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        profile: ProfileFlags,
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
    /// End every browser session of a user: clients that took part are told (back-channel
    /// logout, sent by the running server) and grants without offline_access are revoked.
    Logout {
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

/// The profile claims `user create` and `user update` take.
#[derive(Debug, Default, clap::Args)]
pub(crate) struct ProfileFlags {
    /// Given name (`given_name`).
    #[arg(long)]
    given_name: Option<String>,
    /// Family name (`family_name`).
    #[arg(long)]
    family_name: Option<String>,
    /// Telephone number (`phone_number`), E.164 recommended.
    #[arg(long)]
    phone: Option<String>,
    /// Whether the telephone number is verified.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    phone_verified: Option<bool>,
    /// Postal address as JSON with any of formatted, street_address, locality, region,
    /// postal_code, country (OIDC Core §5.1.1).
    #[arg(long, value_name = "JSON")]
    address_json: Option<String>,
    /// Web page (`website`), an http(s) URL.
    #[arg(long)]
    website: Option<String>,
    /// Profile picture (`picture`), an http(s) URL.
    #[arg(long)]
    picture: Option<String>,
    /// Language tag (`locale`), e.g. en-US.
    #[arg(long)]
    locale: Option<String>,
    /// Time zone (`zoneinfo`), e.g. Europe/Paris.
    #[arg(long)]
    zoneinfo: Option<String>,
    /// Claims the user withholds from every client, comma-separated (name, given_name,
    /// family_name, email, phone, address, website, picture, locale, zoneinfo; `none`).
    #[arg(long, value_name = "CLAIM,...")]
    withhold: Option<String>,
}

/// A flag's value as a change: not given → unchanged; empty → removed.
fn text(value: Option<String>) -> Option<Option<String>> {
    value.map(|v| Some(v).filter(|v| !v.trim().is_empty()))
}

impl ProfileFlags {
    fn into_update(self) -> Result<ProfileUpdate, Failure> {
        let address = match self.address_json {
            None => None,
            Some(json) if json.trim().is_empty() => Some(None),
            Some(json) => Some(Some(
                serde_json::from_str::<Address>(&json)
                    .map_err(|e| Failure::Refused(format!("invalid address JSON: {e}")))?,
            )),
        };
        Ok(ProfileUpdate {
            given_name: text(self.given_name),
            family_name: text(self.family_name),
            phone_number: text(self.phone),
            phone_number_verified: self.phone_verified,
            address,
            website: text(self.website),
            picture: text(self.picture),
            locale: text(self.locale),
            zoneinfo: text(self.zoneinfo),
            withhold: self.withhold,
        })
    }
}

/// A user as printed: never the password hash.
#[derive(Serialize)]
struct UserView {
    id: String,
    username: String,
    email: Option<String>,
    email_verified: bool,
    name: Option<String>,
    #[serde(flatten)]
    profile: UserProfile,
    groups: Vec<String>,
    created_at: String,
    updated_at: String,
}

fn view(store: &DieselStore, user: &User) -> Result<UserView, Failure> {
    Ok(UserView {
        id: user.id.to_string(),
        username: user.username.clone(),
        email: user.email.clone(),
        email_verified: user.email_verified,
        name: user.name.clone(),
        profile: user.profile.clone(),
        groups: store
            .groups_of(&user.id)?
            .into_iter()
            .map(|g| g.name)
            .collect(),
        created_at: user
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        updated_at: user
            .updated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

fn describe(v: &UserView) -> String {
    let p = &v.profile;
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".to_owned());
    let lines = [
        ("id", v.id.clone()),
        ("username", v.username.clone()),
        ("email", opt(&v.email)),
        ("email_verified", v.email_verified.to_string()),
        ("name", opt(&v.name)),
        ("given_name", opt(&p.given_name)),
        ("family_name", opt(&p.family_name)),
        ("phone_number", opt(&p.phone_number)),
        ("phone_verified", p.phone_number_verified.to_string()),
        (
            "address",
            p.address
                .as_ref()
                .and_then(|a| serde_json::to_string(a).ok())
                .unwrap_or_else(|| "-".to_owned()),
        ),
        ("website", opt(&p.website)),
        ("picture", opt(&p.picture)),
        ("locale", opt(&p.locale)),
        ("zoneinfo", opt(&p.zoneinfo)),
        ("withheld", or_dash(p.withheld.join(","))),
        ("groups", or_dash(v.groups.join(", "))),
        ("created_at", v.created_at.clone()),
        ("updated_at", v.updated_at.clone()),
    ];
    lines
        .iter()
        .map(|(k, value)| format!("{:<16}{value}", format!("{k}:")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One ended session as `user logout --json` prints it.
#[derive(Serialize)]
struct EndedView {
    sid: String,
    /// The clients that took part in the session.
    clients: Vec<String>,
    /// Session-bound grants revoked (no offline_access).
    revoked_grants: usize,
    /// Clients a back-channel logout token was queued for.
    backchannel_logout: Vec<String>,
}

impl From<&idp_protocol::EndedSessionReport> for EndedView {
    fn from(r: &idp_protocol::EndedSessionReport) -> Self {
        EndedView {
            sid: r.sid.clone(),
            clients: r.clients.iter().map(|c| c.id.as_str().to_owned()).collect(),
            revoked_grants: r.revoked_grants,
            backchannel_logout: r
                .backchannel
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
        }
    }
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
            profile,
        } => {
            let mut claims = UserProfile::default();
            profile.into_update()?.apply_to(&mut claims)?;
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
                    profile: claims,
                    groups,
                },
            )?;
            let v = view(store, &user)?;
            let text = format!("created user {} (id {})", v.username, v.id);
            Ok(Report::new(v, text))
        }
        UserCommand::Update {
            username,
            email,
            email_verified,
            name,
            profile,
        } => {
            let user = manage::update_user(
                store,
                &SystemClock,
                &username,
                UserUpdate {
                    email: text(email),
                    email_verified,
                    name: text(name),
                    profile: profile.into_update()?,
                },
            )?;
            let v = view(store, &user)?;
            let text = describe(&v);
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
            let ended = manage::remove_user(store, &SystemClock, &username)?;
            Ok(Report::new(
                serde_json::json!({ "removed": username, "sessions_ended": ended.len() }),
                format!("removed user {username}"),
            ))
        }
        UserCommand::Logout { username } => {
            let ended = manage::logout_user(store, &SystemClock, &username)?;
            let sessions: Vec<EndedView> = ended.iter().map(EndedView::from).collect();
            let notified: usize = sessions.iter().map(|s| s.backchannel_logout.len()).sum();
            let text = format!(
                "ended {} session(s) of {username}; {notified} back-channel logout(s) queued",
                sessions.len()
            );
            Ok(Report::new(
                serde_json::json!({ "username": username, "sessions": sessions }),
                text,
            ))
        }
        UserCommand::SetPassword {
            username,
            password_stdin: _,
        } => {
            let password = password_from_stdin()?;
            let ended = manage::set_password(store, &SystemClock, &username, &password)?;
            Ok(Report::new(
                serde_json::json!({
                    "username": username,
                    "password_changed": true,
                    "sessions_ended": ended.len(),
                }),
                format!("changed the password of {username}"),
            ))
        }
    }
}
