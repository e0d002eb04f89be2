//! Probes for orchestrators and load balancers.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::endpoints::blocking;
use crate::error::Surface;
use crate::{HttpError, HttpState};

/// Liveness: the process answers HTTP.
pub(crate) const HEALTHZ: &str = "/healthz";
/// Readiness: this instance can serve requests.
pub(crate) const READYZ: &str = "/readyz";

/// `GET /healthz`: 200 while the process runs; touches nothing else, so a slow database
/// never gets a healthy process restarted.
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body("ok\n")
}

/// `GET /readyz`: 200 when the database answers and its schema is current; 503 with
/// `Retry-After` when it does not answer in time or its schema differs, so a load balancer
/// sends requests elsewhere.
pub(crate) async fn readyz(state: web::Data<HttpState>) -> Result<HttpResponse, HttpError> {
    let current = blocking(&state, Surface::Api, |p| p.is_ready()).await?;
    Ok(if current {
        HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body("ready\n")
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::RETRY_AFTER, "5"))
            .body("database schema is not the one this program expects\n")
    })
}
