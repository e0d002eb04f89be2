use std::sync::Arc;

use chrono::TimeZone;
use idp_core::{Clock, FixedClock};
use idp_protocol::manage::{self, CreatedClient, NewClient, NewUser};
use idp_protocol::{
    Interaction, Next, Params, ProtocolError, Provider, ProviderConfig, TokenResponse,
};
use idp_store::DieselStore;

/// The test signing key (RSA-2048, PKCS#8 DER).
pub const TEST_KEY: &[u8] = include_bytes!("../fixtures/test-rs256.pk8");
pub const PASSWORD: &str = "correct horse battery staple";
pub const REDIRECT: &str = "https://app.example/cb";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub struct Harness {
    pub provider: Provider,
    pub clock: Arc<FixedClock>,
    pub client: CreatedClient,
    pub cookie: Option<String>,
    /// The client address logins come from.
    pub address: Option<std::net::IpAddr>,
    _dir: tempfile::TempDir,
}

pub fn params(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(pairs.iter().map(|(k, v)| (*k, *v)))
}

impl Harness {
    pub fn new() -> Self {
        Self::with_client(|_| {})
    }

    pub fn with_client(adjust: impl FnOnce(&mut NewClient)) -> Self {
        Self::build(adjust, |_| {})
    }

    pub fn with_config(adjust: impl FnOnce(&mut ProviderConfig)) -> Self {
        Self::build(|_| {}, adjust)
    }

    pub fn build(
        adjust: impl FnOnce(&mut NewClient),
        configure: impl FnOnce(&mut ProviderConfig),
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store =
            DieselStore::open(&format!("sqlite://{}/idp.db", dir.path().display())).unwrap();
        let clock: Arc<FixedClock> = Arc::new(FixedClock::new(
            chrono::Utc.timestamp_opt(1_800_000_000, 0).unwrap(),
        ));
        // A fixed key: generating RSA keys per test is slow.
        let kek = Arc::new(idp_protocol::KeyEncryptionKey::from_bytes(&[7; 32]).unwrap());
        idp_protocol::import_signing_key(&store, &*clock, &kek, TEST_KEY, clock.now()).unwrap();
        manage::create_user(
            &store,
            &*clock,
            NewUser {
                username: "alice".into(),
                password: PASSWORD.into(),
                email: Some("alice@example.com".into()),
                email_verified: false,
                name: None,
                profile: idp_core::UserProfile::default(),
                groups: vec![],
            },
        )
        .unwrap();
        let mut new = NewClient::new("App", vec![REDIRECT.into()]);
        adjust(&mut new);
        let client = manage::create_client(&store, &*clock, Some(&kek), new).unwrap();
        let mut config = ProviderConfig::new("https://idp.example", kek);
        configure(&mut config);
        let provider = Provider::new(
            Arc::new(store),
            Arc::clone(&clock) as Arc<dyn idp_core::Clock>,
            config,
        );
        Harness {
            provider,
            clock,
            client,
            cookie: None,
            address: Some(std::net::IpAddr::from([192, 0, 2, 1])),
            _dir: dir,
        }
    }

    /// The harness with a fetcher of Client ID Metadata Documents.
    pub fn with_document_fetcher(
        self,
        fetcher: Arc<dyn idp_protocol::ClientDocumentFetcher>,
    ) -> Self {
        Harness {
            provider: self.provider.with_client_document_fetcher(fetcher),
            ..self
        }
    }

    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn advance(&self, secs: i64) {
        self.clock.advance(chrono::Duration::seconds(secs));
    }

    fn keep_cookie(&mut self, interaction: &Interaction) {
        if let Some(c) = &interaction.set_session {
            self.cookie = Some(c.value.clone());
        }
    }

    /// An authorization request for the harness client with `extra` parameters.
    pub fn authorize(&mut self, extra: &[(&str, &str)]) -> Result<Next, ProtocolError> {
        let id = self.client.client.id.as_str().to_owned();
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", id.as_str()),
            ("redirect_uri", REDIRECT),
            ("scope", "openid email offline_access"),
            ("state", "st"),
            ("nonce", "n-0"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ];
        for (k, v) in extra {
            pairs.retain(|(name, _)| name != k);
            if !v.is_empty() {
                pairs.push((k, v));
            }
        }
        let interaction = self
            .provider
            .authorize(&params(&pairs), self.cookie.as_deref())?;
        self.keep_cookie(&interaction);
        Ok(interaction.next)
    }

    /// Creates another user with the harness password.
    pub fn add_user(&self, username: &str) {
        manage::create_user(
            self.provider.store(),
            &*self.clock,
            NewUser {
                username: username.into(),
                password: PASSWORD.into(),
                ..NewUser::default()
            },
        )
        .unwrap();
    }

    /// Submits the login form of a parked request as `username`, keeping any new cookie.
    pub fn submit_login_as(
        &mut self,
        request_id: &str,
        username: &str,
        password: &str,
    ) -> Result<Interaction, ProtocolError> {
        let page = self
            .provider
            .login_page(request_id, self.cookie.as_deref())?;
        let Next::ShowLogin(form) = page.next else {
            panic!("{:?}", page.next)
        };
        let submitted = self.provider.submit_login(
            &params(&[
                ("request_id", &form.request_id),
                ("csrf_token", &form.csrf_token),
                ("username", username),
                ("password", password),
            ]),
            self.cookie.as_deref(),
            self.address,
        )?;
        self.keep_cookie(&submitted);
        Ok(submitted)
    }

    /// Logs in on the login page of a parked request.
    pub fn log_in(&mut self, request_id: &str, password: &str) -> Next {
        self.submit_login_as(request_id, "alice", password)
            .unwrap()
            .next
    }

    /// Allows (or denies) on the consent page of a parked request.
    pub fn consent(&mut self, request_id: &str, decision: &str) -> Result<Next, ProtocolError> {
        let page = self
            .provider
            .consent_page(request_id, self.cookie.as_deref())
            .unwrap();
        let Next::ShowConsent(form) = page.next else {
            panic!("{:?}", page.next)
        };
        self.provider
            .submit_consent(
                &params(&[
                    ("request_id", &form.request_id),
                    ("csrf_token", &form.csrf_token),
                    ("decision", decision),
                ]),
                self.cookie.as_deref(),
            )
            .map(|i| i.next)
    }

    /// Runs login and consent as needed and returns the code.
    pub fn code(&mut self, extra: &[(&str, &str)]) -> String {
        let mut next = self.authorize(extra).unwrap();
        loop {
            next = match next {
                Next::GoToLogin(id) => self.log_in(&id, PASSWORD),
                Next::GoToConsent(id) => self.consent(&id, "allow").unwrap(),
                Next::RedirectToClient(url) => return query(&url, "code").expect("a code"),
                other => panic!("{other:?}"),
            }
        }
    }

    pub fn token(&self, pairs: &[(&str, &str)]) -> Result<TokenResponse, ProtocolError> {
        let mut all: Vec<(&str, &str)> = pairs.to_vec();
        all.push(("client_id", self.client.client.id.as_str()));
        if let Some(secret) = &self.client.secret {
            all.push(("client_secret", secret));
        }
        self.provider.token(&params(&all), None)
    }

    pub fn exchange(&self, code: &str) -> Result<TokenResponse, ProtocolError> {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
    }

    /// A code for `extra`, exchanged.
    pub fn tokens(&mut self, extra: &[(&str, &str)]) -> TokenResponse {
        let code = self.code(extra);
        self.exchange(&code).unwrap()
    }

    pub fn refresh(&self, refresh_token: &str) -> Result<TokenResponse, ProtocolError> {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
    }
}

pub fn query(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub fn code_of(e: &ProtocolError) -> &'static str {
    e.code().as_str()
}

/// The URL of an error redirected to the client.
pub fn redirected(e: &ProtocolError) -> &str {
    match e {
        ProtocolError::Rejected {
            delivery: idp_protocol::Delivery::Redirect(url),
            ..
        } => url,
        other => panic!("expected a redirected error, got {other:?}"),
    }
}
