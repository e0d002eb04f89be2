//! What an MCP client does to call a protected MCP server it knows only by URL (MCP
//! authorization, 2025-11-25): call it and read the `401` challenge → RFC 9728 resource
//! metadata → RFC 8414 authorization-server metadata → RFC 7591 registration as a
//! public native client → the authorization-code flow with PKCE (RFC 7636), a loopback
//! redirect (RFC 8252 §7.3) and the `resource` indicator (RFC 8707) → call the server
//! with the access token.

use std::future::Future;

use anyhow::{anyhow, bail, ensure, Context};
use openidconnect::PkceCodeChallenge;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What the flow found on the way and the server's answers.
#[derive(Debug)]
pub struct Outcome {
    /// The resource identifier from the server's metadata (sent as `resource`).
    pub resource: String,
    /// The authorization server it names.
    pub issuer: String,
    /// The client id the provider registered.
    pub client_id: String,
    /// The access token.
    pub access_token: String,
    /// The granted scope.
    pub scope: String,
    /// `tools/list`'s result.
    pub tools: Value,
    /// The text of `tools/call` `whoami`.
    pub whoami: String,
}

/// The `resource_metadata` URL of a `WWW-Authenticate: Bearer …` challenge (RFC 9728
/// §5.1).
fn resource_metadata_url(challenge: &str) -> Option<String> {
    let start = challenge.find("resource_metadata=\"")? + "resource_metadata=\"".len();
    let rest = &challenge[start..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// The authorization server's metadata (RFC 8414 §3; the path is inserted after the
/// host, §3.1), falling back to OpenID Connect discovery, as MCP clients do.
async fn authorization_server(http: &reqwest::Client, issuer: &str) -> anyhow::Result<Value> {
    let url = url::Url::parse(issuer).context("issuer")?;
    let path = url.path().trim_end_matches('/');
    let origin = url.origin().ascii_serialization();
    for candidate in [
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{origin}/.well-known/openid-configuration{path}"),
        format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ),
    ] {
        let response = http.get(&candidate).send().await?;
        if response.status().is_success() {
            let metadata: Value = response.json().await?;
            // RFC 8414 §3.3: the issuer must be the one we were sent to.
            ensure!(
                metadata["issuer"] == issuer,
                "metadata names another issuer"
            );
            return Ok(metadata);
        }
    }
    bail!("no authorization server metadata at {issuer}")
}

/// Waits on `listener` for the browser's redirect to `/callback` and answers it; the
/// query parameters.
async fn wait_for_callback(listener: TcpListener) -> anyhow::Result<Vec<(String, String)>> {
    loop {
        let (stream, _) = listener.accept().await?;
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).await?;
        let target = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let found = target.starts_with("/callback?");
        let body = if found {
            "Signed in. You can close this window."
        } else {
            "Not found"
        };
        let status = if found { "200 OK" } else { "404 Not Found" };
        let answer = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        reader.get_mut().write_all(answer.as_bytes()).await?;
        if found {
            let query = &target["/callback?".len()..];
            return Ok(form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect());
        }
    }
}

/// A JSON-RPC call to the MCP server with the access token.
async fn call(
    http: &reqwest::Client,
    server: &str,
    token: &str,
    method: &str,
    params: Value,
) -> anyhow::Result<Value> {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let response = http
        .post(server)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    ensure!(
        response.status().is_success(),
        "{method}: {}",
        response.status()
    );
    let answer: Value = response.json().await?;
    Ok(answer["result"].clone())
}

/// Runs the whole flow against the MCP endpoint `server`. `open` is handed the
/// authorization URL, as a browser would be: the person signs in and consents there, and
/// the browser is sent back to the flow's loopback listener.
///
/// # Errors
/// Any step that fails, with what was expected.
pub async fn run<F, Fut>(server: &str, open: F) -> anyhow::Result<Outcome>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    // Redirects are not followed: every step is one the flow takes itself.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;

    // 1. Call without a token: 401 and a challenge naming the resource metadata.
    let first = http
        .post(server)
        .json(&json!({ "jsonrpc": "2.0", "id": 0, "method": "tools/list" }))
        .send()
        .await?;
    ensure!(
        first.status() == 401,
        "expected 401 without a token, got {}",
        first.status()
    );
    let challenge = first
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .context("no WWW-Authenticate")?;
    let metadata_url = resource_metadata_url(challenge).context("no resource_metadata")?;

    // 2. The resource's metadata (RFC 9728): its identifier must be the server's URL.
    let resource_metadata: Value = http.get(&metadata_url).send().await?.json().await?;
    let resource = resource_metadata["resource"]
        .as_str()
        .context("no resource")?
        .to_owned();
    ensure!(
        resource == server,
        "the metadata is for {resource}, not {server} (RFC 9728 §3.3)"
    );
    let issuer = resource_metadata["authorization_servers"][0]
        .as_str()
        .context("no authorization server")?
        .to_owned();
    let scope = resource_metadata["scopes_supported"]
        .as_array()
        .map(|s| {
            s.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();

    // 3. The authorization server's metadata: PKCE S256 is required (MCP).
    let metadata = authorization_server(&http, &issuer).await?;
    let s256 = metadata["code_challenge_methods_supported"]
        .as_array()
        .is_some_and(|m| m.iter().any(|v| v == "S256"));
    ensure!(s256, "the authorization server does not support PKCE S256");
    let endpoint = |name: &str| {
        metadata[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no {name} in the metadata"))
    };

    // 4. Register as a public native client with a loopback redirect (any port), for the
    //    scopes the resource uses.
    let registration: Value = http
        .post(endpoint("registration_endpoint")?)
        .json(&json!({
            "client_name": "mcp-flow example",
            "redirect_uris": ["http://127.0.0.1/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            "application_type": "native",
            "scope": scope,
        }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let client_id = registration["client_id"]
        .as_str()
        .context("no client_id")?
        .to_owned();

    // 5. Authorization request with PKCE and the resource, to the loopback listener.
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let redirect_uri = format!(
        "http://127.0.0.1:{}/callback",
        listener.local_addr()?.port()
    );
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = openidconnect::CsrfToken::new_random().secret().clone();
    let mut authorize = url::Url::parse(&endpoint("authorization_endpoint")?)?;
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("scope", &scope)
        .append_pair("state", &state)
        .append_pair("code_challenge", challenge.as_str())
        .append_pair("code_challenge_method", "S256")
        .append_pair("resource", &resource);
    let (params, ()) = tokio::try_join!(wait_for_callback(listener), open(authorize.to_string()))?;
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if let Some(error) = param("error") {
        bail!("authorization failed: {error}");
    }
    ensure!(
        param("state") == Some(state.as_str()),
        "the state does not match"
    );
    // RFC 9207: the response names the issuer we sent the request to.
    ensure!(
        param("iss") == Some(issuer.as_str()),
        "the response is from another issuer"
    );
    let code = param("code").context("no code")?;

    // 6. The token request repeats the resource (RFC 8707 §2.2, MCP).
    let tokens: Value = http
        .post(endpoint("token_endpoint")?)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &redirect_uri),
            ("client_id", &client_id),
            ("code_verifier", verifier.secret()),
            ("resource", &resource),
        ])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let access_token = tokens["access_token"]
        .as_str()
        .context("no access_token")?
        .to_owned();
    let granted = tokens["scope"].as_str().unwrap_or_default().to_owned();

    // 7. Call the MCP server.
    let tools = call(&http, server, &access_token, "tools/list", json!({})).await?;
    let whoami = call(
        &http,
        server,
        &access_token,
        "tools/call",
        json!({ "name": "whoami" }),
    )
    .await?;
    let whoami = whoami["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok(Outcome {
        resource,
        issuer,
        client_id,
        access_token,
        scope: granted,
        tools,
        whoami,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_names_the_metadata() {
        let c = r#"Bearer error="invalid_token", resource_metadata="https://a.example/.well-known/oauth-protected-resource/mcp""#;
        assert_eq!(
            resource_metadata_url(c).as_deref(),
            Some("https://a.example/.well-known/oauth-protected-resource/mcp")
        );
        assert_eq!(resource_metadata_url("Bearer"), None);
    }
}
