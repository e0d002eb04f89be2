//! An API on `idp-resource`: an MCP-style JSON-RPC endpoint that admits the provider's
//! access tokens for this resource with the `files.read` scope, answers everything else
//! with an RFC 6750 challenge pointing at its RFC 9728 metadata, and serves that
//! metadata.
//!
//! The handler is what an API author writes; `serve` is the wiring.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{web, App, HttpResponse, HttpServer};
use idp_resource::actix::{configure, Authenticated, Rejection, ResourceGuard};
use idp_resource::{JwtValidator, ProtectedResourceMetadata, ValidatorConfig};
use serde_json::{json, Value};

/// The scope the tools need.
pub const SCOPE: &str = "files.read";

/// `POST` of a JSON-RPC call: `tools/list`, or `tools/call` of `whoami`.
async fn mcp(user: Authenticated, call: web::Json<Value>) -> Result<HttpResponse, Rejection> {
    user.require_scope(SCOPE)?;
    let result = match call["method"].as_str() {
        Some("tools/list") => json!({ "tools": [{
            "name": "whoami",
            "description": "Who the access token speaks for",
            "inputSchema": { "type": "object" },
        }]}),
        Some("tools/call") => json!({ "content": [{
            "type": "text",
            "text": format!("user {} through client {}", user.subject, user.client_id),
        }]}),
        _ => {
            let error = json!({ "code": -32601, "message": "method not found" });
            return Ok(HttpResponse::Ok()
                .json(json!({ "jsonrpc": "2.0", "id": call["id"], "error": error })));
        }
    };
    Ok(HttpResponse::Ok().json(json!({ "jsonrpc": "2.0", "id": call["id"], "result": result })))
}

/// Starts the API on `listener` for tokens from `issuer` whose audience is `resource`
/// (its URL: the endpoint is served at the resource's path).
///
/// # Errors
/// When the provider's discovery document or keys cannot be read, or `resource` is not
/// an http(s) URL.
pub async fn serve(listener: TcpListener, issuer: &str, resource: &str) -> anyhow::Result<Server> {
    let validator = JwtValidator::discover(ValidatorConfig::new(issuer, resource)).await?;
    let mut metadata = ProtectedResourceMetadata::new(resource, issuer)?;
    metadata.scopes_supported = vec![SCOPE.to_owned()];
    metadata.resource_name = Some("Files (example MCP server)".to_owned());
    let guard = ResourceGuard::new(validator, metadata);
    let path = url::Url::parse(resource)?.path().to_owned();
    let server = HttpServer::new(move || {
        App::new()
            .configure(configure(guard.clone()))
            .route(&path, web::post().to(mcp))
    })
    .workers(1)
    .listen(listener)?
    .run();
    Ok(server)
}
