//! Settings stored in the database (`idp-admin settings`).

use idp_core::{Clock, Lifetimes, SettingKey, Settings, Store};

use super::{not_found, refused};
use crate::ProtocolError;

/// Where a setting's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SettingSource {
    /// Set with `idp-admin settings set`: every instance uses it.
    Database,
    /// The configuration (file, environment or built-in default), while the database
    /// has no value. (The registration settings have built-in defaults only.)
    Configuration,
}

/// A setting's value in force.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SettingValue {
    /// The setting's name.
    pub name: &'static str,
    /// Its value (seconds, `none` for what does not expire; `true`/`false`; a count).
    pub value: String,
    /// Where the value comes from.
    pub source: SettingSource,
}

/// Every setting's value in force, given the configuration's lifetimes.
///
/// # Errors
/// Storage failures.
pub fn setting_values(
    store: &dyn Store,
    configured: &Lifetimes,
) -> Result<Vec<SettingValue>, ProtocolError> {
    let stored = store.settings().map_err(refused)?;
    let mut settings = Settings {
        lifetimes: *configured,
        ..Settings::default()
    };
    let mut values = Vec::new();
    for key in SettingKey::ALL {
        let from_db = stored
            .iter()
            .find(|(n, _)| n == key.as_str())
            .is_some_and(|(_, v)| settings.apply(key, v).is_ok());
        values.push(SettingValue {
            name: key.as_str(),
            value: settings.value(key),
            source: if from_db {
                SettingSource::Database
            } else {
                SettingSource::Configuration
            },
        });
    }
    Ok(values)
}

/// Stores a setting for every instance (they see it within
/// [`crate::SETTINGS_RECHECK`]); returns its canonical value.
///
/// # Errors
/// [`ProtocolError::Refused`] for an unknown setting or an invalid value.
pub fn set_setting(
    store: &dyn Store,
    clock: &dyn Clock,
    name: &str,
    value: &str,
) -> Result<String, ProtocolError> {
    let key = name.parse::<SettingKey>().map_err(refused)?;
    let canonical = key.normalise(value).map_err(refused)?;
    store
        .set_setting(key.as_str(), &canonical, clock.now())
        .map_err(refused)?;
    Ok(canonical)
}

/// Removes a setting from the database, so the configuration's value applies again.
///
/// # Errors
/// [`ProtocolError::Refused`] for an unknown setting or one not set.
pub fn unset_setting(store: &dyn Store, name: &str) -> Result<(), ProtocolError> {
    let key = name.parse::<SettingKey>().map_err(refused)?;
    if !store.unset_setting(key.as_str()).map_err(refused)? {
        return Err(not_found(format!("setting {name} in the database")));
    }
    Ok(())
}
