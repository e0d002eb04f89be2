//! Abuse limits and cheap hot paths, over HTTP: 429 and 503 with `Retry-After`, requests
//! bound to their browser, documents with entity tags.

use crate::support::{api_http, parse_form, Browser, Landing, TestServer, PASSWORD, REDIRECT_URI};

fn login_request(server: &TestServer, client_id: &str) -> String {
    format!(
        "{}/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT_URI}&scope=openid&state=s",
        server.base
    )
}

async fn too_many_wrong_client_secrets_get_429_with_retry_after() {
    let server = TestServer::start().await;
    let created = server.create_client(|_| {});
    let id = created.client.id.as_str();
    let attempt = |secret: &'static str| {
        api_http()
            .post(server.url("/token"))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
            .send()
    };
    for _ in 0..10 {
        assert_eq!(attempt("wrong").await.unwrap().status(), 401);
    }
    let response = attempt("wrong").await.unwrap();
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
}

async fn too_many_failed_logins_get_429_with_retry_after_and_the_form_again() {
    let server = TestServer::start().await;
    server.create_user("walt");
    let created = server.create_client(|_| {});
    let browser = Browser::new();
    let Landing::Page { body: mut page, .. } = browser
        .open(&login_request(&server, created.client.id.as_str()))
        .await
    else {
        panic!()
    };
    let mut last = 0;
    for _ in 0..6 {
        (last, page) = post_login(&browser, &page, "walt", "wrong password", None).await;
        assert!(page.contains("name=\"password\""), "the form again: {page}");
    }
    assert_eq!(last, 429);
}

async fn a_leaked_request_id_is_useless_in_another_browser() {
    let server = TestServer::start().await;
    server.create_user("xena");
    let created = server.create_client(|_| {});
    let url = login_request(&server, created.client.id.as_str());
    let victim = Browser::new();
    let parked = victim.http.get(&url).send().await.unwrap();
    let login_url = parked.headers()["location"].to_str().unwrap().to_owned();
    // The attacker opens the victim's login page (its URL carries the request id).
    let attacker = Browser::new();
    let (status, body) = attacker.open(&login_url).await.page();
    assert_eq!(status, 400);
    assert!(body.contains("another browser"), "{body}");
    // The victim's own browser continues.
    let landing = victim.open(&login_url).await;
    let landing = victim.log_in(landing, "xena", PASSWORD).await;
    assert!(matches!(landing, Landing::Page { status: 200, .. }));
}

async fn discovery_and_jwks_carry_entity_tags_and_answer_304() {
    let server = TestServer::start().await;
    for path in ["/.well-known/openid-configuration", "/jwks.json"] {
        let first = api_http().get(server.url(path)).send().await.unwrap();
        assert_eq!(first.status(), 200);
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        assert!(first.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age"));
        let body: serde_json::Value = first.json().await.unwrap();
        assert!(body.is_object());
        let again = api_http()
            .get(server.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        let other = api_http()
            .get(server.url(path))
            .header("if-none-match", "\"something-else\"")
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 200);
    }
}

async fn a_duplicated_form_access_token_at_userinfo_is_invalid_request() {
    let server = TestServer::start().await;
    let response = api_http()
        .post(server.url("/userinfo"))
        .form(&[("access_token", "a"), ("access_token", "b")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_request"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}

async fn parallel_logins_beyond_the_hashing_limit_get_503_with_retry_after_never_500() {
    let server = TestServer::start().await;
    server.create_user("yuri");
    let created = server.create_client(|c| c.first_party = true);
    let url = login_request(&server, created.client.id.as_str());
    // Many browsers, each on its login page.
    let mut ready = Vec::new();
    for _ in 0..16 {
        let browser = Browser::new();
        let Landing::Page { body, .. } = browser.open(&url).await else {
            panic!()
        };
        let (action, mut fields) = parse_form(&body);
        fields.push(("username".into(), "yuri".into()));
        fields.push(("password".into(), PASSWORD.into()));
        ready.push((browser, action, fields));
    }
    let statuses = futures_join(
        ready
            .into_iter()
            .map(|(browser, action, fields)| async move {
                let response = browser
                    .http
                    .post(&action)
                    .form(&fields)
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                if status == 503 {
                    assert!(response.headers().contains_key("retry-after"));
                }
                status
            }),
    )
    .await;
    assert!(
        statuses.iter().all(|s| *s == 303 || *s == 503),
        "{statuses:?}"
    );
    assert!(statuses.contains(&303), "{statuses:?}");
}

/// Runs futures concurrently on the test's runtime and collects their outputs in order.
async fn futures_join<F, T>(futures: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + 'static,
    T: 'static,
{
    let handles: Vec<_> = futures.map(actix_web::rt::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// Posts the login form on `page` as `username` (from `forwarded_for`, if given);
/// returns the status and the page that came back.
async fn post_login(
    browser: &Browser,
    page: &str,
    username: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> (u16, String) {
    let (action, mut fields) = parse_form(page);
    fields.push(("username".into(), username.into()));
    fields.push(("password".into(), password.into()));
    let mut request = browser.http.post(&action).form(&fields);
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    if status == 429 || status == 503 {
        assert!(response.headers().contains_key("retry-after"));
    }
    (status, response.text().await.unwrap_or_default())
}

async fn behind_a_trusted_proxy_failures_count_per_forwarded_client_address() {
    let server = TestServer::start_with(|s| {
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    server.create_user("zoe");
    let created = server.create_client(|c| c.first_party = true);
    let url = login_request(&server, created.client.id.as_str());
    let browser = Browser::new();
    let Landing::Page { body: mut page, .. } = browser.open(&url).await else {
        panic!()
    };
    // 21 failures from one client (spread over usernames): the 21st is one past the 20
    // free ones, and that address now waits.
    let mut statuses = Vec::new();
    for i in 0..21 {
        let status;
        (status, page) = post_login(
            &browser,
            &page,
            &format!("guess{i}"),
            "x",
            Some("198.51.100.1"),
        )
        .await;
        statuses.push(status);
    }
    assert!(statuses[..20].iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(statuses[20], 429);
    let (status, body) = post_login(&browser, &page, "zoe", PASSWORD, Some("198.51.100.1")).await;
    assert_eq!(status, 429);
    // Another client behind the same proxy is not held back.
    let (status, _) = post_login(&browser, &body, "zoe", PASSWORD, Some("198.51.100.2")).await;
    assert_eq!(status, 303);
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    too_many_wrong_client_secrets_get_429_with_retry_after,
    too_many_failed_logins_get_429_with_retry_after_and_the_form_again,
    a_leaked_request_id_is_useless_in_another_browser,
    discovery_and_jwks_carry_entity_tags_and_answer_304,
    a_duplicated_form_access_token_at_userinfo_is_invalid_request,
    parallel_logins_beyond_the_hashing_limit_get_503_with_retry_after_never_500,
    behind_a_trusted_proxy_failures_count_per_forwarded_client_address,
);
