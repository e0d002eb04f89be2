//! What a client may do beyond the basics, set per client by the operator: flows, the
//! ID token's signing algorithm, the access token's format and lifetimes, claims, allowed
//! groups and logout URIs. Stored as one document, so a new option needs no schema
//! change; every field has a default that is the safe choice.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{CoreError, JwsAlgorithm, RedirectUri};

/// The algorithm a client's ID tokens are signed with (OIDC Registration §2,
/// `id_token_signed_response_alg`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IdTokenAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256, the OpenID Connect default (OIDC Core §15.1).
    #[default]
    #[serde(rename = "RS256")]
    Rs256,
    /// ECDSA on P-256 with SHA-256 (RFC 7518 §3.4).
    #[serde(rename = "ES256")]
    Es256,
    /// EdDSA on Ed25519 (RFC 8037 §3.1).
    #[serde(rename = "EdDSA")]
    EdDsa,
    /// HMAC with SHA-256 keyed with the client secret (OIDC Core §10.1); confidential
    /// clients only.
    #[serde(rename = "HS256")]
    Hs256,
}

impl IdTokenAlg {
    /// Every choice, in the order discovery lists them.
    pub const ALL: [IdTokenAlg; 4] = [
        IdTokenAlg::Rs256,
        IdTokenAlg::Es256,
        IdTokenAlg::EdDsa,
        IdTokenAlg::Hs256,
    ];

    /// The registered `alg` name (RFC 7518 §3.1, RFC 8037 §3.1).
    pub fn as_str(self) -> &'static str {
        match self {
            IdTokenAlg::Rs256 => "RS256",
            IdTokenAlg::Es256 => "ES256",
            IdTokenAlg::EdDsa => "EdDSA",
            IdTokenAlg::Hs256 => "HS256",
        }
    }
}

impl fmt::Display for IdTokenAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IdTokenAlg {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        IdTokenAlg::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                CoreError::invalid(
                    "ID token algorithm",
                    format!("{s:?} (supported: RS256, ES256, EdDSA, HS256)"),
                )
            })
    }
}

/// How the `groups` and `roles` claims name a group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupClaim {
    /// By name (readable; changes if the group is renamed).
    #[default]
    Names,
    /// By the group's stable id.
    Ids,
}

impl GroupClaim {
    /// The option's value as `idp-admin` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupClaim::Names => "names",
            GroupClaim::Ids => "ids",
        }
    }
}

impl FromStr for GroupClaim {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        match s {
            "names" => Ok(GroupClaim::Names),
            "ids" => Ok(GroupClaim::Ids),
            other => Err(CoreError::invalid(
                "group claim",
                format!("{other:?} (expected names or ids)"),
            )),
        }
    }
}

/// The one way a confidential client that registered a `token_endpoint_auth_method`
/// (RFC 7591 §2) must authenticate at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SecretMethod {
    /// HTTP Basic (`client_secret_basic`, RFC 6749 §2.3.1).
    #[serde(rename = "client_secret_basic")]
    Basic,
    /// In the request body (`client_secret_post`, RFC 6749 §2.3.1).
    #[serde(rename = "client_secret_post")]
    Post,
}

impl SecretMethod {
    /// The method's registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretMethod::Basic => "client_secret_basic",
            SecretMethod::Post => "client_secret_post",
        }
    }
}

/// A client's options. Lifetimes are seconds and override the provider's settings for
/// this client only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientOptions {
    /// May use the implicit and hybrid flows (response types with `id_token` or `token`
    /// at the authorization endpoint). Off by default: OAuth 2.1 drops the implicit flow.
    pub implicit: bool,
    /// Signing algorithm of its ID tokens.
    pub id_token_alg: IdTokenAlg,
    /// Issue RFC 9068 JWT access tokens instead of opaque ones.
    pub jwt_access_token: bool,
    /// The algorithm its JWT access tokens are signed with: RS256 (the default, which
    /// every resource server must accept, RFC 9068 §2.1), ES256 or EdDSA.
    pub access_token_alg: JwsAlgorithm,
    /// Resource identifiers (RFC 8707) its access tokens are for; the first is the `aud`
    /// of its JWT access tokens. Empty: the issuer.
    pub resources: Vec<String>,
    /// Access token lifetime, seconds.
    pub access_token_lifetime: Option<u64>,
    /// Refresh token lifetime, seconds; `Some(0)`: refresh tokens do not expire.
    pub refresh_token_lifetime: Option<u64>,
    /// ID token lifetime, seconds.
    pub id_token_lifetime: Option<u64>,
    /// Put the scope's claims in the ID token even when an access token is issued (by
    /// default they are then only at UserInfo, OIDC Core §5.4).
    pub claims_in_id_token: bool,
    /// How the `groups` and `roles` claims name groups.
    pub group_claim: GroupClaim,
    /// When not empty, only members of one of these groups may sign in to the client.
    pub allowed_groups: Vec<String>,
    /// Where RP-initiated logout may send the browser afterwards (matched exactly).
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    /// Where the provider POSTs a logout token when a session the client took part in
    /// ends (OIDC Back-Channel Logout 1.0 §2.2, `backchannel_logout_uri`).
    pub backchannel_logout_uri: Option<String>,
    /// The client needs `sid` in its logout tokens (`backchannel_logout_session_required`).
    pub backchannel_logout_session_required: bool,
    /// The page the signed-out page loads in an iframe when a session the client took
    /// part in ends (OIDC Front-Channel Logout 1.0 §2, `frontchannel_logout_uri`).
    pub frontchannel_logout_uri: Option<String>,
    /// That page needs the `iss` and `sid` query parameters
    /// (`frontchannel_logout_session_required`).
    pub frontchannel_logout_session_required: bool,
    /// When set, the only way this confidential client may present its secret (a
    /// self-registered client's `token_endpoint_auth_method`); unset: either way.
    pub token_endpoint_auth_method: Option<SecretMethod>,
    /// A resource server (an API): it may introspect any token of this provider
    /// (RFC 7662 §2.1); other clients learn only about their own tokens.
    pub resource_server: bool,
}

impl ClientOptions {
    /// Whether `user_groups` (a user's group names) lets the user use the client.
    pub fn admits(&self, user_groups: &[String]) -> bool {
        self.allowed_groups.is_empty()
            || self
                .allowed_groups
                .iter()
                .any(|g| user_groups.iter().any(|u| u == g))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_default_to_the_safe_choices_and_read_old_documents() {
        let o: ClientOptions = serde_json::from_str("{}").unwrap();
        assert_eq!(o, ClientOptions::default());
        assert!(!o.implicit && !o.jwt_access_token && !o.claims_in_id_token);
        assert_eq!(o.id_token_alg, IdTokenAlg::Rs256);
        let o: ClientOptions =
            serde_json::from_str(r#"{"id_token_alg":"EdDSA","later_option":1}"#).unwrap();
        assert_eq!(o.id_token_alg, IdTokenAlg::EdDsa);
    }

    #[test]
    fn allowed_groups_admit_members_only() {
        let open = ClientOptions::default();
        assert!(open.admits(&[]));
        let closed = ClientOptions {
            allowed_groups: vec!["staff".into()],
            ..ClientOptions::default()
        };
        assert!(!closed.admits(&[]));
        assert!(!closed.admits(&["users".into()]));
        assert!(closed.admits(&["users".into(), "staff".into()]));
    }

    #[test]
    fn algorithms_parse_by_registered_name() {
        assert_eq!("EdDSA".parse::<IdTokenAlg>().ok(), Some(IdTokenAlg::EdDsa));
        assert!("none".parse::<IdTokenAlg>().is_err());
        assert!("rs256".parse::<IdTokenAlg>().is_err());
    }
}
