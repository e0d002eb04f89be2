//! What an authorization request asks to receive (`response_type`) and how the response
//! reaches the client (`response_mode`): OAuth 2.0 Multiple Response Type Encoding
//! Practices §2–§5 and OAuth 2.0 Form Post Response Mode §2.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A `response_type`: the set of `code`, `id_token` and `token` the authorization
/// endpoint returns. The value is a space-separated set whose order does not matter
/// (RFC 6749 §3.1.1, Multiple Response Types §5): `id_token code` is `code id_token`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResponseType {
    /// An authorization code (RFC 6749 §4.1).
    pub code: bool,
    /// An ID token (OIDC Core §3.2.2.5, §3.3.2.5).
    pub id_token: bool,
    /// An access token (RFC 6749 §4.2).
    pub token: bool,
}

impl ResponseType {
    /// `code`: the authorization code flow.
    pub const CODE: ResponseType = ResponseType::new(true, false, false);
    /// `id_token`: the implicit flow without an access token (OIDC Core §3.2).
    pub const ID_TOKEN: ResponseType = ResponseType::new(false, true, false);
    /// `id_token token`: the implicit flow (OIDC Core §3.2).
    pub const ID_TOKEN_TOKEN: ResponseType = ResponseType::new(false, true, true);
    /// `code id_token`: a hybrid flow (OIDC Core §3.3).
    pub const CODE_ID_TOKEN: ResponseType = ResponseType::new(true, true, false);
    /// `code token`: a hybrid flow (OIDC Core §3.3).
    pub const CODE_TOKEN: ResponseType = ResponseType::new(true, false, true);
    /// `code id_token token`: a hybrid flow (OIDC Core §3.3).
    pub const CODE_ID_TOKEN_TOKEN: ResponseType = ResponseType::new(true, true, true);

    /// Every response type the provider supports, in the order discovery lists them: the
    /// OpenID Connect ones. `token` alone (OAuth 2.0 implicit grant without OpenID
    /// Connect) and `none` are not among them.
    pub const SUPPORTED: [ResponseType; 6] = [
        ResponseType::CODE,
        ResponseType::ID_TOKEN,
        ResponseType::ID_TOKEN_TOKEN,
        ResponseType::CODE_ID_TOKEN,
        ResponseType::CODE_TOKEN,
        ResponseType::CODE_ID_TOKEN_TOKEN,
    ];

    const fn new(code: bool, id_token: bool, token: bool) -> Self {
        ResponseType {
            code,
            id_token,
            token,
        }
    }

    /// Parses a space-separated set of `code`, `id_token` and `token`, in any order
    /// (RFC 6749 §3.1.1, Multiple Response Types §5). `None` for an empty set, an unknown
    /// or repeated value, or a separator other than one space.
    pub fn parse(value: &str) -> Option<ResponseType> {
        let mut parsed = ResponseType::new(false, false, false);
        for name in value.split(' ') {
            let seen = match name {
                "code" => &mut parsed.code,
                "id_token" => &mut parsed.id_token,
                "token" => &mut parsed.token,
                _ => return None,
            };
            if std::mem::replace(seen, true) {
                return None;
            }
        }
        Some(parsed)
    }

    /// Whether the provider supports this combination ([`ResponseType::SUPPORTED`]).
    pub fn is_supported(self) -> bool {
        ResponseType::SUPPORTED.contains(&self)
    }

    /// Whether only a code is returned (the authorization code flow).
    pub fn is_code_only(self) -> bool {
        self == ResponseType::CODE
    }

    /// The response mode used when the request names none: `query` for `code`, `fragment`
    /// for every type that returns a token from the authorization endpoint (Multiple
    /// Response Types §2.1, §3, §5; RFC 6749 §4.2.2).
    pub fn default_mode(self) -> ResponseMode {
        if self.is_code_only() {
            ResponseMode::Query
        } else {
            ResponseMode::Fragment
        }
    }

    /// The canonical text: `code`, then `id_token`, then `token`, separated by spaces.
    pub fn as_str(self) -> &'static str {
        match (self.code, self.id_token, self.token) {
            (true, false, false) => "code",
            (false, true, false) => "id_token",
            (false, false, true) => "token",
            (false, true, true) => "id_token token",
            (true, true, false) => "code id_token",
            (true, false, true) => "code token",
            (true, true, true) => "code id_token token",
            (false, false, false) => "",
        }
    }
}

impl Default for ResponseType {
    /// `code`, the type of every request parked before other types existed.
    fn default() -> Self {
        ResponseType::CODE
    }
}

impl fmt::Debug for ResponseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResponseType({:?})", self.as_str())
    }
}

impl fmt::Display for ResponseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<ResponseType> for String {
    fn from(value: ResponseType) -> Self {
        value.as_str().to_owned()
    }
}

impl TryFrom<String> for ResponseType {
    type Error = crate::CoreError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ResponseType::parse(&value)
            .ok_or_else(|| crate::CoreError::invalid("response type", format!("{value:?}")))
    }
}

/// How the authorization response's parameters reach the client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    /// In the query of the redirect URI (RFC 6749 §4.1.2). Only for `code`: tokens must
    /// never be put in a query (Multiple Response Types §2.1).
    #[default]
    Query,
    /// In the fragment of the redirect URI (RFC 6749 §4.2.2, Multiple Response Types §2.1).
    Fragment,
    /// As an HTML form the browser posts to the redirect URI (Form Post Response Mode §2).
    FormPost,
}

impl ResponseMode {
    /// Every response mode the provider supports, in the order discovery lists them.
    pub const SUPPORTED: [ResponseMode; 3] = [
        ResponseMode::Query,
        ResponseMode::Fragment,
        ResponseMode::FormPost,
    ];

    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseMode::Query => "query",
            ResponseMode::Fragment => "fragment",
            ResponseMode::FormPost => "form_post",
        }
    }

    /// The mode with this registered name, if supported.
    pub fn parse(value: &str) -> Option<ResponseMode> {
        ResponseMode::SUPPORTED
            .into_iter()
            .find(|m| m.as_str() == value)
    }
}

impl fmt::Display for ResponseMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_types_are_order_insensitive_sets() {
        assert_eq!(ResponseType::parse("code"), Some(ResponseType::CODE));
        assert_eq!(
            ResponseType::parse("id_token code"),
            Some(ResponseType::CODE_ID_TOKEN)
        );
        assert_eq!(
            ResponseType::parse("token id_token code"),
            Some(ResponseType::CODE_ID_TOKEN_TOKEN)
        );
        assert_eq!(
            ResponseType::parse("token id_token"),
            Some(ResponseType::ID_TOKEN_TOKEN)
        );
        for bad in [
            "",
            " ",
            "code ",
            "code  id_token",
            "code code",
            "Code",
            "none",
            "code none",
            "id_token\ttoken",
        ] {
            assert_eq!(ResponseType::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_the_openid_connect_response_types_are_supported() {
        let supported: Vec<&str> = ResponseType::SUPPORTED.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            supported,
            [
                "code",
                "id_token",
                "id_token token",
                "code id_token",
                "code token",
                "code id_token token"
            ]
        );
        let token = ResponseType::parse("token").unwrap();
        assert!(!token.is_supported());
        assert!(ResponseType::parse("token code").unwrap().is_supported());
        for t in ResponseType::SUPPORTED {
            assert_eq!(ResponseType::parse(t.as_str()), Some(t));
        }
    }

    #[test]
    fn only_code_defaults_to_the_query() {
        assert_eq!(ResponseType::CODE.default_mode(), ResponseMode::Query);
        for t in &ResponseType::SUPPORTED[1..] {
            assert_eq!(t.default_mode(), ResponseMode::Fragment, "{t}");
        }
    }

    #[test]
    fn response_modes_parse_by_registered_name() {
        assert_eq!(ResponseMode::parse("query"), Some(ResponseMode::Query));
        assert_eq!(
            ResponseMode::parse("fragment"),
            Some(ResponseMode::Fragment)
        );
        assert_eq!(
            ResponseMode::parse("form_post"),
            Some(ResponseMode::FormPost)
        );
        assert_eq!(ResponseMode::parse("web_message"), None);
        assert_eq!(ResponseMode::parse("FORM_POST"), None);
    }

    #[test]
    fn both_serialise_as_their_registered_text() {
        let json =
            serde_json::to_string(&(ResponseType::CODE_ID_TOKEN, ResponseMode::FormPost)).unwrap();
        assert_eq!(json, r#"["code id_token","form_post"]"#);
        let back: (ResponseType, ResponseMode) = serde_json::from_str(&json).unwrap();
        assert_eq!(back, (ResponseType::CODE_ID_TOKEN, ResponseMode::FormPost));
        assert!(serde_json::from_str::<ResponseType>(r#""code none""#).is_err());
    }
}
