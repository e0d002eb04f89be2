//! Client metadata at the registration endpoint (RFC 7591 §2, OpenID Connect Dynamic
//! Client Registration 1.0 §2): parsing, the rules a self-registered client must meet on
//! top of those of every client (`manage::check_client`), and the response.

use idp_core::{ClientOptions, ClientType, CoreError, IdTokenAlg, RedirectUri, SecretMethod};
use serde_json::{Map, Value};

use crate::{is_internal_ip, ErrorCode, ProtocolError};

/// The most redirect URIs (and post-logout redirect URIs) one client may register.
const MAX_URIS: usize = 20;
/// The longest URI accepted.
const MAX_URI_LEN: usize = 2000;

/// `application_type` (OIDC Registration §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ApplicationType {
    /// A web application: https redirect URIs, or http on the loopback interface.
    Web,
    /// A native application: loopback http, private-use schemes, or claimed https.
    Native,
}

impl ApplicationType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ApplicationType::Web => "web",
            ApplicationType::Native => "native",
        }
    }
}

/// Client metadata as registered, after every check that needs no storage.
#[derive(Clone, Debug)]
pub(crate) struct Metadata {
    pub application_type: ApplicationType,
    /// `client_secret_basic`, `client_secret_post` or `none`.
    pub token_endpoint_auth_method: &'static str,
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
    /// `authorization_code`, optionally `refresh_token`.
    pub grant_types: Vec<String>,
    /// Empty: the standard scopes.
    pub scopes: Vec<String>,
    pub id_token_alg: IdTokenAlg,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub frontchannel_logout_uri: Option<String>,
    pub frontchannel_logout_session_required: bool,
    /// `client_id` and `client_secret` as sent (only an update may send them, RFC 7592
    /// §2.2).
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

impl Metadata {
    /// Public (`none`) or confidential.
    pub(crate) fn client_type(&self) -> ClientType {
        if self.token_endpoint_auth_method == "none" {
            ClientType::Public
        } else {
            ClientType::Confidential
        }
    }

    /// The client options the metadata sets (the rest at their defaults).
    pub(crate) fn options(&self) -> ClientOptions {
        ClientOptions {
            id_token_alg: self.id_token_alg,
            post_logout_redirect_uris: self.post_logout_redirect_uris.clone(),
            backchannel_logout_uri: self.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: self.backchannel_logout_session_required,
            frontchannel_logout_uri: self.frontchannel_logout_uri.clone(),
            frontchannel_logout_session_required: self.frontchannel_logout_session_required,
            // RFC 7591 §2: the registered method is the one the token endpoint accepts.
            token_endpoint_auth_method: match self.token_endpoint_auth_method {
                "client_secret_basic" => Some(SecretMethod::Basic),
                "client_secret_post" => Some(SecretMethod::Post),
                _ => None,
            },
            ..ClientOptions::default()
        }
    }
}

pub(crate) fn metadata_error(description: impl Into<String>) -> ProtocolError {
    ProtocolError::InvalidMetadata {
        code: ErrorCode::InvalidClientMetadata,
        description: description.into(),
    }
}

fn redirect_error(description: impl Into<String>) -> ProtocolError {
    ProtocolError::InvalidMetadata {
        code: ErrorCode::InvalidRedirectUri,
        description: description.into(),
    }
}

/// A refusal of the shared client rules, in the registration endpoint's terms: the
/// domain's message (it names the field and the rule), as `invalid_redirect_uri` for
/// redirect URIs and `invalid_client_metadata` for the rest. Storage failures stay
/// internal.
pub(crate) fn as_metadata_error(e: ProtocolError) -> ProtocolError {
    match e {
        ProtocolError::Refused(CoreError::Invalid { what, reason }) => {
            let description = format!("{what}: {reason}");
            if what == "redirect URI" {
                redirect_error(description)
            } else {
                metadata_error(description)
            }
        }
        ProtocolError::Refused(other @ (CoreError::NotFound(_) | CoreError::Conflict(_))) => {
            metadata_error(other.to_string())
        }
        other => other,
    }
}

fn string(m: &Map<String, Value>, field: &str) -> Result<Option<String>, ProtocolError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(metadata_error(format!("{field} must be a string"))),
    }
}

fn boolean(m: &Map<String, Value>, field: &str) -> Result<bool, ProtocolError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(metadata_error(format!("{field} must be true or false"))),
    }
}

fn strings(m: &Map<String, Value>, field: &str) -> Result<Option<Vec<String>>, ProtocolError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err(metadata_error(format!(
                    "{field} must be an array of strings"
                ))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(metadata_error(format!(
            "{field} must be an array of strings"
        ))),
    }
}

/// Schemes that are never a redirection endpoint (they run code, read files or carry
/// content instead of reaching a client).
const FORBIDDEN_SCHEMES: [&str; 9] = [
    "javascript",
    "data",
    "file",
    "vbscript",
    "about",
    "blob",
    "filesystem",
    "view-source",
    "ws",
];

/// `127.0.0.1`, `[::1]` or the name `localhost`. A `localhost` redirect URI is matched
/// exactly, port included (RFC 8252 §8.3 advises against the name: it may resolve
/// elsewhere); the IP literals at any port (§7.3, `Client::matching_redirect_uri`).
fn is_loopback_host(host: Option<&url::Host<&str>>) -> bool {
    match host {
        Some(url::Host::Ipv4(ip)) => *ip == std::net::Ipv4Addr::LOCALHOST,
        Some(url::Host::Ipv6(ip)) => *ip == std::net::Ipv6Addr::LOCALHOST,
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        _ => false,
    }
}

fn is_local(host: Option<&url::Host<&str>>) -> bool {
    match host {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
        None => false,
    }
}

/// The rules for a URI the provider itself calls or frames for a self-registered client
/// (`backchannel_logout_uri`, `frontchannel_logout_uri`): `https` (OIDC Back-Channel
/// Logout 1.0 §2.2 and Front-Channel Logout 1.0 §2 say it SHOULD be), no fragment, and
/// never a local name or an internal address literal: anyone may register, so the
/// provider's back-channel POSTs must not reach its own network (server-side request
/// forgery). Clients the operator creates may use any http(s) URI.
fn check_logout_uri(field: &str, uri: &str) -> Result<(), ProtocolError> {
    let url = url::Url::parse(uri)
        .map_err(|_| metadata_error(format!("{field}: {uri:?} is not an absolute URL")))?;
    if url.scheme() != "https" {
        return Err(metadata_error(format!("{field}: {uri:?} must use https")));
    }
    if uri.contains('#') {
        return Err(metadata_error(format!(
            "{field}: {uri:?} must not contain a fragment"
        )));
    }
    let internal = match url.host() {
        Some(url::Host::Ipv4(ip)) => is_internal_ip(ip.into()),
        Some(url::Host::Ipv6(ip)) => is_internal_ip(ip.into()),
        host => is_local(host.as_ref()),
    };
    if internal {
        return Err(metadata_error(format!(
            "{field}: {uri:?} names a local or internal address"
        )));
    }
    Ok(())
}

/// The rules for a redirect URI registered by a client itself.
///
/// - absolute, no fragment, no user information (RFC 6749 §3.1.2, RFC 7591 §2);
/// - never `javascript:`, `data:`, `file:` and the like;
/// - `https`, for every client;
/// - `http` only on the loopback interface, `127.0.0.1`, `[::1]` or `localhost` (RFC 8252
///   §7.3, §8.3; OIDC Registration §2 keeps web clients off them only for the implicit
///   grant, which self-registered clients cannot use);
/// - `native` clients also: a private-use scheme in reverse-domain form, containing a
///   dot (RFC 8252 §7.1).
pub(crate) fn check_redirect_uri(
    field: &str,
    uri: &str,
    app: ApplicationType,
) -> Result<RedirectUri, ProtocolError> {
    if uri.len() > MAX_URI_LEN {
        return Err(redirect_error(format!(
            "{field}: a URI is longer than {MAX_URI_LEN} bytes"
        )));
    }
    let scheme = uri
        .split_once(':')
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default();
    if FORBIDDEN_SCHEMES.contains(&scheme.as_str()) {
        return Err(redirect_error(format!(
            "{field}: {uri:?}: the {scheme}: scheme is never a redirection endpoint"
        )));
    }
    let parsed = RedirectUri::parse(uri).map_err(|e| redirect_error(format!("{field}: {}", e)))?;
    let url = url::Url::parse(uri).map_err(|e| redirect_error(format!("{field}: {uri:?}: {e}")))?;
    // OIDC Registration §2 forbids http and localhost only to web clients of the implicit
    // grant, which self-registered clients cannot use; RFC 8252 §7.3 gives native apps
    // http on the loopback interface. Clients that leave application_type out (the
    // default, web) but listen on a loopback port — MCP SDKs do — are served too.
    match (url.scheme(), app) {
        ("https", _) => Ok(parsed),
        ("http", _) if is_loopback_host(url.host().as_ref()) => Ok(parsed),
        ("http", _) => Err(redirect_error(format!(
            "{field}: {uri:?}: http is allowed only on the loopback interface: 127.0.0.1, [::1] or localhost (RFC 8252 §7.3, §8.3)"
        ))),
        (_, ApplicationType::Web) => Err(redirect_error(format!(
            "{field}: {uri:?}: private-use URI schemes are only for application_type native"
        ))),
        (scheme, ApplicationType::Native) if scheme.contains('.') => Ok(parsed),
        (_, ApplicationType::Native) => Err(redirect_error(format!(
            "{field}: {uri:?}: a private-use scheme must be a reverse domain name such as com.example.app (RFC 8252 §7.1)"
        ))),
    }
}

/// Parses and checks a registration request body (RFC 7591 §3.1). Unknown members are
/// ignored (§2); software statements are refused (not supported).
pub(crate) fn parse(body: &[u8]) -> Result<Metadata, ProtocolError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| metadata_error("the body must be a JSON object of client metadata"))?;
    let Value::Object(m) = value else {
        return Err(metadata_error(
            "the body must be a JSON object of client metadata",
        ));
    };
    if m.contains_key("software_statement") {
        return Err(ProtocolError::InvalidMetadata {
            code: ErrorCode::InvalidSoftwareStatement,
            description:
                "software statements are not supported by this provider; register without one"
                    .into(),
        });
    }
    let application_type = match string(&m, "application_type")?.as_deref() {
        None | Some("web") => ApplicationType::Web,
        Some("native") => ApplicationType::Native,
        Some(other) => {
            return Err(metadata_error(format!(
                "application_type {other:?} (expected web or native)"
            )))
        }
    };
    let token_endpoint_auth_method = match string(&m, "token_endpoint_auth_method")?.as_deref() {
        None | Some("client_secret_basic") => "client_secret_basic",
        Some("client_secret_post") => "client_secret_post",
        Some("none") => "none",
        Some(other) => {
            return Err(metadata_error(format!(
                "token_endpoint_auth_method {other:?} is not supported (client_secret_basic, client_secret_post or none)"
            )))
        }
    };
    // OIDC Registration §2: response_types and grant_types must agree. Only the code
    // flow is offered to self-registered clients (the implicit and hybrid flows are an
    // operator's decision per client), so `code` ⇔ `authorization_code`, plus
    // `refresh_token` if asked for.
    let response_types = strings(&m, "response_types")?.unwrap_or_else(|| vec!["code".into()]);
    if let Some(other) = response_types.iter().find(|t| t.as_str() != "code") {
        return Err(metadata_error(format!(
            "response_types {other:?} is not available to self-registered clients (only code)"
        )));
    }
    let mut grant_types =
        strings(&m, "grant_types")?.unwrap_or_else(|| vec!["authorization_code".into()]);
    grant_types.dedup();
    if let Some(other) = grant_types
        .iter()
        .find(|g| !matches!(g.as_str(), "authorization_code" | "refresh_token"))
    {
        return Err(metadata_error(format!(
            "grant_types {other:?} is not available to self-registered clients (authorization_code, refresh_token)"
        )));
    }
    let code = response_types.iter().any(|t| t == "code");
    let authorization_code = grant_types.iter().any(|g| g == "authorization_code");
    if code != authorization_code {
        return Err(metadata_error(
            "response_types code and grant_types authorization_code go together (OIDC Registration §2)",
        ));
    }
    let redirect_uris = strings(&m, "redirect_uris")?.unwrap_or_default();
    if redirect_uris.is_empty() {
        return Err(redirect_error("redirect_uris: at least one is required"));
    }
    if redirect_uris.len() > MAX_URIS {
        return Err(redirect_error(format!("redirect_uris: at most {MAX_URIS}")));
    }
    for uri in &redirect_uris {
        check_redirect_uri("redirect_uris", uri, application_type)?;
    }
    let post_logout = strings(&m, "post_logout_redirect_uris")?.unwrap_or_default();
    if post_logout.len() > MAX_URIS {
        return Err(redirect_error(format!(
            "post_logout_redirect_uris: at most {MAX_URIS}"
        )));
    }
    let post_logout_redirect_uris = post_logout
        .iter()
        .map(|u| check_redirect_uri("post_logout_redirect_uris", u, application_type))
        .collect::<Result<Vec<_>, _>>()?;
    let scopes = match string(&m, "scope")? {
        None => Vec::new(),
        Some(s) => s
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    let id_token_alg = match string(&m, "id_token_signed_response_alg")? {
        None => IdTokenAlg::default(),
        Some(a) => a.parse::<IdTokenAlg>().map_err(|_| {
            metadata_error(format!(
                "id_token_signed_response_alg {a:?} is not supported (RS256, ES256, EdDSA, or HS256 for confidential clients)"
            ))
        })?,
    };
    let bounded = |field: &str| -> Result<Option<String>, ProtocolError> {
        let v = string(&m, field)?;
        if v.as_ref().is_some_and(|v| v.len() > MAX_URI_LEN) {
            return Err(metadata_error(format!(
                "{field} is longer than {MAX_URI_LEN} bytes"
            )));
        }
        Ok(v)
    };
    let logout_uri = |field: &str| -> Result<Option<String>, ProtocolError> {
        let v = bounded(field)?;
        if let Some(uri) = &v {
            check_logout_uri(field, uri)?;
        }
        Ok(v)
    };
    Ok(Metadata {
        application_type,
        token_endpoint_auth_method,
        client_name: string(&m, "client_name")?,
        redirect_uris,
        grant_types,
        scopes,
        id_token_alg,
        post_logout_redirect_uris,
        backchannel_logout_uri: logout_uri("backchannel_logout_uri")?,
        backchannel_logout_session_required: boolean(&m, "backchannel_logout_session_required")?,
        frontchannel_logout_uri: logout_uri("frontchannel_logout_uri")?,
        frontchannel_logout_session_required: boolean(&m, "frontchannel_logout_session_required")?,
        client_id: string(&m, "client_id")?,
        client_secret: string(&m, "client_secret")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &str, expected: Result<(), ErrorCode>) {
        let got = parse(body.as_bytes()).map(|_| ()).map_err(|e| e.code());
        assert_eq!(got, expected, "{body}");
    }

    #[test]
    fn registration_metadata_rules() {
        use ErrorCode::{InvalidClientMetadata as Meta, InvalidRedirectUri as Uri};
        check(r#"{"redirect_uris":["https://rp.example/cb"]}"#, Ok(()));
        check(
            r#"{"redirect_uris":["https://rp.example/cb"],"x_unknown":[1]}"#,
            Ok(()),
        );
        check(r#"{"redirect_uris":["data:text/html,hi"]}"#, Err(Uri));
        check(r#"{"redirect_uris":["javascript:alert(1)"]}"#, Err(Uri));
        check(r#"{"redirect_uris":["file:///etc/passwd"]}"#, Err(Uri));
        check(r#"{"redirect_uris":["https://rp.example/cb#f"]}"#, Err(Uri));
        check(
            r#"{"redirect_uris":["https://u:p@rp.example/cb"]}"#,
            Err(Uri),
        );
        check(r#"{"redirect_uris":["/cb"]}"#, Err(Uri));
        check(r#"{"redirect_uris":["http://rp.example/cb"]}"#, Err(Uri));
        // Loopback http for clients that leave application_type out (MCP SDKs).
        check(r#"{"redirect_uris":["http://127.0.0.1/cb"]}"#, Ok(()));
        check(
            r#"{"redirect_uris":["http://localhost:8090/callback"]}"#,
            Ok(()),
        );
        check(
            r#"{"redirect_uris":["http://localhost.example/cb"]}"#,
            Err(Uri),
        );
        check(r#"{"redirect_uris":["https://localhost/cb"]}"#, Ok(()));
        check(r#"{"redirect_uris":["com.example.app:/cb"]}"#, Err(Uri));
        let native = |uri: &str| {
            format!(
                r#"{{"application_type":"native","token_endpoint_auth_method":"none","redirect_uris":["{uri}"]}}"#
            )
        };
        check(&native("http://127.0.0.1/cb"), Ok(()));
        check(&native("http://[::1]:8080/cb"), Ok(()));
        check(&native("com.example.app:/cb"), Ok(()));
        check(&native("https://app.example/cb"), Ok(()));
        check(&native("http://localhost:8080/cb"), Ok(()));
        check(&native("http://127.0.0.2/cb"), Err(Uri));
        check(&native("http://rp.example/cb"), Err(Uri));
        check(&native("myapp:/cb"), Err(Uri));
        check(&native("urn:ietf:wg:oauth:2.0:oob"), Err(Uri));
        check(r#"{"redirect_uris":[]}"#, Err(Uri));
        check(r#"{}"#, Err(Uri));
        check(r#"{"redirect_uris":"https://rp.example/cb"}"#, Err(Meta));
        check(
            r#"{"redirect_uris":["https://rp.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}"#,
            Err(Meta),
        );
        check(
            r#"{"redirect_uris":["https://rp.example/cb"],"grant_types":["client_credentials"]}"#,
            Err(Meta),
        );
        check(
            r#"{"redirect_uris":["https://rp.example/cb"],"grant_types":["refresh_token"]}"#,
            Err(Meta),
        );
        check(
            r#"{"redirect_uris":["https://rp.example/cb"],"response_types":["id_token"]}"#,
            Err(Meta),
        );
        check(
            r#"{"redirect_uris":["https://rp.example/cb"],"grant_types":["authorization_code","refresh_token"],"response_types":["code"]}"#,
            Ok(()),
        );
        check(
            r#"{"redirect_uris":["https://rp.example/cb"],"application_type":"desktop"}"#,
            Err(Meta),
        );
        check(
            r#"{"redirect_uris":["https://rp.example/cb"],"id_token_signed_response_alg":"none"}"#,
            Err(Meta),
        );
        check(
            r#"{"redirect_uris":["https://rp.example/cb"],"software_statement":"eyJ.x.y"}"#,
            Err(ErrorCode::InvalidSoftwareStatement),
        );
        let logout = |uri: &str| {
            format!(
                r#"{{"redirect_uris":["https://rp.example/cb"],"backchannel_logout_uri":"{uri}","frontchannel_logout_uri":"https://rp.example/fc"}}"#
            )
        };
        check(&logout("https://rp.example/bc"), Ok(()));
        check(&logout("https://203.0.113.9/bc"), Ok(()));
        check(&logout("http://rp.example/bc"), Err(Meta));
        check(&logout("https://rp.example/bc#x"), Err(Meta));
        check(&logout("https://localhost/bc"), Err(Meta));
        check(&logout("https://127.0.0.1/bc"), Err(Meta));
        check(&logout("https://10.1.2.3/bc"), Err(Meta));
        check(&logout("https://192.168.0.1/bc"), Err(Meta));
        check(&logout("https://169.254.169.254/latest"), Err(Meta));
        check(&logout("https://100.64.0.1/bc"), Err(Meta));
        check(&logout("https://[::1]/bc"), Err(Meta));
        check(&logout("https://[fd00::1]/bc"), Err(Meta));
        check(&logout("https://[fe80::1]/bc"), Err(Meta));
        check(&logout("https://[::ffff:10.0.0.1]/bc"), Err(Meta));
        check(
            r#"{"redirect_uris":["https://rp.example/cb"],"frontchannel_logout_uri":"javascript:alert(1)"}"#,
            Err(Meta),
        );
        check("not json", Err(Meta));
        check("[1,2]", Err(Meta));
    }
}
