//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; the MCP
//! authorization specification of 2025-11-25 prefers them to dynamic registration): a
//! `client_id` that is an `https` URL names a JSON document describing a public client,
//! which the provider fetches, checks and caches in the database.
//!
//! The protocol crate has no HTTP client: the embedding application gives the provider a
//! [`ClientDocumentFetcher`] (`idp-http` has one on `reqwest`). The rules about what is
//! fetched (the URL's form, the setting, the per-address limit, the cache) and about
//! what a document may say live here.

mod caching;
mod identifier;
mod metadata;

use std::net::IpAddr;
use std::sync::Arc;

use idp_core::{Client, ClientDocumentRecord, ClientId};

use crate::provider::digest_of;
use crate::{ProtocolError, Provider};

/// The largest document fetched: the draft recommends limiting the response to
/// 5 kilobytes (its "Maximum Response Size" security consideration).
pub const CLIENT_DOCUMENT_MAX_BYTES: usize = 5 * 1024;

/// The longest a whole fetch (resolution, connection, TLS, response) may take.
pub const CLIENT_DOCUMENT_FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A successful response (`200`, a JSON content type, at most
/// [`CLIENT_DOCUMENT_MAX_BYTES`]), with its caching headers.
#[derive(Clone, Debug, Default)]
pub struct FetchedDocument {
    /// The body.
    pub body: Vec<u8>,
    /// The `Cache-Control` header, if any.
    pub cache_control: Option<String>,
    /// The `Expires` header, if any.
    pub expires: Option<String>,
    /// The `Date` header, if any.
    pub date: Option<String>,
}

/// Why a document could not be fetched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DocumentFetchFailure {
    /// The host resolved to (or is) an internal address: loopback, private, link-local...
    InternalAddress,
    /// The host could not be resolved or reached, or TLS failed.
    Unreachable,
    /// No complete answer within [`CLIENT_DOCUMENT_FETCH_TIMEOUT`].
    TimedOut,
    /// The answer was a redirect, which is never followed (draft §4).
    Redirected,
    /// A status other than 200.
    Status(u16),
    /// The content type is not `application/json` (or `application/…+json`).
    NotJson,
    /// The body is larger than [`CLIENT_DOCUMENT_MAX_BYTES`].
    TooLarge,
}

impl DocumentFetchFailure {
    /// What the error page says.
    fn description(self) -> &'static str {
        match self {
            DocumentFetchFailure::InternalAddress => {
                "the client metadata document's host is an internal address"
            }
            DocumentFetchFailure::Unreachable => {
                "the client metadata document could not be fetched"
            }
            DocumentFetchFailure::TimedOut => "the client metadata document took too long to fetch",
            DocumentFetchFailure::Redirected => {
                "the client metadata document's URL redirects; redirects are not followed"
            }
            DocumentFetchFailure::Status(_) => {
                "the client metadata document's URL did not answer 200 OK"
            }
            DocumentFetchFailure::NotJson => {
                "the client metadata document is not served as application/json"
            }
            DocumentFetchFailure::TooLarge => "the client metadata document is larger than 5 KiB",
        }
    }
}

/// Fetches a Client ID Metadata Document: a GET of an `https` URL that follows no
/// redirect, resolves the host once and connects only to addresses it checked (so a DNS
/// answer cannot change between check and connection), refuses internal addresses unless
/// `allow_internal`, gives up after [`CLIENT_DOCUMENT_FETCH_TIMEOUT`] and reads at most
/// [`CLIENT_DOCUMENT_MAX_BYTES`]. Called from the provider's synchronous methods (on a
/// blocking thread), so it blocks.
pub trait ClientDocumentFetcher: Send + Sync {
    /// Fetches `url` (already checked by the provider).
    ///
    /// # Errors
    /// Why there is no document.
    fn fetch(
        &self,
        url: &str,
        allow_internal: bool,
    ) -> Result<FetchedDocument, DocumentFetchFailure>;
}

/// Whether a lookup may fetch a document the provider has not stored.
#[derive(Clone, Copy, Debug)]
pub(crate) enum DocumentFetch {
    /// Yes, for an authorization request from this address (counted per address).
    New(Option<IpAddr>),
    /// Only a stored document's client whose cache expired is fetched again: every other
    /// endpoint can only meet a client the authorization endpoint met first.
    RefreshOnly,
}

/// The description when no client has the id.
pub(crate) const NOT_REGISTERED: &str = "the client is not registered";

/// The counter key of a client address for document fetches (IPv6 by /64).
fn fetch_key(address: IpAddr) -> String {
    format!(
        "client-document-{}",
        crate::throttle::address_key(address).trim_start_matches("login-")
    )
}

impl Provider {
    /// Gives the provider a fetcher of Client ID Metadata Documents; without one, URL
    /// client ids are unknown clients even when the setting is on.
    #[must_use]
    pub fn with_client_document_fetcher(mut self, fetcher: Arc<dyn ClientDocumentFetcher>) -> Self {
        self.document_fetcher = Some(fetcher);
        self
    }

    /// Whether URL client ids are fetched as metadata documents now: the setting is on
    /// and there is a fetcher.
    ///
    /// # Errors
    /// [`ProtocolError::Busy`] or [`ProtocolError::Internal`] if the settings cannot be read.
    pub(crate) fn client_documents_enabled(&self) -> Result<bool, ProtocolError> {
        Ok(self.document_fetcher.is_some() && self.settings()?.0.client_id_metadata_documents)
    }

    /// The client with this id, or why there is none usable: an ordinary stored client,
    /// or — while the setting is on — the client of the metadata document at the id's URL,
    /// from the database while its cache record is fresh, else fetched (again), checked
    /// and stored. A document that cannot be fetched again once its record expired makes
    /// the client unusable: a stale document is never served.
    ///
    /// # Errors
    /// [`ProtocolError::Throttled`] (an error page) when the address has fetched too many
    /// documents; [`ProtocolError::Busy`] or [`ProtocolError::Internal`] if storage fails.
    pub(crate) fn resolve_client(
        &self,
        id: &ClientId,
        fetch: DocumentFetch,
    ) -> Result<Result<Client, &'static str>, ProtocolError> {
        if !identifier::is_url_shaped(id.as_str()) {
            return Ok(self.stored_client(id)?.ok_or(NOT_REGISTERED));
        }
        let record = self.store.client_document(id)?;
        let enabled = self.client_documents_enabled()?;
        let now = self.now();
        match record {
            // A client of another kind whose id happens to be a URL (imported, say).
            None if !enabled || matches!(fetch, DocumentFetch::RefreshOnly) => {
                return Ok(self.stored_client(id)?.ok_or(NOT_REGISTERED));
            }
            None => {
                if let Some(client) = self.stored_client(id)? {
                    return Ok(Ok(client));
                }
            }
            Some(_) if !enabled => return Ok(Err(NOT_REGISTERED)),
            Some(r) if r.is_fresh(now) => {
                return Ok(self.stored_client(id)?.ok_or(NOT_REGISTERED));
            }
            Some(_) => {}
        }
        self.fetch_client_document(id, fetch)
    }

    /// Fetches, checks and stores the document at `id`.
    fn fetch_client_document(
        &self,
        id: &ClientId,
        fetch: DocumentFetch,
    ) -> Result<Result<Client, &'static str>, ProtocolError> {
        let allow_insecure = self.config.client_id_metadata_documents_allow_insecure;
        let url = match identifier::check_client_id_url(id.as_str(), allow_insecure) {
            Ok(url) => url,
            Err(description) => return Ok(Err(description)),
        };
        let Some(fetcher) = self.document_fetcher.as_deref() else {
            return Ok(Err(NOT_REGISTERED));
        };
        // Anyone can name any URL: fetches are limited per client address.
        if let DocumentFetch::New(Some(address)) = fetch {
            let key = fetch_key(address);
            let policy = &self.config.client_document_fetch_backoff;
            if let crate::throttle::Standing::Wait(retry_after) = self.standing(&key, policy)? {
                // 429 with Retry-After on the error page (RFC 6585 §4).
                return Err(ProtocolError::Throttled {
                    retry_after,
                    delivery: crate::Delivery::ErrorPage,
                });
            }
            self.note_failure(&key, policy)?;
        }
        // Whichever endpoint asks (a refresh at /token too), a document that failed is
        // not fetched again at every request: failures back off per URL, so a host that
        // hangs cannot hold a blocking thread per request.
        let url_key = format!("client-document-url-{}", digest_of(id.as_str()).as_hex());
        let url_policy = &self.config.client_auth_backoff;
        let url_standing = self.standing(&url_key, url_policy)?;
        if let crate::throttle::Standing::Wait(_) = url_standing {
            return Ok(Err(DocumentFetchFailure::Unreachable.description()));
        }
        let fetched = fetcher
            .fetch(url.as_str(), allow_insecure)
            .map_err(|failure| {
                tracing::info!(client = %id, ?failure, "client metadata document not fetched");
                failure.description()
            });
        let now = self.now();
        let client = fetched.and_then(|fetched| {
            metadata::client_from_document(&fetched.body, id.as_str(), now)
                .map(|client| (client, fetched))
                .inspect_err(|description| {
                    tracing::info!(client = %id, description, "client metadata document refused");
                })
        });
        let (client, fetched) = match client {
            Ok(found) => found,
            Err(description) => {
                self.note_failure(&url_key, url_policy)?;
                return Ok(Err(description));
            }
        };
        if matches!(url_standing, crate::throttle::Standing::Failed) {
            self.store.clear_failures(&url_key)?;
        }
        let (min, max) = self.config.client_document_cache;
        let lifetime = caching::document_lifetime(
            caching::CacheHeaders {
                cache_control: fetched.cache_control.as_deref(),
                expires: fetched.expires.as_deref(),
                date: fetched.date.as_deref(),
            },
            now,
            min,
            max,
        );
        let record = ClientDocumentRecord {
            fetched_at: now,
            expires_at: now + lifetime,
        };
        self.store.store_client_document(&client, &record)?;
        tracing::info!(client = %id, cached_for = lifetime.num_seconds(), "client metadata document fetched");
        Ok(Ok(client))
    }
}
