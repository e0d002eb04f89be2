//! Several `idp-server` processes on one PostgreSQL database behind a load balancer: any
//! instance continues what another began, because no state lives in one process.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idp_core::{Clock, SystemClock};
use idp_protocol::manage::{self, NewClient, NewUser};
use idp_store::DieselStore;
use idp_testdb::process::{binary, command, Running};
use idp_testdb::{Backend, TestDb};
use serde_json::Value;

use crate::support::{query_param, Browser, Landing, PASSWORD, REDIRECT_URI, TEST_KEK, TEST_KEY};

/// A TCP load balancer in front of the instances: each new connection goes to the
/// instance the test currently routes to.
pub(crate) struct LoadBalancer {
    pub(crate) addr: SocketAddr,
    target: Arc<Mutex<SocketAddr>>,
}

impl LoadBalancer {
    /// A balancer with nowhere to route yet.
    pub(crate) async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let target = Arc::new(Mutex::new(SocketAddr::from(([127, 0, 0, 1], 9))));
        let route = Arc::clone(&target);
        actix_web::rt::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let to = *route.lock().unwrap();
                actix_web::rt::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(to).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        LoadBalancer { addr, target }
    }

    pub(crate) fn route_to(&self, instance: &Instance) {
        *self.target.lock().unwrap() = instance.addr;
    }
}

/// One `idp-server` process.
pub(crate) struct Instance {
    addr: SocketAddr,
    process: Running,
}

impl Instance {
    pub(crate) fn start(db: &TestDb, issuer: &str) -> Self {
        let mut process = Running::spawn(
            command(&binary("idp-server"))
                .args(["--listen", "127.0.0.1:0", "--issuer", issuer])
                .args(["--database-url", db.url()])
                .env("IDP_KEY_ENCRYPTION_KEY", TEST_KEK)
                .env("IDP_LOG", "info"),
        );
        let addr = process
            .listening_address(Duration::from_secs(60))
            .parse()
            .unwrap();
        Instance { addr, process }
    }

    /// The kids in this instance's own JWKS (asked directly, not through the balancer).
    async fn jwks_kids(&self) -> Vec<String> {
        let jwks: Value = reqwest::get(format!("http://{}/jwks.json", self.addr))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// An API client that opens a connection per request, like the browser.
fn api() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn token(issuer: &str, id: &str, secret: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = api()
        .post(format!("{issuer}/token"))
        .basic_auth(id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn userinfo_status(issuer: &str, access_token: &str) -> u16 {
    api()
        .get(format!("{issuer}/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Redeems `code` at the token endpoint.
async fn exchange(issuer: &str, id: &str, secret: &str, code: &str) -> (u16, Value) {
    token(
        issuer,
        id,
        secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
        ],
    )
    .await
}

fn code_of(landing: Landing) -> String {
    query_param(&landing.client_url(), "code").unwrap()
}

async fn two_instances_share_everything_through_the_database() {
    let db = TestDb::fresh();
    let store = DieselStore::open(db.url()).unwrap();
    let kek = idp_protocol::KeyEncryptionKey::from_base64(TEST_KEK).unwrap();
    idp_protocol::import_signing_key(&store, &SystemClock, &kek, TEST_KEY, SystemClock.now())
        .unwrap();
    manage::create_user(
        &store,
        &SystemClock,
        NewUser {
            username: "alice".into(),
            password: PASSWORD.into(),
            email: None,
            email_verified: false,
            name: None,
            profile: idp_core::UserProfile::default(),
            groups: vec![],
        },
    )
    .unwrap();
    let mut new = NewClient::new("Fleet App", vec![REDIRECT_URI.into()]);
    new.first_party = true;
    let created = manage::create_client(&store, &SystemClock, None, new).unwrap();
    let (id, secret) = (
        created.client.id.as_str().to_owned(),
        created.secret.unwrap(),
    );

    // The balancer's address is the issuer both instances share.
    let lb = LoadBalancer::start().await;
    let issuer = format!("http://{}", lb.addr);
    let mut a = Instance::start(&db, &issuer);
    let b = Instance::start(&db, &issuer);
    let authorize = |state: &str| {
        format!(
            "{issuer}/authorize?response_type=code&client_id={id}&redirect_uri={REDIRECT_URI}\
             &scope=openid%20offline_access&state={state}&nonce=n-{state}"
        )
    };

    // Log in on A, exchange the code on B, refresh on A, userinfo on B.
    let browser = Browser::without_keep_alive();
    lb.route_to(&a);
    let landing = browser.open(&authorize("s1")).await;
    let code = code_of(browser.log_in(landing, "alice", PASSWORD).await);
    lb.route_to(&b);
    let (status, tokens) = exchange(&issuer, &id, &secret, &code).await;
    assert_eq!(status, 200, "{tokens}");
    lb.route_to(&a);
    let (status, refreshed) = token(
        &issuer,
        &id,
        &secret,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    let access = refreshed["access_token"].as_str().unwrap().to_owned();
    lb.route_to(&b);
    assert_eq!(userinfo_status(&issuer, &access).await, 200);

    // A replayed code on A revokes what B issued from it (and A refreshed).
    lb.route_to(&a);
    let (status, replay) = exchange(&issuer, &id, &secret, &code).await;
    assert_eq!(
        (status, replay["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    lb.route_to(&b);
    assert_eq!(userinfo_status(&issuer, &access).await, 401);
    let (status, _) = token(
        &issuer,
        &id,
        &secret,
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                refreshed["refresh_token"].as_str().unwrap(),
            ),
        ],
    )
    .await;
    assert_eq!(status, 400);

    // `idp-admin key rotate` shows on both instances' JWKS.
    let out = command(&binary("idp-admin"))
        .args(["--database-url", db.url(), "key", "rotate", "--json"])
        .env("IDP_KEY_ENCRYPTION_KEY", TEST_KEK)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rotated: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kid = rotated["kid"].as_str().unwrap().to_owned();
    for instance in [&a, &b] {
        let mut published = false;
        for _ in 0..50 {
            if instance.jwks_kids().await.contains(&kid) {
                published = true;
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(published, "{kid} not in the JWKS of {}", instance.addr);
    }

    // A dies in the middle of a login; B finishes it.
    let browser = Browser::without_keep_alive();
    lb.route_to(&a);
    let login_page = browser.open(&authorize("s2")).await;
    a.process.kill();
    lb.route_to(&b);
    let code = code_of(browser.log_in(login_page, "alice", PASSWORD).await);
    let (status, tokens) = exchange(&issuer, &id, &secret, &code).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        userinfo_status(&issuer, tokens["access_token"].as_str().unwrap()).await,
        200
    );
}

#[test]
fn two_instances_on_one_postgres_database() {
    idp_testdb::run_on(Backend::Postgres, || {
        actix_web::rt::System::new().block_on(two_instances_share_everything_through_the_database())
    });
}
