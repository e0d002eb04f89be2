//! The provider embedded in another actix-web application: the same endpoints
//! `idp-server` serves, next to the application's own routes, with token hooks and the
//! trusted-code calls.
//!
//! ```text
//! export IDP_KEY_ENCRYPTION_KEY="$(openssl rand -base64 32)"   # keep it: it unlocks the keys
//! cargo run -p idp-examples --bin embed        # then open http://127.0.0.1:8081/hello
//! ```
//!
//! - Every ID token gets a `tenant` claim; the client named `Suspended` gets no tokens.
//! - `GET /hello` with `Authorization: Bearer <access or ID token>` greets the token's
//!   user ([`Provider::validate_token`]).
//! - `POST /service-token` issues tokens for the client `SERVICE_CLIENT_ID` and the user
//!   `SERVICE_USER` (both from the environment) without a browser
//!   ([`Provider::issue_tokens_for`]); a real application would protect this route.

use std::sync::Arc;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use idp_core::{ClientId, ScopeSet, SystemClock};
use idp_protocol::{
    ensure_signing_key, HookRefusal, KeyEncryptionKey, Provider, ProviderConfig, TokenDraft,
    TokenHooks, TokenKind, ValidatedToken,
};
use idp_store::DieselStore;

/// The host application's policy for tokens.
struct TenantHooks {
    tenant: String,
}

impl TokenHooks for TenantHooks {
    fn before_issue(&self, draft: &mut TokenDraft<'_>) -> Result<(), HookRefusal> {
        if draft.client().name == "Suspended" {
            return Err(HookRefusal::new("this application is suspended"));
        }
        if draft.kind() == TokenKind::IdToken {
            draft
                .claims_mut()
                .insert("tenant".into(), self.tenant.clone().into());
        }
        Ok(())
    }

    fn after_validate(&self, token: &ValidatedToken) -> Result<(), HookRefusal> {
        println!("validated a {:?} of client {}", token.kind, token.client_id);
        Ok(())
    }
}

/// `GET /hello`: whose bearer token this is.
async fn hello(provider: web::Data<Provider>, request: HttpRequest) -> HttpResponse {
    let token = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let Some(token) = token else {
        return HttpResponse::Ok().body("hello from the host application; send a bearer token");
    };
    // Protocol calls block on the database: run them on the blocking pool.
    match web::block(move || provider.validate_token(&token)).await {
        Ok(Ok(Some(valid))) => match valid.user {
            Some(user) => HttpResponse::Ok().body(format!("hello, {}", user.username)),
            None => HttpResponse::Ok().body(format!("hello, client {}", valid.client_id)),
        },
        Ok(Ok(None)) => HttpResponse::Unauthorized().body("invalid token"),
        Ok(Err(e)) => {
            eprintln!("validate_token failed: {e}");
            HttpResponse::InternalServerError().finish()
        }
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// `POST /service-token`: tokens for the configured client and user, as JSON.
async fn service_token(provider: web::Data<Provider>) -> HttpResponse {
    let (Ok(client), Ok(username)) = (
        std::env::var("SERVICE_CLIENT_ID"),
        std::env::var("SERVICE_USER"),
    ) else {
        return HttpResponse::NotFound().body("set SERVICE_CLIENT_ID and SERVICE_USER");
    };
    let issued = web::block(move || {
        let Some(user) = provider.store().user_by_username(&username)? else {
            return Ok(None);
        };
        let scope = ScopeSet::from_tokens(["openid", "profile"]);
        provider
            .issue_tokens_for(&ClientId::new(client), &user.id, &scope)
            .map(Some)
    })
    .await;
    match issued {
        Ok(Ok(Some(tokens))) => HttpResponse::Ok().json(tokens),
        Ok(Ok(None)) => HttpResponse::NotFound().body("no such user"),
        Ok(Err(e)) => HttpResponse::BadRequest().body(format!("refused: {}", e.code())),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

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
    let provider = Arc::new(
        Provider::new(
            Arc::new(store),
            Arc::new(SystemClock),
            ProviderConfig::new(issuer, kek),
        )
        .with_hooks(Arc::new(TenantHooks {
            tenant: "example".into(),
        })),
    );
    let idp = idp_http::HttpState::new(provider.clone());
    let provider = web::Data::from(provider);
    println!("provider at {issuer}/.well-known/openid-configuration; app at {issuer}/hello");
    HttpServer::new(move || {
        App::new()
            .configure(idp_http::configure(idp.clone()))
            .app_data(provider.clone())
            .route("/hello", web::get().to(hello))
            .route("/service-token", web::post().to(service_token))
    })
    .bind(("127.0.0.1", 8081))?
    .run()
    .await?;
    Ok(())
}
