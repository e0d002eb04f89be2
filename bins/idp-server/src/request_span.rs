//! How requests appear in the logs: by method and path, never the query string, which
//! carries request ids, login hints, codes and state (RFC 9700 §4.2.4 warns against
//! leaking them).
//!
//! A small middleware of our own rather than `tracing-actix-web`: that crate's span
//! records the query, and it builds a span and a request id for every request even when
//! nothing is logged, which cost a fifth of the throughput of the cheapest endpoints
//! (docs/performance.md). Here the per-request span is at `debug` level (free unless
//! enabled), and a request that ends in a server error is logged at `error` with its
//! method, path and status whatever the level.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::Error;
use tracing::Instrument;

/// The middleware function: `App::new().wrap(actix_web::middleware::from_fn(log_request))`.
///
/// # Errors
/// Whatever the wrapped service returns.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    // Nothing is formatted or allocated here unless debug logging is on.
    let span = tracing::debug_span!("request", method = %req.method(), path = %req.path());
    let response = next.call(req).instrument(span).await?;
    let status = response.status();
    if status.is_server_error() {
        let req = response.request();
        tracing::error!(
            method = %req.method(),
            path = %req.path(),
            status = status.as_u16(),
            "request failed"
        );
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use actix_web::middleware::from_fn;
    use actix_web::{test, web, App, HttpResponse};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    async fn logs_of(level: &str, uri: &str) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(level))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = test::init_service(
            App::new()
                .wrap(from_fn(log_request))
                .route(
                    "/login",
                    web::get().to(|| async {
                        tracing::info!("inside the handler");
                        HttpResponse::Ok().finish()
                    }),
                )
                .route(
                    "/broken",
                    web::get().to(|| async { HttpResponse::InternalServerError().finish() }),
                ),
        )
        .await;
        let req = test::TestRequest::get().uri(uri).to_request();
        test::call_service(&app, req).await;
        let out = captured.0.lock().unwrap().clone();
        String::from_utf8(out).unwrap()
    }

    #[actix_web::test]
    async fn request_logs_name_the_path_but_never_the_query() {
        let uri = "/login?request_id=SECRET-REQUEST-ID&login_hint=alice";
        let out = logs_of("debug", uri).await;
        assert!(out.contains("inside the handler"), "{out}");
        assert!(out.contains("/login"), "{out}");
        assert!(
            !out.contains("SECRET-REQUEST-ID") && !out.contains("alice"),
            "{out}"
        );
        // At the default level the span costs nothing and is not shown.
        let out = logs_of("info", uri).await;
        assert!(
            out.contains("inside the handler") && !out.contains("/login"),
            "{out}"
        );
    }

    #[actix_web::test]
    async fn server_errors_are_logged_with_method_path_and_status() {
        let out = logs_of("error", "/broken?code=SECRET").await;
        assert!(out.contains("request failed"), "{out}");
        assert!(out.contains("/broken") && out.contains("500"), "{out}");
        assert!(!out.contains("SECRET"), "{out}");
    }
}
