//! The crate's one error type: why a request was refused, or why the validator could not
//! be set up.

use crate::challenge;

/// Why a bearer token was refused (RFC 6750 §3.1), or why the validator could not start.
///
/// Descriptions are fixed strings: nothing from the token or the network reaches the
/// client.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResourceError {
    /// No bearer token in the request (RFC 6750 §3.1: the challenge carries no error code).
    #[error("no bearer token")]
    MissingToken,
    /// A malformed request: several tokens, or an `Authorization` header that is not
    /// `Bearer` (RFC 6750 §3.1 `invalid_request`).
    #[error("invalid request: {0}")]
    InvalidRequest(&'static str),
    /// The token is malformed, expired, not for this resource, or not signed by the
    /// provider (RFC 6750 §3.1 `invalid_token`).
    #[error("invalid token: {0}")]
    InvalidToken(&'static str),
    /// The token lacks a scope the request needs (RFC 6750 §3.1 `insufficient_scope`).
    #[error("insufficient scope: needs {scope}")]
    InsufficientScope {
        /// The scope needed.
        scope: String,
    },
    /// The provider's metadata or keys could not be fetched or read while setting up.
    #[error("provider metadata: {0}")]
    Discovery(String),
    /// The provider's introspection endpoint could not be asked, or refused the
    /// resource server's credentials: the token's state is unknown (503, no error code
    /// in the challenge — the client's token is not at fault).
    #[error("introspection unavailable: {0}")]
    Unavailable(String),
}

impl ResourceError {
    /// The HTTP status to answer with: 401, 403 for `insufficient_scope`, 400 for
    /// `invalid_request`, 500 for a set-up failure, 503 when the introspection endpoint
    /// cannot be asked (RFC 6750 §3.1).
    pub fn status(&self) -> u16 {
        match self {
            ResourceError::MissingToken | ResourceError::InvalidToken(_) => 401,
            ResourceError::InvalidRequest(_) => 400,
            ResourceError::InsufficientScope { .. } => 403,
            ResourceError::Discovery(_) => 500,
            ResourceError::Unavailable(_) => 503,
        }
    }

    /// The RFC 6750 §3 `WWW-Authenticate` value, with `resource_metadata` (RFC 9728 §5.1)
    /// when the resource publishes its metadata document at that URL.
    pub fn www_authenticate(&self, resource_metadata: Option<&str>) -> String {
        let (code, description, scope) = match self {
            ResourceError::MissingToken
            | ResourceError::Discovery(_)
            | ResourceError::Unavailable(_) => (None, None, None),
            ResourceError::InvalidRequest(d) => (Some("invalid_request"), Some(*d), None),
            ResourceError::InvalidToken(d) => (Some("invalid_token"), Some(*d), None),
            ResourceError::InsufficientScope { scope } => (
                Some("insufficient_scope"),
                Some("the token lacks a scope this request needs"),
                Some(scope.as_str()),
            ),
        };
        challenge::bearer(code, description, scope, resource_metadata)
    }
}
