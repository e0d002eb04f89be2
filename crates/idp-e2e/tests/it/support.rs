//! A server per test, and a scripted browser.

use std::net::TcpListener;

use idp_core::{Clock, SystemClock, User};
use idp_protocol::manage::{self, CreatedClient, NewClient, NewUser};
use idp_server::Settings;
use idp_store::DieselStore;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreProviderMetadata,
    CoreResponseType,
};
use openidconnect::{
    AuthorizationRequest, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, RedirectUrl,
};
use reqwest::redirect::Policy;
use scraper::{Html, Selector};

/// The test signing key (RSA-2048, PKCS#8 DER), shared with the protocol tests.
pub const TEST_KEY: &[u8] = include_bytes!("../../../idp-protocol/tests/fixtures/test-rs256.pk8");
/// The key-encryption key of test servers (base64 of 32 bytes).
pub const TEST_KEK: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
pub const PASSWORD: &str = "correct horse battery staple";
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

/// The `openidconnect` client type after discovery.
pub type OidcClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The real server on a fresh database of the test's backend (SQLite or PostgreSQL).
pub struct TestServer {
    pub base: String,
    pub store: DieselStore,
    pub db: idp_testdb::TestDb,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        let db = idp_testdb::TestDb::fresh();
        let url = db.url().to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut settings = Settings::with_database_url(url.clone());
        settings.listen = addr;
        settings.issuer = format!("http://{addr}");
        settings.key_encryption_key = Some(idp_server::Secret::new(TEST_KEK));
        adjust(&mut settings);
        // A fixed signing key: the server then has one and generates none (slow).
        let store = DieselStore::open(&url).unwrap();
        let kek = idp_protocol::KeyEncryptionKey::from_base64(TEST_KEK).unwrap();
        idp_protocol::import_signing_key(&store, &SystemClock, &kek, TEST_KEY, SystemClock.now())
            .unwrap();
        let server = idp_server::serve(&settings, listener).unwrap();
        actix_web::rt::spawn(server);
        TestServer {
            base: format!("http://{addr}"),
            store,
            db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn create_user(&self, username: &str) -> User {
        manage::create_user(
            &self.store,
            &SystemClock,
            NewUser {
                username: username.into(),
                password: PASSWORD.into(),
                email: Some(format!("{username}@example.com")),
                email_verified: true,
                name: Some(format!("{username} Example")),
                profile: idp_core::UserProfile::default(),
                groups: vec![],
            },
        )
        .unwrap()
    }

    pub fn create_client(&self, adjust: impl FnOnce(&mut NewClient)) -> CreatedClient {
        let mut new = NewClient::new("Test App", vec![REDIRECT_URI.into()]);
        adjust(&mut new);
        let kek = idp_protocol::KeyEncryptionKey::from_base64(TEST_KEK).unwrap();
        manage::create_client(&self.store, &SystemClock, Some(&kek), new).unwrap()
    }

    /// Discovery, then an `openidconnect` client for `created`.
    pub async fn oidc_client(&self, created: &CreatedClient) -> OidcClient {
        let meta = CoreProviderMetadata::discover_async(
            IssuerUrl::new(self.base.clone()).unwrap(),
            &api_http(),
        )
        .await
        .unwrap();
        CoreClient::from_provider_metadata(
            meta,
            ClientId::new(created.client.id.as_str().to_owned()),
            created.secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).unwrap())
    }
}

/// A server, optionally a user, a client registered with `adjust`, and an
/// `openidconnect` client for it after discovery.
pub async fn setup(
    user: Option<&str>,
    adjust: impl FnOnce(&mut NewClient),
) -> (TestServer, CreatedClient, OidcClient) {
    let server = TestServer::start().await;
    if let Some(user) = user {
        server.create_user(user);
    }
    let created = server.create_client(adjust);
    let client = server.oidc_client(&created).await;
    (server, created, client)
}

/// A code-flow authorization request with a random state and nonce.
pub fn auth(
    client: &OidcClient,
) -> AuthorizationRequest<'_, CoreAuthDisplay, CoreAuthPrompt, CoreResponseType> {
    client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    )
}

/// An HTTP client for API calls: no redirects followed.
pub fn api_http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// Where a browser ended up.
#[derive(Debug)]
pub enum Landing {
    /// Redirected to the client: the full URL.
    Client(url::Url),
    /// A page at the provider.
    Page { status: u16, body: String },
}

impl Landing {
    pub fn client_url(self) -> url::Url {
        match self {
            Landing::Client(u) => u,
            Landing::Page { status, body } => {
                panic!("expected a redirect to the client, got {status}: {body}")
            }
        }
    }

    pub fn page(self) -> (u16, String) {
        match self {
            Landing::Page { status, body } => (status, body),
            Landing::Client(u) => panic!("expected a page, got a redirect to {u}"),
        }
    }
}

/// The value of a query parameter.
pub fn query_param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The parameters of a response in the URL's fragment (`response_mode=fragment`).
pub fn fragment_params(url: &url::Url) -> std::collections::HashMap<String, String> {
    form_urlencoded::parse(url.fragment().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// Checks an error response redirected to the client: `error`, the request's `state`,
/// and `iss` (RFC 9207), and no `code`.
pub fn assert_error_response(callback: &url::Url, error: &str, state: &str, issuer: &str) {
    assert_eq!(
        query_param(callback, "error").as_deref(),
        Some(error),
        "{callback}"
    );
    assert_eq!(
        query_param(callback, "state").as_deref(),
        Some(state),
        "{callback}"
    );
    assert_eq!(
        query_param(callback, "iss").as_deref(),
        Some(issuer),
        "{callback}"
    );
    assert!(query_param(callback, "code").is_none(), "{callback}");
}

/// A cookie-keeping browser that does not follow redirects on its own.
pub struct Browser {
    pub http: reqwest::Client,
}

impl Browser {
    pub fn new() -> Self {
        Browser {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// A browser that opens a new connection for every request (so a load balancer that
    /// routes connections routes each request).
    pub fn without_keep_alive() -> Self {
        Browser {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
        }
    }

    /// Follows redirects from a response until one leaves for the client (`REDIRECT_URI`)
    /// or a page is shown.
    async fn land(&self, mut response: reqwest::Response) -> Landing {
        loop {
            let status = response.status().as_u16();
            if (300..400).contains(&status) {
                let location = response.headers()["location"].to_str().unwrap().to_owned();
                if location.starts_with(REDIRECT_URI) {
                    return Landing::Client(url::Url::parse(&location).unwrap());
                }
                response = self.http.get(&location).send().await.unwrap();
            } else {
                return Landing::Page {
                    status,
                    body: response.text().await.unwrap(),
                };
            }
        }
    }

    pub async fn open(&self, url: &str) -> Landing {
        let response = self.http.get(url).send().await.unwrap();
        self.land(response).await
    }

    /// Submits the page's form with its hidden fields plus `fields`.
    pub async fn submit(&self, page: &str, fields: &[(&str, &str)]) -> Landing {
        let response = self.submit_raw(page, fields).await;
        self.land(response).await
    }

    /// Submits the page's form with its hidden fields plus `fields`, and returns the
    /// response as it is (no redirect followed).
    pub async fn submit_raw(&self, page: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let (action, mut pairs) = parse_form(page);
        for (k, v) in fields {
            pairs.push(((*k).to_owned(), (*v).to_owned()));
        }
        self.http.post(&action).form(&pairs).send().await.unwrap()
    }

    /// Logs in on the login page shown at `landing`.
    pub async fn log_in(&self, landing: Landing, username: &str, password: &str) -> Landing {
        let (status, page) = landing.page();
        assert_eq!(status, 200);
        assert!(
            page.contains("name=\"password\""),
            "not a login page: {page}"
        );
        self.submit(&page, &[("username", username), ("password", password)])
            .await
    }

    /// Answers the consent page shown at `landing`.
    pub async fn consent(&self, landing: Landing, decision: &str) -> Landing {
        let (status, page) = landing.page();
        assert_eq!(status, 200);
        assert!(
            page.contains("name=\"decision\""),
            "not a consent page: {page}"
        );
        self.submit(&page, &[("decision", decision)]).await
    }

    /// Opens `authorize_url`, logs in and allows (if asked); returns the redirect to the
    /// client.
    pub async fn authorize(&self, authorize_url: &str, username: &str) -> url::Url {
        let landing = self.open(authorize_url).await;
        match self.log_in(landing, username, PASSWORD).await {
            Landing::Client(url) => url,
            consent => self.consent(consent, "allow").await.client_url(),
        }
    }
}

/// The action and hidden inputs of the first form of a page.
pub fn parse_form(page: &str) -> (String, Vec<(String, String)>) {
    let doc = Html::parse_document(page);
    let form = doc
        .select(&Selector::parse("form").unwrap())
        .next()
        .expect("page has a form");
    let action = form.value().attr("action").unwrap().to_owned();
    let hidden = form
        .select(&Selector::parse("input[type=hidden]").unwrap())
        .map(|i| {
            (
                i.value().attr("name").unwrap().to_owned(),
                i.value().attr("value").unwrap_or("").to_owned(),
            )
        })
        .collect();
    (action, hidden)
}

/// What an `idp-admin` run printed.
pub struct AdminRun {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl AdminRun {
    /// Stdout as JSON, after checking the run succeeded.
    pub fn json(&self) -> serde_json::Value {
        assert!(self.ok, "idp-admin failed: {}", self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

impl TestServer {
    /// Runs the `idp-admin` binary against the server's database (either backend), with
    /// the test key-encryption key.
    pub fn admin(&self, args: &[&str]) -> AdminRun {
        let out = idp_testdb::process::command(&idp_testdb::process::binary("idp-admin"))
            .args(["--database-url", self.db.url()])
            .args(args)
            .env("IDP_KEY_ENCRYPTION_KEY", TEST_KEK)
            .output()
            .unwrap();
        AdminRun {
            ok: out.status.success(),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// The code flow for a confidential `created` client and `username` with `scope`
    /// (PKCE, a nonce), through a new browser; returns the token response's status and
    /// JSON.
    pub async fn code_flow(
        &self,
        created: &CreatedClient,
        username: &str,
        scope: &str,
    ) -> (u16, serde_json::Value) {
        let browser = Browser::new();
        match self.authorize_for(&browser, created, username, scope).await {
            Ok(code) => self.exchange(created, &code).await,
            Err(landing) => panic!("no code: {landing:?}"),
        }
    }

    /// Runs an authorization request in `browser` (logging in, allowing consent) and
    /// returns the code, or where the browser landed without one.
    pub async fn authorize_for(
        &self,
        browser: &Browser,
        created: &CreatedClient,
        username: &str,
        scope: &str,
    ) -> Result<String, Landing> {
        self.authorize_with(browser, created, username, scope, &[])
            .await
    }

    /// [`TestServer::authorize_for`] with `extra` parameters in the request.
    pub async fn authorize_with(
        &self,
        browser: &Browser,
        created: &CreatedClient,
        username: &str,
        scope: &str,
        extra: &[(&str, &str)],
    ) -> Result<String, Landing> {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", created.client.id.as_str())
            .append_pair("redirect_uri", REDIRECT_URI)
            .append_pair("scope", scope)
            .append_pair("state", "st")
            .append_pair("nonce", "n-0S6_WzA2Mj")
            .extend_pairs(extra)
            .finish();
        let landing = browser
            .open(&self.url(&format!("/authorize?{query}")))
            .await;
        let landing = match landing {
            Landing::Page { ref body, .. } if body.contains("name=\"password\"") => {
                browser.log_in(landing, username, PASSWORD).await
            }
            other => other,
        };
        let landing = match landing {
            Landing::Page { ref body, .. } if body.contains("name=\"decision\"") => {
                browser.consent(landing, "allow").await
            }
            other => other,
        };
        match landing {
            Landing::Client(url) => query_param(&url, "code").ok_or(Landing::Client(url)),
            page => Err(page),
        }
    }

    /// POSTs `form` to the token endpoint with the client's credentials (HTTP Basic).
    pub async fn token_request(
        &self,
        created: &CreatedClient,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let response = api_http()
            .post(self.url("/token"))
            .basic_auth(created.client.id.as_str(), created.secret.as_deref())
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// Exchanges a code.
    pub async fn exchange(&self, created: &CreatedClient, code: &str) -> (u16, serde_json::Value) {
        self.token_request(
            created,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT_URI),
            ],
        )
        .await
    }

    /// Stores runtime settings (`idp-admin settings set`) and waits until the server has
    /// re-read them (`SETTINGS_RECHECK` is one second).
    pub async fn set_settings(&self, settings: &[(&str, &str)]) {
        for (k, v) in settings {
            manage::set_setting(&self.store, &SystemClock, k, v).unwrap();
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    }

    /// GET /userinfo with `access_token`: status and JSON (empty object if none).
    pub async fn userinfo(&self, access_token: &str) -> (u16, serde_json::Value) {
        let response = api_http()
            .get(self.url("/userinfo"))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        (status, serde_json::from_str(&body).unwrap_or_default())
    }
}

/// The payload of a JWS (unverified: for tests that verify elsewhere or only read).
pub fn jwt_payload(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// GET `url` and parse the body as JSON.
pub async fn get_json(url: &str) -> serde_json::Value {
    api_http()
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// GET `url` and return the body as text.
pub async fn get_text(url: &str) -> String {
    api_http()
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The value of the first metrics sample line starting with `prefix`.
pub fn metrics_sample(metrics: &str, prefix: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}
