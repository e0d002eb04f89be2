//! OpenID Connect Back-Channel Logout 1.0 and Front-Channel Logout 1.0, `sid`, and
//! refresh tokens ending with the session (OIDC Core §11). A real receiver (an actix
//! listener on 127.0.0.1:0) records the logout tokens the server POSTs; each is checked
//! against the published JWKS.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use idp_core::{LogoutRepo, RedirectUri};
use idp_protocol::manage::CreatedClient;

use crate::support::{get_json, jwt_payload, Browser, Landing, TestServer};

const BYE: &str = "http://127.0.0.1:9/bye";

/// One POST the receiver got.
#[derive(Clone, Debug)]
struct Post {
    path: String,
    content_type: String,
    logout_token: Option<String>,
}

/// A relying party's back-channel logout endpoint. Paths: `/ok…` answers 200, `/fail…`
/// 500, `/flaky…` 500 to the first two POSTs then 200, `/hang…` never in time.
struct Receiver {
    base: String,
    posts: Arc<Mutex<Vec<Post>>>,
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    posts: web::Data<Arc<Mutex<Vec<Post>>>>,
) -> HttpResponse {
    let path = req.path().to_owned();
    let logout_token = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.into_owned());
    let earlier = {
        let mut posts = posts.lock().unwrap();
        let earlier = posts.iter().filter(|p| p.path == path).count();
        posts.push(Post {
            path: path.clone(),
            content_type: req
                .headers()
                .get("content-type")
                .map_or(String::new(), |v| v.to_str().unwrap().to_owned()),
            logout_token,
        });
        earlier
    };
    if path.starts_with("/hang") {
        actix_web::rt::time::sleep(Duration::from_secs(30)).await;
    }
    let ok = path.starts_with("/ok") || (path.starts_with("/flaky") && earlier >= 2);
    if ok {
        HttpResponse::Ok().finish()
    } else {
        HttpResponse::InternalServerError().finish()
    }
}

impl Receiver {
    fn start() -> Self {
        let posts = Arc::new(Mutex::new(Vec::new()));
        let data = web::Data::new(Arc::clone(&posts));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::post().to(receive))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        actix_web::rt::spawn(server);
        Receiver {
            base: format!("http://{addr}"),
            posts,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn posts_to(&self, path: &str) -> Vec<Post> {
        self.posts
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.path == path)
            .cloned()
            .collect()
    }

    /// Waits (up to 20 s) until `path` got at least `n` POSTs; returns them.
    async fn wait_for(&self, path: &str, n: usize) -> Vec<Post> {
        for _ in 0..400 {
            let posts = self.posts_to(path);
            if posts.len() >= n {
                return posts;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{path} got {} POSTs, not {n}: {:?}",
            self.posts_to(path).len(),
            self.posts.lock().unwrap()
        );
    }
}

/// A server that looks for due logout tokens every 50 ms, retries at once, waits 500 ms
/// for an answer and tries three times.
async fn quick_server() -> TestServer {
    TestServer::start_with(|s| {
        s.backchannel_logout_poll_ms = 50;
        s.backchannel_logout_retry_ms = 1;
        s.backchannel_logout_timeout_ms = 500;
        s.backchannel_logout_attempts = 3;
    })
    .await
}

/// A first-party client (no consent page) with a back-channel logout URI.
fn backchannel_client(server: &TestServer, uri: &str) -> CreatedClient {
    let uri = uri.to_owned();
    server.create_client(move |c| {
        c.first_party = true;
        c.options.backchannel_logout_uri = Some(uri);
        c.options.backchannel_logout_session_required = true;
        c.options.post_logout_redirect_uris = vec![RedirectUri::from_trusted(BYE)];
    })
}

/// Signs `browser` in to `created` as `user` with `scope`; the token response.
async fn sign_in(
    server: &TestServer,
    browser: &Browser,
    created: &CreatedClient,
    user: &str,
    scope: &str,
) -> serde_json::Value {
    let code = server
        .authorize_for(browser, created, user, scope)
        .await
        .unwrap_or_else(|l| panic!("no code: {l:?}"));
    let (status, tokens) = server.exchange(created, &code).await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

fn sid_of(tokens: &serde_json::Value) -> String {
    jwt_payload(tokens["id_token"].as_str().unwrap())["sid"]
        .as_str()
        .expect("the ID token has a sid")
        .to_owned()
}

/// Ends `browser`'s session with an ID token hint (no confirmation needed).
async fn log_out(server: &TestServer, browser: &Browser, id_token: &str) -> reqwest::Response {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("id_token_hint", id_token)
        .finish();
    browser
        .http
        .get(server.url(&format!("/logout?{query}")))
        .send()
        .await
        .unwrap()
}

/// Verifies `token` as a relying party must (Back-Channel Logout §2.6): signed by a key
/// of the JWKS with its algorithm, `typ` `logout+jwt`, every required claim, the event,
/// no nonce. Returns the claims.
async fn verified_logout_token(
    server: &TestServer,
    token: &str,
    client_id: &str,
) -> serde_json::Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["typ"], "logout+jwt", "{header}");
    assert_eq!(header["alg"], "RS256", "{header}");
    let jwks = get_json(&server.url("/jwks.json")).await;
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .unwrap_or_else(|| panic!("kid {} not in {jwks}", header["kid"]));
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
    ring::signature::RsaPublicKeyComponents { n: &n, e: &e }
        .verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
        )
        .expect("signed by a published key");
    let claims = jwt_payload(token);
    assert_eq!(claims["iss"], server.base, "{claims}");
    assert_eq!(claims["aud"], client_id, "{claims}");
    let iat = claims["iat"].as_i64().unwrap();
    let exp = claims["exp"].as_i64().unwrap();
    let now = idp_core::Clock::now(&idp_core::SystemClock).timestamp();
    assert!((now - 60..=now + 5).contains(&iat), "{claims}");
    assert!(exp > iat && exp - iat <= 120, "a short lifetime: {claims}");
    assert!(
        claims["jti"].as_str().is_some_and(|j| j.len() >= 16),
        "{claims}"
    );
    assert_eq!(
        claims["events"],
        serde_json::json!({"http://schemas.openid.net/event/backchannel-logout": {}})
    );
    assert!(claims.get("nonce").is_none(), "§2.4: no nonce: {claims}");
    claims
}

async fn id_tokens_carry_the_sessions_sid_and_a_refreshed_one_keeps_it() {
    let server = TestServer::start().await;
    server.create_user("alice");
    let a = server.create_client(|c| c.first_party = true);
    let b = server.create_client(|c| c.first_party = true);
    let browser = Browser::new();
    let tokens = sign_in(&server, &browser, &a, "alice", "openid offline_access").await;
    let sid = sid_of(&tokens);
    assert!(sid.len() >= 16, "{sid}");
    // Another client in the same browser session sees the same sid.
    let other = sign_in(&server, &browser, &b, "alice", "openid").await;
    assert_eq!(sid_of(&other), sid);
    // A refreshed ID token keeps it.
    let (status, refreshed) = server
        .token_request(
            &a,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(sid_of(&refreshed), sid);
    // Another browser is another session.
    let elsewhere = sign_in(&server, &Browser::new(), &a, "alice", "openid").await;
    assert_ne!(sid_of(&elsewhere), sid);
}

async fn rp_initiated_logout_posts_a_verifiable_logout_token_to_each_client_of_the_session() {
    let server = quick_server().await;
    let alice = server.create_user("alice");
    let receiver = Receiver::start();
    let a = backchannel_client(&server, &receiver.url("/ok-a"));
    // A client whose ID tokens are HS256 gets an RS256 logout token, verifiable with
    // the JWKS (checked below).
    let b = {
        let uri = receiver.url("/ok-b");
        server.create_client(move |c| {
            c.first_party = true;
            c.options.id_token_alg = idp_core::IdTokenAlg::Hs256;
            c.options.backchannel_logout_uri = Some(uri);
        })
    };
    // A client the user never used in this session hears nothing.
    let _c = backchannel_client(&server, &receiver.url("/ok-c"));
    let browser = Browser::new();
    let tokens = sign_in(&server, &browser, &a, "alice", "openid").await;
    sign_in(&server, &browser, &b, "alice", "openid").await;
    let sid = sid_of(&tokens);

    let response = log_out(&server, &browser, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(response.status().as_u16(), 200);

    for (path, client) in [("/ok-a", &a), ("/ok-b", &b)] {
        let posts = receiver.wait_for(path, 1).await;
        assert_eq!(posts.len(), 1, "delivered once: {posts:?}");
        assert_eq!(posts[0].content_type, "application/x-www-form-urlencoded");
        let claims = verified_logout_token(
            &server,
            posts[0].logout_token.as_deref().unwrap(),
            client.client.id.as_str(),
        )
        .await;
        assert_eq!(claims["sub"], alice.id.as_str());
        assert_eq!(claims["sid"], sid);
    }
    assert!(receiver.posts_to("/ok-c").is_empty());
    wait_until_queue_empty(&server).await;
}

async fn wait_until_queue_empty(server: &TestServer) {
    for _ in 0..400 {
        if server.store.logout_deliveries().unwrap().is_empty() {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("deliveries left: {:?}", server.store.logout_deliveries());
}

async fn operator_logout_password_change_and_removal_notify_clients_and_spare_other_users() {
    let server = quick_server().await;
    let alice = server.create_user("alice");
    server.create_user("bob");
    let receiver = Receiver::start();
    let a = backchannel_client(&server, &receiver.url("/ok-a"));
    let bobs_browser = Browser::new();
    let bobs = sign_in(&server, &bobs_browser, &a, "bob", "openid").await;

    // idp-admin user logout: both of alice's sessions end.
    let first = Browser::new();
    let second = Browser::new();
    let one = sid_of(&sign_in(&server, &first, &a, "alice", "openid").await);
    let two = sid_of(&sign_in(&server, &second, &a, "alice", "openid").await);
    let out = server.admin(&["user", "logout", "alice", "--json"]).json();
    assert_eq!(out["username"], "alice");
    let mut ended: Vec<String> = out["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert_eq!(
                s["backchannel_logout"],
                serde_json::json!([a.client.id.as_str()])
            );
            assert_eq!(s["clients"], serde_json::json!([a.client.id.as_str()]));
            s["sid"].as_str().unwrap().to_owned()
        })
        .collect();
    ended.sort();
    let mut expected = vec![one.clone(), two.clone()];
    expected.sort();
    assert_eq!(ended, expected);
    let posts = receiver.wait_for("/ok-a", 2).await;
    let mut sids = Vec::new();
    for post in &posts {
        let claims = verified_logout_token(
            &server,
            post.logout_token.as_deref().unwrap(),
            a.client.id.as_str(),
        )
        .await;
        assert_eq!(claims["sub"], alice.id.as_str());
        sids.push(claims["sid"].as_str().unwrap().to_owned());
    }
    sids.sort();
    assert_eq!(sids, expected);
    assert!(!signed_in(&server, &first, &a).await);
    assert!(!signed_in(&server, &second, &a).await);

    // A password change ends the session she signs in with next.
    let third = Browser::new();
    let three = sid_of(&sign_in(&server, &third, &a, "alice", "openid").await);
    // The library call `idp-admin user set-password` makes (the test runner gives the
    // binary no stdin).
    idp_protocol::manage::set_password(
        &server.store,
        &idp_core::SystemClock,
        "alice",
        "a new password for alice",
    )
    .unwrap();
    let posts = receiver.wait_for("/ok-a", 3).await;
    assert_eq!(
        jwt_payload(posts[2].logout_token.as_deref().unwrap())["sid"],
        three
    );

    // Removing her ends the session she signed in with after that.
    let fourth = Browser::new();
    let four = {
        let landing = fourth
            .open(&server.url(&format!(
                "/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=s",
                a.client.id.as_str(),
                crate::support::REDIRECT_URI
            )))
            .await;
        let landing = fourth
            .log_in(landing, "alice", "a new password for alice")
            .await;
        let Landing::Client(url) = landing else {
            panic!("no code: {landing:?}")
        };
        let code = crate::support::query_param(&url, "code").unwrap();
        sid_of(&server.exchange(&a, &code).await.1)
    };
    let out = server.admin(&["user", "remove", "alice", "--json"]).json();
    assert_eq!(out["sessions_ended"], 1);
    let posts = receiver.wait_for("/ok-a", 4).await;
    let claims = verified_logout_token(
        &server,
        posts[3].logout_token.as_deref().unwrap(),
        a.client.id.as_str(),
    )
    .await;
    assert_eq!(claims["sid"], four);
    assert_eq!(claims["sub"], alice.id.as_str());

    // Bob was never logged out, and his tokens still work.
    assert!(signed_in(&server, &bobs_browser, &a).await);
    assert!(receiver
        .posts_to("/ok-a")
        .iter()
        .all(|p| jwt_payload(p.logout_token.as_deref().unwrap())["sid"] != sid_of(&bobs)));
    let (status, _) = server
        .userinfo(bobs["access_token"].as_str().unwrap())
        .await;
    assert_eq!(status, 200);
}

/// Whether `browser` still has a session at the provider (`prompt=none` gives a code).
async fn signed_in(server: &TestServer, browser: &Browser, created: &CreatedClient) -> bool {
    let url = server.url(&format!(
        "/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=s&prompt=none",
        created.client.id.as_str(),
        crate::support::REDIRECT_URI
    ));
    let callback = browser.open(&url).await.client_url();
    crate::support::query_param(&callback, "code").is_some()
}

async fn another_user_signing_in_on_the_browser_ends_the_previous_users_session() {
    let server = quick_server().await;
    let alice = server.create_user("alice");
    let bob = server.create_user("bob");
    let receiver = Receiver::start();
    let a = backchannel_client(&server, &receiver.url("/ok-a"));
    let browser = Browser::new();
    let alices = sign_in(&server, &browser, &a, "alice", "openid").await;
    let landing = browser
        .open(&server.url(&format!(
            "/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=s&prompt=login",
            a.client.id.as_str(),
            crate::support::REDIRECT_URI
        )))
        .await;
    let Landing::Client(url) = browser
        .log_in(landing, "bob", crate::support::PASSWORD)
        .await
    else {
        panic!("no code for bob")
    };
    let code = crate::support::query_param(&url, "code").unwrap();
    let (status, bobs) = server.exchange(&a, &code).await;
    assert_eq!(status, 200, "{bobs}");
    assert_eq!(
        jwt_payload(bobs["id_token"].as_str().unwrap())["sub"],
        bob.id.as_str()
    );

    let posts = receiver.wait_for("/ok-a", 1).await;
    let claims = verified_logout_token(
        &server,
        posts[0].logout_token.as_deref().unwrap(),
        a.client.id.as_str(),
    )
    .await;
    assert_eq!(claims["sub"], alice.id.as_str());
    assert_eq!(claims["sid"], sid_of(&alices));
    // Alice's session-bound tokens ended with her session; Bob's work.
    let (status, _) = server
        .userinfo(alices["access_token"].as_str().unwrap())
        .await;
    assert_eq!(status, 401);
    let (status, _) = server
        .userinfo(bobs["access_token"].as_str().unwrap())
        .await;
    assert_eq!(status, 200);
}

async fn a_failing_or_hanging_receiver_does_not_block_logout_and_is_retried() {
    let server = quick_server().await;
    server.create_user("alice");
    let receiver = Receiver::start();
    let hanging = backchannel_client(&server, &receiver.url("/hang"));
    let failing = backchannel_client(&server, &receiver.url("/fail"));
    let flaky = backchannel_client(&server, &receiver.url("/flaky"));
    let fine = backchannel_client(&server, &receiver.url("/ok"));
    let browser = Browser::new();
    let tokens = sign_in(&server, &browser, &hanging, "alice", "openid").await;
    for c in [&failing, &flaky, &fine] {
        sign_in(&server, &browser, c, "alice", "openid").await;
    }
    let started = std::time::Instant::now();
    let response = log_out(&server, &browser, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(response.status().as_u16(), 200);
    // Logout only queues: it never waits for a receiver (generous bound, not a timing
    // assertion on the sender).
    assert!(started.elapsed() < Duration::from_secs(25));
    assert_eq!(receiver.wait_for("/ok", 1).await.len(), 1);
    // Retried until accepted (the third attempt), with the same jti each time.
    let flaky_posts = receiver.wait_for("/flaky", 3).await;
    let jtis: Vec<_> = flaky_posts
        .iter()
        .map(|p| jwt_payload(p.logout_token.as_deref().unwrap())["jti"].clone())
        .collect();
    assert!(jtis.iter().all(|j| *j == jtis[0]), "{jtis:?}");
    // Given up after three attempts each; the queue empties.
    assert_eq!(receiver.wait_for("/fail", 3).await.len(), 3);
    assert_eq!(receiver.wait_for("/hang", 3).await.len(), 3);
    wait_until_queue_empty(&server).await;
    assert_eq!(receiver.posts_to("/fail").len(), 3, "no fourth attempt");
    assert_eq!(
        receiver.posts_to("/flaky").len(),
        3,
        "no attempt after success"
    );
    assert_eq!(receiver.posts_to("/ok").len(), 1);
}

async fn ending_the_session_revokes_refresh_tokens_without_offline_access_and_keeps_offline_ones() {
    let server = TestServer::start().await;
    server.create_user("alice");
    let bound = server.create_client(|c| {
        c.first_party = true;
        c.refresh_without_offline_access = true;
    });
    let offline = server.create_client(|c| c.first_party = true);
    let browser = Browser::new();
    let bound_tokens = sign_in(&server, &browser, &bound, "alice", "openid").await;
    let offline_tokens = sign_in(
        &server,
        &browser,
        &offline,
        "alice",
        "openid offline_access",
    )
    .await;
    assert!(bound_tokens["refresh_token"].is_string(), "{bound_tokens}");
    let refresh = |created, tokens: &serde_json::Value| {
        let token = tokens["refresh_token"].as_str().unwrap().to_owned();
        refresh_with(&server, created, token)
    };
    let response = log_out(
        &server,
        &browser,
        bound_tokens["id_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);

    let (status, body) = refresh(&bound, &bound_tokens).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    let (status, _) = server
        .userinfo(bound_tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(
        status, 401,
        "the session-bound grant's access token ends too"
    );
    let (status, body) = refresh(&offline, &offline_tokens).await;
    assert_eq!(status, 200, "offline_access survives the session: {body}");
}

async fn refresh_with(
    server: &TestServer,
    created: &CreatedClient,
    token: String,
) -> (u16, serde_json::Value) {
    server
        .token_request(
            created,
            &[("grant_type", "refresh_token"), ("refresh_token", &token)],
        )
        .await
}

async fn the_signed_out_page_frames_front_channel_uris_with_iss_and_sid_then_continues() {
    let server = TestServer::start().await;
    server.create_user("alice");
    let with_sid = server.create_client(|c| {
        c.first_party = true;
        c.options.frontchannel_logout_uri = Some("https://rp-one.example/fc-logout?x=1".into());
        c.options.frontchannel_logout_session_required = true;
        c.options.post_logout_redirect_uris = vec![RedirectUri::from_trusted(BYE)];
    });
    let without_sid = server.create_client(|c| {
        c.first_party = true;
        c.options.frontchannel_logout_uri = Some("http://127.0.0.1:7/fc".into());
    });
    let not_registered = server.create_client(|c| c.first_party = true);
    let browser = Browser::new();
    let tokens = sign_in(&server, &browser, &with_sid, "alice", "openid").await;
    sign_in(&server, &browser, &without_sid, "alice", "openid").await;
    sign_in(&server, &browser, &not_registered, "alice", "openid").await;
    let sid = sid_of(&tokens);

    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("id_token_hint", tokens["id_token"].as_str().unwrap())
        .append_pair("post_logout_redirect_uri", BYE)
        .append_pair("state", "st")
        .finish();
    let response = browser
        .http
        .get(server.url(&format!("/logout?{query}")))
        .send()
        .await
        .unwrap();
    // The iframes first, then on to the client: a page, not a redirect.
    assert_eq!(response.status().as_u16(), 200);
    let csp = response
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert!(
        csp.ends_with("frame-src http://127.0.0.1:7 https://rp-one.example"),
        "only the front-channel origins may be framed: {csp}"
    );
    assert!(!csp.contains("script-src"), "{csp}");
    let page = response.text().await.unwrap();
    let html = scraper::Html::parse_document(&page);
    let frames: Vec<String> = html
        .select(&scraper::Selector::parse("iframe").unwrap())
        .map(|f| f.value().attr("src").unwrap().to_owned())
        .collect();
    let expected_one = url::Url::parse_with_params(
        "https://rp-one.example/fc-logout?x=1",
        &[("iss", server.base.as_str()), ("sid", sid.as_str())],
    )
    .unwrap();
    assert_eq!(
        frames,
        vec![expected_one.to_string(), "http://127.0.0.1:7/fc".to_owned()],
        "{page}"
    );
    let refresh = html
        .select(&scraper::Selector::parse("meta[http-equiv=refresh]").unwrap())
        .next()
        .unwrap_or_else(|| panic!("no meta refresh: {page}"));
    let content = refresh.value().attr("content").unwrap();
    assert!(
        content.ends_with(";url=http://127.0.0.1:9/bye?state=st"),
        "{content}"
    );
    let link = html
        .select(&scraper::Selector::parse("a").unwrap())
        .next()
        .unwrap();
    assert_eq!(
        link.value().attr("href"),
        Some("http://127.0.0.1:9/bye?state=st")
    );
    assert!(!signed_in(&server, &browser, &with_sid).await);

    // Without a post-logout redirection the signed-out page frames them and stays.
    sign_in(&server, &browser, &without_sid, "alice", "openid").await;
    let tokens = sign_in(&server, &browser, &not_registered, "alice", "openid").await;
    let response = log_out(&server, &browser, tokens["id_token"].as_str().unwrap()).await;
    let page = response.text().await.unwrap();
    assert!(page.contains("You are signed out"), "{page}");
    assert!(page.contains("src=\"http://127.0.0.1:7/fc\""), "{page}");
    assert!(!page.contains("http-equiv"), "{page}");
}

async fn discovery_advertises_front_and_back_channel_logout_with_sessions() {
    let server = TestServer::start().await;
    let meta = get_json(&server.url("/.well-known/openid-configuration")).await;
    for flag in [
        "backchannel_logout_supported",
        "backchannel_logout_session_supported",
        "frontchannel_logout_supported",
        "frontchannel_logout_session_supported",
    ] {
        assert_eq!(meta[flag], true, "{flag}: {meta}");
    }
    assert!(meta["claims_supported"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "sid"));
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    id_tokens_carry_the_sessions_sid_and_a_refreshed_one_keeps_it,
    rp_initiated_logout_posts_a_verifiable_logout_token_to_each_client_of_the_session,
    operator_logout_password_change_and_removal_notify_clients_and_spare_other_users,
    another_user_signing_in_on_the_browser_ends_the_previous_users_session,
    a_failing_or_hanging_receiver_does_not_block_logout_and_is_retried,
    ending_the_session_revokes_refresh_tokens_without_offline_access_and_keeps_offline_ones,
    the_signed_out_page_frames_front_channel_uris_with_iss_and_sid_then_continues,
    discovery_advertises_front_and_back_channel_logout_with_sessions,
);
