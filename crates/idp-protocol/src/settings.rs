//! The settings in force: the configuration's lifetimes (and the built-in registration
//! policy) overridden by those stored in the database (`idp-admin settings set`), re-read at most once per [`SETTINGS_RECHECK`] so
//! that a change made anywhere reaches every instance within that time.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};
use idp_core::{Client, Lifetimes, RegistrationPolicy, SettingKey, Settings, SettingsRepo};

use crate::{ProtocolError, Provider};

/// How long a process trusts the settings it last read.
pub const SETTINGS_RECHECK: Duration = Duration::seconds(1);

/// Settings and when they were read.
type Read = Arc<(Settings, DateTime<Utc>)>;

/// The settings as this process last read them.
#[derive(Debug, Default)]
pub(crate) struct SettingsCache {
    current: RwLock<Option<Read>>,
}

/// A client's lifetimes: the provider's, with the client's overrides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ClientLifetimes {
    pub access_token: Duration,
    /// `None`: refresh tokens do not expire.
    pub refresh_token: Option<Duration>,
    pub id_token: Duration,
}

fn seconds(s: u64) -> Duration {
    Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000))
}

/// The lifetimes in force: `configured`, overridden by the settings stored in the
/// database (for `idp-admin`, which has no [`Provider`]). A stored value this release
/// cannot read is logged and skipped.
///
/// # Errors
/// [`ProtocolError::Busy`] or [`ProtocolError::Internal`] if storage fails.
pub fn lifetimes_in_force(
    store: &dyn SettingsRepo,
    configured: Lifetimes,
) -> Result<Lifetimes, ProtocolError> {
    Ok(settings_in_force(
        store,
        Settings {
            lifetimes: configured,
            ..Settings::default()
        },
    )?
    .lifetimes)
}

/// Every setting in force: `configured`, overridden by the settings stored in the
/// database. A stored value this release cannot read is logged and skipped.
///
/// # Errors
/// [`ProtocolError::Busy`] or [`ProtocolError::Internal`] if storage fails.
pub fn settings_in_force(
    store: &dyn SettingsRepo,
    configured: Settings,
) -> Result<Settings, ProtocolError> {
    let mut settings = configured;
    for (name, value) in store.settings()? {
        let Ok(key) = name.parse::<SettingKey>() else {
            continue; // a setting this release does not use
        };
        if let Err(e) = settings.apply(key, &value) {
            tracing::warn!(setting = %name, error = %e, "stored setting ignored");
        }
    }
    Ok(settings)
}

impl Provider {
    /// The lifetimes in force: the configuration's, overridden by the database's settings.
    /// A stored value this release cannot read is logged and skipped.
    ///
    /// # Errors
    /// [`ProtocolError::Busy`] or [`ProtocolError::Internal`] if storage fails.
    pub fn lifetimes(&self) -> Result<Lifetimes, ProtocolError> {
        Ok(self.settings()?.0.lifetimes)
    }

    /// Who may register clients themselves, as the operator set it (read through the same
    /// cache as the lifetimes: no database read per request).
    ///
    /// # Errors
    /// [`ProtocolError::Busy`] or [`ProtocolError::Internal`] if storage fails.
    pub fn registration_policy(&self) -> Result<RegistrationPolicy, ProtocolError> {
        Ok(self.settings()?.0.registration)
    }

    /// Whether any client may name any `https` resource (RFC 8707), as the operator set
    /// it.
    ///
    /// # Errors
    /// [`ProtocolError::Busy`] or [`ProtocolError::Internal`] if storage fails.
    pub(crate) fn any_https_resource(&self) -> Result<bool, ProtocolError> {
        Ok(self.settings()?.0.any_https_resource)
    }

    /// Whether the operator made `resource` one every client may name (RFC 8707,
    /// `shared_resources`).
    ///
    /// # Errors
    /// [`ProtocolError::Busy`] or [`ProtocolError::Internal`] if storage fails.
    pub(crate) fn is_shared_resource(&self, resource: &str) -> Result<bool, ProtocolError> {
        Ok(self
            .settings()?
            .0
            .shared_resources
            .iter()
            .any(|r| r == resource))
    }

    /// The settings as last read, if that was less than [`SETTINGS_RECHECK`] ago (no
    /// storage access, so callable on an async executor).
    pub(crate) fn cached_settings(&self) -> Option<Read> {
        let now = self.now();
        self.settings
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .filter(|c| now >= c.1 && now - c.1 < SETTINGS_RECHECK)
            .cloned()
    }

    /// Every setting in force, re-read at most once per [`SETTINGS_RECHECK`].
    fn settings(&self) -> Result<Read, ProtocolError> {
        let now = self.now();
        if let Some(settings) = self.cached_settings() {
            return Ok(settings);
        }
        let settings = settings_in_force(
            &*self.store,
            Settings {
                lifetimes: self.config.lifetimes,
                ..Settings::default()
            },
        )?;
        let read = Arc::new((settings, now));
        *self
            .settings
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::clone(&read));
        Ok(read)
    }

    /// The lifetimes of `client`'s tokens.
    pub(crate) fn client_lifetimes(
        &self,
        client: &Client,
    ) -> Result<ClientLifetimes, ProtocolError> {
        let l = self.lifetimes()?;
        let o = &client.options;
        Ok(ClientLifetimes {
            access_token: o.access_token_lifetime.map_or(l.access_token, seconds),
            refresh_token: match o.refresh_token_lifetime {
                None => l.refresh_token,
                Some(0) => None,
                Some(s) => Some(seconds(s)),
            },
            id_token: o.id_token_lifetime.map_or(l.id_token, seconds),
        })
    }
}
