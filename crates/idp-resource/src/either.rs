//! One type for either way of validating, so the actix extractor (and any caller) works
//! with local JWT validation or with introspection alike.

use crate::{IntrospectionValidator, JwtValidator, Principal, ResourceError};

/// A validator of either kind: local JWT validation (RFC 9068) or introspection
/// (RFC 7662). Both convert into it with `From`.
#[derive(Debug)]
pub enum Validator {
    /// JWT access tokens checked locally against the provider's keys.
    Jwt(JwtValidator),
    /// Any access token, asked about at the provider's introspection endpoint.
    Introspection(IntrospectionValidator),
}

impl Validator {
    /// Validates `token` the way this validator does.
    ///
    /// # Errors
    /// As [`JwtValidator::validate`] or [`IntrospectionValidator::validate`].
    pub async fn validate(&self, token: &str) -> Result<Principal, ResourceError> {
        match self {
            Validator::Jwt(v) => v.validate(token).await,
            Validator::Introspection(v) => v.validate(token).await,
        }
    }
}

impl From<JwtValidator> for Validator {
    fn from(v: JwtValidator) -> Self {
        Validator::Jwt(v)
    }
}

impl From<IntrospectionValidator> for Validator {
    fn from(v: IntrospectionValidator) -> Self {
        Validator::Introspection(v)
    }
}
