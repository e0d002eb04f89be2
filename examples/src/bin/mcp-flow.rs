//! Does what an MCP client does to call a protected MCP server (see
//! `idp_examples::mcp_flow`): prints the URL to open in a browser, waits for the
//! redirect to its loopback listener, then calls the server.
//!
//! ```text
//! cargo run -p idp-examples --bin mcp-flow -- http://127.0.0.1:8081/mcp
//! ```

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let server = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8081/mcp".to_owned());
    let outcome = idp_examples::mcp_flow::run(&server, |url| async move {
        println!("Open this URL in a browser and sign in:\n\n  {url}\n");
        Ok(())
    })
    .await?;
    println!("registered client: {}", outcome.client_id);
    println!("granted scope:     {}", outcome.scope);
    println!("tools:             {}", outcome.tools);
    println!("whoami:            {}", outcome.whoami);
    Ok(())
}
