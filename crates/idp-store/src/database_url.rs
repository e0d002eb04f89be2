//! Database URLs as operators write them (../shared/INTERFACE.md).

use std::path::PathBuf;

use crate::StoreError;

/// Where the database lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file, created if missing.
    Sqlite(PathBuf),
    /// A PostgreSQL database (URL kept as given).
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses `sqlite://PATH` (relative to the working directory), `sqlite:///ABS/PATH`,
    /// a plain path, or `postgres://…` / `postgresql://…`.
    ///
    /// # Errors
    /// [`StoreError::Url`] for other schemes or an empty path.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let bad = |reason: &str| StoreError::Url {
            url: redact_password(url),
            reason: reason.to_owned(),
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        let path = if let Some(rest) = url.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = url.strip_prefix("sqlite:") {
            rest
        } else if url.contains("://") {
            return Err(bad("expected sqlite://PATH, a file path, or postgres://…"));
        } else {
            url
        };
        if path.is_empty() {
            return Err(bad("the SQLite file path is empty"));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }
}

/// The URL with any password replaced, for error messages and logs.
pub(crate) fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("REDACTED"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Option<&DatabaseUrl>) {
        assert_eq!(DatabaseUrl::parse(input).ok().as_ref(), expected, "{input}");
    }

    #[test]
    fn database_urls_follow_the_interface() {
        check(
            "sqlite://idp-data/idp.db",
            Some(&DatabaseUrl::Sqlite("idp-data/idp.db".into())),
        );
        check(
            "sqlite:///var/lib/idp.db",
            Some(&DatabaseUrl::Sqlite("/var/lib/idp.db".into())),
        );
        check("./x.db", Some(&DatabaseUrl::Sqlite("./x.db".into())));
        check(
            "postgres://postgres@127.0.0.1/test",
            Some(&DatabaseUrl::Postgres(
                "postgres://postgres@127.0.0.1/test".into(),
            )),
        );
        check(
            "postgresql://u@h/d",
            Some(&DatabaseUrl::Postgres("postgresql://u@h/d".into())),
        );
        check("mysql://u@h/d", None);
        check("sqlite://", None);
    }

    #[test]
    fn passwords_never_reach_error_messages() {
        let e = DatabaseUrl::parse("mysql://u:hunter2@h/d")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("hunter2"), "{e}");
    }
}
