//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): an
//! `https` URL as `client_id`, fetched from a document server on 127.0.0.1 (allowed only
//! by the insecure development switch).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idp_core::SystemClock;
use idp_protocol::manage;
use openidconnect::PkceCodeChallenge;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{
    api_http, get_json, query_param, Browser, Landing, TestServer, PASSWORD, REDIRECT_URI,
};

/// What the document server answers on one path.
#[derive(Clone)]
enum Answer {
    /// 200 with this content type, body and extra headers.
    Document {
        content_type: &'static str,
        body: String,
        headers: Vec<(&'static str, String)>,
    },
    /// 302 to this location.
    Redirect(String),
    /// The document, after this long.
    Slow(Duration, String),
}

/// A tiny HTTP/1.1 server on 127.0.0.1 that serves [`Answer`]s and counts requests per
/// path.
#[derive(Clone)]
struct DocumentServer {
    base: String,
    answers: Arc<Mutex<HashMap<String, Answer>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

impl DocumentServer {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = DocumentServer {
            base,
            answers: Arc::default(),
            hits: Arc::default(),
        };
        let s = server.clone();
        actix_web::rt::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let s = s.clone();
                actix_web::rt::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&request);
                    let path = text.split(' ').nth(1).unwrap_or("/").to_owned();
                    *s.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
                    let answer = s.answers.lock().unwrap().get(&path).cloned();
                    let response = match answer {
                        None => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_owned(),
                        Some(Answer::Redirect(to)) => format!(
                            "HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        ),
                        Some(Answer::Slow(delay, body)) => {
                            actix_web::rt::time::sleep(delay).await;
                            ok("application/json", &body, &[])
                        }
                        Some(Answer::Document {
                            content_type,
                            body,
                            headers,
                        }) => ok(content_type, &body, &headers),
                    };
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        server
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn serve(&self, path: &str, answer: Answer) {
        self.answers.lock().unwrap().insert(path.to_owned(), answer);
    }

    /// Serves a JSON document cached for ten minutes.
    fn serve_json(&self, path: &str, doc: &Value) {
        self.serve(
            path,
            Answer::Document {
                content_type: "application/json",
                body: doc.to_string(),
                headers: vec![("cache-control", "public, max-age=600".to_owned())],
            },
        );
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

fn ok(content_type: &str, body: &str, headers: &[(&str, String)]) -> String {
    let mut extra = String::new();
    for (k, v) in headers {
        extra.push_str(&format!("{k}: {v}\r\n"));
    }
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n{body}",
        body.len()
    )
}

/// A valid document for the client id `url`.
fn document(url: &str) -> Value {
    json!({
        "client_id": url,
        "client_name": "Doc <b>Editor</b>",
        "client_uri": "https://editor.example/",
        "logo_uri": "https://editor.example/logo.png",
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    })
}

/// Stores settings and waits until the server's settings cache has seen them.
async fn set(server: &TestServer, name: &str, value: &str) {
    manage::set_setting(&server.store, &SystemClock, name, value).unwrap();
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
}

/// A server with the insecure development switch (the document server is on
/// 127.0.0.1), the setting on when `enabled`.
async fn server(insecure: bool, enabled: bool) -> TestServer {
    let server = TestServer::start_with(|s| {
        s.client_id_metadata_documents_allow_insecure = insecure;
    })
    .await;
    server.create_user("alice");
    if enabled {
        set(&server, "client_id_metadata_documents", "true").await;
    }
    server
}

fn authorize_url(
    server: &TestServer,
    client_id: &str,
    redirect_uri: &str,
    challenge: &str,
) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", "openid profile offline_access")
        .append_pair("prompt", "consent")
        .append_pair("state", "st")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    server.url(&format!("/authorize?{query}"))
}

/// The error page an authorization request for `client_id` ends on: status and body.
async fn refused(server: &TestServer, client_id: &str) -> (u16, String) {
    let (challenge, _) = PkceCodeChallenge::new_random_sha256();
    let url = authorize_url(server, client_id, REDIRECT_URI, challenge.as_str());
    Browser::new().open(&url).await.page()
}

async fn token(server: &TestServer, form: &[(&str, &str)]) -> (u16, Value) {
    let response = api_http()
        .post(server.url("/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn a_url_client_id_runs_the_code_flow_and_its_document_is_cached() {
    let server = server(true, true).await;
    let docs = DocumentServer::start().await;
    let client_id = docs.url("/editor/client.json");
    docs.serve_json("/editor/client.json", &document(&client_id));

    let browser = Browser::new();
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let landing = browser
        .open(&authorize_url(
            &server,
            &client_id,
            REDIRECT_URI,
            challenge.as_str(),
        ))
        .await;
    let consent = browser.log_in(landing, "alice", PASSWORD).await;
    let Landing::Page { body, .. } = &consent else {
        panic!("no consent page: {consent:?}");
    };
    // The document's name, escaped, and where it comes from, marked unverified.
    assert!(body.contains("Doc &#60;b&#62;Editor&#60;/b&#62;"), "{body}");
    assert!(!body.contains("<b>Editor</b>"), "{body}");
    assert!(body.contains("not registered with this server"), "{body}");
    assert!(body.contains(&client_id), "{body}");
    assert!(body.contains("https://editor.example/"), "{body}");
    assert!(!body.contains("logo.png"), "the logo is not loaded: {body}");
    let callback = browser.consent(consent, "allow").await.client_url();
    let code = query_param(&callback, "code").unwrap();

    // A public client: client_id and the PKCE verifier, no secret.
    let (status, tokens) = token(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", &client_id),
            ("code_verifier", verifier.secret()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(
        crate::support::jwt_payload(tokens["id_token"].as_str().unwrap())["aud"][0],
        client_id
    );
    let (status, info) = server.userinfo(access).await;
    assert_eq!(status, 200, "{info}");
    assert!(info["sub"].is_string());
    let (status, refreshed) = token(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", &client_id),
        ],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    // Revocation with client_id alone (RFC 7009 §2.1, public client).
    let revoked = api_http()
        .post(server.url("/revoke"))
        .form(&[
            ("token", refreshed["refresh_token"].as_str().unwrap()),
            ("client_id", client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status().as_u16(), 200);

    // Authorize, login, consent, token, refresh and revoke: one fetch, then the cache
    // in the database.
    assert_eq!(docs.hits("/editor/client.json"), 1);

    // Consent is asked again (never remembered for such clients), still from the cache.
    let browser = Browser::new();
    let (challenge, _) = PkceCodeChallenge::new_random_sha256();
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "openid")
        .append_pair("code_challenge", challenge.as_str())
        .append_pair("code_challenge_method", "S256")
        .finish();
    let landing = browser
        .open(&server.url(&format!("/authorize?{query}")))
        .await;
    let (status, page) = browser.log_in(landing, "alice", PASSWORD).await.page();
    assert_eq!(status, 200);
    assert!(
        page.contains("name=\"decision\""),
        "consent asked again: {page}"
    );
    assert_eq!(docs.hits("/editor/client.json"), 1);

    // PKCE is required, as for every public client.
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "openid")
        .finish();
    let landing = Browser::new()
        .open(&server.url(&format!("/authorize?{query}")))
        .await;
    let callback = landing.client_url();
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("invalid_request")
    );

    // A loopback redirect URI of the document matches on any port (RFC 8252 §7.3).
    let url = authorize_url(
        &server,
        &client_id,
        "http://127.0.0.1:5555/callback",
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
    let (status, page) = Browser::new().open(&url).await.page();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("name=\"password\""), "{page}");

    // A redirect URI the document does not list: an error page, no redirect.
    let url = authorize_url(
        &server,
        &client_id,
        "http://127.0.0.1:9/elsewhere",
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
    let (status, page) = Browser::new().open(&url).await.page();
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("redirect_uri is not registered"), "{page}");
}

async fn documents_breaking_the_rules_are_refused_with_an_error_page() {
    let server = server(true, true).await;
    let docs = DocumentServer::start().await;

    let other = docs.url("/other.json");
    docs.serve_json("/mismatch.json", &document(&other));
    docs.serve("/moved.json", Answer::Redirect(docs.url("/target.json")));
    docs.serve_json("/target.json", &document(&docs.url("/moved.json")));
    let mut big = document(&docs.url("/big.json"));
    big["padding"] = json!("x".repeat(6 * 1024));
    docs.serve_json("/big.json", &big);
    docs.serve(
        "/slow.json",
        Answer::Slow(
            Duration::from_secs(8),
            document(&docs.url("/slow.json")).to_string(),
        ),
    );
    let mut secret = document(&docs.url("/secret.json"));
    secret["token_endpoint_auth_method"] = json!("client_secret_basic");
    docs.serve_json("/secret.json", &secret);
    docs.serve(
        "/html.json",
        Answer::Document {
            content_type: "text/html",
            body: document(&docs.url("/html.json")).to_string(),
            headers: vec![],
        },
    );

    for (path, says) in [
        ("/mismatch.json", "is not the URL it was fetched from"),
        ("/moved.json", "redirects are not followed"),
        ("/big.json", "larger than 5 KiB"),
        ("/slow.json", "took too long"),
        ("/secret.json", "token_endpoint_auth_method must be none"),
        ("/html.json", "not served as application/json"),
        ("/missing.json", "did not answer 200 OK"),
    ] {
        let (status, page) = refused(&server, &docs.url(path)).await;
        assert_eq!(status, 400, "{path}: {page}");
        assert!(page.contains(says), "{path}: {page}");
        assert!(page.contains("invalid_request"), "{path}: {page}");
    }
    // The redirect was not followed.
    assert_eq!(docs.hits("/target.json"), 0);
    // Malformed client id URLs are refused before anything is fetched.
    let (status, page) = refused(&server, &format!("{}/a/../x.json", docs.base)).await;
    assert_eq!(status, 400);
    assert!(page.contains(". or .. path segments"), "{page}");
}

async fn the_setting_turns_url_client_ids_and_discovery_on_and_off() {
    let server = server(true, false).await;
    let docs = DocumentServer::start().await;
    let client_id = docs.url("/client.json");
    docs.serve_json("/client.json", &document(&client_id));

    let meta = get_json(&server.url("/.well-known/oauth-authorization-server")).await;
    assert!(
        meta.get("client_id_metadata_document_supported").is_none(),
        "{meta}"
    );
    let (status, page) = refused(&server, &client_id).await;
    assert_eq!(status, 400);
    assert!(page.contains("the client is not registered"), "{page}");
    assert_eq!(docs.hits("/client.json"), 0, "nothing fetched while off");

    set(&server, "client_id_metadata_documents", "on").await;
    for well_known in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let meta = get_json(&server.url(well_known)).await;
        assert_eq!(
            meta["client_id_metadata_document_supported"], true,
            "{meta}"
        );
    }
    let (challenge, _) = PkceCodeChallenge::new_random_sha256();
    let landing = Browser::new()
        .open(&authorize_url(
            &server,
            &client_id,
            REDIRECT_URI,
            challenge.as_str(),
        ))
        .await;
    let (status, page) = landing.page();
    assert_eq!(status, 200);
    assert!(page.contains("name=\"password\""), "{page}");
    assert_eq!(docs.hits("/client.json"), 1);

    // Off again: the stored client is unknown.
    set(&server, "client_id_metadata_documents", "off").await;
    let (status, _) = refused(&server, &client_id).await;
    assert_eq!(status, 400);
    let (status, body) = token(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("client_id", &client_id),
        ],
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client");
}

async fn without_the_insecure_switch_internal_documents_are_refused() {
    let server = server(false, true).await;
    let docs = DocumentServer::start().await;
    let client_id = docs.url("/client.json");
    docs.serve_json("/client.json", &document(&client_id));

    // http is refused outright; an https URL on an internal address is refused before
    // any connection.
    let (status, page) = refused(&server, &client_id).await;
    assert_eq!(status, 400);
    assert!(page.contains("must use https"), "{page}");
    let https = client_id.replacen("http://", "https://", 1);
    let (status, page) = refused(&server, &https).await;
    assert_eq!(status, 400);
    assert!(page.contains("internal address"), "{page}");
    assert_eq!(docs.hits("/client.json"), 0);
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    a_url_client_id_runs_the_code_flow_and_its_document_is_cached,
    documents_breaking_the_rules_are_refused_with_an_error_page,
    the_setting_turns_url_client_ids_and_discovery_on_and_off,
    without_the_insecure_switch_internal_documents_are_refused,
);
