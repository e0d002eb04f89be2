//! `idp-admin settings …`

use clap::Subcommand;
use idp_core::{Lifetimes, SystemClock};
use idp_protocol::manage::{self, SettingValue};
use idp_store::DieselStore;

use crate::output::{table, Report};
use crate::Failure;

#[derive(Debug, Subcommand)]
pub(crate) enum SettingsCommand {
    /// Print settings in force and where each comes from (database or configuration).
    Get {
        /// One setting (default: all).
        key: Option<String>,
    },
    /// Store a setting in the database: every instance uses it within a second.
    /// Durations are seconds or a number with s, m, h or d.
    Set {
        /// The setting.
        key: String,
        /// Its value.
        value: String,
    },
    /// Remove a setting from the database: the configuration's value applies again.
    Unset {
        /// The setting.
        key: String,
    },
}

fn rows(values: &[SettingValue]) -> String {
    let rows: Vec<Vec<String>> = values
        .iter()
        .map(|v| {
            vec![
                v.name.to_owned(),
                v.value.clone(),
                format!("{:?}", v.source).to_lowercase(),
            ]
        })
        .collect();
    table(&["SETTING", "VALUE", "SOURCE"], &rows)
}

pub(crate) fn run(
    store: &DieselStore,
    command: SettingsCommand,
    configured: &Lifetimes,
) -> Result<Report, Failure> {
    match command {
        SettingsCommand::Get { key: None } => {
            let values = manage::setting_values(store, configured)?;
            let text = rows(&values);
            Ok(Report::new(values, text))
        }
        SettingsCommand::Get { key: Some(key) } => {
            key.parse::<idp_core::SettingKey>()?;
            let value = manage::setting_values(store, configured)?
                .into_iter()
                .find(|v| v.name == key)
                .ok_or_else(|| Failure::Refused(format!("unknown setting {key}")))?;
            let text = value.value.clone();
            Ok(Report::new(value, text))
        }
        SettingsCommand::Set { key, value } => {
            let stored = manage::set_setting(store, &SystemClock, &key, &value)?;
            Ok(Report::new(
                serde_json::json!({ "name": key, "value": stored, "source": "database" }),
                format!("{key} = {stored}"),
            ))
        }
        SettingsCommand::Unset { key } => {
            manage::unset_setting(store, &key)?;
            Ok(Report::new(
                serde_json::json!({ "unset": key }),
                format!("{key} now comes from the configuration"),
            ))
        }
    }
}
