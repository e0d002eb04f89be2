//! Prometheus metrics: requests by route and status, latency by route, tokens issued by
//! grant type, failed logins, and whatever gauges the composer adds (database pool use).
//!
//! Each [`Metrics`] has its own registry (no process-wide recorder), so every server in a
//! process — and every test — counts for itself.

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::TypedMetric;
use prometheus_client::registry::Registry;

// Label values are static strings (the route's pattern as mounted, the method's name):
// counting a request allocates nothing once its series exists.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GrantLabels {
    grant_type: &'static str,
}

/// Latency buckets, seconds: from a cached document (well under a millisecond) to a
/// password check under load.
const LATENCY_BUCKETS: [f64; 12] = [
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];

/// The label of a grant type the provider supports (the URN grants by their short
/// names); anything else a client sends is `other`, so a client cannot create label
/// values at will.
fn grant_label(grant_type: &str) -> &'static str {
    match grant_type.parse::<idp_core::GrantType>() {
        Ok(idp_core::GrantType::AuthorizationCode) => "authorization_code",
        Ok(idp_core::GrantType::RefreshToken) => "refresh_token",
        Ok(idp_core::GrantType::ClientCredentials) => "client_credentials",
        Ok(idp_core::GrantType::TokenExchange) => "token_exchange",
        Ok(idp_core::GrantType::DeviceCode) => "device_code",
        Err(_) => "other",
    }
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    tokens: Family<GrantLabels, Counter>,
    login_failures: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with the HTTP and protocol metrics, all at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("idp");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route pattern, method and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(LATENCY_BUCKETS)
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route pattern",
            latency.clone(),
        );
        let tokens = Family::<GrantLabels, Counter>::default();
        registry.register(
            "tokens_issued",
            "Successful token responses, by grant type",
            tokens.clone(),
        );
        let login_failures = Counter::default();
        registry.register(
            "login_failures",
            "Login attempts refused for a wrong username or password",
            login_failures.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            tokens,
            login_failures,
        }
    }

    /// Adds gauges read at every scrape (e.g. [`GaugeSource`] for the database pool).
    pub fn register_collector(&mut self, collector: impl Collector) {
        self.registry.register_collector(Box::new(collector));
    }

    /// The metrics in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    fn observe(&self, route: &'static str, method: &'static str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route,
                method,
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route })
            .observe(seconds);
    }

    pub(crate) fn token_issued(&self, grant_type: &str) {
        let grant_type = grant_label(grant_type);
        self.tokens.get_or_create(&GrantLabels { grant_type }).inc();
    }

    pub(crate) fn login_failed(&self) {
        self.login_failures.inc();
    }
}

/// Gauges computed at scrape time by a function: `(name, help, value)` triples, e.g. the
/// database pool's connections in use.
pub struct GaugeSource {
    read: Box<dyn Fn() -> Vec<(&'static str, &'static str, i64)> + Send + Sync>,
}

impl GaugeSource {
    /// Gauges that `read` produces at each scrape.
    pub fn new(
        read: impl Fn() -> Vec<(&'static str, &'static str, i64)> + Send + Sync + 'static,
    ) -> Self {
        GaugeSource {
            read: Box::new(read),
        }
    }
}

impl std::fmt::Debug for GaugeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GaugeSource").finish_non_exhaustive()
    }
}

impl Collector for GaugeSource {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for (name, help, value) in (self.read)() {
            let gauge = ConstGauge::new(value);
            let metric = encoder.encode_descriptor(name, help, None, ConstGauge::<i64>::TYPE)?;
            gauge.encode(metric)?;
        }
        Ok(())
    }
}

/// The method as a label value: the standard ones by name, anything else `other`.
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// Middleware of the resource mounted at `route`: counts its requests by that pattern
/// (never the raw path, so label values stay bounded) and times them.
pub(crate) async fn track(
    route: &'static str,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let metrics = req
        .app_data::<web::Data<crate::HttpState>>()
        .map(|state| Arc::clone(&state.metrics));
    let response = next.call(req).await?;
    let Some(metrics) = metrics else {
        return Ok(response);
    };
    metrics.observe(
        route,
        method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    Ok(response)
}

/// `GET /metrics`.
pub(crate) async fn endpoint(metrics: web::Data<Arc<Metrics>>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(metrics.render())
}

#[cfg(test)]
mod tests {
    use super::grant_label;

    #[test]
    fn grant_types_have_short_labels_and_anything_else_is_other() {
        assert_eq!(grant_label("client_credentials"), "client_credentials");
        assert_eq!(
            grant_label("urn:ietf:params:oauth:grant-type:token-exchange"),
            "token_exchange"
        );
        assert_eq!(
            grant_label("urn:ietf:params:oauth:grant-type:device_code"),
            "device_code"
        );
        assert_eq!(grant_label("password"), "other");
        assert_eq!(grant_label("x".repeat(100).as_str()), "other");
    }
}
