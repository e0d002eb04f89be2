//! What a valid access token says about the request.

use serde_json::{Map, Value};

use crate::ResourceError;

/// The subject, client and scopes of a validated access token (RFC 9068 §2.2).
#[derive(Clone, Debug, PartialEq)]
pub struct Principal {
    /// `sub`: the user, or the client itself for a token issued without a user.
    pub subject: String,
    /// `client_id`: the client the token was issued to.
    pub client_id: String,
    /// `scope`, split on spaces.
    pub scopes: Vec<String>,
    /// `exp`, seconds since the epoch.
    pub expires_at: i64,
    /// Every claim, for what the fields above do not cover (`auth_time`, `jti`, claims a
    /// provider hook added).
    pub claims: Map<String, Value>,
}

impl Principal {
    pub(crate) fn from_claims(claims: Map<String, Value>) -> Option<Principal> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        Some(Principal {
            subject: text("sub")?,
            client_id: text("client_id")?,
            scopes: text("scope")
                .map(|s| {
                    s.split(' ')
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            expires_at: claims
                .get("exp")
                .and_then(Value::as_i64)
                .unwrap_or_default(),
            claims,
        })
    }

    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// `Ok` when the token carries `scope`, else the `insufficient_scope` refusal naming
    /// it (RFC 6750 §3.1: 403 with the scope needed).
    ///
    /// # Errors
    /// [`ResourceError::InsufficientScope`] when the scope is missing.
    pub fn require_scope(&self, scope: &str) -> Result<(), ResourceError> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(ResourceError::InsufficientScope {
                scope: scope.to_owned(),
            })
        }
    }
}
