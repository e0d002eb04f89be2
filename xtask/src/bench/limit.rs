//! `xtask bench-limit-server PORT`: the smallest useful actix-web 4 service — one worker,
//! one handler answering `{"ok":true}` — as the ceiling for the server's own endpoints on
//! the same core under the same load.

use std::net::TcpListener;

use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::{Context, Result};

/// The path the limit server answers.
pub(crate) const PATH: &str = "/";

async fn ok() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"ok":true}"#)
}

/// Entry point: serves on 127.0.0.1:PORT until killed.
pub(crate) fn serve(args: &[String]) -> Result<()> {
    let port: u16 = args
        .first()
        .context("usage: xtask bench-limit-server PORT")?
        .parse()
        .context("PORT")?;
    let listener = TcpListener::bind(("127.0.0.1", port))
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(|| App::new().route(PATH, web::get().to(ok)))
            .workers(1)
            .listen(listener)?
            .run()
            .await
    })?;
    Ok(())
}
