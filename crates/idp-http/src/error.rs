//! The one place where errors become responses.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use idp_protocol::{Delivery, ErrorCode, ProtocolError};
use serde_json::json;

use crate::pages;

/// Which kind of client an endpoint serves, to answer internal failures in its language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    /// A browser: HTML error page.
    Browser,
    /// A client library: JSON.
    Api,
}

/// Errors of the HTTP adapter.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// A protocol error, to render per its delivery.
    #[error("{0}")]
    Protocol(#[source] ProtocolError, Surface),
    /// The request is malformed at the HTTP level (e.g. wrong content type).
    #[error("{0}")]
    BadRequest(&'static str, Surface),
    /// The blocking pool was shut down or the task panicked.
    #[error("background task failed")]
    Blocking(Surface),
    /// A page could not be rendered.
    #[error("template rendering failed: {0}")]
    Template(#[from] askama::Error),
}

impl HttpError {
    pub(crate) fn api(e: ProtocolError) -> Self {
        HttpError::Protocol(e, Surface::Api)
    }
}

/// Quotes a value for an auth-param (RFC 9110 §11.2); descriptions are fixed ASCII text.
fn quoted(s: &str) -> String {
    s.replace(['"', '\\'], "'")
}

fn json_error(status: StatusCode, code: ErrorCode, description: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "error": code.as_str(), "error_description": description }))
}

fn basic_challenge() -> HeaderValue {
    HeaderValue::from_static("Basic realm=\"idp\", charset=\"UTF-8\"")
}

/// 503 with `Retry-After` (RFC 9110 §15.6.4, §10.2.3): overloaded, try again soon.
pub(crate) fn busy(surface: Surface, retry_after: u64) -> HttpResponse {
    const DESCRIPTION: &str = "the server is busy; try again in a moment";
    let mut r = match surface {
        Surface::Api => json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::TemporarilyUnavailable,
            DESCRIPTION,
        ),
        Surface::Browser => pages::error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::TemporarilyUnavailable,
            DESCRIPTION,
        ),
    };
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    r
}

fn server_error(surface: Surface) -> HttpResponse {
    const DESCRIPTION: &str = "the server could not complete the request; try again later";
    match surface {
        Surface::Api => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::ServerError,
            DESCRIPTION,
        ),
        Surface::Browser => pages::error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::ServerError,
            DESCRIPTION,
        ),
    }
}

/// A rejection under a protocol rule, per its delivery.
fn rejection(code: ErrorCode, description: &str, delivery: &Delivery) -> HttpResponse {
    match delivery {
        Delivery::ErrorPage => {
            // The person is known but not allowed (a group-restricted
            // client): 403; everything else is a bad request.
            let status = if code == ErrorCode::AccessDenied {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::BAD_REQUEST
            };
            pages::error_page(status, code, description)
        }
        Delivery::Redirect(location) => pages::redirect(location),
        Delivery::PostToClient(form) => match pages::form_post(form) {
            Ok(response) => response,
            Err(e) => e.error_response(),
        },
        Delivery::Json { .. } => {
            // RFC 6749 §5.2: invalid_client is 401; a 401 always names the
            // scheme to use (RFC 9110 §15.5.2), whether or not the client
            // tried Basic.
            if code == ErrorCode::InvalidClient {
                let mut r = json_error(StatusCode::UNAUTHORIZED, code, description);
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, basic_challenge());
                r
            } else if code == ErrorCode::AccessDenied {
                // The request is understood but not allowed (registration off, or its
                // limit reached).
                json_error(StatusCode::FORBIDDEN, code, description)
            } else {
                json_error(StatusCode::BAD_REQUEST, code, description)
            }
        }
        Delivery::Bearer => {
            // RFC 6750 §3.1.
            let status = match code {
                ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
                ErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
                _ => StatusCode::UNAUTHORIZED,
            };
            let challenge = format!(
                "Bearer error=\"{}\", error_description=\"{}\"",
                code.as_str(),
                quoted(description)
            );
            let mut r = json_error(status, code, description);
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
            r
        }
    }
}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        self.error_response().status()
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            HttpError::Protocol(
                ProtocolError::Rejected {
                    code,
                    description,
                    delivery,
                },
                _,
            ) => rejection(*code, description, delivery),
            // The reason a token hook of the embedding application chose (bounded, RFC 6749
            // §5.2 characters), delivered like any rejection.
            HttpError::Protocol(
                ProtocolError::RefusedByHook {
                    code,
                    reason,
                    delivery,
                },
                _,
            ) => rejection(*code, reason, delivery),
            HttpError::Protocol(
                ProtocolError::Throttled {
                    retry_after,
                    delivery,
                },
                _,
            ) => {
                // RFC 6585 §4: 429 with how long to wait.
                const DESCRIPTION: &str = "too many attempts; try again later";
                let mut r = match delivery {
                    Delivery::ErrorPage | Delivery::Redirect(_) | Delivery::PostToClient(_) => {
                        pages::error_page(
                            StatusCode::TOO_MANY_REQUESTS,
                            ErrorCode::TemporarilyUnavailable,
                            DESCRIPTION,
                        )
                    }
                    Delivery::Json { .. } | Delivery::Bearer => json_error(
                        StatusCode::TOO_MANY_REQUESTS,
                        ErrorCode::TemporarilyUnavailable,
                        DESCRIPTION,
                    ),
                };
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
                r
            }
            // RFC 7591 §3.2.2: 400 with the error code and a description.
            HttpError::Protocol(ProtocolError::InvalidMetadata { code, description }, _) => {
                json_error(StatusCode::BAD_REQUEST, *code, description)
            }
            HttpError::Protocol(ProtocolError::Busy { retry_after }, surface) => {
                busy(*surface, *retry_after)
            }
            HttpError::Protocol(e @ ProtocolError::Refused(_), surface) => match surface {
                Surface::Api => {
                    json_error(StatusCode::BAD_REQUEST, e.code(), "the request was refused")
                }
                Surface::Browser => {
                    pages::error_page(StatusCode::BAD_REQUEST, e.code(), "the request was refused")
                }
            },
            HttpError::Protocol(e, surface) => {
                tracing::error!(error = %idp_core::error_chain(e), "internal failure");
                server_error(*surface)
            }
            HttpError::BadRequest(description, Surface::Api) => json_error(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidRequest,
                description,
            ),
            HttpError::BadRequest(description, Surface::Browser) => pages::error_page(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidRequest,
                description,
            ),
            HttpError::Blocking(surface) => {
                tracing::error!("blocking task failed");
                server_error(*surface)
            }
            HttpError::Template(e) => {
                tracing::error!(error = %e, "template rendering failed");
                HttpResponse::InternalServerError()
                    .content_type("text/plain; charset=utf-8")
                    .body("internal server error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(error: ProtocolError, surface: Surface, status: u16, retry_after: Option<&str>) {
        let response = HttpError::Protocol(error, surface).error_response();
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(
            response
                .headers()
                .get(header::RETRY_AFTER)
                .map(|v| v.to_str().unwrap()),
            retry_after
        );
    }

    #[test]
    fn overload_and_throttling_name_when_to_retry() {
        check(
            ProtocolError::Busy { retry_after: 1 },
            Surface::Api,
            503,
            Some("1"),
        );
        check(
            ProtocolError::Busy { retry_after: 2 },
            Surface::Browser,
            503,
            Some("2"),
        );
        let throttled = |delivery| ProtocolError::Throttled {
            retry_after: 7,
            delivery,
        };
        check(
            throttled(Delivery::Json {
                basic_challenge: false,
            }),
            Surface::Api,
            429,
            Some("7"),
        );
        check(
            throttled(Delivery::ErrorPage),
            Surface::Browser,
            429,
            Some("7"),
        );
        check(ProtocolError::Internal("x".into()), Surface::Api, 500, None);
    }

    #[test]
    fn invalid_client_is_always_a_401_with_a_challenge() {
        for basic_challenge in [true, false] {
            let response = HttpError::Protocol(
                ProtocolError::Rejected {
                    code: ErrorCode::InvalidClient,
                    description: "client authentication failed",
                    delivery: Delivery::Json { basic_challenge },
                },
                Surface::Api,
            )
            .error_response();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
        }
    }
}
