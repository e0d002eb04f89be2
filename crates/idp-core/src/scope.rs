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
    /// Asks for a refresh token (OIDC Core §11).
    pub const OFFLINE_ACCESS: &'static str = "offline_access";
    /// Every scope the provider knows, in the order discovery lists them.
    pub const SUPPORTED: [&'static str; 4] = [
        Self::OPENID,
        Self::PROFILE,
        Self::EMAIL,
        Self::OFFLINE_ACCESS,
    ];
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
