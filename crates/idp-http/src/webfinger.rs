//! `GET /.well-known/webfinger` (RFC 7033), for OpenID Provider Issuer Discovery.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use idp_protocol::{WebFinger, WebFingerAccounts};

use crate::endpoints::blocking;
use crate::error::Surface;
use crate::{HttpError, HttpState};

/// RFC 7033 §5: WebFinger answers to any origin, without credentials.
fn cors(response: &mut actix_web::HttpResponseBuilder) -> &mut actix_web::HttpResponseBuilder {
    response.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
}

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
        WebFinger::Found(jrd) => cors(&mut HttpResponse::Ok())
            .content_type("application/jrd+json")
            .json(jrd),
        WebFinger::BadRequest(why) => cors(&mut HttpResponse::BadRequest())
            .content_type("text/plain; charset=utf-8")
            .body(why),
        WebFinger::NotFound => cors(&mut HttpResponse::NotFound()).finish(),
    })
}
