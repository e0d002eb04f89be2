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
    /// Whether clients may register themselves (RFC 7591); off by default.
    DynamicRegistration,
    /// How many self-registered clients may be live at once.
    DynamicRegistrationMaxClients,
    /// How long a self-registered client lives; `0` or `none`: forever.
    DynamicRegistrationLifetime,
    /// Whether registering needs an initial access token (RFC 7591 §3).
    DynamicRegistrationRequiresToken,
    /// Whether any client may name any `https` resource (RFC 8707); off: only the
    /// client's own resources and the shared ones.
    AnyHttpsResource,
    /// Resources (RFC 8707) every client may name, space-separated; `none`: none.
    SharedResources,
}

/// What kind of value a setting holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingKind {
    /// Seconds (given as seconds or with a unit s, m, h, d).
    Duration,
    /// `true` or `false` (also `on`/`off`, `yes`/`no`, `1`/`0`).
    Bool,
    /// A whole number.
    Count,
    /// Space-separated absolute URIs (`none`: none).
    Uris,
}

impl SettingKey {
    /// Every setting, in the order `settings get` lists them.
    pub const ALL: [SettingKey; 12] = [
        SettingKey::AccessTokenLifetime,
        SettingKey::RefreshTokenLifetime,
        SettingKey::CodeLifetime,
        SettingKey::IdTokenLifetime,
        SettingKey::SessionLifetime,
        SettingKey::RetiredKeyGrace,
        SettingKey::DynamicRegistration,
        SettingKey::DynamicRegistrationMaxClients,
        SettingKey::DynamicRegistrationLifetime,
        SettingKey::DynamicRegistrationRequiresToken,
        SettingKey::AnyHttpsResource,
        SettingKey::SharedResources,
    ];

    /// The kind of value the setting holds.
    pub fn kind(self) -> SettingKind {
        match self {
            SettingKey::DynamicRegistration
            | SettingKey::DynamicRegistrationRequiresToken
            | SettingKey::AnyHttpsResource => SettingKind::Bool,
            SettingKey::DynamicRegistrationMaxClients => SettingKind::Count,
            SettingKey::SharedResources => SettingKind::Uris,
            _ => SettingKind::Duration,
        }
    }

    /// The setting's name.
    pub fn as_str(self) -> &'static str {
        match self {
            SettingKey::AccessTokenLifetime => "access_token_lifetime",
            SettingKey::RefreshTokenLifetime => "refresh_token_lifetime",
            SettingKey::CodeLifetime => "code_lifetime",
            SettingKey::IdTokenLifetime => "id_token_lifetime",
            SettingKey::SessionLifetime => "session_lifetime",
            SettingKey::RetiredKeyGrace => "retired_key_grace",
            SettingKey::DynamicRegistration => "dynamic_registration",
            SettingKey::DynamicRegistrationMaxClients => "dynamic_registration_max_clients",
            SettingKey::DynamicRegistrationLifetime => "dynamic_registration_lifetime",
            SettingKey::DynamicRegistrationRequiresToken => "dynamic_registration_requires_token",
            SettingKey::AnyHttpsResource => "any_https_resource",
            SettingKey::SharedResources => "shared_resources",
        }
    }

    /// Checks `value` for this setting and gives its canonical stored form (seconds for
    /// durations, `true`/`false` for switches, digits for counts).
    ///
    /// # Errors
    /// [`CoreError::Invalid`] naming the setting and the rule.
    pub fn normalise(self, value: &str) -> Result<String, CoreError> {
        match self.kind() {
            SettingKind::Bool => return self.normalise_bool(value),
            SettingKind::Count => return self.normalise_count(value),
            SettingKind::Uris => return self.normalise_uris(value),
            SettingKind::Duration => {}
        }
        let secs = match (self, value.trim()) {
            (
                SettingKey::RefreshTokenLifetime | SettingKey::DynamicRegistrationLifetime,
                "none",
            ) => 0,
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
            SettingKey::RefreshTokenLifetime
            | SettingKey::RetiredKeyGrace
            | SettingKey::DynamicRegistrationLifetime => (0, 10 * YEAR),
            SettingKey::CodeLifetime => (1, 600),
            SettingKey::AccessTokenLifetime | SettingKey::IdTokenLifetime => (1, YEAR),
            SettingKey::SessionLifetime => (60, YEAR),
            SettingKey::DynamicRegistration
            | SettingKey::DynamicRegistrationMaxClients
            | SettingKey::DynamicRegistrationRequiresToken
            | SettingKey::AnyHttpsResource
            | SettingKey::SharedResources => (0, 0),
        };
        if !(min..=max).contains(&secs) {
            return Err(CoreError::invalid(
                "setting value",
                format!("{} must be between {min} and {max} seconds", self.as_str()),
            ));
        }
        Ok(secs.to_string())
    }

    fn normalise_bool(self, value: &str) -> Result<String, CoreError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" => Ok("true".to_owned()),
            "false" | "off" | "no" | "0" => Ok("false".to_owned()),
            _ => Err(CoreError::invalid(
                "setting value",
                format!("{}: {value:?} is not true or false", self.as_str()),
            )),
        }
    }

    /// Resource indicators (RFC 8707 §2), each checked, repeats dropped; `none` or
    /// nothing: none.
    fn normalise_uris(self, value: &str) -> Result<String, CoreError> {
        let mut uris: Vec<&str> = Vec::new();
        for uri in value.split_whitespace().filter(|u| *u != "none") {
            crate::check_resource_indicator(uri).map_err(|e| {
                CoreError::invalid("setting value", format!("{}: {e}", self.as_str()))
            })?;
            if !uris.contains(&uri) {
                uris.push(uri);
            }
        }
        if uris.len() > MAX_SHARED_RESOURCES {
            return Err(CoreError::invalid(
                "setting value",
                format!("{}: at most {MAX_SHARED_RESOURCES} URIs", self.as_str()),
            ));
        }
        Ok(uris.join(" "))
    }

    fn normalise_count(self, value: &str) -> Result<String, CoreError> {
        let v = value.trim();
        let n: u64 = (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            .then(|| v.parse().ok())
            .flatten()
            .ok_or_else(|| {
                CoreError::invalid(
                    "setting value",
                    format!("{}: {value:?} is not a whole number", self.as_str()),
                )
            })?;
        if n > MAX_COUNT {
            return Err(CoreError::invalid(
                "setting value",
                format!("{} must be at most {MAX_COUNT}", self.as_str()),
            ));
        }
        Ok(n.to_string())
    }
}

/// Most URIs `shared_resources` may hold.
const MAX_SHARED_RESOURCES: usize = 100;

/// The largest count setting.
const MAX_COUNT: u64 = 10_000_000;

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

/// Who may register clients themselves (RFC 7591), as the operator set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegistrationPolicy {
    /// Whether the registration endpoint is open at all.
    pub enabled: bool,
    /// Live self-registered clients allowed at once.
    pub max_clients: u64,
    /// How long a self-registered client lives; `None`: forever.
    pub lifetime: Option<Duration>,
    /// Whether registering needs an initial access token.
    pub requires_token: bool,
}

impl Default for RegistrationPolicy {
    /// Off; when turned on: at most 1000 live self-registered clients, each living 30
    /// days, no initial access token needed.
    fn default() -> Self {
        RegistrationPolicy {
            enabled: false,
            max_clients: 1000,
            lifetime: Some(Duration::days(30)),
            requires_token: false,
        }
    }
}

/// Every setting in force: the configuration's (or built-in) values, overridden by the
/// database's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// Lifetimes of tokens, codes, sessions and retired keys.
    pub lifetimes: Lifetimes,
    /// Dynamic client registration.
    pub registration: RegistrationPolicy,
    /// Whether any client may name any `https` resource (RFC 8707).
    pub any_https_resource: bool,
    /// Resources every client may name (RFC 8707).
    pub shared_resources: Vec<String>,
}

impl Settings {
    /// Applies one setting (a value from [`SettingKey::normalise`] or the database).
    ///
    /// # Errors
    /// [`CoreError::Invalid`] if the value does not pass [`SettingKey::normalise`].
    pub fn apply(&mut self, key: SettingKey, value: &str) -> Result<(), CoreError> {
        let canonical = key.normalise(value)?;
        let number = || -> Result<i64, CoreError> {
            canonical
                .parse()
                .map_err(|_| CoreError::invalid("setting value", key.as_str()))
        };
        let l = &mut self.lifetimes;
        let r = &mut self.registration;
        match key {
            SettingKey::AccessTokenLifetime => l.access_token = Duration::seconds(number()?),
            SettingKey::RefreshTokenLifetime => {
                let secs = number()?;
                l.refresh_token = (secs > 0).then(|| Duration::seconds(secs));
            }
            SettingKey::CodeLifetime => l.code = Duration::seconds(number()?),
            SettingKey::IdTokenLifetime => l.id_token = Duration::seconds(number()?),
            SettingKey::SessionLifetime => l.session = Duration::seconds(number()?),
            SettingKey::RetiredKeyGrace => l.retired_key_grace = Duration::seconds(number()?),
            SettingKey::DynamicRegistration => r.enabled = canonical == "true",
            SettingKey::DynamicRegistrationMaxClients => {
                r.max_clients = u64::try_from(number()?).unwrap_or(0);
            }
            SettingKey::DynamicRegistrationLifetime => {
                let secs = number()?;
                r.lifetime = (secs > 0).then(|| Duration::seconds(secs));
            }
            SettingKey::DynamicRegistrationRequiresToken => r.requires_token = canonical == "true",
            SettingKey::AnyHttpsResource => self.any_https_resource = canonical == "true",
            SettingKey::SharedResources => {
                self.shared_resources = canonical
                    .split(' ')
                    .filter(|u| !u.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
        }
        Ok(())
    }

    /// The value of `key` as `settings get` prints it: seconds (`none` for what does not
    /// expire), `true`/`false`, or a count.
    pub fn value(&self, key: SettingKey) -> String {
        let l = &self.lifetimes;
        let r = &self.registration;
        let secs = |d: Option<Duration>| match d {
            Some(d) => d.num_seconds().to_string(),
            None => "none".to_owned(),
        };
        match key {
            SettingKey::AccessTokenLifetime => secs(Some(l.access_token)),
            SettingKey::RefreshTokenLifetime => secs(l.refresh_token),
            SettingKey::CodeLifetime => secs(Some(l.code)),
            SettingKey::IdTokenLifetime => secs(Some(l.id_token)),
            SettingKey::SessionLifetime => secs(Some(l.session)),
            SettingKey::RetiredKeyGrace => secs(Some(l.retired_key_grace)),
            SettingKey::DynamicRegistration => r.enabled.to_string(),
            SettingKey::DynamicRegistrationMaxClients => r.max_clients.to_string(),
            SettingKey::DynamicRegistrationLifetime => secs(r.lifetime),
            SettingKey::DynamicRegistrationRequiresToken => r.requires_token.to_string(),
            SettingKey::AnyHttpsResource => self.any_https_resource.to_string(),
            SettingKey::SharedResources if self.shared_resources.is_empty() => "none".to_owned(),
            SettingKey::SharedResources => self.shared_resources.join(" "),
        }
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
        let mut s = Settings::default();
        s.apply(SettingKey::RefreshTokenLifetime, "0").unwrap();
        assert_eq!(s.lifetimes.refresh_token, None);
        assert_eq!(s.value(SettingKey::RefreshTokenLifetime), "none");
        s.apply(SettingKey::RefreshTokenLifetime, "1d").unwrap();
        assert_eq!(s.value(SettingKey::RefreshTokenLifetime), "86400");
    }

    #[test]
    fn registration_settings_are_switches_counts_and_durations() {
        let mut s = Settings::default();
        assert!(!s.registration.enabled);
        s.apply(SettingKey::DynamicRegistration, "on").unwrap();
        assert!(s.registration.enabled);
        assert_eq!(s.value(SettingKey::DynamicRegistration), "true");
        assert!(SettingKey::DynamicRegistration.normalise("maybe").is_err());
        assert_eq!(
            SettingKey::DynamicRegistrationMaxClients
                .normalise(" 25 ")
                .unwrap(),
            "25"
        );
        assert!(SettingKey::DynamicRegistrationMaxClients
            .normalise("-1")
            .is_err());
        assert!(SettingKey::DynamicRegistrationMaxClients
            .normalise("1h")
            .is_err());
        s.apply(SettingKey::DynamicRegistrationLifetime, "none")
            .unwrap();
        assert_eq!(s.registration.lifetime, None);
        assert_eq!(s.value(SettingKey::DynamicRegistrationLifetime), "none");
        s.apply(SettingKey::DynamicRegistrationLifetime, "2d")
            .unwrap();
        assert_eq!(s.value(SettingKey::DynamicRegistrationLifetime), "172800");
        assert_eq!(
            SettingKey::DynamicRegistrationRequiresToken
                .normalise("FALSE")
                .unwrap(),
            "false"
        );
    }

    #[test]
    fn unknown_settings_name_the_known_ones() {
        let e = "colour".parse::<SettingKey>().unwrap_err().to_string();
        assert!(e.contains("access_token_lifetime"), "{e}");
    }
}
