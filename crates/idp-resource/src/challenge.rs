//! The `WWW-Authenticate: Bearer` challenge (RFC 6750 §3), written by hand: it is one
//! header value of quoted strings, and no crate in the ecosystem builds it for a
//! resource server without also taking over the request handling.

/// Appends `name="value"` to `out`, keeping only the characters RFC 6750 §3 allows in
/// these values (`%x20-21 / %x23-5B / %x5D-7E`: printable ASCII without `"` and `\`).
fn param(out: &mut String, name: &str, value: &str) {
    if out.len() > "Bearer".len() {
        out.push(',');
    }
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    out.extend(
        value
            .chars()
            .filter(|c| matches!(c, ' '..='~') && *c != '"' && *c != '\\'),
    );
    out.push('"');
}

/// `Bearer` with the given error, description, needed scope and metadata URL.
pub(crate) fn bearer(
    error: Option<&str>,
    description: Option<&str>,
    scope: Option<&str>,
    resource_metadata: Option<&str>,
) -> String {
    let mut out = String::from("Bearer");
    // RFC 9728 §5.1: the client finds the resource's metadata, and through it the
    // authorization server, from this parameter.
    if let Some(url) = resource_metadata {
        param(&mut out, "resource_metadata", url);
    }
    if let Some(error) = error {
        param(&mut out, "error", error);
    }
    if let Some(description) = description {
        param(&mut out, "error_description", description);
    }
    if let Some(scope) = scope {
        param(&mut out, "scope", scope);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::bearer;

    #[test]
    fn challenges_are_rfc_6750_quoted_strings() {
        assert_eq!(bearer(None, None, None, None), "Bearer");
        assert_eq!(
            bearer(
                None,
                None,
                None,
                Some("https://api.example/.well-known/oauth-protected-resource")
            ),
            r#"Bearer resource_metadata="https://api.example/.well-known/oauth-protected-resource""#
        );
        assert_eq!(
            bearer(
                Some("insufficient_scope"),
                Some("needs \"more\""),
                Some("files.read"),
                None
            ),
            r#"Bearer error="insufficient_scope", error_description="needs more", scope="files.read""#
        );
    }
}
