//! The OAuth 2.0 / OpenID Connect steps the scenarios are made of, done the way a browser
//! and a confidential client do them: cookies kept per browser, redirects read from
//! `Location` and never followed automatically, forms read from the HTML.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hyper::header::{self, HeaderName};
use hyper::Method;
use serde::Deserialize;

use super::http::{Conn, Reply};

/// The redirect URI registered for the bench client (nothing listens there).
pub(crate) const REDIRECT_URI: &str = "http://127.0.0.1:9/cb";
/// Scope of every authorization request.
pub(crate) const SCOPE: &str = "openid profile email offline_access";
/// PKCE verifier and S256 challenge from RFC 7636 Appendix B.
pub(crate) const CODE_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CODE_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// The user the bench logs in as.
pub(crate) const USERNAME: &str = "bench";

const FORM: &str = "application/x-www-form-urlencoded";

/// A confidential client, authenticating with HTTP Basic.
#[derive(Debug)]
pub(crate) struct Client {
    /// `client_id`.
    pub(crate) id: String,
    basic: String,
}

impl Client {
    /// A client with its id and secret.
    pub(crate) fn new(id: String, secret: &str) -> Self {
        // Generated ids and secrets are base64url/alphanumeric: no form-encoding needed.
        let basic = format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")));
        Client { id, basic }
    }

    /// The `Authorization: Basic` value (RFC 6749 §2.3.1).
    pub(crate) fn basic(&self) -> &str {
        &self.basic
    }
}

/// One browser's cookies (name → value; the server only uses host-wide cookies).
#[derive(Clone, Debug, Default)]
pub(crate) struct Jar(BTreeMap<String, String>);

impl Jar {
    /// Applies `Set-Cookie` headers.
    pub(crate) fn store(&mut self, set_cookies: &[String]) {
        for c in set_cookies {
            let pair = c.split(';').next().unwrap_or_default();
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let expired = c.split(';').skip(1).any(|attr| {
                let attr = attr.trim().to_ascii_lowercase();
                attr == "max-age=0" || attr.starts_with("max-age=-")
            });
            if expired || value.is_empty() {
                self.0.remove(name.trim());
            } else {
                self.0
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }

    /// The `Cookie` header value, if there are cookies.
    pub(crate) fn header(&self) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        let pairs: Vec<String> = self.0.iter().map(|(n, v)| format!("{n}={v}")).collect();
        Some(pairs.join("; "))
    }
}

/// Why one iteration failed.
#[derive(Debug)]
pub(crate) struct Failure {
    /// A short label, counted per label in the report.
    pub(crate) kind: String,
    /// The server's `Retry-After`, if it gave one.
    pub(crate) retry_after: Option<u64>,
}

impl Failure {
    /// An unexpected answer at `step`.
    pub(crate) fn status(step: &str, reply: &Reply) -> Self {
        Failure {
            kind: format!("{step}: HTTP {}", reply.status),
            retry_after: reply.retry_after,
        }
    }

    /// A failure without an HTTP answer, or an answer missing what was needed.
    pub(crate) fn other(step: &str, what: impl std::fmt::Display) -> Self {
        Failure {
            kind: format!("{step}: {what}"),
            retry_after: None,
        }
    }
}

/// The members of a token response the scenarios use.
#[derive(Debug, Deserialize)]
pub(crate) struct Tokens {
    /// The access token.
    pub(crate) access_token: String,
    /// The (rotated) refresh token.
    pub(crate) refresh_token: Option<String>,
    /// The ID token.
    pub(crate) id_token: Option<String>,
}

/// `/authorize?…` for the bench client; `n` makes state and nonce unique.
pub(crate) fn authorize_path(client_id: &str, n: u64) -> String {
    let state = format!("s{n}");
    let nonce = format!("n{n}");
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", SCOPE)
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", CODE_CHALLENGE)
        .append_pair("code_challenge_method", "S256")
        .finish();
    format!("/authorize?{query}")
}

/// The path and query of a `Location` (absolute or relative).
pub(crate) fn local_path(location: &str) -> &str {
    let rest = location
        .strip_prefix("http://")
        .or_else(|| location.strip_prefix("https://"));
    match rest {
        Some(r) => r.find('/').map_or("/", |i| &r[i..]),
        None => location,
    }
}

/// A query parameter of a URL, decoded.
pub(crate) fn query_param(url: &str, name: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    let query = query.split('#').next().unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The `value` of the `<input>` named `name` in an HTML page, unescaped.
pub(crate) fn hidden_input(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\"");
    let at = html.find(&needle)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    if !tag.starts_with("<input") {
        return None;
    }
    let value_at = tag.find(" value=\"")? + " value=\"".len();
    let value_len = tag[value_at..].find('"')?;
    Some(unescape(&tag[value_at..value_at + value_len]))
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

fn is_redirect(status: u16) -> bool {
    matches!(status, 302 | 303 | 307)
}

/// The `code` of a redirect to the client, or a failure at `step`.
fn code_of(step: &str, reply: &Reply) -> Result<String, Failure> {
    if !is_redirect(reply.status) {
        return Err(Failure::status(step, reply));
    }
    let location = reply.location.as_deref().unwrap_or_default();
    if !location.starts_with(REDIRECT_URI) {
        return Err(Failure::other(
            step,
            format!("redirect to {}", local_path(location)),
        ));
    }
    query_param(location, "code").ok_or_else(|| {
        let error = query_param(location, "error").unwrap_or_else(|| "no code".into());
        Failure::other(step, format!("redirect with {error}"))
    })
}

/// The `Cookie` header, if the jar has cookies.
fn cookie_header(cookie: Option<&str>) -> Vec<(HeaderName, &str)> {
    cookie.map(|c| (header::COOKIE, c)).into_iter().collect()
}

async fn send(
    conn: &mut Conn,
    step: &str,
    method: hyper::Method,
    path: &str,
    headers: &[(HeaderName, &str)],
    body: Option<String>,
) -> Result<Reply, Failure> {
    conn.send(method, path, headers, body.map(|b| (FORM, b)))
        .await
        .map_err(|e| Failure::other(step, format!("{e:#}")))
}

/// With a logged-in browser session: GET /authorize answers straight with a code.
pub(crate) async fn authorize_with_session(
    conn: &mut Conn,
    jar: &mut Jar,
    client: &Client,
    n: u64,
) -> Result<String, Failure> {
    let reply = authorize(conn, jar, client, n).await?;
    code_of("authorize", &reply)
}

/// GET /authorize with the jar's cookies, keeping the cookies the answer sets.
async fn authorize(
    conn: &mut Conn,
    jar: &mut Jar,
    client: &Client,
    n: u64,
) -> Result<Reply, Failure> {
    let cookie = jar.header();
    let reply = send(
        conn,
        "authorize",
        Method::GET,
        &authorize_path(&client.id, n),
        &cookie_header(cookie.as_deref()),
        None,
    )
    .await?;
    jar.store(&reply.cookies);
    Ok(reply)
}

/// A whole browser login in `jar`: /authorize → /login page → POST /login → code.
pub(crate) async fn login(
    conn: &mut Conn,
    jar: &mut Jar,
    client: &Client,
    password: &str,
    n: u64,
) -> Result<String, Failure> {
    let reply = authorize(conn, jar, client, n).await?;
    let location = match (is_redirect(reply.status), reply.location.as_deref()) {
        (true, Some(l)) if local_path(l).starts_with("/login") => l.to_owned(),
        _ => return Err(Failure::status("authorize", &reply)),
    };

    let cookie = jar.header();
    let page = send(
        conn,
        "login page",
        Method::GET,
        local_path(&location),
        &cookie_header(cookie.as_deref()),
        None,
    )
    .await?;
    jar.store(&page.cookies);
    if page.status != 200 {
        return Err(Failure::status("login page", &page));
    }
    let html = String::from_utf8_lossy(&page.body);
    let (Some(request_id), Some(csrf_token)) = (
        hidden_input(&html, "request_id"),
        hidden_input(&html, "csrf_token"),
    ) else {
        return Err(Failure::other("login page", "form fields missing"));
    };

    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("request_id", &request_id)
        .append_pair("csrf_token", &csrf_token)
        .append_pair("username", USERNAME)
        .append_pair("password", password)
        .finish();
    let cookie = jar.header();
    let reply = send(
        conn,
        "login",
        Method::POST,
        "/login",
        &cookie_header(cookie.as_deref()),
        Some(form),
    )
    .await?;
    jar.store(&reply.cookies);
    code_of("login", &reply)
}

async fn token(
    conn: &mut Conn,
    step: &str,
    client: &Client,
    form: String,
) -> Result<Tokens, Failure> {
    let reply = send(
        conn,
        step,
        Method::POST,
        "/token",
        &[(header::AUTHORIZATION, &client.basic)],
        Some(form),
    )
    .await?;
    if reply.status != 200 {
        return Err(Failure::status(step, &reply));
    }
    serde_json::from_slice(&reply.body).map_err(|e| Failure::other(step, e))
}

/// POST /token grant_type=authorization_code.
pub(crate) async fn exchange_code(
    conn: &mut Conn,
    client: &Client,
    code: &str,
) -> Result<Tokens, Failure> {
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("code_verifier", CODE_VERIFIER)
        .finish();
    token(conn, "token (code)", client, form).await
}

/// The form of a client_credentials token request (the client's default scope).
pub(crate) const CLIENT_CREDENTIALS_FORM: &str = "grant_type=client_credentials";

/// POST /token grant_type=client_credentials (RFC 6749 §4.4).
pub(crate) async fn client_credentials(
    conn: &mut Conn,
    client: &Client,
) -> Result<Tokens, Failure> {
    token(
        conn,
        "token (client_credentials)",
        client,
        CLIENT_CREDENTIALS_FORM.to_owned(),
    )
    .await
}

/// The `alg` in a compact JWS's header, if `token` is one.
pub(crate) fn jws_alg(token: &str) -> Option<String> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = URL_SAFE_NO_PAD.decode(token.split('.').next()?).ok()?;
    let header: serde_json::Value = serde_json::from_slice(&header).ok()?;
    header.get("alg")?.as_str().map(str::to_owned)
}

/// POST /token grant_type=refresh_token.
pub(crate) async fn refresh(
    conn: &mut Conn,
    client: &Client,
    refresh_token: &str,
) -> Result<Tokens, Failure> {
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "refresh_token")
        .append_pair("refresh_token", refresh_token)
        .finish();
    token(conn, "token (refresh)", client, form).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="a&amp;b-_c">
<input type="hidden" name="request_id" value="RID123">
<input type="text" id="username" name="username" value="" required>"#;

    #[test]
    fn reads_hidden_inputs() {
        assert_eq!(hidden_input(PAGE, "csrf_token").as_deref(), Some("a&b-_c"));
        assert_eq!(hidden_input(PAGE, "request_id").as_deref(), Some("RID123"));
        assert_eq!(hidden_input(PAGE, "username").as_deref(), Some(""));
        assert_eq!(hidden_input(PAGE, "missing"), None);
    }

    #[test]
    fn reads_redirects() {
        let loc = "http://127.0.0.1:9/cb?code=abc%2Bd&state=s1&iss=http%3A%2F%2Fx";
        assert_eq!(query_param(loc, "code").as_deref(), Some("abc+d"));
        assert_eq!(query_param(loc, "nope"), None);
        assert_eq!(
            local_path(loc),
            "/cb?code=abc%2Bd&state=s1&iss=http%3A%2F%2Fx"
        );
        assert_eq!(local_path("/login?request_id=x"), "/login?request_id=x");
        assert_eq!(local_path("http://127.0.0.1:8080"), "/");
    }

    #[test]
    fn jar_keeps_replaces_and_expires() {
        let mut jar = Jar::default();
        assert_eq!(jar.header(), None);
        jar.store(&["idp_session=one; Path=/; HttpOnly".into()]);
        jar.store(&["other=x".into()]);
        jar.store(&["idp_session=two; Path=/".into()]);
        assert_eq!(jar.header().as_deref(), Some("idp_session=two; other=x"));
        jar.store(&["other=; Max-Age=0".into()]);
        jar.store(&["idp_session=gone; Max-Age=0".into()]);
        assert_eq!(jar.header(), None);
    }

    #[test]
    fn reads_the_alg_of_a_jws() {
        // {"alg":"ES256","typ":"at+jwt"}
        assert_eq!(
            jws_alg("eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.e30.AA").as_deref(),
            Some("ES256")
        );
        assert_eq!(jws_alg("opaque-token"), None);
    }

    #[test]
    fn authorize_path_carries_pkce() {
        let p = authorize_path("cid", 7);
        assert!(p.starts_with("/authorize?response_type=code&client_id=cid&"));
        assert!(p.contains("code_challenge_method=S256"));
        assert!(p.contains("scope=openid+profile+email+offline_access"));
        assert!(p.contains("state=s7"));
    }
}
