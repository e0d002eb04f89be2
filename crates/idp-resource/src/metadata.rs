//! OAuth 2.0 Protected Resource Metadata (RFC 9728): the document a client reads to find
//! which authorization server issues tokens for this resource.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::ResourceError;

/// The well-known path segment (RFC 9728 §3).
const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// An RFC 9728 §2 metadata document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectedResourceMetadata {
    /// The resource identifier (RFC 8707): the `aud` its tokens carry, and the value
    /// clients send as `resource`.
    pub resource: String,
    /// Issuer identifiers of the authorization servers that issue its tokens.
    pub authorization_servers: Vec<String>,
    /// Scopes the resource uses in authorization requests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes_supported: Vec<String>,
    /// How it accepts bearer tokens: `header` only (RFC 6750 §2.1; the query and the
    /// form body leak tokens to logs and caches).
    pub bearer_methods_supported: Vec<String>,
    /// A human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// A page for developers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_documentation: Option<String>,
}

impl ProtectedResourceMetadata {
    /// The document for `resource`, whose tokens come from `issuer`.
    ///
    /// # Errors
    /// [`ResourceError::Discovery`] when `resource` is not an absolute `http(s)` URL
    /// without a fragment (RFC 9728 §1.2, RFC 8707 §2).
    pub fn new(resource: &str, issuer: &str) -> Result<Self, ResourceError> {
        let url = Url::parse(resource)
            .map_err(|_| ResourceError::Discovery("the resource must be an absolute URL".into()))?;
        if !matches!(url.scheme(), "https" | "http") || url.fragment().is_some() {
            return Err(ResourceError::Discovery(
                "the resource must be an http(s) URL without a fragment".into(),
            ));
        }
        Ok(ProtectedResourceMetadata {
            resource: resource.to_owned(),
            authorization_servers: vec![issuer.to_owned()],
            scopes_supported: Vec::new(),
            bearer_methods_supported: vec!["header".to_owned()],
            resource_name: None,
            resource_documentation: None,
        })
    }

    /// The path at which the document is served, relative to the resource's origin:
    /// the well-known segment, then the resource's own path, if any (RFC 9728 §3.1).
    pub fn path(&self) -> String {
        let path = Url::parse(&self.resource)
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        format!("{WELL_KNOWN}{path}")
    }

    /// The document's absolute URL: what `resource_metadata` in a challenge carries
    /// (RFC 9728 §5.1).
    pub fn url(&self) -> String {
        match Url::parse(&self.resource) {
            Ok(u) => format!("{}{}", u.origin().ascii_serialization(), self.path()),
            Err(_) => self.path(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lives_under_the_well_known_segment_then_the_resource_path() {
        let check = |resource: &str, url: &str| {
            let m = ProtectedResourceMetadata::new(resource, "https://id.example").unwrap();
            assert_eq!(m.url(), url, "{resource}");
        };
        check(
            "https://api.example",
            "https://api.example/.well-known/oauth-protected-resource",
        );
        check(
            "https://api.example/",
            "https://api.example/.well-known/oauth-protected-resource",
        );
        check(
            "https://api.example/mcp",
            "https://api.example/.well-known/oauth-protected-resource/mcp",
        );
        check(
            "http://127.0.0.1:8081/v1/files/",
            "http://127.0.0.1:8081/.well-known/oauth-protected-resource/v1/files",
        );
        assert!(ProtectedResourceMetadata::new("api.example", "x").is_err());
        assert!(ProtectedResourceMetadata::new("https://api.example/#f", "x").is_err());
    }
}
