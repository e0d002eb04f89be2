//! The fetcher of Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document)
//! the provider is given: a GET with `reqwest` over rustls that follows no redirect,
//! resolves the host once, refuses internal addresses and connects only to the addresses
//! it checked (pinned with `resolve_to_addrs`, so a second DNS answer — DNS rebinding —
//! is never used), within [`CLIENT_DOCUMENT_FETCH_TIMEOUT`] and
//! [`CLIENT_DOCUMENT_MAX_BYTES`].

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc;

use idp_protocol::{
    is_internal_ip, ClientDocumentFetcher, DocumentFetchFailure, FetchedDocument,
    CLIENT_DOCUMENT_FETCH_TIMEOUT, CLIENT_DOCUMENT_MAX_BYTES,
};
use reqwest::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, DATE, EXPIRES};

/// Fetches documents over HTTPS (and, only when the provider allows internal addresses
/// for development, over plain HTTP to loopback literals).
#[derive(Debug, Default, Clone, Copy)]
pub struct HttpDocumentFetcher;

impl ClientDocumentFetcher for HttpDocumentFetcher {
    fn fetch(
        &self,
        url: &str,
        allow_internal: bool,
    ) -> Result<FetchedDocument, DocumentFetchFailure> {
        let url = reqwest::Url::parse(url).map_err(|_| DocumentFetchFailure::Unreachable)?;
        match url.scheme() {
            "https" => {}
            "http" if allow_internal => {}
            _ => return Err(DocumentFetchFailure::Unreachable),
        }
        // The provider calls from a blocking thread, which may belong to the server's
        // runtime: the fetch runs on a thread of its own with its own small runtime, and
        // the caller waits at most the time limit for it (name resolution included).
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("idp-client-document".into())
            .spawn(move || {
                let _ = tx.send(fetch_blocking(&url, allow_internal));
            })
            .map_err(|_| DocumentFetchFailure::Unreachable)?;
        rx.recv_timeout(CLIENT_DOCUMENT_FETCH_TIMEOUT)
            .unwrap_or(Err(DocumentFetchFailure::TimedOut))
    }
}

fn fetch_blocking(
    url: &reqwest::Url,
    allow_internal: bool,
) -> Result<FetchedDocument, DocumentFetchFailure> {
    let host = url.host_str().ok_or(DocumentFetchFailure::Unreachable)?;
    let port = url
        .port_or_known_default()
        .ok_or(DocumentFetchFailure::Unreachable)?;
    let literal = matches!(url.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)));
    let addresses: Vec<SocketAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
        _ => (host, port)
            .to_socket_addrs()
            .map_err(|_| DocumentFetchFailure::Unreachable)?
            .collect(),
    };
    if addresses.is_empty() {
        return Err(DocumentFetchFailure::Unreachable);
    }
    // Every address must be public: a host with one internal address among public ones
    // could be made to reach it.
    if !allow_internal && addresses.iter().any(|a| is_internal_ip(a.ip())) {
        return Err(DocumentFetchFailure::InternalAddress);
    }
    let mut builder = reqwest::Client::builder()
        .timeout(CLIENT_DOCUMENT_FETCH_TIMEOUT)
        // Draft §4: redirects are never followed automatically.
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent("idp client-id-metadata-document fetcher");
    if !literal {
        builder = builder.resolve_to_addrs(host, &addresses);
    }
    let client = builder
        .build()
        .map_err(|_| DocumentFetchFailure::Unreachable)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|_| DocumentFetchFailure::Unreachable)?;
    runtime.block_on(async {
        tokio::time::timeout(CLIENT_DOCUMENT_FETCH_TIMEOUT, get(&client, url.clone()))
            .await
            .unwrap_or(Err(DocumentFetchFailure::TimedOut))
    })
}

async fn get(
    client: &reqwest::Client,
    url: reqwest::Url,
) -> Result<FetchedDocument, DocumentFetchFailure> {
    let failed = |e: reqwest::Error| {
        if e.is_timeout() {
            DocumentFetchFailure::TimedOut
        } else {
            DocumentFetchFailure::Unreachable
        }
    };
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(failed)?;
    let status = response.status();
    if status.is_redirection() {
        return Err(DocumentFetchFailure::Redirected);
    }
    if status != reqwest::StatusCode::OK {
        return Err(DocumentFetchFailure::Status(status.as_u16()));
    }
    let headers = response.headers();
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    if !text(CONTENT_TYPE).is_some_and(|t| is_json(&t)) {
        return Err(DocumentFetchFailure::NotJson);
    }
    if text(CONTENT_LENGTH)
        .and_then(|l| l.trim().parse::<u64>().ok())
        .is_some_and(|l| l > CLIENT_DOCUMENT_MAX_BYTES as u64)
    {
        return Err(DocumentFetchFailure::TooLarge);
    }
    let mut document = FetchedDocument {
        body: Vec::new(),
        cache_control: text(CACHE_CONTROL),
        expires: text(EXPIRES),
        date: text(DATE),
    };
    // The body is read chunk by chunk and abandoned as soon as it is too large.
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        if document.body.len() + chunk.len() > CLIENT_DOCUMENT_MAX_BYTES {
            return Err(DocumentFetchFailure::TooLarge);
        }
        document.body.extend_from_slice(&chunk);
    }
    Ok(document)
}

/// `application/json`, or a more specific `application/…+json` (draft §4), with any
/// parameters.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json") && sub.len() > "+json".len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types_are_recognised() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/client-metadata+json"));
        assert!(!is_json("application/+json"));
        assert!(!is_json("text/json"));
        assert!(!is_json("text/html"));
        assert!(!is_json(""));
    }
}
