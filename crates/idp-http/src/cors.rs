//! Cross-origin requests from browser apps (the Fetch standard's CORS protocol, §3.2),
//! answered by actix-cors on each resource that browser apps call.
//!
//! Two policies:
//!
//! - [`public`] documents (discovery, JWKS, WebFinger): any origin may read them, always
//!   with `Access-Control-Allow-Origin: *` and never with credentials.
//! - [`for_clients`] APIs (token endpoint, UserInfo, and later registration, revocation,
//!   introspection): only an allowed origin — one of a registered redirect URI, or a
//!   configured one ([`idp_protocol::Provider::is_allowed_origin`]) — echoed exactly, with
//!   `Vary: Origin`, and never with `Access-Control-Allow-Credentials` (browser apps send
//!   their tokens in `Authorization`, not in cookies). Any other origin gets no CORS
//!   header at all; its preflight gets `400`.

use std::sync::Arc;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::web;
use idp_protocol::Provider;

/// How long a browser may cache a preflight answer, seconds (`Access-Control-Max-Age`,
/// Fetch §3.2 "HTTP responses"; browsers cap it at 2 hours or less anyway).
pub(crate) const PREFLIGHT_MAX_AGE_SECS: usize = 600;

/// Public documents: `*` for every origin, for `GET` with any request header (such as
/// `If-None-Match`, which makes a browser send a preflight), `ETag` readable by scripts.
pub(crate) fn public() -> Cors {
    Cors::default()
        .allow_any_origin()
        .send_wildcard()
        .allowed_methods([Method::GET])
        .allow_any_header()
        .expose_headers([header::ETAG])
        .max_age(PREFLIGHT_MAX_AGE_SECS)
        // The answer is the same for every origin, so caches need not key on it.
        .disable_vary_header()
}

/// The registration endpoint and client configuration endpoints (RFC 7591, RFC 7592),
/// called with `methods`: any origin (a browser app registering itself has no registered
/// redirect URI yet, so no origin to be known by), `*` and never credentials — the
/// caller authenticates with a bearer token in `Authorization`, not with cookies, so an
/// origin gains nothing it could not do from a server. Scripts may read
/// `WWW-Authenticate` and `Retry-After`.
pub(crate) fn public_api(methods: &[Method]) -> Cors {
    Cors::default()
        .allow_any_origin()
        .send_wildcard()
        .allowed_methods(methods.iter().cloned())
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([header::WWW_AUTHENTICATE, header::RETRY_AFTER])
        .max_age(PREFLIGHT_MAX_AGE_SECS)
        .disable_vary_header()
}

/// The headers of [`public`] on every response, including those to requests without an
/// `Origin` (which actix-cors leaves alone): Fetch §3.2 "CORS protocol and HTTP caches"
/// asks a resource that answers `*` to send it always and without `Vary`, so an HTTP
/// cache never hands a browser a stored copy lacking it.
pub(crate) fn public_always() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .add((header::ACCESS_CONTROL_EXPOSE_HEADERS, "etag"))
}

/// Client-facing APIs called with `methods`: only allowed origins, echoed. Browser apps may
/// send `Authorization` (client authentication, bearer tokens) and `Content-Type`, and
/// read `WWW-Authenticate` (bearer and Basic challenges, RFC 6750 §3) and `Retry-After`
/// (429, 503).
///
/// actix-cors asks `allowed_origin_fn` synchronously on the event loop, so it must not
/// touch the database: it answers from the provider's cache only, and
/// [`check_origins`] (mounted outside it) makes sure that cache is fresh first.
pub(crate) fn for_clients(provider: Arc<Provider>, methods: &[Method]) -> Cors {
    Cors::default()
        .allowed_origin_fn(move |origin: &HeaderValue, _| {
            origin
                .to_str()
                .ok()
                .and_then(|origin| provider.cached_origin_check(origin))
                .unwrap_or(false)
        })
        .allowed_methods(methods.iter().cloned())
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([header::WWW_AUTHENTICATE, header::RETRY_AFTER])
        .max_age(PREFLIGHT_MAX_AGE_SECS)
}

/// Middleware around [`for_clients`]. Before it: for a request with an `Origin` that the
/// provider's cache cannot answer (the clients were read more than `ORIGIN_RECHECK` ago),
/// re-reads them on the blocking pool — at most once a second per process, and only for
/// browser requests — so that the check in actix-cors then answers from a fresh cache.
/// After it: a response without `Access-Control-Allow-Origin` loses the
/// `Access-Control-Expose-Headers` that actix-cors 0.7 adds to every response, so an
/// origin that is not allowed sees no CORS header at all.
///
/// Why not read in the origin check itself: that runs on the event loop, and on
/// PostgreSQL a read is a network round trip that would stall every request on this
/// worker. Why not answer from a stale cache and refresh in the background: a client
/// removed long ago could then still be allowed once; this way no answer is based on a
/// read older than `ORIGIN_RECHECK`. If the read fails (database away), the origin is
/// not allowed: no CORS headers (the request itself then fails as usual).
pub(crate) async fn check_origins<B: MessageBody>(
    provider: Arc<Provider>,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(origin) = origin {
        if provider.cached_origin_check(&origin).is_none() {
            match web::block(move || provider.is_allowed_origin(&origin)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(
                    error = %idp_core::error_chain(&e),
                    "reading the clients' CORS origins failed; origin not allowed"
                ),
                Err(_) => tracing::warn!("no blocking thread to read the clients' CORS origins"),
            }
        }
    }
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    if !headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        headers.remove(header::ACCESS_CONTROL_EXPOSE_HEADERS);
    }
    Ok(response)
}
