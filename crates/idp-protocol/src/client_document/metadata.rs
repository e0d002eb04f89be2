//! A fetched Client ID Metadata Document, checked and turned into a public client
//! (draft-ietf-oauth-client-id-metadata-document §4 and its security considerations).

use chrono::{DateTime, Utc};
use idp_core::{
    Client, ClientId, ClientOptions, ClientType, DocumentedClient, GrantType, RedirectUri, ScopeSet,
};
use serde_json::{Map, Value};

use crate::registration::metadata::{check_redirect_uri, ApplicationType};

/// Longest `client_name` kept (longer names are cut, at a character boundary).
const MAX_NAME_CHARS: usize = 100;
/// Longest `client_uri` / `logo_uri` kept.
const MAX_URI_LEN: usize = 2000;
/// Most redirect URIs a document may list.
const MAX_REDIRECT_URIS: usize = 20;

/// The public client a document at `url` describes, or why it is refused.
///
/// - It must be a JSON object whose `client_id` equals `url` exactly (§4: simple string
///   comparison, RFC 3986 §6.2.1).
/// - No shared secret can exist for such a client (§4): `client_secret` and
///   `client_secret_expires_at` are refused, and `token_endpoint_auth_method` must be
///   `none` (or absent: these clients are public) — this provider supports no other
///   method for them.
/// - `redirect_uris`: required, checked as a native application's in dynamic
///   registration (https; http only on a loopback IP literal, any port at request time,
///   RFC 8252 §7.3; reverse-domain private-use schemes), never `javascript:` and the like.
/// - `grant_types` (default `authorization_code`) only `authorization_code` and
///   `refresh_token`; `response_types` (default `code`) only `code`.
/// - `scope`, if present, limits the scopes the client may be granted.
/// - `client_name`, `client_uri`, `logo_uri` are kept to be shown, unverified.
///
/// Every other member is ignored; in particular logout URIs (the provider would call
/// them on the client's behalf) and keys (no key-based authentication for these clients).
///
/// # Errors
/// The description of the rule broken, for the error page.
pub(crate) fn client_from_document(
    body: &[u8],
    url: &str,
    now: DateTime<Utc>,
) -> Result<Client, &'static str> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| "the client metadata document is not valid JSON")?;
    let Value::Object(m) = value else {
        return Err("the client metadata document is not a JSON object");
    };
    if m.get("client_id").and_then(Value::as_str) != Some(url) {
        return Err("the client metadata document's client_id is not the URL it was fetched from");
    }
    if m.contains_key("client_secret") || m.contains_key("client_secret_expires_at") {
        return Err("a client metadata document must not contain a client secret");
    }
    match m.get("token_endpoint_auth_method") {
        None => {}
        Some(Value::String(method)) if method == "none" => {}
        Some(_) => {
            return Err("the client metadata document's token_endpoint_auth_method must be none: clients identified by a URL are public clients")
        }
    }
    let redirect_uris = redirect_uris(&m)?;
    let grant_types = grant_types(&m)?;
    if let Some(types) = m.get("response_types") {
        let Some(types) = types.as_array() else {
            return Err("the client metadata document's response_types is not a list");
        };
        if types.iter().any(|t| t.as_str() != Some("code")) {
            return Err("the client metadata document may ask only for response type code");
        }
    }
    let scopes = match m.get("scope") {
        None => ScopeSet::from_tokens(idp_core::Scope::SUPPORTED),
        Some(Value::String(s)) => {
            ScopeSet::parse(s).map_err(|_| "the client metadata document's scope is malformed")?
        }
        Some(_) => return Err("the client metadata document's scope is not a string"),
    };
    let name = match m.get("client_name") {
        None => url.to_owned(),
        Some(Value::String(n)) => {
            let n: String = n
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_NAME_CHARS)
                .collect();
            let n = n.trim();
            if n.is_empty() {
                url.to_owned()
            } else {
                n.to_owned()
            }
        }
        Some(_) => return Err("the client metadata document's client_name is not a string"),
    };
    Ok(Client {
        id: ClientId::new(url),
        name,
        client_type: ClientType::Public,
        secret_digest: None,
        redirect_uris,
        grant_types,
        scopes,
        default_scopes: ScopeSet::default(),
        first_party: false,
        refresh_without_offline_access: false,
        include_user_id: false,
        options: ClientOptions {
            metadata_document: Some(DocumentedClient {
                client_uri: web_uri(&m, "client_uri"),
                logo_uri: web_uri(&m, "logo_uri"),
            }),
            ..ClientOptions::default()
        },
        secret_sealed: None,
        created_at: now,
        updated_at: now,
        self_registered: None,
    })
}

fn redirect_uris(m: &Map<String, Value>) -> Result<Vec<RedirectUri>, &'static str> {
    let Some(Value::Array(uris)) = m.get("redirect_uris") else {
        return Err("the client metadata document has no redirect_uris list");
    };
    if uris.is_empty() || uris.len() > MAX_REDIRECT_URIS {
        return Err("the client metadata document must list between 1 and 20 redirect_uris");
    }
    uris.iter()
        .map(|u| {
            let u = u
                .as_str()
                .ok_or("the client metadata document's redirect_uris must be strings")?;
            check_redirect_uri("redirect_uris", u, ApplicationType::Native).map_err(|_| {
                "the client metadata document lists a redirect URI that is not allowed (https; http only on 127.0.0.1 or [::1]; reverse-domain private-use schemes)"
            })
        })
        .collect()
}

fn grant_types(m: &Map<String, Value>) -> Result<Vec<GrantType>, &'static str> {
    let Some(types) = m.get("grant_types") else {
        // RFC 7591 §2: the default is authorization_code.
        return Ok(vec![GrantType::AuthorizationCode]);
    };
    let Some(types) = types.as_array() else {
        return Err("the client metadata document's grant_types is not a list");
    };
    let mut grants = Vec::new();
    for t in types {
        let grant = match t.as_str() {
            Some("authorization_code") => GrantType::AuthorizationCode,
            Some("refresh_token") => GrantType::RefreshToken,
            _ => return Err("the client metadata document may ask only for the authorization_code and refresh_token grant types"),
        };
        if !grants.contains(&grant) {
            grants.push(grant);
        }
    }
    if !grants.contains(&GrantType::AuthorizationCode) {
        return Err("the client metadata document must allow the authorization_code grant type");
    }
    Ok(grants)
}

/// An `https` URL member, kept only if it is one (and not overlong); anything else is
/// dropped rather than shown.
fn web_uri(m: &Map<String, Value>, field: &str) -> Option<String> {
    let uri = m.get(field)?.as_str()?;
    let parsed = url::Url::parse(uri).ok()?;
    (uri.len() <= MAX_URI_LEN
        && parsed.scheme() == "https"
        && parsed.username().is_empty()
        && parsed.password().is_none())
    .then(|| uri.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const URL: &str = "https://app.example/client.json";

    fn parse(doc: &Value) -> Result<Client, &'static str> {
        let now = DateTime::from_timestamp(0, 0).unwrap();
        client_from_document(doc.to_string().as_bytes(), URL, now)
    }

    #[test]
    fn a_valid_document_is_a_public_client_with_its_redirect_uris() {
        let c = parse(&json!({
            "client_id": URL,
            "client_name": "Editor\u{7}  ",
            "client_uri": "https://app.example/",
            "logo_uri": "javascript:alert(1)",
            "redirect_uris": ["http://127.0.0.1/callback", "https://app.example/cb"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            "scope": "openid profile"
        }))
        .unwrap();
        assert_eq!(c.client_type, ClientType::Public);
        assert_eq!(c.name, "Editor");
        assert!(c.secret_digest.is_none() && !c.first_party);
        assert_eq!(c.redirect_uris.len(), 2);
        assert_eq!(c.scopes.to_string(), "openid profile");
        let doc = c.options.metadata_document.unwrap();
        assert_eq!(doc.client_uri.as_deref(), Some("https://app.example/"));
        assert_eq!(doc.logo_uri, None);
    }

    #[test]
    fn documents_breaking_the_rules_are_refused() {
        let base = || {
            json!({
                "client_id": URL,
                "redirect_uris": ["https://app.example/cb"],
            })
        };
        assert!(parse(&base()).is_ok());
        let with = |k: &str, v: Value| {
            let mut d = base();
            d[k] = v;
            parse(&d)
        };
        assert!(with("client_id", json!("https://app.example/other.json")).is_err());
        assert!(with("client_id", json!("https://app.example/client.json/")).is_err());
        assert!(with("client_secret", json!("s")).is_err());
        assert!(with("token_endpoint_auth_method", json!("client_secret_basic")).is_err());
        assert!(with("token_endpoint_auth_method", json!("private_key_jwt")).is_err());
        assert!(with("redirect_uris", json!([])).is_err());
        assert!(with("redirect_uris", json!(["javascript:alert(1)"])).is_err());
        assert!(with("redirect_uris", json!(["http://app.example/cb"])).is_err());
        assert!(with("grant_types", json!(["client_credentials"])).is_err());
        assert!(with("grant_types", json!(["refresh_token"])).is_err());
        assert!(with("response_types", json!(["token"])).is_err());
        assert!(with("scope", json!(5)).is_err());
        assert!(
            client_from_document(b"[1]", URL, DateTime::from_timestamp(0, 0).unwrap()).is_err()
        );
        assert!(client_from_document(b"{", URL, DateTime::from_timestamp(0, 0).unwrap()).is_err());
    }
}
