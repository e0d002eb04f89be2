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
mod cookie;
mod endpoints;
mod error;
mod pages;

use std::sync::Arc;

use actix_web::web;
use idp_protocol::{paths, Provider};

pub use client_address::TrustedProxies;
pub use error::HttpError;

/// Largest request body accepted by any endpoint; bigger ones get 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What the handlers share.
#[derive(Clone, Debug)]
pub struct HttpState {
    pub(crate) provider: Arc<Provider>,
    pub(crate) cookie: cookie::CookiePolicy,
    pub(crate) proxies: TrustedProxies,
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
        }
    }

    /// Takes client addresses from the forwarding headers of these reverse proxies
    /// (by default no peer is trusted and the socket's peer is the client).
    #[must_use]
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = proxies;
        self
    }
}

/// Mounts the provider's endpoints (paths in [`idp_protocol::paths`]).
pub fn configure(state: HttpState) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(web::Data::new(state.clone()))
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .route(
                paths::OPENID_CONFIGURATION,
                web::get().to(endpoints::metadata),
            )
            .route(
                paths::OAUTH_AUTHORIZATION_SERVER,
                web::get().to(endpoints::metadata),
            )
            .route(paths::JWKS, web::get().to(endpoints::jwks))
            .route(paths::AUTHORIZE, web::get().to(endpoints::authorize_get))
            .route(paths::AUTHORIZE, web::post().to(endpoints::authorize_post))
            .route(paths::LOGIN, web::get().to(endpoints::login_get))
            .route(paths::LOGIN, web::post().to(endpoints::login_post))
            .route(paths::CONSENT, web::get().to(endpoints::consent_get))
            .route(paths::CONSENT, web::post().to(endpoints::consent_post))
            .route(paths::TOKEN, web::post().to(endpoints::token))
            .route(paths::USERINFO, web::get().to(endpoints::userinfo_get))
            .route(paths::USERINFO, web::post().to(endpoints::userinfo_post));
    }
}
