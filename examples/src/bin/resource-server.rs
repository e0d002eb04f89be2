//! An MCP-style API protected by the provider (see `idp_examples::resource_server`).
//!
//! ```text
//! cargo run -p idp-examples --bin resource-server -- \
//!     --issuer http://127.0.0.1:8080 --resource http://127.0.0.1:8081/mcp
//! ```
//! It listens on the resource URL's host and port. Let clients name the resource:
//! `idp-admin settings set shared_resources http://127.0.0.1:8081/mcp`.

use anyhow::{bail, Context};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let mut issuer = "http://127.0.0.1:8080".to_owned();
    let mut resource = "http://127.0.0.1:8081/mcp".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--issuer" => issuer = value,
            "--resource" => resource = value,
            other => bail!("unknown flag {other} (use --issuer URL --resource URL)"),
        }
    }
    let url = url::Url::parse(&resource).context("--resource")?;
    let host = url.host_str().context("--resource needs a host")?;
    let port = url
        .port_or_known_default()
        .context("--resource needs a port")?;
    let listener = std::net::TcpListener::bind((host, port))?;
    eprintln!("serving {resource} for tokens from {issuer}");
    idp_examples::resource_server::serve(listener, &issuer, &resource)
        .await?
        .await?;
    Ok(())
}
