//! Token lifecycle hooks: code of the embedding application that the [`Provider`] calls
//! before it issues an ID token or access token (to add or remove claims, or to refuse),
//! and after it has validated a token presented to it (to audit, or to refuse).
//!
//! Hooks are registered per provider with [`Provider::with_hooks`]; there is no global
//! state. Without hooks nothing here runs: claims are not serialised to JSON for them.
//!
//! The claims the protocol owns ([`PROTECTED_CLAIMS`]) cannot be changed by a hook: a
//! hook that adds, changes or removes one gets the issuance refused as an internal failure
//! (logged, answered `server_error`). Refusing is the safer choice over silently undoing
//! the change: the hook's author learns of the mistake at the first token instead of
//! shipping a hook that believes it did something it did not.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use idp_core::{Client, ClientId, ScopeSet, User};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{Delivery, ErrorCode, ProtocolError, Provider};

/// Claims a hook may not add, change or remove: those the protocol sets and relying
/// parties check — issuer, subject, audience and times (RFC 7519 §4.1), the nonce and
/// hashes that bind an ID token to its request and tokens (OIDC Core §2, §3.1.3.6,
/// §3.3.2.11), `azp`, `auth_time`, `acr`/`amr`, the session id (OIDC Back-Channel Logout
/// §2.1), and RFC 9068 §2.2's `client_id` and `scope`, plus `typ`, `cnf` (RFC 7800) and
/// the actor of a delegated token, `act` (RFC 8693 §4.1).
pub const PROTECTED_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "nonce",
    "at_hash",
    "c_hash",
    "s_hash",
    "azp",
    "auth_time",
    "acr",
    "amr",
    "sid",
    "client_id",
    "scope",
    "typ",
    "cnf",
    "act",
];

/// Longest refusal reason sent to a client, in bytes; longer ones are cut.
pub const MAX_REASON_BYTES: usize = 200;

/// Code of the embedding application that runs when this provider issues or validates
/// tokens. Both methods default to doing nothing. They run on the provider's blocking
/// threads, inside the request; keep them quick.
pub trait TokenHooks: Send + Sync + 'static {
    /// Before a token is signed or issued: inspect the draft, change its claims
    /// ([`TokenDraft::claims_mut`]), or refuse.
    ///
    /// A refusal is answered `invalid_grant` at the token endpoint (RFC 6749 §5.2) and
    /// `access_denied` at the authorization endpoint (RFC 6749 §4.1.2.1, §4.2.2.1), with
    /// the reason as `error_description`.
    ///
    /// # Errors
    /// A [`HookRefusal`] to refuse the issuance.
    fn before_issue(&self, draft: &mut TokenDraft<'_>) -> Result<(), HookRefusal> {
        let _ = draft;
        Ok(())
    }

    /// After this provider validated a token presented to it — a bearer token at
    /// UserInfo, an `id_token_hint` (authorization and logout), or a token given to
    /// [`Provider::validate_token`]: audit it, or refuse it.
    ///
    /// A refusal makes the token invalid for that use: `invalid_token` at UserInfo
    /// (RFC 6750 §3.1; the reason is only logged), an unusable hint, and `None` from
    /// [`Provider::validate_token`].
    ///
    /// # Errors
    /// A [`HookRefusal`] to refuse the token.
    fn after_validate(&self, token: &ValidatedToken) -> Result<(), HookRefusal> {
        let _ = token;
        Ok(())
    }
}

/// Which token is about to be issued or was validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// An ID token (OIDC Core §2).
    IdToken,
    /// An access token.
    AccessToken(AccessTokenFormat),
}

/// How an access token is represented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessTokenFormat {
    /// An RFC 9068 JWT: claims a hook adds are signed into it.
    Jwt,
    /// A random string whose digest is stored: it carries no claims, so a hook's edits
    /// of [`TokenDraft::claims_mut`] do not apply (they are ignored); it can still refuse.
    Opaque,
}

/// A token about to be issued, as a hook sees it.
#[derive(Debug)]
pub struct TokenDraft<'a> {
    kind: TokenKind,
    client: &'a Client,
    user: Option<&'a User>,
    scope: &'a ScopeSet,
    claims: Map<String, Value>,
}

impl<'a> TokenDraft<'a> {
    /// Which token.
    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// The client it is issued to.
    pub fn client(&self) -> &'a Client {
        self.client
    }

    /// The user it is issued for; `None` when it is not known here (a grant without a
    /// user).
    pub fn user(&self) -> Option<&'a User> {
        self.user
    }

    /// The granted scope.
    pub fn scope(&self) -> &'a ScopeSet {
        self.scope
    }

    /// The claims to be signed (empty for an opaque access token).
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// The claims to be signed, to edit. Adding, changing or removing one of
    /// [`PROTECTED_CLAIMS`] fails the issuance; edits of an opaque access token's (empty)
    /// claims are ignored.
    pub fn claims_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.claims
    }
}

/// A token this provider validated: what it says and whom it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatedToken {
    /// Which token it is.
    pub kind: TokenKind,
    /// The client it was issued to (for an ID token: its audience).
    pub client_id: ClientId,
    /// The subject: the user's id, or the client's for a grant without a user.
    pub subject: String,
    /// The user, when the subject is one that still exists.
    pub user: Option<User>,
    /// The granted scope of an access token; `None` for an ID token.
    pub scope: Option<ScopeSet>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// A hook's refusal, with the reason to give the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookRefusal {
    reason: String,
}

impl HookRefusal {
    /// A refusal for `reason`, which reaches the client as `error_description`: it is
    /// made to fit RFC 6749 §5.2's character set (printable ASCII without `"` and `\`;
    /// anything else becomes `?`, line breaks and tabs a space) and cut to
    /// [`MAX_REASON_BYTES`]. Do not put secrets or internal detail in it.
    pub fn new(reason: impl AsRef<str>) -> Self {
        let mut out = String::new();
        for c in reason.as_ref().chars() {
            if out.len() >= MAX_REASON_BYTES {
                break;
            }
            out.push(match c {
                // RFC 6749 §5.2: %x20-21 / %x23-5B / %x5D-7E.
                ' '..='~' if c != '"' && c != '\\' => c,
                c if c.is_whitespace() => ' ',
                _ => '?',
            });
        }
        let trimmed = out.trim();
        HookRefusal {
            reason: if trimmed.is_empty() {
                "refused".to_owned()
            } else {
                trimmed.to_owned()
            },
        }
    }

    /// The reason, as sent.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for HookRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for HookRefusal {}

/// The protected claims whose presence or value differs between `before` and `after`.
pub(crate) fn protected_changes(
    before: &Map<String, Value>,
    after: &Map<String, Value>,
) -> Vec<&'static str> {
    PROTECTED_CLAIMS
        .iter()
        .copied()
        .filter(|claim| before.get(*claim) != after.get(*claim))
        .collect()
}

/// `value` as a JSON object.
pub(crate) fn to_claims(value: &impl Serialize) -> Result<Map<String, Value>, ProtocolError> {
    match serde_json::to_value(value).map_err(|e| ProtocolError::Internal(Box::new(e)))? {
        Value::Object(map) => Ok(map),
        _ => Err(ProtocolError::Internal(
            "claims are not a JSON object".into(),
        )),
    }
}

impl Provider {
    /// This provider with `hooks` called whenever it issues or validates tokens
    /// (replacing hooks set before).
    #[must_use]
    pub fn with_hooks(mut self, hooks: Arc<dyn TokenHooks>) -> Self {
        self.hooks = Some(hooks);
        self
    }

    /// The registered hooks.
    pub(crate) fn hooks(&self) -> Option<&dyn TokenHooks> {
        self.hooks.as_deref()
    }

    /// Runs `before_issue` on a draft of `kind` with `claims`; the claims to sign. A
    /// refusal is `invalid_grant` for the token endpoint (the authorization endpoint
    /// turns it into `access_denied`); a change of a protected claim an internal failure.
    pub(crate) fn before_issue(
        hooks: &dyn TokenHooks,
        kind: TokenKind,
        client: &Client,
        user: Option<&User>,
        scope: &ScopeSet,
        claims: Map<String, Value>,
    ) -> Result<Map<String, Value>, ProtocolError> {
        let mut draft = TokenDraft {
            kind,
            client,
            user,
            scope,
            claims,
        };
        let before = draft.claims.clone();
        if let Err(refusal) = hooks.before_issue(&mut draft) {
            tracing::info!(client = %client.id, reason = %refusal, ?kind, "a token hook refused issuance");
            return Err(ProtocolError::RefusedByHook {
                code: ErrorCode::InvalidGrant,
                reason: refusal.reason,
                delivery: Delivery::Json {
                    basic_challenge: false,
                },
            });
        }
        if kind == TokenKind::AccessToken(AccessTokenFormat::Opaque) {
            // Nothing carries claims: edits do not apply.
            return Ok(before);
        }
        let changed = protected_changes(&before, &draft.claims);
        if !changed.is_empty() {
            return Err(ProtocolError::Internal(
                format!(
                    "a token hook changed protocol claims ({}); issuance refused",
                    changed.join(", ")
                )
                .into(),
            ));
        }
        Ok(draft.claims)
    }

    /// Runs `after_validate`, if hooks are registered; `false` if a hook refused (the
    /// reason is logged).
    pub(crate) fn accepted_by_hooks(&self, token: &ValidatedToken) -> bool {
        let Some(hooks) = self.hooks() else {
            return true;
        };
        match hooks.after_validate(token) {
            Ok(()) => true,
            Err(refusal) => {
                tracing::info!(client = %token.client_id, reason = %refusal, kind = ?token.kind, "a token hook refused a validated token");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    fn check(after: Value, expected: &[&str]) {
        let before = map(json!({
            "iss": "https://idp.example", "sub": "u1", "aud": ["c"], "exp": 2, "iat": 1,
            "nonce": "n", "email": "a@example.com"
        }));
        assert_eq!(protected_changes(&before, &map(after)), expected);
    }

    #[test]
    fn other_claims_may_be_added_changed_and_removed() {
        check(
            json!({"iss": "https://idp.example", "sub": "u1", "aud": ["c"], "exp": 2,
                   "iat": 1, "nonce": "n", "tenant": "acme"}),
            &[],
        );
    }

    #[test]
    fn protected_claims_may_not_be_changed_removed_or_added() {
        check(
            json!({"iss": "https://evil.example", "aud": ["c"], "exp": 2, "iat": 1,
                   "nonce": "n", "sid": "s", "email": "a@example.com"}),
            &["iss", "sub", "sid"],
        );
        check(
            json!({"iss": "https://idp.example", "sub": "u1", "aud": ["c", "d"], "exp": 3,
                   "iat": 1, "email": "a@example.com", "scope": "admin"}),
            &["aud", "exp", "nonce", "scope"],
        );
    }

    #[test]
    fn reasons_are_one_bounded_line_of_rfc_6749_characters() {
        assert_eq!(
            HookRefusal::new("no \"tenant\"\r\nfor\tyou \\ é").reason(),
            "no ?tenant?  for you ? ?"
        );
        assert_eq!(HookRefusal::new(" \n ").reason(), "refused");
        assert_eq!(
            HookRefusal::new("x".repeat(1000)).reason().len(),
            MAX_REASON_BYTES
        );
    }
}
