//! The settings in force: the configuration's lifetimes overridden by those stored in the
//! database (`idp-admin settings set`), re-read at most once per [`SETTINGS_RECHECK`] so
//! that a change made anywhere reaches every instance within that time.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};
use idp_core::{Client, Lifetimes, SettingKey, SettingsRepo};

use crate::{ProtocolError, Provider};

/// How long a process trusts the settings it last read.
pub const SETTINGS_RECHECK: Duration = Duration::seconds(1);

/// Lifetimes and when they were read.
type Read = Arc<(Lifetimes, DateTime<Utc>)>;

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
    let mut lifetimes = configured;
    for (name, value) in store.settings()? {
        let Ok(key) = name.parse::<SettingKey>() else {
            continue; // a setting this release does not use
        };
        if let Err(e) = lifetimes.apply(key, &value) {
            tracing::warn!(setting = %name, error = %e, "stored setting ignored");
        }
    }
    Ok(lifetimes)
}

impl Provider {
    /// The lifetimes in force: the configuration's, overridden by the database's settings.
    /// A stored value this release cannot read is logged and skipped.
    ///
    /// # Errors
    /// [`ProtocolError::Busy`] or [`ProtocolError::Internal`] if storage fails.
    pub fn lifetimes(&self) -> Result<Lifetimes, ProtocolError> {
        let now = self.now();
        let cached = self
            .settings
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some(c) = cached.filter(|c| now >= c.1 && now - c.1 < SETTINGS_RECHECK) {
            return Ok(c.0);
        }
        let lifetimes = lifetimes_in_force(&*self.store, self.config.lifetimes)?;
        *self
            .settings
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new((lifetimes, now)));
        Ok(lifetimes)
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
