//! Settings an operator changes at run time (`idp-admin settings set`). They live in the
//! database, so every instance serving it sees the same values; the configuration file
//! gives the values used while the database has none.

use std::fmt;
use std::str::FromStr;

use chrono::Duration;

use crate::CoreError;

/// A setting's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SettingKey {
    /// Access token lifetime.
    AccessTokenLifetime,
    /// Refresh token lifetime; `0` or `none`: refresh tokens do not expire.
    RefreshTokenLifetime,
    /// Authorization code lifetime, at most 10 minutes (RFC 6749 §4.1.2).
    CodeLifetime,
    /// ID token lifetime.
    IdTokenLifetime,
    /// Browser session lifetime.
    SessionLifetime,
    /// How long a retired signing key stays in the JWKS.
    RetiredKeyGrace,
}

impl SettingKey {
    /// Every setting, in the order `settings get` lists them.
    pub const ALL: [SettingKey; 6] = [
        SettingKey::AccessTokenLifetime,
        SettingKey::RefreshTokenLifetime,
        SettingKey::CodeLifetime,
        SettingKey::IdTokenLifetime,
        SettingKey::SessionLifetime,
        SettingKey::RetiredKeyGrace,
    ];

    /// The setting's name.
    pub fn as_str(self) -> &'static str {
        match self {
            SettingKey::AccessTokenLifetime => "access_token_lifetime",
            SettingKey::RefreshTokenLifetime => "refresh_token_lifetime",
            SettingKey::CodeLifetime => "code_lifetime",
            SettingKey::IdTokenLifetime => "id_token_lifetime",
            SettingKey::SessionLifetime => "session_lifetime",
            SettingKey::RetiredKeyGrace => "retired_key_grace",
        }
    }

    /// Checks `value` for this setting and gives its canonical stored form (seconds).
    ///
    /// # Errors
    /// [`CoreError::Invalid`] naming the setting and the rule.
    pub fn normalise(self, value: &str) -> Result<String, CoreError> {
        let secs = match (self, value.trim()) {
            (SettingKey::RefreshTokenLifetime, "none") => 0,
            (_, v) => parse_duration(v).ok_or_else(|| {
                CoreError::invalid(
                    "setting value",
                    format!(
                        "{}: {value:?} is not a duration (seconds, or a number with s, m, h or d)",
                        self.as_str()
                    ),
                )
            })?,
        };
        let (min, max) = match self {
            SettingKey::RefreshTokenLifetime | SettingKey::RetiredKeyGrace => (0, 10 * YEAR),
            SettingKey::CodeLifetime => (1, 600),
            SettingKey::AccessTokenLifetime | SettingKey::IdTokenLifetime => (1, YEAR),
            SettingKey::SessionLifetime => (60, YEAR),
        };
        if !(min..=max).contains(&secs) {
            return Err(CoreError::invalid(
                "setting value",
                format!("{} must be between {min} and {max} seconds", self.as_str()),
            ));
        }
        Ok(secs.to_string())
    }
}

const YEAR: u64 = 366 * 86_400;

/// Seconds in `v`: digits, optionally followed by `s`, `m`, `h` or `d`.
fn parse_duration(v: &str) -> Option<u64> {
    let (digits, unit) = match v.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&v[..i], c),
        _ => (v, 's'),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let factor = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    n.checked_mul(factor)
}

impl fmt::Display for SettingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SettingKey {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        SettingKey::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = SettingKey::ALL.iter().map(|k| k.as_str()).collect();
                CoreError::invalid("setting", format!("{s:?} (known: {})", known.join(", ")))
            })
    }
}

/// The lifetimes in force: the configuration's, overridden by the database's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifetimes {
    /// Access tokens.
    pub access_token: Duration,
    /// Refresh tokens; `None`: they do not expire.
    pub refresh_token: Option<Duration>,
    /// Authorization codes.
    pub code: Duration,
    /// ID tokens.
    pub id_token: Duration,
    /// Browser sessions.
    pub session: Duration,
    /// How long a retired key stays published.
    pub retired_key_grace: Duration,
}

impl Default for Lifetimes {
    /// Access and ID tokens 1 h, refresh tokens 30 days, codes 60 s, sessions 12 h,
    /// retired keys published for 1 day.
    fn default() -> Self {
        Lifetimes {
            access_token: Duration::hours(1),
            refresh_token: Some(Duration::days(30)),
            code: Duration::seconds(60),
            id_token: Duration::hours(1),
            session: Duration::hours(12),
            retired_key_grace: Duration::days(1),
        }
    }
}

impl Lifetimes {
    /// Applies one setting (a value from [`SettingKey::normalise`] or the database).
    ///
    /// # Errors
    /// [`CoreError::Invalid`] if the value does not pass [`SettingKey::normalise`].
    pub fn apply(&mut self, key: SettingKey, value: &str) -> Result<(), CoreError> {
        let secs: i64 = key
            .normalise(value)?
            .parse()
            .map_err(|_| CoreError::invalid("setting value", key.as_str()))?;
        let d = Duration::seconds(secs);
        match key {
            SettingKey::AccessTokenLifetime => self.access_token = d,
            SettingKey::RefreshTokenLifetime => self.refresh_token = (secs > 0).then_some(d),
            SettingKey::CodeLifetime => self.code = d,
            SettingKey::IdTokenLifetime => self.id_token = d,
            SettingKey::SessionLifetime => self.session = d,
            SettingKey::RetiredKeyGrace => self.retired_key_grace = d,
        }
        Ok(())
    }

    /// The value of `key` in seconds, as `settings get` prints it (`none` for refresh
    /// tokens that do not expire).
    pub fn value(&self, key: SettingKey) -> String {
        let d = match key {
            SettingKey::AccessTokenLifetime => self.access_token,
            SettingKey::RefreshTokenLifetime => match self.refresh_token {
                Some(d) => d,
                None => return "none".to_owned(),
            },
            SettingKey::CodeLifetime => self.code,
            SettingKey::IdTokenLifetime => self.id_token,
            SettingKey::SessionLifetime => self.session,
            SettingKey::RetiredKeyGrace => self.retired_key_grace,
        };
        d.num_seconds().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units_and_ranges_are_enforced() {
        let k = SettingKey::AccessTokenLifetime;
        assert_eq!(k.normalise("600").unwrap(), "600");
        assert_eq!(k.normalise("10m").unwrap(), "600");
        assert_eq!(k.normalise("2h").unwrap(), "7200");
        assert!(k.normalise("0").is_err());
        assert!(k.normalise("-5").is_err());
        assert!(k.normalise("5x").is_err());
        assert!(k.normalise("h").is_err());
        assert!(k.normalise("99999999999999999999").is_err());
        assert!(SettingKey::CodeLifetime.normalise("11m").is_err());
        assert_eq!(
            SettingKey::RefreshTokenLifetime.normalise("none").unwrap(),
            "0"
        );
        assert!(SettingKey::AccessTokenLifetime.normalise("none").is_err());
    }

    #[test]
    fn a_zero_refresh_lifetime_means_no_expiry() {
        let mut l = Lifetimes::default();
        l.apply(SettingKey::RefreshTokenLifetime, "0").unwrap();
        assert_eq!(l.refresh_token, None);
        assert_eq!(l.value(SettingKey::RefreshTokenLifetime), "none");
        l.apply(SettingKey::RefreshTokenLifetime, "1d").unwrap();
        assert_eq!(l.value(SettingKey::RefreshTokenLifetime), "86400");
    }

    #[test]
    fn unknown_settings_name_the_known_ones() {
        let e = "colour".parse::<SettingKey>().unwrap_err().to_string();
        assert!(e.contains("access_token_lifetime"), "{e}");
    }
}
