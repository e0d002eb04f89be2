//! The authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2) and the browser
//! interaction it may need: login, consent, and issuing the code.

mod interaction;
mod pkce;
mod request;

pub use interaction::{ConsentForm, Interaction, LoginForm, Next, RetryAfter, SessionCookie};
pub(crate) use pkce::verify_code_verifier;

use idp_core::RedirectUri;

use crate::{ErrorCode, ProtocolError};

/// `uri` with `params` appended to its query (RFC 6749 §3.1.2 keeps an existing query).
pub(crate) fn redirect_with(
    uri: &RedirectUri,
    params: &[(&str, Option<&str>)],
) -> Result<String, ProtocolError> {
    let mut url =
        url::Url::parse(uri.as_str()).map_err(|e| ProtocolError::Internal(Box::new(e)))?;
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in params {
            if let Some(v) = value {
                query.append_pair(name, v);
            }
        }
    }
    Ok(url.into())
}

/// An error response redirected to the client (RFC 6749 §4.1.2.1) with `iss` (RFC 9207).
pub(crate) fn redirect_error(
    uri: &RedirectUri,
    state: Option<&str>,
    issuer: &str,
    code: ErrorCode,
    description: &'static str,
) -> ProtocolError {
    match redirect_with(
        uri,
        &[
            ("error", Some(code.as_str())),
            ("error_description", Some(description)),
            ("state", state),
            ("iss", Some(issuer)),
        ],
    ) {
        Ok(location) => ProtocolError::Rejected {
            code,
            description,
            delivery: crate::Delivery::Redirect(location),
        },
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_parameters_keep_the_registered_query() {
        let uri = RedirectUri::from_trusted("https://rp.example/cb?tenant=a");
        let url = redirect_with(&uri, &[("code", Some("x y")), ("state", None)]).unwrap();
        assert_eq!(url, "https://rp.example/cb?tenant=a&code=x+y");
    }
}
