//! actix-web glue: an extractor that admits requests with a valid bearer token and
//! answers the others with RFC 6750 challenges, and the routes of the RFC 9728 document.
//!
//! ```no_run
//! use actix_web::{get, web, App, HttpServer};
//! use idp_resource::actix::{configure, Authenticated, ResourceGuard};
//! use idp_resource::{JwtValidator, ProtectedResourceMetadata, ValidatorConfig};
//!
//! #[get("/files")]
//! async fn files(user: Authenticated) -> Result<String, idp_resource::actix::Rejection> {
//!     user.require_scope("files.read")?;
//!     Ok(format!("files of {}", user.subject))
//! }
//!
//! # async fn run() -> anyhow::Result<()> {
//! let issuer = "https://id.example.org";
//! let resource = "https://api.example.org";
//! let validator = JwtValidator::discover(ValidatorConfig::new(issuer, resource)).await?;
//! let guard = ResourceGuard::new(validator, ProtectedResourceMetadata::new(resource, issuer)?);
//! HttpServer::new(move || App::new().configure(configure(guard.clone())).service(files))
//!     .bind(("127.0.0.1", 8081))?
//!     .run()
//!     .await?;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};

use crate::{Principal, ProtectedResourceMetadata, ResourceError, Validator};

/// The validator and the resource's metadata, shared by every worker.
#[derive(Clone, Debug)]
pub struct ResourceGuard {
    validator: Arc<Validator>,
    metadata: Arc<ProtectedResourceMetadata>,
}

impl ResourceGuard {
    /// A guard that validates with `validator` (a [`crate::JwtValidator`], an
    /// [`crate::IntrospectionValidator`] or a [`Validator`]) and points clients at
    /// `metadata`.
    pub fn new(validator: impl Into<Validator>, metadata: ProtectedResourceMetadata) -> Self {
        ResourceGuard {
            validator: Arc::new(validator.into()),
            metadata: Arc::new(metadata),
        }
    }

    /// The validator.
    pub fn validator(&self) -> &Validator {
        &self.validator
    }

    fn reject(&self, error: ResourceError) -> Rejection {
        Rejection {
            error,
            resource_metadata: Some(self.metadata.url()),
        }
    }
}

/// Registers the guard for [`Authenticated`] and serves the metadata document at its
/// well-known path (RFC 9728 §3.1), for `App::configure`.
pub fn configure(guard: ResourceGuard) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let path = guard.metadata.path();
        let document = Arc::clone(&guard.metadata);
        cfg.app_data(web::Data::new(guard)).route(
            &path,
            web::get().to(move || {
                let document = Arc::clone(&document);
                async move {
                    // A public document without credentials: browser-based clients
                    // (MCP clients in a web page) read it from any origin.
                    HttpResponse::Ok()
                        .insert_header((header::CACHE_CONTROL, "max-age=3600"))
                        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
                        .json(&*document)
                }
            }),
        );
    }
}

/// A refused request: the error and where the metadata is, rendered as RFC 6750 §3
/// says (status, `WWW-Authenticate`, no body).
#[derive(Debug)]
pub struct Rejection {
    error: ResourceError,
    resource_metadata: Option<String>,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl ResponseError for Rejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.error.status()).unwrap_or(StatusCode::UNAUTHORIZED)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let Ok(value) = HeaderValue::from_str(
            &self
                .error
                .www_authenticate(self.resource_metadata.as_deref()),
        ) {
            response.insert_header((header::WWW_AUTHENTICATE, value));
        }
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        response.finish()
    }
}

/// A request with a valid bearer token: dereferences to the token's [`Principal`].
#[derive(Debug)]
pub struct Authenticated {
    principal: Principal,
    resource_metadata: String,
}

impl Deref for Authenticated {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl Authenticated {
    /// `Ok` when the token carries `scope`; else a 403 `insufficient_scope` naming it.
    ///
    /// # Errors
    /// The [`Rejection`] to return from the handler.
    pub fn require_scope(&self, scope: &str) -> Result<(), Rejection> {
        self.principal
            .require_scope(scope)
            .map_err(|error| Rejection {
                error,
                resource_metadata: Some(self.resource_metadata.clone()),
            })
    }

    /// The principal, owned.
    pub fn into_inner(self) -> Principal {
        self.principal
    }
}

/// The token of an `Authorization: Bearer` header (RFC 6750 §2.1; the scheme is
/// case-insensitive, RFC 9110 §11.1). Tokens in the query or body are not read.
fn bearer_token(req: &HttpRequest) -> Result<String, ResourceError> {
    let mut values = req.headers().get_all(header::AUTHORIZATION);
    let Some(value) = values.next() else {
        return Err(ResourceError::MissingToken);
    };
    if values.next().is_some() {
        return Err(ResourceError::InvalidRequest(
            "more than one Authorization header",
        ));
    }
    let value = value
        .to_str()
        .map_err(|_| ResourceError::InvalidRequest("the Authorization header is not text"))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        // Another scheme: this resource asks for a bearer token (RFC 6750 §3).
        _ => Err(ResourceError::MissingToken),
    }
}

impl FromRequest for Authenticated {
    type Error = Rejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Rejection>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let guard = req.app_data::<web::Data<ResourceGuard>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let Some(guard) = guard else {
                tracing::error!("idp_resource::actix::configure was not called on this App");
                return Err(Rejection {
                    error: ResourceError::Discovery("no ResourceGuard registered".into()),
                    resource_metadata: None,
                });
            };
            let token = token.map_err(|e| guard.reject(e))?;
            let principal = guard
                .validator
                .validate(&token)
                .await
                .map_err(|e| guard.reject(e))?;
            Ok(Authenticated {
                principal,
                resource_metadata: guard.metadata.url(),
            })
        })
    }
}
