//! actix-web adapter for the identity provider.
//!
//! [`configure`] mounts every endpoint of an [`idp_protocol::Provider`] on an actix-web
//! `ServiceConfig`, so the provider can run as `idp-server` or inside another actix-web
//! application. Handlers only translate: they parse the request, call the protocol on
//! the blocking pool (`web::block`, since storage is synchronous), and render the answer —
//! JSON, an HTML page (askama templates), a redirect, or an error per RFC 6749 §5.2 /
//! RFC 6750 §3.
//!
//! Invariants, stated as absences: no protocol decision is made here, no SQL is run here,
//! and no internal error detail reaches a response body.

mod client_address;
mod client_document_fetcher;
mod cookie;
mod cors;
mod device;
mod endpoints;
mod error;
mod health;
mod logout_delivery;
pub mod metrics;
mod pages;
mod webfinger;

use std::sync::Arc;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, Resource};
use idp_protocol::{paths, Provider};

pub use client_address::TrustedProxies;
pub use client_document_fetcher::HttpDocumentFetcher;
pub use error::HttpError;
pub use logout_delivery::{start_logout_delivery, LogoutDeliveryOptions};
pub use metrics::Metrics;

/// Largest request body accepted by any endpoint; bigger ones get 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What the handlers share.
#[derive(Clone, Debug)]
pub struct HttpState {
    pub(crate) provider: Arc<Provider>,
    pub(crate) cookie: cookie::CookiePolicy,
    pub(crate) proxies: TrustedProxies,
    pub(crate) metrics: Arc<Metrics>,
}

impl HttpState {
    /// State for `provider`; cookies are `Secure` (and `__Host-` prefixed) when the
    /// issuer is `https`.
    pub fn new(provider: Arc<Provider>) -> Self {
        let cookie = cookie::CookiePolicy::for_provider(&provider);
        HttpState {
            provider,
            cookie,
            proxies: TrustedProxies::default(),
            metrics: Arc::new(Metrics::new()),
        }
    }

    /// Counts into `metrics` (by default a registry of the state's own).
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// The metrics the endpoints count into.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Takes client addresses from the forwarding headers of these reverse proxies
    /// (by default no peer is trusted and the socket's peer is the client).
    #[must_use]
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = proxies;
        self
    }
}

/// Mounts the provider's endpoints (paths in [`idp_protocol::paths`]) and the probes
/// `/healthz` (the process answers) and `/readyz` (the database answers and its schema is
/// current), every one counted in the state's [`Metrics`]. The endpoints browser apps call
/// answer cross-origin requests (CORS): discovery, JWKS and WebFinger to any origin, the
/// token endpoint and UserInfo to the origins of registered redirect URIs and the
/// configured ones.
pub fn configure(state: HttpState) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(web::Data::new(state.clone()))
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .configure(|cfg| routes(cfg, &state));
    }
}

/// Mounts `GET /metrics`, the Prometheus exposition of `metrics`. Not part of
/// [`configure`]: the composer decides where metrics are served (a separate listener, or
/// the public one only when asked).
pub fn configure_metrics(metrics: Arc<Metrics>) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(web::Data::new(Arc::clone(&metrics)))
            .route("/metrics", web::get().to(metrics::endpoint));
    }
}

/// A resource as mounted: any service factory answering with some body.
trait Mounted:
    ServiceFactory<
    ServiceRequest,
    Config = (),
    Response = ServiceResponse<Self::Body>,
    Error = actix_web::Error,
    InitError = (),
>
{
    type Body: MessageBody;
}

impl<T, B> Mounted for T
where
    T: ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<B>,
        Error = actix_web::Error,
        InitError = (),
    >,
    B: MessageBody,
{
    type Body = B;
}

/// `resource` (mounted at `path`) with its requests counted in the metrics, including
/// those its other middleware answers itself (preflights, refusals).
fn count<T>(path: &'static str, resource: Resource<T>) -> Resource<impl Mounted>
where
    T: Mounted + 'static,
    T::Body: 'static,
{
    resource.wrap(from_fn(move |req, next: Next<T::Body>| {
        metrics::track(path, req, next)
    }))
}

/// A resource at `path` whose requests are counted in the metrics.
fn counted(path: &'static str) -> Resource<impl Mounted> {
    count(path, web::resource(path))
}

/// A public document at `path`, counted, that any origin may read ([`cors::public`]).
fn public(path: &'static str) -> Resource<impl Mounted> {
    count(
        path,
        web::resource(path)
            .wrap(cors::public())
            .wrap(cors::public_always()),
    )
}

/// The client configuration endpoint (RFC 7592 §2) under [`paths::REGISTER`].
const REGISTRATION_CLIENT: &str = "/register/{client_id}";

/// An API at `path`, counted, that any origin may call with `methods` and an
/// `Authorization` header, without cookies ([`cors::public_api`]).
fn public_api(path: &'static str, methods: &[Method]) -> Resource<impl Mounted> {
    count(path, web::resource(path).wrap(cors::public_api(methods)))
}

/// An API at `path`, counted, that browser apps of registered clients call with `methods`
/// ([`cors::for_clients`]): the one line a new client-facing endpoint needs.
fn for_clients(
    state: &HttpState,
    path: &'static str,
    methods: &[Method],
) -> Resource<impl Mounted> {
    let provider = Arc::clone(&state.provider);
    count(
        path,
        web::resource(path)
            .wrap(cors::for_clients(Arc::clone(&provider), methods))
            .wrap(from_fn(move |req, next: Next<EitherBody<BoxBody>>| {
                cors::check_origins(Arc::clone(&provider), req, next)
            })),
    )
}

fn routes(cfg: &mut web::ServiceConfig, state: &HttpState) {
    cfg.service(counted(health::HEALTHZ).get(health::healthz))
        .service(counted(health::READYZ).get(health::readyz))
        .service(public(paths::OPENID_CONFIGURATION).get(endpoints::metadata))
        .service(public(paths::OAUTH_AUTHORIZATION_SERVER).get(endpoints::metadata))
        .service(public(paths::JWKS).get(endpoints::jwks))
        .service(public(paths::WEBFINGER).get(webfinger::webfinger))
        .service(
            counted(paths::AUTHORIZE)
                .get(endpoints::authorize_get)
                .post(endpoints::authorize_post),
        )
        .service(
            counted(paths::LOGIN)
                .get(endpoints::login_get)
                .post(endpoints::login_post),
        )
        .service(
            counted(paths::CONSENT)
                .get(endpoints::consent_get)
                .post(endpoints::consent_post),
        )
        .service(
            counted(paths::LOGOUT)
                .get(endpoints::logout_get)
                .post(endpoints::logout_post),
        )
        .service(for_clients(state, paths::TOKEN, &[Method::POST]).post(endpoints::token))
        // RFC 8628: called by native apps (and browser apps) like the token endpoint.
        .service(
            for_clients(state, paths::DEVICE_AUTHORIZATION, &[Method::POST])
                .post(device::device_authorization),
        )
        .service(
            counted(paths::DEVICE)
                .get(device::verification_get)
                .post(device::verification_post),
        )
        .service(counted(device::DEVICE_LOGIN).post(device::login_post))
        // RFC 7009: browser apps revoke their tokens when the user signs out.
        .service(for_clients(state, paths::REVOKE, &[Method::POST]).post(endpoints::revoke))
        // RFC 7662: called by resource servers, server to server; no CORS.
        .service(counted(paths::INTROSPECT).post(endpoints::introspect))
        // RFC 7591/7592: called by native apps, and by browser apps (MCP clients) from
        // any origin — they have no registered redirect URI yet — with no cookies, so
        // the public CORS policy fits.
        .service(public_api(paths::REGISTER, &[Method::POST]).post(endpoints::register))
        .service(
            public_api(
                REGISTRATION_CLIENT,
                &[Method::GET, Method::PUT, Method::DELETE],
            )
            .get(endpoints::registration_get)
            .put(endpoints::registration_put)
            .delete(endpoints::registration_delete),
        )
        .service(
            for_clients(state, paths::USERINFO, &[Method::GET, Method::POST])
                .get(endpoints::userinfo_get)
                .post(endpoints::userinfo_post),
        );
}
