//! The provider embedded in another actix-web application: the same endpoints
//! `idp-server` serves, next to the application's own routes.
//!
//! ```text
//! export IDP_KEY_ENCRYPTION_KEY="$(openssl rand -base64 32)"   # keep it: it unlocks the keys
//! cargo run -p idp-examples --bin embed        # then open http://127.0.0.1:8081/hello
//! ```

use std::sync::Arc;

use actix_web::{web, App, HttpServer};
use idp_core::SystemClock;
use idp_protocol::{ensure_signing_key, KeyEncryptionKey, Provider, ProviderConfig};
use idp_store::DieselStore;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let issuer = "http://127.0.0.1:8081";
    // Private signing keys are stored encrypted under this key (AES-256-GCM).
    let kek = std::env::var("IDP_KEY_ENCRYPTION_KEY").map_err(|_| {
        anyhow::anyhow!(
            "set IDP_KEY_ENCRYPTION_KEY to base64 of 32 random bytes (openssl rand -base64 32)"
        )
    })?;
    let kek = Arc::new(KeyEncryptionKey::from_base64(&kek)?);
    let store = DieselStore::open("sqlite://idp-data/embedded.db")?;
    ensure_signing_key(&store, &SystemClock, &kek)?;
    let provider = Arc::new(Provider::new(
        Arc::new(store),
        Arc::new(SystemClock),
        ProviderConfig::new(issuer, kek),
    ));
    let idp = idp_http::HttpState::new(provider);
    println!("provider at {issuer}/.well-known/openid-configuration; app at {issuer}/hello");
    HttpServer::new(move || {
        App::new()
            .configure(idp_http::configure(idp.clone()))
            .route(
                "/hello",
                web::get().to(|| async { "hello from the host application" }),
            )
    })
    .bind(("127.0.0.1", 8081))?
    .run()
    .await?;
    Ok(())
}
