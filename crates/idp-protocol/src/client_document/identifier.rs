//! The client identifier URL of a Client ID Metadata Document
//! (draft-ietf-oauth-client-id-metadata-document §3).

/// Longest client identifier URL accepted (it is stored as a client id and shown).
pub(crate) const MAX_URL_LEN: usize = 2000;

/// Whether `client_id` is shaped like a URL at all, so that it is looked up as a metadata
/// document's client. Other client ids (generated, operator-chosen: letters and digits)
/// never are.
pub(crate) fn is_url_shaped(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

/// Checks a client identifier URL against the draft's rules (§3): the `https` scheme, a
/// path component, no single- or double-dot path segments, no fragment, no user name or
/// password. The provider compares identifiers as strings and never normalises them
/// (§3, RFC 3986 §6.2.1), so a URL that is not already in its normal form (upper-case
/// scheme or host, a default port, percent-encoded dots, ...) is refused rather than
/// silently fetched under another spelling.
///
/// `allow_insecure` (development only) also admits `http` on a loopback IP literal,
/// `127.0.0.1` or `[::1]`.
///
/// # Errors
/// The description of the rule broken, for the error page.
pub(crate) fn check_client_id_url(
    client_id: &str,
    allow_insecure: bool,
) -> Result<url::Url, &'static str> {
    if client_id.len() > MAX_URL_LEN {
        return Err("the client_id URL is too long");
    }
    if client_id.contains('#') {
        return Err("a client_id URL must not contain a fragment");
    }
    let url = url::Url::parse(client_id).map_err(|_| "the client_id is not a valid URL")?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure && is_loopback_literal(&url) => {}
        _ => return Err("a client_id URL must use https"),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("a client_id URL must not contain a user name or password");
    }
    // The raw path, before the parser resolves dot segments away (also `%2e`).
    let raw_path = client_id
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or("");
    let raw_path = raw_path.split('?').next().unwrap_or("");
    if raw_path.split('/').any(|segment| {
        let s = segment.to_ascii_lowercase().replace("%2e", ".");
        s == "." || s == ".."
    }) {
        return Err("a client_id URL must not contain . or .. path segments");
    }
    if url.path().is_empty() || url.path() == "/" {
        return Err("a client_id URL must have a path");
    }
    if url.as_str() != client_id {
        return Err(
            "the client_id URL is not in normal form (lower-case scheme and host, no default port)",
        );
    }
    Ok(url)
}

/// Whether the URL's host is `127.0.0.1` or `[::1]`.
fn is_loopback_literal(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, insecure: bool, ok: bool) {
        let got = check_client_id_url(url, insecure);
        assert_eq!(got.is_ok(), ok, "{url} (insecure: {insecure}): {got:?}");
    }

    #[test]
    fn client_id_urls_follow_the_drafts_rules() {
        check("https://app.example/client.json", false, true);
        check("https://app.example:8443/oauth/client", false, true);
        check("https://app.example/client?v=1", false, true);
        // §3: https, a path, no fragment, no credentials, no dot segments.
        check("http://app.example/client.json", false, false);
        check("https://app.example", false, false);
        check("https://app.example/", false, false);
        check("https://app.example/client.json#x", false, false);
        check("https://user:pw@app.example/client.json", false, false);
        check("https://user@app.example/client.json", false, false);
        check("https://app.example/a/../client.json", false, false);
        check("https://app.example/./client.json", false, false);
        check("https://app.example/a/%2E%2E/client.json", false, false);
        check("https://app.example/a/..", false, false);
        // Not normalised: compared as strings, so refused.
        check("HTTPS://app.example/client.json", false, false);
        check("https://APP.example/client.json", false, false);
        check("https://app.example:443/client.json", false, false);
        check("ftp://app.example/client.json", false, false);
        check("not a url", false, false);
        check(
            &format!("https://app.example/{}", "a".repeat(2000)),
            false,
            false,
        );
        // The development switch admits http on loopback literals only.
        check("http://127.0.0.1:8080/client.json", false, false);
        check("http://127.0.0.1:8080/client.json", true, true);
        check("http://[::1]:8080/client.json", true, true);
        check("http://localhost:8080/client.json", true, false);
        check("http://app.example/client.json", true, false);
    }

    #[test]
    fn only_url_shaped_ids_are_looked_up_as_documents() {
        assert!(is_url_shaped("https://app.example/c"));
        assert!(is_url_shaped("http://127.0.0.1/c"));
        assert!(!is_url_shaped("a1B2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"));
    }
}
