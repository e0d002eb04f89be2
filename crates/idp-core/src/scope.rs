//! Scopes (RFC 6749 §3.3) as ordered sets of scope tokens.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::CoreError;

/// The scopes this provider defines.
pub struct Scope;

impl Scope {
    /// Makes a request an OpenID Connect request (OIDC Core §3.1.2.1).
    pub const OPENID: &'static str = "openid";
    /// Profile claims (OIDC Core §5.4).
    pub const PROFILE: &'static str = "profile";
    /// `email` and `email_verified` (OIDC Core §5.4).
    pub const EMAIL: &'static str = "email";
    /// `address` (OIDC Core §5.4).
    pub const ADDRESS: &'static str = "address";
    /// `phone_number` and `phone_number_verified` (OIDC Core §5.4).
    pub const PHONE: &'static str = "phone";
    /// Asks for a refresh token (OIDC Core §11).
    pub const OFFLINE_ACCESS: &'static str = "offline_access";
    /// A `groups` claim listing the user's groups.
    pub const GROUPS: &'static str = "groups";
    /// The same list as a `roles` claim, as Nextcloud clients expect.
    pub const ROLES: &'static str = "roles";
    /// Every scope the provider defines itself, in the order discovery lists them;
    /// operators add their own ([`ScopeDefinition`]).
    pub const SUPPORTED: [&'static str; 8] = [
        Self::OPENID,
        Self::PROFILE,
        Self::EMAIL,
        Self::ADDRESS,
        Self::PHONE,
        Self::OFFLINE_ACCESS,
        Self::GROUPS,
        Self::ROLES,
    ];

    /// What granting a standard scope means, in words a person understands (the consent
    /// page); `None` for scopes the provider does not define.
    pub fn description(name: &str) -> Option<&'static str> {
        Some(match name {
            Self::OPENID => "know who you are (your account identifier)",
            Self::PROFILE => {
                "see your name, username and profile (picture, website, language, time zone)"
            }
            Self::EMAIL => "see your e-mail address",
            Self::ADDRESS => "see your postal address",
            Self::PHONE => "see your phone number",
            Self::OFFLINE_ACCESS => "keep access while you are away",
            Self::GROUPS | Self::ROLES => "see the groups you belong to",
            _ => return None,
        })
    }

    /// Whether `name` is one the provider defines itself.
    pub fn is_standard(name: &str) -> bool {
        Self::SUPPORTED.contains(&name)
    }
}

/// A scope the operator defined (`idp-admin scope create`), for the operator's own APIs:
/// it releases no claims, it is only granted and carried in tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScopeDefinition {
    /// The scope token.
    pub name: String,
    /// What it allows, shown on the consent page.
    pub description: String,
    /// When it was defined.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl ScopeDefinition {
    /// Checks a new scope's name: 1–64 scope characters (RFC 6749 §3.3), not one the
    /// provider defines.
    ///
    /// # Errors
    /// [`CoreError::Invalid`] naming the rule.
    pub fn check_name(name: &str) -> Result<(), CoreError> {
        if name.is_empty() || name.len() > 64 {
            return Err(CoreError::invalid(
                "scope name",
                "must be 1 to 64 characters long",
            ));
        }
        ScopeSet::parse(name)?;
        if name.contains(' ') {
            return Err(CoreError::invalid("scope name", "must be one scope token"));
        }
        if Scope::is_standard(name) {
            return Err(CoreError::invalid(
                "scope name",
                format!("{name:?} is a standard scope"),
            ));
        }
        Ok(())
    }
}

/// A set of scope tokens, kept sorted so that its text form is stable.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ScopeSet(BTreeSet<String>);

impl ScopeSet {
    /// Parses a space-delimited scope string. Each token must be `NQCHAR`s (RFC 6749 §3.3).
    ///
    /// # Errors
    /// [`CoreError::Invalid`] when a token holds a character outside `%x21 / %x23-5B / %x5D-7E`.
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        let mut set = BTreeSet::new();
        for token in s.split(' ').filter(|t| !t.is_empty()) {
            if let Some(c) = token
                .chars()
                .find(|c| !matches!(*c as u32, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
            {
                return Err(CoreError::invalid(
                    "scope",
                    format!("character {c:?} is not allowed in a scope token"),
                ));
            }
            set.insert(token.to_owned());
        }
        Ok(ScopeSet(set))
    }

    /// A set built from tokens already known to be valid.
    pub fn from_tokens<I, S>(tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ScopeSet(tokens.into_iter().map(Into::into).collect())
    }

    /// Whether `scope` is in the set.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    /// Whether every token of `self` is in `other`.
    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// The tokens of `self` that are also in `other`.
    #[must_use]
    pub fn intersection(&self, other: &ScopeSet) -> ScopeSet {
        ScopeSet(self.0.intersection(&other.0).cloned().collect())
    }

    /// The tokens of either set.
    #[must_use]
    pub fn union(&self, other: &ScopeSet) -> ScopeSet {
        ScopeSet(self.0.union(&other.0).cloned().collect())
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The tokens in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for token in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(token)?;
            first = false;
        }
        Ok(())
    }
}

impl TryFrom<String> for ScopeSet {
    type Error = CoreError;
    fn try_from(s: String) -> Result<Self, CoreError> {
        ScopeSet::parse(&s)
    }
}

impl From<ScopeSet> for String {
    fn from(s: ScopeSet) -> String {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Option<&str>) {
        assert_eq!(
            ScopeSet::parse(input)
                .ok()
                .map(|s| s.to_string())
                .as_deref(),
            expected
        );
    }

    #[test]
    fn scope_strings_are_parsed_sorted_and_deduplicated() {
        check("openid profile", Some("openid profile"));
        check("profile  openid openid", Some("openid profile"));
        check("", Some(""));
        check("a\"b", None);
        check("a\\b", None);
        check("caf\u{e9}", None);
    }

    #[test]
    fn subset_and_intersection() {
        let all = ScopeSet::parse("openid profile email").unwrap();
        let some = ScopeSet::parse("email openid").unwrap();
        assert!(some.is_subset(&all));
        assert!(!all.is_subset(&some));
        assert_eq!(
            all.intersection(&ScopeSet::parse("email x").unwrap())
                .to_string(),
            "email"
        );
    }
}
