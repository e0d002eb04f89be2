//! Client ID Metadata Documents over the real store with a fixed clock: the cache's
//! lifetime, refetching, no stale documents, and the per-address fetch limit. The fetcher
//! is a canned one (the HTTP fetcher is driven end to end in `idp-e2e`).

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use idp_core::Backoff;
use idp_protocol::manage;
use idp_protocol::{
    ClientDocumentFetcher, Delivery, DocumentFetchFailure, FetchedDocument, Next, ProtocolError,
};
use serde_json::json;

use crate::harness::{params, Harness, CHALLENGE, REDIRECT, VERIFIER};

/// Answers every URL with the document whose `client_id` is that URL, or with a failure.
struct CannedFetcher {
    failure: Mutex<Option<DocumentFetchFailure>>,
    fetches: AtomicUsize,
}

impl CannedFetcher {
    fn new() -> Arc<Self> {
        Arc::new(CannedFetcher {
            failure: Mutex::new(None),
            fetches: AtomicUsize::new(0),
        })
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl ClientDocumentFetcher for CannedFetcher {
    fn fetch(
        &self,
        url: &str,
        allow_internal: bool,
    ) -> Result<FetchedDocument, DocumentFetchFailure> {
        assert!(!allow_internal);
        self.fetches.fetch_add(1, Ordering::SeqCst);
        if let Some(failure) = *self.failure.lock().unwrap() {
            return Err(failure);
        }
        let body = json!({
            "client_id": url,
            "client_name": "Canned",
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
        });
        Ok(FetchedDocument {
            body: body.to_string().into_bytes(),
            cache_control: Some("max-age=300".into()),
            ..FetchedDocument::default()
        })
    }
}

fn harness(
    configure: impl FnOnce(&mut idp_protocol::ProviderConfig),
) -> (Harness, Arc<CannedFetcher>) {
    let fetcher = CannedFetcher::new();
    let h = Harness::with_config(configure)
        .with_document_fetcher(Arc::clone(&fetcher) as Arc<dyn ClientDocumentFetcher>);
    manage::set_setting(
        h.provider.store(),
        &*h.clock,
        "client_id_metadata_documents",
        "on",
    )
    .unwrap();
    (h, fetcher)
}

fn authorize(h: &Harness, client_id: &str, from: [u8; 4]) -> Result<Next, ProtocolError> {
    let p = params(&[
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    h.provider
        .authorize_from(&p, None, Some(IpAddr::from(from)))
        .map(|i| i.next)
}

fn page(result: Result<Next, ProtocolError>) -> &'static str {
    match result {
        Err(ProtocolError::Rejected {
            description,
            delivery: Delivery::ErrorPage,
            ..
        }) => description,
        other => panic!("expected an error page, got {other:?}"),
    }
}

const URL: &str = "https://app.example/client.json";

#[test]
fn documents_are_cached_for_their_max_age_then_fetched_again_and_never_served_stale() {
    let (h, fetcher) = harness(|_| {});
    assert!(matches!(
        authorize(&h, URL, [192, 0, 2, 1]),
        Ok(Next::GoToLogin(_))
    ));
    assert!(authorize(&h, URL, [192, 0, 2, 1]).is_ok());
    assert_eq!(
        fetcher.fetches(),
        1,
        "max-age=300: served from the database"
    );
    h.advance(299);
    assert!(authorize(&h, URL, [192, 0, 2, 1]).is_ok());
    assert_eq!(fetcher.fetches(), 1);
    h.advance(1);
    assert!(authorize(&h, URL, [192, 0, 2, 1]).is_ok());
    assert_eq!(fetcher.fetches(), 2, "expired: fetched again");

    // Expired and the refetch fails: refused, not served stale — here and at the token
    // endpoint.
    *fetcher.failure.lock().unwrap() = Some(DocumentFetchFailure::Unreachable);
    h.advance(300);
    assert_eq!(
        page(authorize(&h, URL, [192, 0, 2, 1])),
        "the client metadata document could not be fetched"
    );
    let refused = h
        .provider
        .token(
            &params(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "whatever"),
                ("client_id", URL),
            ]),
            None,
        )
        .unwrap_err();
    assert_eq!(refused.code().as_str(), "invalid_client");
    // It works again once the document can be fetched.
    *fetcher.failure.lock().unwrap() = None;
    assert!(authorize(&h, URL, [192, 0, 2, 1]).is_ok());
}

fn refresh(h: &Harness, refresh_token: &str) -> Result<idp_protocol::TokenResponse, ProtocolError> {
    h.provider.token(
        &params(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", URL),
        ]),
        None,
    )
}

#[test]
fn refresh_tokens_work_while_the_document_is_cached_or_can_be_fetched_again() {
    let (mut h, fetcher) = harness(|_| {});
    let code = h.code(&[("client_id", URL), ("scope", "openid offline_access")]);
    let tokens = h
        .provider
        .token(
            &params(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("client_id", URL),
                ("code_verifier", VERIFIER),
            ]),
            None,
        )
        .unwrap();
    assert_eq!(fetcher.fetches(), 1);
    let tokens = refresh(&h, &tokens.refresh_token.unwrap()).unwrap();
    assert_eq!(fetcher.fetches(), 1, "cached");
    // Past the cache: the token endpoint fetches the document again.
    h.advance(301);
    let tokens = refresh(&h, &tokens.refresh_token.unwrap()).unwrap();
    assert_eq!(fetcher.fetches(), 2);
    // The document is gone once the cache expires: the refresh token stops working.
    h.advance(301);
    *fetcher.failure.lock().unwrap() = Some(DocumentFetchFailure::Status(404));
    let refused = refresh(&h, tokens.refresh_token.as_deref().unwrap()).unwrap_err();
    assert_eq!(refused.code().as_str(), "invalid_client");
    // The purge keeps the client while its grant lives.
    h.provider.purge_expired().unwrap();
    *fetcher.failure.lock().unwrap() = None;
    assert!(refresh(&h, tokens.refresh_token.as_deref().unwrap()).is_ok());
}

#[test]
fn fetches_of_new_documents_are_limited_per_client_address() {
    let (h, fetcher) = harness(|c| {
        c.client_document_fetch_backoff = Backoff {
            free: 2,
            base: chrono::Duration::minutes(1),
            max: chrono::Duration::hours(1),
            window: chrono::Duration::hours(1),
        };
    });
    let url = |i: u32| format!("https://app.example/c{i}.json");
    for i in 0..3 {
        assert!(authorize(&h, &url(i), [192, 0, 2, 1]).is_ok(), "fetch {i}");
    }
    match authorize(&h, &url(3), [192, 0, 2, 1]) {
        Err(ProtocolError::Throttled {
            retry_after,
            delivery: Delivery::ErrorPage,
        }) => assert_eq!(retry_after, 60),
        other => panic!("expected 429 on an error page, got {other:?}"),
    }
    assert_eq!(fetcher.fetches(), 3, "refused before fetching");
    // Cached documents still work, and other addresses may fetch.
    assert!(authorize(&h, &url(0), [192, 0, 2, 1]).is_ok());
    assert!(authorize(&h, &url(3), [198, 51, 100, 7]).is_ok());
    // The wait ends.
    h.advance(61);
    assert!(authorize(&h, &url(4), [192, 0, 2, 1]).is_ok());
}

#[test]
fn url_client_ids_are_not_fetched_while_the_setting_is_off_or_outside_authorization() {
    let (h, fetcher) = harness(|_| {});
    manage::set_setting(
        h.provider.store(),
        &*h.clock,
        "client_id_metadata_documents",
        "off",
    )
    .unwrap();
    h.advance(2); // past the settings cache
    assert_eq!(
        page(authorize(&h, URL, [192, 0, 2, 1])),
        "the client is not registered"
    );
    manage::set_setting(
        h.provider.store(),
        &*h.clock,
        "client_id_metadata_documents",
        "on",
    )
    .unwrap();
    h.advance(2);
    // The token endpoint never fetches a document the authorization endpoint did not.
    let refused = h
        .provider
        .token(
            &params(&[
                ("grant_type", "authorization_code"),
                ("code", "x"),
                ("client_id", URL),
            ]),
            None,
        )
        .unwrap_err();
    assert_eq!(refused.code().as_str(), "invalid_client");
    assert_eq!(fetcher.fetches(), 0);
}
