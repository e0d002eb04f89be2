//! Delivering an authorization response — success or error — to the client in the
//! request's response mode: the redirect URI's query (RFC 6749 §4.1.2), its fragment
//! (RFC 6749 §4.2.2, OAuth 2.0 Multiple Response Type Encoding Practices §2.1), or a form
//! the browser posts to it (OAuth 2.0 Form Post Response Mode §2).

use idp_core::{RedirectUri, ResponseMode};

use super::Next;
use crate::{Delivery, ErrorCode, ProtocolError};

/// An authorization response for the browser to post to the client (OAuth 2.0 Form Post
/// Response Mode §2): an HTML form whose action is the redirect URI and whose hidden
/// fields are the response parameters, submitted automatically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormPost {
    /// Where to post: the redirect URI, exactly as registered (with any query part).
    pub action: String,
    /// The response parameters, in order.
    pub fields: Vec<(&'static str, String)>,
}

/// How a response reaches the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ToClient {
    /// A redirect to this URL (`query` and `fragment` modes).
    Redirect(String),
    /// A form to post (`form_post` mode).
    Post(FormPost),
}

impl ToClient {
    /// The next step of the interaction that delivers it.
    pub(crate) fn into_next(self) -> Next {
        match self {
            ToClient::Redirect(url) => Next::RedirectToClient(url),
            ToClient::Post(form) => Next::PostToClient(form),
        }
    }

    fn into_delivery(self) -> Delivery {
        match self {
            ToClient::Redirect(url) => Delivery::Redirect(url),
            ToClient::Post(form) => Delivery::PostToClient(form),
        }
    }
}

/// The response parameters that have a value.
fn present<'a>(
    params: &'a [(&'static str, Option<&'a str>)],
) -> impl Iterator<Item = (&'static str, &'a str)> + 'a {
    params
        .iter()
        .filter_map(|(name, value)| value.map(|v| (*name, v)))
}

fn parse(uri: &RedirectUri) -> Result<url::Url, ProtocolError> {
    url::Url::parse(uri.as_str()).map_err(|e| ProtocolError::Internal(Box::new(e)))
}

/// `uri` with `params` appended to its query (RFC 6749 §3.1.2 keeps an existing query).
pub(crate) fn redirect_with(
    uri: &RedirectUri,
    params: &[(&'static str, Option<&str>)],
) -> Result<String, ProtocolError> {
    if present(params).next().is_none() {
        // Nothing to add: the URI exactly as registered (no stray `?`).
        return Ok(uri.as_str().to_owned());
    }
    let mut url = parse(uri)?;
    url.query_pairs_mut().extend_pairs(present(params));
    Ok(url.into())
}

/// `uri` with `params` form-encoded in its fragment (RFC 6749 §4.2.2, Multiple Response
/// Types §2.1); the registered query part stays where it is.
fn redirect_with_fragment(
    uri: &RedirectUri,
    params: &[(&'static str, Option<&str>)],
) -> Result<String, ProtocolError> {
    let mut url = parse(uri)?;
    let fragment = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(present(params))
        .finish();
    url.set_fragment(Some(&fragment));
    Ok(url.into())
}

/// The response carrying `params` to `uri` in `mode`.
pub(crate) fn respond(
    uri: &RedirectUri,
    mode: ResponseMode,
    params: &[(&'static str, Option<&str>)],
) -> Result<ToClient, ProtocolError> {
    Ok(match mode {
        ResponseMode::Query => ToClient::Redirect(redirect_with(uri, params)?),
        ResponseMode::Fragment => ToClient::Redirect(redirect_with_fragment(uri, params)?),
        ResponseMode::FormPost => ToClient::Post(FormPost {
            action: uri.as_str().to_owned(),
            fields: present(params).map(|(n, v)| (n, v.to_owned())).collect(),
        }),
    })
}

/// An error response for the client (RFC 6749 §4.1.2.1, §4.2.2.1) with `iss` (RFC 9207),
/// delivered in `mode`.
pub(crate) fn redirect_error(
    uri: &RedirectUri,
    mode: ResponseMode,
    state: Option<&str>,
    issuer: &str,
    code: ErrorCode,
    description: &'static str,
) -> ProtocolError {
    redirect_error_saying(uri, mode, state, issuer, code, description, description)
}

/// As [`redirect_error`], with `error_description` `said` (text the embedding
/// application chose, such as a token hook's reason) rather than the fixed `description`.
pub(crate) fn redirect_error_saying(
    uri: &RedirectUri,
    mode: ResponseMode,
    state: Option<&str>,
    issuer: &str,
    code: ErrorCode,
    description: &'static str,
    said: &str,
) -> ProtocolError {
    let params = [
        ("error", Some(code.as_str())),
        ("error_description", Some(said)),
        ("state", state),
        ("iss", Some(issuer)),
    ];
    match respond(uri, mode, &params) {
        Ok(to_client) => ProtocolError::Rejected {
            code,
            description,
            delivery: to_client.into_delivery(),
        },
        Err(e) => e,
    }
}

impl ProtocolError {
    /// An error for the client as the next step of the interaction; any other error as
    /// itself.
    pub(crate) fn into_client_next(self) -> Result<Next, ProtocolError> {
        match self {
            ProtocolError::Rejected {
                delivery: Delivery::Redirect(url),
                ..
            } => Ok(Next::RedirectToClient(url)),
            ProtocolError::Rejected {
                delivery: Delivery::PostToClient(form),
                ..
            } => Ok(Next::PostToClient(form)),
            other => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAMS: [(&str, Option<&str>); 3] = [
        ("code", Some("x y")),
        ("state", None),
        ("iss", Some("https://idp.example")),
    ];

    #[test]
    fn response_parameters_keep_the_registered_query() {
        let uri = RedirectUri::from_trusted("https://rp.example/cb?tenant=a");
        let url = redirect_with(&uri, &[("code", Some("x y")), ("state", None)]).unwrap();
        assert_eq!(url, "https://rp.example/cb?tenant=a&code=x+y");
    }

    #[test]
    fn each_mode_carries_the_parameters_that_have_a_value() {
        let uri = RedirectUri::from_trusted("https://rp.example/cb?tenant=a");
        assert_eq!(
            respond(&uri, ResponseMode::Query, &PARAMS).unwrap(),
            ToClient::Redirect(
                "https://rp.example/cb?tenant=a&code=x+y&iss=https%3A%2F%2Fidp.example".into()
            )
        );
        // The registered query stays in the query; the response goes in the fragment.
        assert_eq!(
            respond(&uri, ResponseMode::Fragment, &PARAMS).unwrap(),
            ToClient::Redirect(
                "https://rp.example/cb?tenant=a#code=x+y&iss=https%3A%2F%2Fidp.example".into()
            )
        );
        assert_eq!(
            respond(&uri, ResponseMode::FormPost, &PARAMS).unwrap(),
            ToClient::Post(FormPost {
                action: "https://rp.example/cb?tenant=a".into(),
                fields: vec![
                    ("code", "x y".into()),
                    ("iss", "https://idp.example".into())
                ],
            })
        );
    }

    #[test]
    fn errors_go_in_the_mode_of_the_request() {
        let uri = RedirectUri::from_trusted("https://rp.example/cb");
        let error = |mode| {
            redirect_error(
                &uri,
                mode,
                Some("s"),
                "https://idp.example",
                ErrorCode::AccessDenied,
                "denied",
            )
            .into_client_next()
            .unwrap()
        };
        let Next::RedirectToClient(url) = error(ResponseMode::Fragment) else {
            panic!()
        };
        assert_eq!(
            url,
            "https://rp.example/cb#error=access_denied&error_description=denied&state=s&iss=https%3A%2F%2Fidp.example"
        );
        let Next::PostToClient(form) = error(ResponseMode::FormPost) else {
            panic!()
        };
        assert_eq!(form.fields[0], ("error", "access_denied".to_owned()));
        assert_eq!(form.fields[2], ("state", "s".to_owned()));
    }
}
