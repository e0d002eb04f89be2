//! Browser sessions and authorization requests waiting for the person to log in or consent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ClientId, RedirectUri, ResponseMode, ResponseType, ScopeSet, SecretDigest, UserId};

/// A browser's session at the provider. Anonymous until the person logs in; the session
/// id is replaced at login (session fixation, OWASP ASVS 3.2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrowserSession {
    /// Digest of the session cookie's value.
    pub digest: SecretDigest,
    /// Stable session identifier: survives the id rotation at login, so parked requests
    /// stay bound to the browser, and (later) logout can name the session (`sid`, OIDC
    /// Front-/Back-Channel Logout). Random, not secret.
    pub sid: String,
    /// The logged-in user, if any.
    pub user_id: Option<UserId>,
    /// When that user authenticated.
    pub auth_time: Option<DateTime<Utc>>,
    /// The token forms of this session must echo (synchronizer-token CSRF defence).
    pub csrf_token: String,
    /// When the session began.
    pub created_at: DateTime<Utc>,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
}

/// The `prompt` values of OIDC Core §3.1.2.1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// `none`: no page may be shown.
    pub none: bool,
    /// `login` (or `select_account`): authenticate again.
    pub login: bool,
    /// `consent`: ask for consent again.
    pub consent: bool,
}

/// A validated authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// The requesting client.
    pub client_id: ClientId,
    /// Where the response goes; one of the client's registered URIs.
    pub redirect_uri: RedirectUri,
    /// Whether the request named `redirect_uri` (then the token request must repeat it).
    pub redirect_uri_given: bool,
    /// What the authorization endpoint returns (`code` for requests parked before other
    /// types existed).
    #[serde(default)]
    pub response_type: ResponseType,
    /// How the response reaches the client: the request's `response_mode`, or the
    /// type's default.
    #[serde(default)]
    pub response_mode: ResponseMode,
    /// Requested scopes, already limited to what the client may have.
    pub scope: ScopeSet,
    /// Opaque client state, returned unchanged.
    pub state: Option<String>,
    /// OIDC nonce.
    pub nonce: Option<String>,
    /// Encoded PKCE challenge.
    pub code_challenge: Option<String>,
    /// `prompt` values.
    pub prompt: Prompt,
    /// `max_age` in seconds.
    pub max_age: Option<i64>,
    /// Username to pre-fill on the login form.
    pub login_hint: Option<String>,
    /// The subject of a verified `id_token_hint` (OIDC Core §3.1.2.1): only this user may
    /// complete the request.
    #[serde(default)]
    pub hinted_subject: Option<UserId>,
    /// The resources (RFC 8707 §2) the tokens are for, checked against what the client
    /// may use.
    #[serde(default)]
    pub resources: Vec<String>,
}

impl AuthorizationRequest {
    /// Whether this is an OpenID Connect request.
    pub fn is_openid(&self) -> bool {
        self.scope.contains(crate::Scope::OPENID)
    }
}

/// An authorization request parked while the person logs in or consents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingAuthorization {
    /// Random, unguessable identifier carried by the login and consent pages.
    pub id: String,
    /// The request.
    pub request: AuthorizationRequest,
    /// The `sid` of the browser session that started it: only that browser may complete
    /// it (RFC 9700 §4.7).
    pub browser_sid: String,
    /// When it was parked (a login after this satisfies `prompt=login`).
    pub created_at: DateTime<Utc>,
    /// When it is forgotten.
    pub expires_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parked_before_response_types_existed_read_as_code_in_the_query() {
        let json = r#"{"client_id":"c1","redirect_uri":"https://rp.example/cb",
            "redirect_uri_given":true,"scope":"openid","state":null,"nonce":null,
            "code_challenge":null,"prompt":{"none":false,"login":false,"consent":false},
            "max_age":null,"login_hint":null}"#;
        let request: AuthorizationRequest = serde_json::from_str(json).unwrap();
        assert_eq!(request.response_type, ResponseType::CODE);
        assert_eq!(request.response_mode, ResponseMode::Query);
    }
}
