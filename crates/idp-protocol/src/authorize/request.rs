//! Validating an authorization request (RFC 6749 §4.1.1, §4.2.1; OIDC Core §3.1.2.1-2,
//! §3.2.2.1, §3.3.2.1).

use idp_core::{
    AuthorizationRequest, Client, ClientId, ClientType, GrantType, Prompt, RedirectUri,
    ResponseMode, ResponseType, Scope, ScopeSet,
};
use oxide_auth::primitives::registrar::{ExactUrl, RegisteredUrl};

use super::pkce::{encode_challenge, PkceProblem};
use super::response::redirect_error;
use crate::{ErrorCode, Params, ProtocolError, Provider};

/// The redirect URI to use if `requested` equals one of the client's registered redirect
/// URIs, compared as exact strings (RFC 9700 §4.1.3; oxide-auth's `ExactUrl` matching) —
/// or, for an `http` loopback IP literal, equal but for the port (RFC 8252 §7.3,
/// [`Client::matching_redirect_uri`]). The URI returned is the one requested: the code
/// remembers it and the token request must repeat it.
fn matching_redirect_uri(client: &Client, requested: &str) -> Option<RedirectUri> {
    let exact = ExactUrl::new(requested.to_owned()).ok()?;
    let registered_exactly = client.redirect_uris.iter().any(|registered| {
        ExactUrl::new(registered.as_str().to_owned())
            .map(RegisteredUrl::from)
            .is_ok_and(|r| r == exact)
    });
    if registered_exactly {
        return Some(RedirectUri::from_trusted(requested));
    }
    client.matching_redirect_uri(requested)
}

/// Longest accepted values of the parameters that are stored with a parked request or a
/// code, so that a request cannot make the database grow without bound.
const MAX_STATE: usize = 1024;
const MAX_NONCE: usize = 512;
const MAX_LOGIN_HINT: usize = 256;
const MAX_SCOPE: usize = 2048;

/// The value of a parameter if it is at most `max` bytes long; `Err` with the description
/// of the refusal if it is longer.
fn bounded<'p>(
    params: &'p Params,
    name: &str,
    max: usize,
    description: &'static str,
) -> Result<Option<&'p str>, &'static str> {
    match params.get(name) {
        Some(v) if v.len() > max => Err(description),
        v => Ok(v),
    }
}

/// The scope a request asks for: the `scope` parameter, or the client's default scope when
/// there is none (RFC 6749 §3.3). Never `openid` or `offline_access` unless one of those
/// named it.
pub(crate) fn requested_scope(params: &Params, client: &Client) -> Result<ScopeSet, &'static str> {
    match params.get("scope") {
        Some(raw) if raw.len() > MAX_SCOPE => Err("the scope is too long"),
        Some(raw) => ScopeSet::parse(raw).map_err(|_| "the scope is malformed"),
        None => Ok(client.default_scopes.clone()),
    }
}

/// The mode errors are delivered in once the redirect URI is trusted, before
/// `response_type` and `response_mode` are checked: the requested mode if it is one we
/// know — except the query for a type that returns tokens, whose responses never go in a
/// query (Multiple Response Types §2.1) —, else the default of a supported type, else the
/// query (RFC 6749 §4.1.2.1).
fn error_mode(response_type: Option<&str>, response_mode: Option<&str>) -> ResponseMode {
    let typed = response_type
        .and_then(ResponseType::parse)
        .filter(|t| t.is_supported());
    match (response_mode.and_then(ResponseMode::parse), typed) {
        (Some(ResponseMode::Query) | None, Some(t)) => t.default_mode(),
        (Some(mode), _) => mode,
        (None, None) => ResponseMode::Query,
    }
}

/// The response mode of a request for `response_type`: the requested one, or the type's
/// default (Multiple Response Types §2.1, §5). `form_post` goes with every type (Form Post
/// Response Mode §2); the query only with `code` (Multiple Response Types §2.1: "In no
/// case should a set of Authorization Response parameters whose default Response Mode is
/// the fragment encoding be encoded using the query encoding").
fn response_mode(
    response_type: ResponseType,
    requested: Option<&str>,
) -> Result<ResponseMode, &'static str> {
    let Some(requested) = requested else {
        return Ok(response_type.default_mode());
    };
    match ResponseMode::parse(requested) {
        None => Err("response_mode must be query, fragment or form_post"),
        Some(ResponseMode::Query) if !response_type.is_code_only() => {
            Err("response_mode=query cannot carry tokens: use fragment or form_post")
        }
        Some(mode) => Ok(mode),
    }
}

fn parse_prompt(value: Option<&str>) -> Result<Prompt, &'static str> {
    let mut prompt = Prompt::default();
    let Some(value) = value else {
        return Ok(prompt);
    };
    for token in value.split(' ').filter(|t| !t.is_empty()) {
        match token {
            "none" => prompt.none = true,
            "login" | "select_account" => prompt.login = true,
            "consent" => prompt.consent = true,
            _ => return Err("prompt has an unsupported value"),
        }
    }
    // OIDC Core §3.1.2.1: none with any other value is an error.
    if prompt.none && (prompt.login || prompt.consent) {
        return Err("prompt=none cannot be combined with other values");
    }
    Ok(prompt)
}

impl Provider {
    /// The scopes of `scope` the provider knows: its own, and those the operator defined
    /// (a definition removed since the client was registered is no longer granted).
    pub(crate) fn known_scopes(&self, scope: &ScopeSet) -> Result<ScopeSet, ProtocolError> {
        if scope.iter().all(Scope::is_standard) {
            return Ok(scope.clone());
        }
        let defined = self.store.scope_definitions()?;
        Ok(ScopeSet::from_tokens(scope.iter().filter(|s| {
            Scope::is_standard(s) || defined.iter().any(|d| d.name == *s)
        })))
    }

    /// The scope a request for `client` is granted (RFC 6749 §3.3), from what
    /// [`requested_scope`] read: no scope means the client's default scope, set by the
    /// operator (none set: refused); scopes the client may not have, or that are no
    /// longer defined, are dropped, and nothing left is an error. `refuse` makes the
    /// `invalid_scope` error in the request's delivery.
    ///
    /// # Errors
    /// What `refuse` makes; storage failures.
    pub(crate) fn granted_scope(
        &self,
        requested: Result<ScopeSet, &'static str>,
        client: &Client,
        refuse: impl Fn(&'static str) -> ProtocolError,
    ) -> Result<ScopeSet, ProtocolError> {
        let requested = requested.map_err(&refuse)?;
        if requested.is_empty() {
            return Err(refuse(
                "the request names no scope and the client has no default scope",
            ));
        }
        let scope = self.known_scopes(&requested.intersection(&client.scopes))?;
        if scope.is_empty() {
            return Err(refuse(
                "none of the requested scopes is allowed for this client",
            ));
        }
        Ok(scope)
    }

    /// Checks an authorization request. Problems with the client or redirect URI are
    /// shown on an error page and never redirected (RFC 6749 §4.1.2.1); all others are
    /// redirected to the client.
    ///
    /// A `client_id` that is a URL may be fetched as a Client ID Metadata Document for a
    /// request from `client_address` (counted per address).
    pub(crate) fn validate_authorization_request(
        &self,
        params: &Params,
        client_address: Option<std::net::IpAddr>,
    ) -> Result<(AuthorizationRequest, Client), ProtocolError> {
        let page = ProtocolError::page;
        if params.is_duplicated("client_id") || params.is_duplicated("redirect_uri") {
            return Err(page(
                ErrorCode::InvalidRequest,
                "client_id and redirect_uri must be sent once",
            ));
        }
        let client_id = params
            .get("client_id")
            .ok_or_else(|| page(ErrorCode::InvalidRequest, "the request has no client_id"))?;
        let client = self
            .resolve_client(
                &ClientId::new(client_id),
                crate::client_document::DocumentFetch::New(client_address),
            )?
            .map_err(|description| page(ErrorCode::InvalidRequest, description))?;
        // Whether this is an OpenID Connect request follows from the effective scope
        // (a malformed scope is reported once the redirect URI is known).
        let requested = requested_scope(params, &client);
        let openid_requested = requested
            .as_ref()
            .is_ok_and(|s| s.contains(idp_core::Scope::OPENID));
        let (redirect_uri, redirect_uri_given) = match params.get("redirect_uri") {
            Some(uri) => {
                let registered = matching_redirect_uri(&client, uri).ok_or_else(|| {
                    page(
                        ErrorCode::InvalidRequest,
                        "the redirect_uri is not registered for this client",
                    )
                })?;
                (registered, true)
            }
            // OIDC Core §3.1.2.1: redirect_uri is required in OpenID Connect requests.
            None if openid_requested => {
                return Err(page(
                    ErrorCode::InvalidRequest,
                    "redirect_uri is required in OpenID Connect requests",
                ))
            }
            // RFC 6749 §3.1.2.3: it may be omitted when exactly one is registered.
            None => match client.redirect_uris.as_slice() {
                [only] => (only.clone(), false),
                _ => {
                    return Err(page(
                        ErrorCode::InvalidRequest,
                        "redirect_uri is required: the client has several",
                    ))
                }
            },
        };

        // From here on errors go back to the client, in the response mode of the request
        // as far as it is valid. An over-long state is not echoed.
        let state = params.get("state").filter(|s| s.len() <= MAX_STATE);
        let issuer = self.config.issuer.as_str();
        let mode = error_mode(params.get("response_type"), params.get("response_mode"));
        let fail = |code, description| {
            redirect_error(&redirect_uri, mode, state, issuer, code, description)
        };

        if params.has_duplicates() {
            return Err(fail(
                ErrorCode::InvalidRequest,
                "a parameter was sent more than once",
            ));
        }
        if params.get("request").is_some() {
            return Err(fail(
                ErrorCode::RequestNotSupported,
                "request objects are not supported",
            ));
        }
        if params.get("request_uri").is_some() {
            return Err(fail(
                ErrorCode::RequestUriNotSupported,
                "request_uri is not supported",
            ));
        }
        if params.get("registration").is_some() {
            return Err(fail(
                ErrorCode::RegistrationNotSupported,
                "the registration parameter is not supported",
            ));
        }
        // RFC 6749 §3.1.1, Multiple Response Types §5: a space-separated set, in any order.
        // Only the OpenID Connect types are supported (`token` alone, OAuth's implicit
        // grant without an ID token, is not).
        let response_type = match params.get("response_type") {
            None => return Err(fail(ErrorCode::InvalidRequest, "response_type is missing")),
            Some(value) => ResponseType::parse(value)
                .filter(|t| t.is_supported())
                .ok_or_else(|| {
                    fail(
                        ErrorCode::UnsupportedResponseType,
                        "the response_type is not supported (supported: code, id_token, id_token token, code id_token, code token, code id_token token)",
                    )
                })?,
        };
        let response_mode = response_mode(response_type, params.get("response_mode"))
            .map_err(|description| fail(ErrorCode::InvalidRequest, description))?;
        // RFC 9700 §2.1.2 advises against the implicit grant and OAuth 2.1 drops it:
        // tokens from the authorization endpoint (OIDC Core §3.2, §3.3) only for clients
        // registered for them.
        if !response_type.is_code_only() && !client.options.implicit {
            return Err(fail(
                ErrorCode::UnauthorizedClient,
                "the client may not use the implicit or hybrid flow",
            ));
        }
        if response_type.code && !client.allows_grant(GrantType::AuthorizationCode) {
            return Err(fail(
                ErrorCode::UnauthorizedClient,
                "the client may not use the authorization code grant",
            ));
        }

        let scope = self.granted_scope(requested, &client, |description| {
            fail(ErrorCode::InvalidScope, description)
        })?;
        // OIDC Core §3.2.2.1, §3.3.2.1: an ID token is issued only to OpenID Connect
        // requests.
        if response_type.id_token && !scope.contains(Scope::OPENID) {
            return Err(fail(
                ErrorCode::InvalidRequest,
                "a response_type with id_token needs the openid scope",
            ));
        }
        let too_long = |description| fail(ErrorCode::InvalidRequest, description);
        bounded(params, "state", MAX_STATE, "state is too long").map_err(too_long)?;
        let nonce = bounded(params, "nonce", MAX_NONCE, "nonce is too long").map_err(too_long)?;
        // OIDC Core §3.2.2.1, §3.3.2.11: an ID token from the authorization endpoint must
        // carry the client's nonce (it binds the token to the browser session, §15.5.2).
        if response_type.id_token && nonce.is_none() {
            return Err(fail(
                ErrorCode::InvalidRequest,
                "nonce is required when the authorization endpoint returns an ID token",
            ));
        }
        // ownCloud clients send `user` for the same purpose as `login_hint`.
        let login_hint = match bounded(
            params,
            "login_hint",
            MAX_LOGIN_HINT,
            "login_hint is too long",
        )
        .map_err(too_long)?
        {
            Some(hint) => Some(hint),
            None => {
                bounded(params, "user", MAX_LOGIN_HINT, "user is too long").map_err(too_long)?
            }
        };

        // PKCE (RFC 7636) protects a code: required of public clients whenever one is
        // issued, hybrid flows included; without a code its parameters are ignored.
        let code_challenge = if response_type.code {
            encode_challenge(
                client.client_type == ClientType::Public,
                params.get("code_challenge"),
                params.get("code_challenge_method"),
            )
            .map_err(|problem| {
                fail(
                    ErrorCode::InvalidRequest,
                    match problem {
                        PkceProblem::Missing => "PKCE is required: send code_challenge with S256",
                        PkceProblem::Method => "code_challenge_method must be S256",
                        PkceProblem::Malformed => "code_challenge is malformed",
                    },
                )
            })?
        } else {
            None
        };

        let prompt = parse_prompt(params.get("prompt"))
            .map_err(|description| fail(ErrorCode::InvalidRequest, description))?;
        let max_age = match params.get("max_age") {
            None => None,
            Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                fail(
                    ErrorCode::InvalidRequest,
                    "max_age must be a number of seconds",
                )
            })?),
        };

        // OIDC Core §3.1.2.1: an id_token_hint names the user the client expects; it
        // must be an ID token of ours (its expiry does not matter).
        let hinted_subject = match params.get("id_token_hint") {
            None => None,
            Some(hint) => Some(
                self.verify_id_token(hint)?
                    .ok_or_else(|| {
                        fail(
                            ErrorCode::InvalidRequest,
                            "the id_token_hint is not an ID token issued by this provider",
                        )
                    })?
                    .subject,
            ),
        };

        // RFC 8707 §2: the resources the tokens are for, each one the client may use.
        let resources = self.permitted_resources(&client, params, |description| {
            fail(ErrorCode::InvalidTarget, description)
        })?;

        let request = AuthorizationRequest {
            client_id: client.id.clone(),
            redirect_uri,
            redirect_uri_given,
            response_type,
            response_mode,
            scope,
            state: state.map(str::to_owned),
            nonce: nonce.map(str::to_owned),
            code_challenge,
            prompt,
            max_age,
            login_hint: login_hint.map(str::to_owned),
            hinted_subject,
            resources,
        };
        Ok((request, client))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_is_only_for_code() {
        let code = ResponseType::CODE;
        let hybrid = ResponseType::CODE_ID_TOKEN;
        assert_eq!(response_mode(code, None), Ok(ResponseMode::Query));
        assert_eq!(response_mode(hybrid, None), Ok(ResponseMode::Fragment));
        assert_eq!(
            response_mode(ResponseType::ID_TOKEN, None),
            Ok(ResponseMode::Fragment)
        );
        for t in ResponseType::SUPPORTED {
            assert_eq!(
                response_mode(t, Some("form_post")),
                Ok(ResponseMode::FormPost)
            );
            assert_eq!(
                response_mode(t, Some("fragment")),
                Ok(ResponseMode::Fragment)
            );
            assert_eq!(
                response_mode(t, Some("query")).is_ok(),
                t == ResponseType::CODE,
                "{t}"
            );
            assert!(response_mode(t, Some("web_message")).is_err());
        }
    }

    #[test]
    fn early_errors_go_in_the_requested_mode_but_never_in_the_query_of_a_token_type() {
        assert_eq!(error_mode(None, None), ResponseMode::Query);
        assert_eq!(error_mode(Some("code"), None), ResponseMode::Query);
        assert_eq!(error_mode(Some("token"), None), ResponseMode::Query);
        assert_eq!(
            error_mode(Some("bogus"), Some("form_post")),
            ResponseMode::FormPost
        );
        assert_eq!(
            error_mode(Some("id_token code"), None),
            ResponseMode::Fragment
        );
        assert_eq!(
            error_mode(Some("id_token"), Some("query")),
            ResponseMode::Fragment
        );
        assert_eq!(
            error_mode(Some("id_token"), Some("form_post")),
            ResponseMode::FormPost
        );
        assert_eq!(error_mode(Some("code"), Some("bogus")), ResponseMode::Query);
        assert_eq!(
            error_mode(Some("code token"), Some("bogus")),
            ResponseMode::Fragment
        );
    }

    #[test]
    fn prompt_values_follow_oidc_core() {
        assert_eq!(parse_prompt(None), Ok(Prompt::default()));
        assert!(parse_prompt(Some("none")).unwrap().none);
        let p = parse_prompt(Some("login consent")).unwrap();
        assert!(p.login && p.consent && !p.none);
        assert!(parse_prompt(Some("none login")).is_err());
        assert!(parse_prompt(Some("bogus")).is_err());
    }
}
