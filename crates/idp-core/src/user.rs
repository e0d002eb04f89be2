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
    /// When the account was created.
    pub created_at: DateTime<Utc>,
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

/// A named set of users.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
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
    fn group_names_are_restricted() {
        assert!(Group::check_name("staff").is_ok());
        assert!(Group::check_name("team:ops").is_ok());
        assert!(Group::check_name("a b").is_err());
        assert!(Group::check_name("").is_err());
    }
}
