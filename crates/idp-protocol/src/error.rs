//! The crate's one error type, and the registered error codes it carries.

use std::fmt;

/// Error codes registered by RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1, RFC 8628 §3.5
/// and OpenID Connect Core §3.1.2.6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `invalid_request`
    InvalidRequest,
    /// `invalid_client`
    InvalidClient,
    /// `invalid_grant`
    InvalidGrant,
    /// `unauthorized_client`
    UnauthorizedClient,
    /// `unsupported_grant_type`
    UnsupportedGrantType,
    /// `unsupported_response_type`
    UnsupportedResponseType,
    /// `invalid_scope`
    InvalidScope,
    /// `invalid_target` (RFC 8707 §2): a resource the client may not use.
    InvalidTarget,
    /// `access_denied`
    AccessDenied,
    /// `server_error`
    ServerError,
    /// `login_required`
    LoginRequired,
    /// `consent_required`
    ConsentRequired,
    /// `request_not_supported`
    RequestNotSupported,
    /// `request_uri_not_supported`
    RequestUriNotSupported,
    /// `registration_not_supported`
    RegistrationNotSupported,
    /// `invalid_token` (RFC 6750 §3.1)
    InvalidToken,
    /// `insufficient_scope` (RFC 6750 §3.1)
    InsufficientScope,
    /// `temporarily_unavailable` (RFC 6749 §4.1.2.1): overloaded or throttled.
    TemporarilyUnavailable,
    /// `invalid_redirect_uri` (RFC 7591 §3.2.2)
    InvalidRedirectUri,
    /// `invalid_client_metadata` (RFC 7591 §3.2.2)
    InvalidClientMetadata,
    /// `invalid_software_statement` (RFC 7591 §3.2.2)
    InvalidSoftwareStatement,
    /// `authorization_pending` (RFC 8628 §3.5): the user has not decided yet.
    AuthorizationPending,
    /// `slow_down` (RFC 8628 §3.5): polling faster than the interval.
    SlowDown,
    /// `expired_token` (RFC 8628 §3.5): the device code has expired.
    ExpiredToken,
}

impl ErrorCode {
    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::InvalidTarget => "invalid_target",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::ServerError => "server_error",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
            ErrorCode::RegistrationNotSupported => "registration_not_supported",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            ErrorCode::InvalidClientMetadata => "invalid_client_metadata",
            ErrorCode::InvalidSoftwareStatement => "invalid_software_statement",
            ErrorCode::AuthorizationPending => "authorization_pending",
            ErrorCode::SlowDown => "slow_down",
            ErrorCode::ExpiredToken => "expired_token",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an error reaches whoever made the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// An error page at the provider: the client or redirect URI could not be trusted, so
    /// the browser must not be redirected (RFC 6749 §4.1.2.1).
    ErrorPage,
    /// A redirect to the client; the URL already carries `error`, `state` and `iss` (in
    /// its query or fragment, per the request's response mode).
    Redirect(String),
    /// A form the browser posts to the client, carrying `error`, `state` and `iss`
    /// (`response_mode=form_post`, OAuth 2.0 Form Post Response Mode §2).
    PostToClient(crate::FormPost),
    /// A JSON body from the token endpoint (RFC 6749 §5.2); `basic_challenge` when the
    /// client authenticated with HTTP Basic (then 401 with `WWW-Authenticate`).
    Json {
        /// Whether HTTP Basic was attempted.
        basic_challenge: bool,
    },
    /// A `WWW-Authenticate: Bearer` challenge from a protected resource (RFC 6750 §3).
    Bearer,
}

/// Why a protocol request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The request was refused under a protocol rule. The description is fixed text and
    /// never echoes input or internals.
    #[error("{code}: {description}")]
    Rejected {
        /// Registered error code.
        code: ErrorCode,
        /// Human-readable explanation.
        description: &'static str,
        /// How to deliver it.
        delivery: Delivery,
    },
    /// A token hook of the embedding application refused to issue a token
    /// ([`crate::TokenHooks::before_issue`]). Unlike [`ProtocolError::Rejected`], the
    /// description is the hook's reason: bounded, one line of RFC 6749 §5.2 characters,
    /// chosen by the embedding code and so allowed on the wire.
    #[error("{code}: refused by a token hook: {reason}")]
    RefusedByHook {
        /// Registered error code.
        code: ErrorCode,
        /// The hook's reason ([`crate::HookRefusal::reason`]).
        reason: String,
        /// How to deliver it.
        delivery: Delivery,
    },
    /// An administrative operation was refused: an invalid value, a duplicate, a
    /// missing record. The message is meant for the operator.
    #[error("{0}")]
    Refused(idp_core::CoreError),
    /// An entry of a configuration file's declarations (`[[clients]]`, `[[scopes]]`,
    /// `[[groups]]`) breaks a rule; meant for the operator.
    #[error("{entry}: {reason}")]
    Declaration {
        /// The entry, e.g. `clients[0] (client_id abc)`.
        entry: String,
        /// What is wrong.
        reason: String,
    },
    /// Client metadata refused at the registration endpoint (RFC 7591 §3.2.2): answered
    /// 400 in JSON with `code` and this description, which names the metadata field and
    /// the rule (and may quote the value the client sent, never anything internal).
    #[error("{code}: {description}")]
    InvalidMetadata {
        /// `invalid_redirect_uri`, `invalid_client_metadata` or
        /// `invalid_software_statement`.
        code: ErrorCode,
        /// What was wrong.
        description: String,
    },
    /// Too many failed attempts for this client, user or address: try again after
    /// `retry_after` seconds (answered 429 with `Retry-After`).
    #[error("throttled for {retry_after} s")]
    Throttled {
        /// Seconds until the next attempt is allowed.
        retry_after: u64,
        /// How to deliver it.
        delivery: Delivery,
    },
    /// The provider is momentarily overloaded (no database connection, no free password
    /// hashing slot): try again after `retry_after` seconds (answered 503).
    #[error("busy; retry in {retry_after} s")]
    Busy {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// Something failed inside the provider (storage, key material). Callers log the
    /// source and answer `server_error` without detail.
    #[error("internal failure")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ProtocolError {
    /// A rejection shown on the provider's error page.
    pub fn page(code: ErrorCode, description: &'static str) -> Self {
        ProtocolError::Rejected {
            code,
            description,
            delivery: Delivery::ErrorPage,
        }
    }

    /// A rejection answered in JSON by the token endpoint.
    pub fn json(code: ErrorCode, description: &'static str) -> Self {
        ProtocolError::Rejected {
            code,
            description,
            delivery: Delivery::Json {
                basic_challenge: false,
            },
        }
    }

    /// A rejection answered with a bearer challenge.
    pub fn bearer(code: ErrorCode, description: &'static str) -> Self {
        ProtocolError::Rejected {
            code,
            description,
            delivery: Delivery::Bearer,
        }
    }

    /// The error code (`server_error` for internal failures).
    pub fn code(&self) -> ErrorCode {
        match self {
            ProtocolError::Rejected { code, .. }
            | ProtocolError::RefusedByHook { code, .. }
            | ProtocolError::InvalidMetadata { code, .. } => *code,
            ProtocolError::Refused(_) | ProtocolError::Declaration { .. } => {
                ErrorCode::InvalidRequest
            }
            ProtocolError::Throttled { .. } | ProtocolError::Busy { .. } => {
                ErrorCode::TemporarilyUnavailable
            }
            ProtocolError::Internal(_) => ErrorCode::ServerError,
        }
    }
}

impl From<idp_core::CoreError> for ProtocolError {
    /// Storage failures are internal, a busy store is [`ProtocolError::Busy`], and a
    /// refused value (invalid, duplicate, missing) stays a refusal the caller can show.
    fn from(e: idp_core::CoreError) -> Self {
        use idp_core::CoreError;
        match e {
            CoreError::Unavailable(_) => ProtocolError::Busy { retry_after: 1 },
            e @ CoreError::Storage(_) => ProtocolError::Internal(Box::new(e)),
            refused => ProtocolError::Refused(refused),
        }
    }
}

impl From<idp_crypto::CryptoError> for ProtocolError {
    fn from(e: idp_crypto::CryptoError) -> Self {
        ProtocolError::Internal(Box::new(e))
    }
}
