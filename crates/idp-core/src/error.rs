//! The crate's one error type.

/// Errors of domain validation and of repository operations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// A value does not satisfy a domain rule (the message names the rule, never a secret).
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// Which value was invalid.
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// Something that must be unique already exists.
    #[error("{0} already exists")]
    Conflict(String),
    /// Something a write refers to does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The storage backend is momentarily unable to serve (no free connection in time);
    /// the request may be retried.
    #[error("storage busy")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The storage backend failed; the source carries the backend's detail for logs.
    #[error("storage failure")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl CoreError {
    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        CoreError::Invalid {
            what,
            reason: reason.into(),
        }
    }
}

/// An error and all its causes on one line (`outer: cause: root cause`), for logs and
/// operator messages.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
