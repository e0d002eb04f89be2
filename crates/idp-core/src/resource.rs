//! Resource indicators (RFC 8707): the URIs naming the APIs a token is for.

use crate::CoreError;

/// Longest resource indicator accepted, in bytes.
pub const MAX_RESOURCE_LEN: usize = 2048;

/// Most resource indicators one request may name.
pub const MAX_RESOURCES: usize = 10;

/// Checks the form of a resource indicator (RFC 8707 §2): an absolute URI without a
/// fragment. A query is allowed, as §2 only advises against one.
///
/// # Errors
/// [`CoreError::Invalid`] saying which rule `uri` breaks.
pub fn check_resource_indicator(uri: &str) -> Result<(), CoreError> {
    if uri.len() > MAX_RESOURCE_LEN {
        return Err(CoreError::invalid(
            "resource",
            format!("longer than {MAX_RESOURCE_LEN} bytes"),
        ));
    }
    let parsed = url::Url::parse(uri).map_err(|e| {
        CoreError::invalid("resource", format!("{uri:?} is not an absolute URI: {e}"))
    })?;
    if parsed.fragment().is_some() || uri.contains('#') {
        return Err(CoreError::invalid(
            "resource",
            format!("{uri:?} must not contain a fragment (RFC 8707 §2)"),
        ));
    }
    // Stored space-separated: a URI never contains a space (RFC 3986 §2), but a lenient
    // parser might accept one.
    if uri.chars().any(char::is_whitespace) {
        return Err(CoreError::invalid(
            "resource",
            format!("{uri:?} contains a space"),
        ));
    }
    Ok(())
}

/// Whether `uri` is an `https` URI with a host, the only kind the `any_https_resource`
/// setting admits.
pub fn is_https_resource(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| u.scheme() == "https" && u.host().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_uris_without_fragment_are_resource_indicators() {
        assert!(check_resource_indicator("https://api.example/mcp").is_ok());
        assert!(check_resource_indicator("urn:example:api").is_ok());
        assert!(check_resource_indicator("https://api.example/?v=1").is_ok());
        assert!(check_resource_indicator("/relative").is_err());
        assert!(check_resource_indicator("https://api.example/#f").is_err());
        assert!(check_resource_indicator("https://api.example/#").is_err());
        assert!(
            check_resource_indicator(&format!("https://a.example/{}", "x".repeat(2048))).is_err()
        );
    }

    #[test]
    fn only_https_with_a_host_is_https() {
        assert!(is_https_resource("https://api.example/mcp"));
        assert!(!is_https_resource("http://api.example/mcp"));
        assert!(!is_https_resource("urn:example:api"));
    }
}
