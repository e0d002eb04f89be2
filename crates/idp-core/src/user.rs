//! People who log in, and the groups they belong to.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::CoreError;

/// A user's stable identifier: the OpenID Connect `sub` (OIDC Core §2). It never changes,
/// even when the username does, and is never reassigned.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserId(String);

impl UserId {
    /// Wraps an identifier.
    pub fn new(id: impl Into<String>) -> Self {
        UserId(id.into())
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person who can log in.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// Stable subject identifier.
    pub id: UserId,
    /// Login name, unique.
    pub username: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Whether the operator vouches for the address.
    pub email_verified: bool,
    /// Full display name.
    pub name: Option<String>,
    /// The other profile, address and phone claims, and what the user withholds.
    pub profile: UserProfile,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// When the claims about the user last changed (the `updated_at` claim).
    pub updated_at: DateTime<Utc>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password_hash", &"<redacted>")
            .field("email", &self.email)
            .field("email_verified", &self.email_verified)
            .field("name", &self.name)
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

impl User {
    /// Checks a username: 1–64 characters, no control characters or white space, so it is
    /// unambiguous on a login form and in logs.
    ///
    /// # Errors
    /// [`CoreError::Invalid`] naming the rule.
    pub fn check_username(username: &str) -> Result<(), CoreError> {
        if username.is_empty() || username.chars().count() > 64 {
            return Err(CoreError::invalid(
                "username",
                "must be 1 to 64 characters long",
            ));
        }
        if username
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(CoreError::invalid(
                "username",
                "must not contain spaces or control characters",
            ));
        }
        Ok(())
    }
}

/// The claims about a user beyond name and e-mail (OIDC Core §5.1), and the optional
/// claims the user withholds from every client.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserProfile {
    /// Given name(s) or first name(s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Surname(s) or last name(s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Telephone number, E.164 recommended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Whether the operator vouches for the number.
    pub phone_number_verified: bool,
    /// Postal address (OIDC Core §5.1.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Web page or blog URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// Profile picture URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// BCP 47 language tag, e.g. `en-US`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// IANA time zone, e.g. `Europe/Paris`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zoneinfo: Option<String>,
    /// Optional claims the user releases to no client, by [`Withholdable`] name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<String>,
}

impl UserProfile {
    /// Whether the user withholds `claim` (a [`Withholdable`] name).
    pub fn withholds(&self, claim: Withholdable) -> bool {
        self.withheld.iter().any(|w| w == claim.as_str())
    }
}

/// A postal address (OIDC Core §5.1.1); every member optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Address {
    /// The full address for display, lines separated by newlines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// Street, house number, apartment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// City or locality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    /// State, province, prefecture or region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Zip or postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// The optional claims a user may withhold from every client (as Nextcloud's `oidc` app
/// lets users restrict them). `sub` and `preferred_username` are never withheld: clients
/// need them to recognise the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Withholdable {
    /// `name`.
    Name,
    /// `given_name`.
    GivenName,
    /// `family_name`.
    FamilyName,
    /// `email` and `email_verified`.
    Email,
    /// `phone_number` and `phone_number_verified`.
    Phone,
    /// `address`.
    Address,
    /// `website`.
    Website,
    /// `picture`.
    Picture,
    /// `locale`.
    Locale,
    /// `zoneinfo`.
    Zoneinfo,
}

impl Withholdable {
    /// Every withholdable claim.
    pub const ALL: [Withholdable; 10] = [
        Withholdable::Name,
        Withholdable::GivenName,
        Withholdable::FamilyName,
        Withholdable::Email,
        Withholdable::Phone,
        Withholdable::Address,
        Withholdable::Website,
        Withholdable::Picture,
        Withholdable::Locale,
        Withholdable::Zoneinfo,
    ];

    /// The name `--withhold` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Withholdable::Name => "name",
            Withholdable::GivenName => "given_name",
            Withholdable::FamilyName => "family_name",
            Withholdable::Email => "email",
            Withholdable::Phone => "phone",
            Withholdable::Address => "address",
            Withholdable::Website => "website",
            Withholdable::Picture => "picture",
            Withholdable::Locale => "locale",
            Withholdable::Zoneinfo => "zoneinfo",
        }
    }

    /// Parses a comma-separated list of names into their canonical, sorted, deduplicated
    /// form; the empty string (or `none`) withholds nothing.
    ///
    /// # Errors
    /// [`CoreError::Invalid`] naming an unknown claim.
    pub fn parse_list(list: &str) -> Result<Vec<String>, CoreError> {
        let mut out: Vec<String> = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name == "none" {
                continue;
            }
            let claim = Withholdable::ALL
                .into_iter()
                .find(|w| w.as_str() == name)
                .ok_or_else(|| {
                    let known: Vec<&str> = Withholdable::ALL.iter().map(|w| w.as_str()).collect();
                    CoreError::invalid(
                        "withheld claim",
                        format!("{name:?} (may withhold: {})", known.join(", ")),
                    )
                })?;
            out.push(claim.as_str().to_owned());
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// A group as a membership names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupRef {
    /// Stable identifier.
    pub id: String,
    /// Name.
    pub name: String,
}

/// A named set of users.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Stable identifier, never reused (what clients that ask for ids see in `groups`).
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Usernames of its members, sorted.
    pub members: Vec<String>,
}

impl Group {
    /// Checks a group name: 1–64 of `A-Z a-z 0-9 - _ . :`.
    ///
    /// # Errors
    /// [`CoreError::Invalid`] naming the rule.
    pub fn check_name(name: &str) -> Result<(), CoreError> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        if ok {
            Ok(())
        } else {
            Err(CoreError::invalid(
                "group name",
                "must be 1 to 64 of A-Z a-z 0-9 - _ . :",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_without_whitespace_are_accepted() {
        assert!(User::check_username("alice").is_ok());
        assert!(User::check_username("alice@example.com").is_ok());
        assert!(User::check_username("").is_err());
        assert!(User::check_username("a b").is_err());
        assert!(User::check_username("a\u{0}").is_err());
    }

    #[test]
    fn withheld_claims_are_checked_and_canonical() {
        assert_eq!(
            Withholdable::parse_list("picture, address,picture").unwrap(),
            ["address", "picture"]
        );
        assert!(Withholdable::parse_list("none").unwrap().is_empty());
        assert!(Withholdable::parse_list("sub").is_err());
    }

    #[test]
    fn group_names_are_restricted() {
        assert!(Group::check_name("staff").is_ok());
        assert!(Group::check_name("team:ops").is_ok());
        assert!(Group::check_name("a b").is_err());
        assert!(Group::check_name("").is_err());
    }
}
