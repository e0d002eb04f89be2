//! Reading the provider's metadata (OpenID Connect Discovery 1.0 §4, RFC 8414 §3) and
//! other JSON documents from it, with bounded size and no redirects.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use url::Url;

use crate::ResourceError;

/// The largest metadata, JWKS or introspection document read.
pub(crate) const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// A set-up failure.
pub(crate) fn discovery(why: impl Into<String>) -> ResourceError {
    ResourceError::Discovery(why.into())
}

/// The HTTP client every fetch uses: no redirects (a document is where the provider
/// says, RFC 8414 §3), `timeout` per request.
pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::Client, ResourceError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
        .map_err(|e| discovery(e.to_string()))
}

/// At most [`MAX_DOCUMENT_BYTES`] of `response`'s body; `None` when longer or cut off.
pub(crate) async fn read_limited(mut response: reqwest::Response) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    Some(body)
}

/// GETs `url` (no redirects followed) and returns at most [`MAX_DOCUMENT_BYTES`] of body.
pub(crate) async fn fetch(http: &reqwest::Client, url: &Url) -> Result<Vec<u8>, ResourceError> {
    let response = http
        .get(url.clone())
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| discovery(format!("{url}: {e}")))?;
    if !response.status().is_success() {
        return Err(discovery(format!("{url}: HTTP {}", response.status())));
    }
    read_limited(response)
        .await
        .ok_or_else(|| discovery(format!("{url}: the document is too large or cut off")))
}

/// The `issuer` member, read first to check it (OpenID Connect Discovery 1.0 §4.3).
#[derive(Deserialize)]
struct Issuer {
    issuer: String,
}

/// Reads the provider's metadata at `{issuer}/.well-known/openid-configuration`
/// (OpenID Connect Discovery 1.0 §4; RFC 8414 §3 `oauth-authorization-server` when that
/// is absent), checks its `issuer` (§4.3), and reads the members `T` names.
pub(crate) async fn provider_metadata<T: DeserializeOwned>(
    http: &reqwest::Client,
    expected_issuer: &str,
) -> Result<T, ResourceError> {
    let issuer = Url::parse(expected_issuer).map_err(|_| discovery("the issuer is not a URL"))?;
    let base = expected_issuer.trim_end_matches('/');
    let oidc = Url::parse(&format!("{base}/.well-known/openid-configuration"))
        .map_err(|e| discovery(e.to_string()))?;
    let body = match fetch(http, &oidc).await {
        Ok(body) => body,
        Err(first) => {
            // RFC 8414 §3.1: the well-known segment goes between host and path.
            let path = issuer.path().trim_end_matches('/');
            let mut rfc8414 = issuer.clone();
            rfc8414.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
            fetch(http, &rfc8414).await.map_err(|_| first)?
        }
    };
    let named: Issuer = serde_json::from_slice(&body)
        .map_err(|_| discovery("the provider metadata lacks issuer"))?;
    if named.issuer != expected_issuer {
        return Err(discovery(format!(
            "the provider metadata names issuer {:?}, not {:?}",
            named.issuer, expected_issuer
        )));
    }
    serde_json::from_slice(&body)
        .map_err(|_| discovery("the provider metadata lacks a member this validator needs"))
}
