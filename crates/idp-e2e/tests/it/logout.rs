//! RP-Initiated Logout 1.0: the end-session endpoint `/logout`.

use idp_protocol::manage::CreatedClient;

use crate::support::{
    get_json, parse_form, query_param, Browser, Landing, TestServer, REDIRECT_URI,
};

const BYE: &str = "http://127.0.0.1:9/bye";

/// A server, user `alice` and a client with `BYE` registered for after logout.
fn with_bye(server: &TestServer) -> CreatedClient {
    server.create_user("alice");
    server.create_client(|c| {
        c.options.post_logout_redirect_uris = vec![idp_core::RedirectUri::from_trusted(BYE)];
    })
}

/// Signs `browser` in to `created` through the code flow; returns the ID token.
async fn sign_in(server: &TestServer, browser: &Browser, created: &CreatedClient) -> String {
    let code = server
        .authorize_for(browser, created, "alice", "openid")
        .await
        .unwrap_or_else(|l| panic!("no code: {l:?}"));
    let (status, tokens) = server.exchange(created, &code).await;
    assert_eq!(status, 200, "{tokens}");
    tokens["id_token"].as_str().unwrap().to_owned()
}

/// Whether `browser` still has a session: `prompt=none` yields a code, else `login_required`.
async fn still_signed_in(server: &TestServer, browser: &Browser, created: &CreatedClient) -> bool {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", created.client.id.as_str())
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "openid")
        .append_pair("state", "st")
        .append_pair("prompt", "none")
        .finish();
    let callback = browser
        .open(&server.url(&format!("/authorize?{query}")))
        .await
        .client_url();
    match query_param(&callback, "error").as_deref() {
        None => {
            assert!(query_param(&callback, "code").is_some(), "{callback}");
            true
        }
        Some("login_required") => false,
        Some(other) => panic!("unexpected {other}: {callback}"),
    }
}

fn logout_url(server: &TestServer, params: &[(&str, &str)]) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    server.url(&format!("/logout?{query}"))
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .map_or("", |v| v.to_str().unwrap())
}

fn assert_page_headers(response: &reqwest::Response) {
    assert_eq!(header(response, "cache-control"), "no-store");
    assert!(header(response, "content-security-policy").starts_with("default-src 'none'"));
}

async fn a_hint_for_the_sessions_user_ends_the_session_and_redirects_with_state() {
    let server = TestServer::start().await;
    let created = with_bye(&server);
    let browser = Browser::new();
    let id_token = sign_in(&server, &browser, &created).await;
    assert!(still_signed_in(&server, &browser, &created).await);

    let response = browser
        .http
        .get(logout_url(
            &server,
            &[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", BYE),
                ("state", "xyz"),
                ("ui_locales", "de en"),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        header(&response, "location"),
        "http://127.0.0.1:9/bye?state=xyz"
    );
    assert_eq!(header(&response, "cache-control"), "no-store");
    let cleared = header(&response, "set-cookie");
    assert!(cleared.starts_with("idp_session=;"), "{cleared}");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert!(
        cleared.contains("HttpOnly") && cleared.contains("Path=/"),
        "{cleared}"
    );
    assert!(!still_signed_in(&server, &browser, &created).await);
}

async fn an_unregistered_post_logout_redirect_uri_or_a_bad_hint_is_an_error_page() {
    let server = TestServer::start().await;
    let created = with_bye(&server);
    let browser = Browser::new();
    let id_token = sign_in(&server, &browser, &created).await;
    let client_id = created.client.id.as_str();
    let cases: [&[(&str, &str)]; 5] = [
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", "http://127.0.0.1:9/evil"),
        ],
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", "http://127.0.0.1:9/bye/"),
        ],
        // No client to check the URI against.
        &[("post_logout_redirect_uri", BYE)],
        &[("id_token_hint", "not.a.token"), ("client_id", client_id)],
        &[("client_id", client_id), ("state", "a"), ("state", "b")],
    ];
    for params in cases {
        let response = browser
            .http
            .get(logout_url(&server, params))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{params:?}");
        assert!(response.headers().get("location").is_none());
        assert!(response.headers().get("set-cookie").is_none());
        assert_page_headers(&response);
    }
    assert!(still_signed_in(&server, &browser, &created).await);
}

async fn without_a_hint_the_user_confirms_with_the_csrf_protected_form() {
    let server = TestServer::start().await;
    let created = with_bye(&server);
    let browser = Browser::new();
    sign_in(&server, &browser, &created).await;

    let response = browser
        .http
        .get(logout_url(&server, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_page_headers(&response);
    let page = response.text().await.unwrap();
    assert!(page.contains("Sign out?"), "{page}");
    // Still signed in until confirmed.
    assert!(still_signed_in(&server, &browser, &created).await);

    let response = browser.submit_raw(&page, &[]).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_page_headers(&response);
    assert!(header(&response, "set-cookie").contains("Max-Age=0"));
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("You are signed out"));
    assert!(!still_signed_in(&server, &browser, &created).await);
}

async fn a_confirmation_with_a_wrong_csrf_token_is_refused() {
    let server = TestServer::start().await;
    let created = with_bye(&server);
    let browser = Browser::new();
    sign_in(&server, &browser, &created).await;

    let page = match browser.open(&logout_url(&server, &[])).await {
        Landing::Page { status: 200, body } => body,
        other => panic!("{other:?}"),
    };
    let (action, fields) = parse_form(&page);
    let forged: Vec<(String, String)> = fields
        .into_iter()
        .map(|(k, v)| {
            if k == "csrf_token" {
                (k, "wrong".into())
            } else {
                (k, v)
            }
        })
        .collect();
    assert!(forged.iter().any(|(k, v)| k == "confirm" && v == "yes"));
    let response = browser
        .http
        .post(&action)
        .form(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert!(response.headers().get("set-cookie").is_none());
    assert!(still_signed_in(&server, &browser, &created).await);

    // A browser without a session is asked too, and its confirmation redirects to the
    // registered URI named with client_id.
    let stranger = Browser::new();
    let params = [
        ("client_id", created.client.id.as_str()),
        ("post_logout_redirect_uri", BYE),
        ("state", "s1"),
    ];
    let response = stranger
        .http
        .get(logout_url(&server, &params))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(header(&response, "set-cookie").starts_with("idp_session="));
    let page = response.text().await.unwrap();
    let response = stranger.submit_raw(&page, &[]).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        header(&response, "location"),
        "http://127.0.0.1:9/bye?state=s1"
    );
}

async fn a_client_id_that_is_not_the_hints_audience_is_refused() {
    let server = TestServer::start().await;
    let created = with_bye(&server);
    let other = server.create_client(|c| {
        c.options.post_logout_redirect_uris = vec![idp_core::RedirectUri::from_trusted(BYE)];
    });
    let browser = Browser::new();
    let id_token = sign_in(&server, &browser, &created).await;
    let response = browser
        .http
        .get(logout_url(
            &server,
            &[
                ("id_token_hint", &id_token),
                ("client_id", other.client.id.as_str()),
                ("post_logout_redirect_uri", BYE),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert!(response.headers().get("location").is_none());
    assert!(still_signed_in(&server, &browser, &created).await);
}

async fn a_hint_for_another_user_asks_and_a_posted_request_for_the_user_ends_at_once() {
    let server = TestServer::start().await;
    let created = with_bye(&server);
    server.create_user("bob");
    let bobs_browser = Browser::new();
    let code = server
        .authorize_for(&bobs_browser, &created, "bob", "openid")
        .await
        .unwrap_or_else(|l| panic!("no code: {l:?}"));
    let (_, tokens) = server.exchange(&created, &code).await;
    let bobs_token = tokens["id_token"].as_str().unwrap().to_owned();

    let browser = Browser::new();
    let alices_token = sign_in(&server, &browser, &created).await;
    let (status, page) = browser
        .open(&logout_url(&server, &[("id_token_hint", &bobs_token)]))
        .await
        .page();
    assert_eq!(status, 200);
    assert!(page.contains("Sign out?"), "{page}");
    // confirm=yes on a link is not a confirmation.
    let (status, page) = browser
        .open(&logout_url(
            &server,
            &[("id_token_hint", &bobs_token), ("confirm", "yes")],
        ))
        .await
        .page();
    assert_eq!(status, 200);
    assert!(page.contains("Sign out?"), "{page}");
    assert!(still_signed_in(&server, &browser, &created).await);

    // §2: the logout request may be a form POST.
    let response = browser
        .http
        .post(server.url("/logout"))
        .form(&[
            ("id_token_hint", alices_token.as_str()),
            ("post_logout_redirect_uri", BYE),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(header(&response, "location"), BYE);
    assert!(!still_signed_in(&server, &browser, &created).await);
    assert!(still_signed_in(&server, &bobs_browser, &created).await);
}

async fn discovery_lists_the_end_session_endpoint() {
    let server = TestServer::start().await;
    let meta = get_json(&server.url("/.well-known/openid-configuration")).await;
    assert_eq!(meta["end_session_endpoint"], server.url("/logout"));
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    a_hint_for_the_sessions_user_ends_the_session_and_redirects_with_state,
    an_unregistered_post_logout_redirect_uri_or_a_bad_hint_is_an_error_page,
    without_a_hint_the_user_confirms_with_the_csrf_protected_form,
    a_confirmation_with_a_wrong_csrf_token_is_refused,
    a_client_id_that_is_not_the_hints_audience_is_refused,
    a_hint_for_another_user_asks_and_a_posted_request_for_the_user_ends_at_once,
    discovery_lists_the_end_session_endpoint,
);
