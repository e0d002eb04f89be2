//! `GET /.well-known/webfinger` (RFC 7033), for OpenID Provider Issuer Discovery.
//!
//! RFC 7033 §5 asks for `Access-Control-Allow-Origin: *` on every answer: the resource is
//! mounted as a public document (`crate::cors::public`), like discovery and the JWKS.

use actix_web::{web, HttpRequest, HttpResponse};
use idp_protocol::{WebFinger, WebFingerAccounts};

use crate::endpoints::blocking;
use crate::error::Surface;
use crate::{HttpError, HttpState};

/// The JRD (`application/jrd+json`, RFC 7033 §10.2), 400 for a missing or repeated
/// `resource` (§4.2), 404 for resources that are not ours.
pub(crate) async fn webfinger(
    state: web::Data<HttpState>,
    req: HttpRequest,
) -> Result<HttpResponse, HttpError> {
    let mut resources = Vec::new();
    let mut rels = Vec::new();
    for (name, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        match &*name {
            "resource" => resources.push(value.into_owned()),
            "rel" => rels.push(value.into_owned()),
            _ => {}
        }
    }
    let answer = match state.provider.config().webfinger_accounts {
        // Nothing to look up: answered right here.
        WebFingerAccounts::Any => state
            .provider
            .webfinger(&resources, &rels)
            .map_err(HttpError::api)?,
        WebFingerAccounts::Existing => {
            blocking(&state, Surface::Api, move |p| {
                p.webfinger(&resources, &rels)
            })
            .await?
        }
    };
    Ok(match answer {
        WebFinger::Found(jrd) => HttpResponse::Ok()
            .content_type("application/jrd+json")
            .json(jrd),
        WebFinger::BadRequest(why) => HttpResponse::BadRequest()
            .content_type("text/plain; charset=utf-8")
            .body(why),
        WebFinger::NotFound => HttpResponse::NotFound().finish(),
    })
}
