//! A relying party that signs a person in through the provider with the authorization-code
//! flow and PKCE, verifies the ID token against the JWKS, and prints the claims.
//!
//! ```text
//! cargo run -p idp-examples --bin rp -- --issuer http://127.0.0.1:8080 \
//!     --client-id ID --client-secret SECRET [--port 9000]
//! ```
//! Register the client with redirect URI `http://127.0.0.1:PORT/callback`, run this, open
//! the printed URL in a browser and sign in.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use anyhow::{anyhow, bail, Context};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

struct Args {
    issuer: String,
    client_id: String,
    client_secret: Option<String>,
    port: u16,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        issuer: "http://127.0.0.1:8080".into(),
        client_id: String::new(),
        client_secret: None,
        port: 9000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--issuer" => args.issuer = value,
            "--client-id" => args.client_id = value,
            "--client-secret" => args.client_secret = Some(value),
            "--port" => args.port = value.parse().context("--port")?,
            other => bail!("unknown flag {other}"),
        }
    }
    if args.client_id.is_empty() {
        bail!("usage: rp --client-id ID [--client-secret SECRET] [--issuer URL] [--port 9000]");
    }
    Ok(args)
}

/// Waits for the browser to come back to `/callback` and returns its query parameters.
fn wait_for_callback(listener: &TcpListener) -> anyhow::Result<Vec<(String, String)>> {
    loop {
        let (mut stream, _) = listener.accept()?;
        let mut line = String::new();
        BufReader::new(&stream).read_line(&mut line)?;
        let target = line.split_whitespace().nth(1).unwrap_or("/");
        let url = url::Url::parse(&format!("http://localhost{target}"))?;
        if url.path() != "/callback" {
            stream.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")?;
            continue;
        }
        let body = "Signed in. You can close this tab and look at the terminal.";
        write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )?;
        return Ok(url.query_pairs().into_owned().collect());
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(args.issuer.clone())?, &http).await?;
    let redirect = format!("http://127.0.0.1:{}/callback", args.port);
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(args.client_id),
        args.client_secret.map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(redirect)?);

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();
    let listener = TcpListener::bind(("127.0.0.1", args.port))?;
    println!("Open this URL in a browser and sign in:\n\n{url}\n");

    let params = wait_for_callback(&listener)?;
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if let Some(error) = get("error") {
        bail!(
            "the provider answered {error}: {}",
            get("error_description").unwrap_or_default()
        );
    }
    if get("state").as_deref() != Some(state.secret().as_str()) {
        bail!("state mismatch");
    }
    let code = get("code").ok_or_else(|| anyhow!("no code in the callback"))?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))?
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await?;
    let id_token = tokens.id_token().ok_or_else(|| anyhow!("no ID token"))?;
    let claims = id_token.claims(&client.id_token_verifier(), &nonce)?;
    println!("ID token verified. sub = {}", claims.subject().as_str());
    let userinfo: CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )?
        .request_async(&http)
        .await?;
    println!("UserInfo:\n{}", serde_json_pretty(&userinfo)?);
    if let Some(refresh) = tokens.refresh_token() {
        let refreshed = client
            .exchange_refresh_token(refresh)?
            .request_async(&http)
            .await?;
        println!(
            "Refreshed: new access token expires in {:?}",
            refreshed.expires_in()
        );
    }
    Ok(())
}

fn serde_json_pretty<T: serde::Serialize>(value: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(value)?)
}
