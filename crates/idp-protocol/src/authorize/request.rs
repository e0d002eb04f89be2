//! Validating an authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1-2).

use idp_core::{
    AuthorizationRequest, Client, ClientId, ClientType, GrantType, Prompt, RedirectUri, ScopeSet,
};
use oxide_auth::primitives::registrar::{ExactUrl, RegisteredUrl};

use super::pkce::{encode_challenge, PkceProblem};
use super::redirect_error;
use crate::{ErrorCode, Params, ProtocolError, Provider};

/// Whether `requested` equals one of the client's registered redirect URIs, compared as
/// exact strings (RFC 9700 §4.1.3; oxide-auth's `ExactUrl` matching).
fn matching_redirect_uri<'c>(client: &'c Client, requested: &str) -> Option<&'c RedirectUri> {
    let requested = ExactUrl::new(requested.to_owned()).ok()?;
    client.redirect_uris.iter().find(|registered| {
        ExactUrl::new(registered.as_str().to_owned())
            .map(RegisteredUrl::from)
            .is_ok_and(|r| r == requested)
    })
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
    /// Checks an authorization request. Problems with the client or redirect URI are
    /// shown on an error page and never redirected (RFC 6749 §4.1.2.1); all others are
    /// redirected to the client.
    pub(crate) fn validate_authorization_request(
        &self,
        params: &Params,
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
            .store
            .client(&ClientId::new(client_id))?
            .ok_or_else(|| page(ErrorCode::InvalidRequest, "the client is not registered"))?;
        let openid_requested = params
            .get("scope")
            .is_some_and(|s| s.split(' ').any(|t| t == idp_core::Scope::OPENID));
        let (redirect_uri, redirect_uri_given) = match params.get("redirect_uri") {
            Some(uri) => {
                let registered = matching_redirect_uri(&client, uri).ok_or_else(|| {
                    page(
                        ErrorCode::InvalidRequest,
                        "the redirect_uri is not registered for this client",
                    )
                })?;
                (registered.clone(), true)
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

        // From here on errors go back to the client.
        let state = params.get("state");
        let issuer = self.config.issuer.as_str();
        let fail =
            |code, description| redirect_error(&redirect_uri, state, issuer, code, description);

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
        match params.get("response_type") {
            None => return Err(fail(ErrorCode::InvalidRequest, "response_type is missing")),
            Some("code") => {}
            Some(_) => {
                return Err(fail(
                    ErrorCode::UnsupportedResponseType,
                    "only response_type=code is supported",
                ))
            }
        }
        if params.get("response_mode").is_some_and(|m| m != "query") {
            return Err(fail(
                ErrorCode::InvalidRequest,
                "only response_mode=query is supported",
            ));
        }
        if !client.allows_grant(GrantType::AuthorizationCode) {
            return Err(fail(
                ErrorCode::UnauthorizedClient,
                "the client may not use the authorization code grant",
            ));
        }

        // RFC 6749 §3.3: no scope means the client's registered scopes; scopes the client
        // may not have are dropped, and nothing left is an error.
        let scope = match params.get("scope") {
            None => client.scopes.clone(),
            Some(raw) => {
                let requested = ScopeSet::parse(raw)
                    .map_err(|_| fail(ErrorCode::InvalidScope, "the scope is malformed"))?;
                let granted = requested.intersection(&client.scopes);
                if granted.is_empty() {
                    return Err(fail(
                        ErrorCode::InvalidScope,
                        "none of the requested scopes is allowed for this client",
                    ));
                }
                granted
            }
        };

        let code_challenge = encode_challenge(
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
        })?;

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

        let request = AuthorizationRequest {
            client_id: client.id.clone(),
            redirect_uri,
            redirect_uri_given,
            scope,
            state: state.map(str::to_owned),
            nonce: params.get("nonce").map(str::to_owned),
            code_challenge,
            prompt,
            max_age,
            // ownCloud clients send `user` for the same purpose.
            login_hint: params
                .get("login_hint")
                .or_else(|| params.get("user"))
                .map(str::to_owned),
        };
        Ok((request, client))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
