//! The browser side of an authorization: sessions, the login and consent forms, and
//! issuing the code once both are satisfied.

use chrono::{DateTime, Utc};
use idp_core::{
    AuthorizationCode, AuthorizationRequest, BrowserSession, Client, GrantId, PendingAuthorization,
    UserId,
};
use idp_crypto::{constant_time_eq, verify_password, PasswordCheck};

use super::{redirect_error, redirect_with};
use crate::provider::{digest_of, new_secret};
use crate::{ErrorCode, Params, ProtocolError, Provider};

/// What the browser should see next, and the session cookie to set on the way.
#[derive(Debug)]
pub struct Interaction {
    /// The next step.
    pub next: Next,
    /// A new session cookie value to set (after login, or for a first visit).
    pub set_session: Option<String>,
}

impl From<Next> for Interaction {
    fn from(next: Next) -> Self {
        Interaction {
            next,
            set_session: None,
        }
    }
}

/// The next step of an authorization.
#[derive(Debug)]
pub enum Next {
    /// Redirect to the client: a success (`code`) or error response, with `state` and `iss`.
    RedirectToClient(String),
    /// Redirect to the login page for the parked request with this id.
    GoToLogin(String),
    /// Redirect to the consent page for the parked request with this id.
    GoToConsent(String),
    /// Render the login form.
    ShowLogin(LoginForm),
    /// Render the consent form.
    ShowConsent(ConsentForm),
}

/// What the login page shows.
#[derive(Debug)]
pub struct LoginForm {
    /// The parked request, posted back.
    pub request_id: String,
    /// The session's CSRF token, posted back.
    pub csrf_token: String,
    /// Name of the client asking.
    pub client_name: String,
    /// Username to pre-fill.
    pub username: Option<String>,
    /// A message after a failed attempt (always the same generic one).
    pub error: Option<&'static str>,
}

/// What the consent page shows.
#[derive(Debug)]
pub struct ConsentForm {
    /// The parked request, posted back.
    pub request_id: String,
    /// The session's CSRF token, posted back.
    pub csrf_token: String,
    /// Name of the client asking.
    pub client_name: String,
    /// Scopes it asks for.
    pub scopes: Vec<String>,
    /// Who is logged in.
    pub username: String,
}

/// The single message for any failed login, so it reveals nothing about which part was wrong.
const LOGIN_FAILED: &str = "Invalid username or password.";

enum Step {
    Login,
    Consent,
    Issue {
        user_id: UserId,
        auth_time: DateTime<Utc>,
    },
}

fn expired_request() -> ProtocolError {
    ProtocolError::page(
        ErrorCode::InvalidRequest,
        "this sign-in request has expired or was already completed; return to the application and start again",
    )
}

fn bad_form() -> ProtocolError {
    ProtocolError::page(
        ErrorCode::InvalidRequest,
        "the form has expired or did not come from this site; return to the application and start again",
    )
}

impl Provider {
    /// Handles an authorization request (GET or POST): validates it, then redirects to the
    /// client with a code, or parks it and sends the browser to login or consent.
    ///
    /// # Errors
    /// A [`ProtocolError::Rejected`] to show as an error page or to redirect to the
    /// client; [`ProtocolError::Internal`] on storage failure.
    pub fn authorize(
        &self,
        params: &Params,
        session_cookie: Option<&str>,
    ) -> Result<Interaction, ProtocolError> {
        let (request, client) = self.validate_authorization_request(params)?;
        let session = self.load_session(session_cookie)?;
        let step = self.step(&request, &client, session.as_ref(), None, false)?;
        let next = match step {
            Step::Issue { user_id, auth_time } => {
                Next::RedirectToClient(self.issue_code(&request, user_id, auth_time)?)
            }
            // OIDC Core §3.1.2.6: prompt=none must not show a page.
            Step::Login if request.prompt.none => {
                return Err(self.error_to_client(
                    &request,
                    ErrorCode::LoginRequired,
                    "the user is not logged in",
                ))
            }
            Step::Consent if request.prompt.none => {
                return Err(self.error_to_client(
                    &request,
                    ErrorCode::ConsentRequired,
                    "the user has not consented to this client",
                ))
            }
            Step::Login => Next::GoToLogin(self.park(request)?),
            Step::Consent => Next::GoToConsent(self.park(request)?),
        };
        Ok(Interaction::from(next))
    }

    /// The login form for a parked request; starts an anonymous session (for the CSRF
    /// token) when the browser has none.
    ///
    /// # Errors
    /// An error page if the request is unknown or expired.
    pub fn login_page(
        &self,
        request_id: &str,
        session_cookie: Option<&str>,
    ) -> Result<Interaction, ProtocolError> {
        let (pending, client) = self.load_pending(request_id)?;
        let (session, set_session) = match self.load_session(session_cookie)? {
            Some(s) => (s, None),
            None => {
                let (cookie, s) = self.start_session(None)?;
                (s, Some(cookie))
            }
        };
        Ok(Interaction {
            next: Next::ShowLogin(LoginForm {
                request_id: pending.id,
                csrf_token: session.csrf_token,
                client_name: client.name,
                username: pending.request.login_hint,
                error: None,
            }),
            set_session,
        })
    }

    /// Checks a submitted login form (`request_id`, `csrf_token`, `username`, `password`).
    /// On success the session is replaced by a new one (new id, new CSRF token) and the
    /// authorization continues.
    ///
    /// # Errors
    /// An error page for a missing session, a CSRF mismatch or an expired request.
    pub fn submit_login(
        &self,
        form: &Params,
        session_cookie: Option<&str>,
    ) -> Result<Interaction, ProtocolError> {
        let session = self.checked_session(form, session_cookie)?;
        let (pending, client) = self.load_pending(form.get("request_id").unwrap_or(""))?;
        let username = form.get("username").unwrap_or("");
        let password = form.get("password").unwrap_or("");
        let user = self.store.user_by_username(username)?;
        let check = verify_password(password, user.as_ref().map(|u| u.password_hash.as_str()));
        let (PasswordCheck::Match, Some(user)) = (check, user) else {
            tracing::info!(client = %client.id, "failed login");
            return Ok(Interaction {
                next: Next::ShowLogin(LoginForm {
                    request_id: pending.id,
                    csrf_token: session.csrf_token,
                    client_name: client.name,
                    username: Some(username.to_owned()).filter(|u| !u.is_empty()),
                    error: Some(LOGIN_FAILED),
                }),
                set_session: None,
            });
        };
        // Session fixation defence: the pre-login session id is never authenticated.
        self.store.delete_session(&session.digest)?;
        let (cookie, session) = self.start_session(Some((user.id, self.now())))?;
        let step = self.step(
            &pending.request,
            &client,
            Some(&session),
            Some(pending.created_at),
            false,
        )?;
        Ok(Interaction {
            next: self.continue_pending(pending, step)?,
            set_session: Some(cookie),
        })
    }

    /// The consent form for a parked request.
    ///
    /// # Errors
    /// An error page if the request is unknown or expired.
    pub fn consent_page(
        &self,
        request_id: &str,
        session_cookie: Option<&str>,
    ) -> Result<Interaction, ProtocolError> {
        let (pending, client) = self.load_pending(request_id)?;
        let session = self.load_session(session_cookie)?;
        let step = self.step(
            &pending.request,
            &client,
            session.as_ref(),
            Some(pending.created_at),
            true,
        )?;
        let (Step::Issue { user_id, .. }, Some(session)) = (step, session) else {
            return Ok(Interaction::from(Next::GoToLogin(pending.id)));
        };
        let user = self
            .store
            .user_by_id(&user_id)?
            .ok_or_else(expired_request)?;
        Ok(Interaction {
            next: Next::ShowConsent(ConsentForm {
                request_id: pending.id,
                csrf_token: session.csrf_token,
                client_name: client.name,
                scopes: pending.request.scope.iter().map(str::to_owned).collect(),
                username: user.username,
            }),
            set_session: None,
        })
    }

    /// Handles a submitted consent form (`request_id`, `csrf_token`, `decision` =
    /// `allow` or `deny`). Deny sends `access_denied` to the client; allow remembers the
    /// consent for this user, client and scopes and issues the code.
    ///
    /// # Errors
    /// An error page for a missing session, a CSRF mismatch or an expired request.
    pub fn submit_consent(
        &self,
        form: &Params,
        session_cookie: Option<&str>,
    ) -> Result<Interaction, ProtocolError> {
        let session = self.checked_session(form, session_cookie)?;
        let (pending, client) = self.load_pending(form.get("request_id").unwrap_or(""))?;
        let step = self.step(
            &pending.request,
            &client,
            Some(&session),
            Some(pending.created_at),
            true,
        )?;
        let Step::Issue { user_id, .. } = &step else {
            return Ok(Interaction::from(Next::GoToLogin(pending.id)));
        };
        let next = match form.get("decision") {
            Some("allow") => {
                self.store
                    .save_consent(user_id, &client.id, &pending.request.scope, self.now())?;
                self.continue_pending(pending, step)?
            }
            Some("deny") => {
                if !self.store.delete_pending(&pending.id)? {
                    return Err(expired_request());
                }
                return Err(self.error_to_client(
                    &pending.request,
                    ErrorCode::AccessDenied,
                    "the user denied the request",
                ));
            }
            _ => return Err(bad_form()),
        };
        Ok(Interaction::from(next))
    }

    /// Decides what an authorization request still needs. `login_since`: a login at or
    /// after this instant satisfies `prompt=login` (the time the request was parked).
    fn step(
        &self,
        request: &AuthorizationRequest,
        client: &Client,
        session: Option<&BrowserSession>,
        login_since: Option<DateTime<Utc>>,
        consented: bool,
    ) -> Result<Step, ProtocolError> {
        let Some((user_id, auth_time)) =
            session.and_then(|s| Some((s.user_id.clone()?, s.auth_time?)))
        else {
            return Ok(Step::Login);
        };
        if request.prompt.login && login_since.is_none_or(|since| auth_time < since) {
            return Ok(Step::Login);
        }
        // OIDC Core §3.1.2.1: max_age bounds the time since the user last authenticated.
        if let Some(max_age) = request.max_age {
            if (self.now() - auth_time).num_seconds() > max_age {
                return Ok(Step::Login);
            }
        }
        let needs_consent = if consented || (client.first_party && !request.prompt.consent) {
            false
        } else if request.prompt.consent {
            true
        } else {
            let remembered = self.store.consent(&user_id, &client.id)?;
            !remembered.is_some_and(|r| request.scope.is_subset(&r))
        };
        Ok(if needs_consent {
            Step::Consent
        } else {
            Step::Issue { user_id, auth_time }
        })
    }

    fn continue_pending(
        &self,
        pending: PendingAuthorization,
        step: Step,
    ) -> Result<Next, ProtocolError> {
        Ok(match step {
            Step::Login => Next::GoToLogin(pending.id),
            Step::Consent => Next::GoToConsent(pending.id),
            Step::Issue { user_id, auth_time } => {
                // Exactly one completion per parked request.
                if !self.store.delete_pending(&pending.id)? {
                    return Err(expired_request());
                }
                Next::RedirectToClient(self.issue_code(&pending.request, user_id, auth_time)?)
            }
        })
    }

    /// Issues an authorization code (RFC 6749 §4.1.2) and returns the redirect to the
    /// client carrying `code`, `state` and `iss` (RFC 9207 §2).
    fn issue_code(
        &self,
        request: &AuthorizationRequest,
        user_id: UserId,
        auth_time: DateTime<Utc>,
    ) -> Result<String, ProtocolError> {
        let (code, digest) = new_secret()?;
        let now = self.now();
        self.store.insert_code(&AuthorizationCode {
            digest,
            grant_id: GrantId::new(idp_crypto::random_id(16)?),
            client_id: request.client_id.clone(),
            user_id,
            redirect_uri: request
                .redirect_uri_given
                .then(|| request.redirect_uri.clone()),
            scope: request.scope.clone(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            auth_time,
            created_at: now,
            expires_at: now + self.config.authorization_code_lifetime,
        })?;
        redirect_with(
            &request.redirect_uri,
            &[
                ("code", Some(&code)),
                ("state", request.state.as_deref()),
                ("iss", Some(&self.config.issuer)),
            ],
        )
    }

    fn error_to_client(
        &self,
        request: &AuthorizationRequest,
        code: ErrorCode,
        description: &'static str,
    ) -> ProtocolError {
        redirect_error(
            &request.redirect_uri,
            request.state.as_deref(),
            &self.config.issuer,
            code,
            description,
        )
    }

    fn park(&self, request: AuthorizationRequest) -> Result<String, ProtocolError> {
        let now = self.now();
        let pending = PendingAuthorization {
            id: idp_crypto::random_secret()?,
            request,
            created_at: now,
            expires_at: now + self.config.pending_request_lifetime,
        };
        self.store.insert_pending(&pending)?;
        Ok(pending.id)
    }

    fn load_pending(&self, id: &str) -> Result<(PendingAuthorization, Client), ProtocolError> {
        if id.is_empty() {
            return Err(expired_request());
        }
        let pending = self
            .store
            .pending(id, self.now())?
            .ok_or_else(expired_request)?;
        let client = self
            .store
            .client(&pending.request.client_id)?
            .ok_or_else(expired_request)?;
        Ok((pending, client))
    }

    fn load_session(&self, cookie: Option<&str>) -> Result<Option<BrowserSession>, ProtocolError> {
        match cookie.filter(|c| !c.is_empty()) {
            None => Ok(None),
            Some(c) => Ok(self.store.session(&digest_of(c), self.now())?),
        }
    }

    /// The session of a form post, with its CSRF token checked in constant time.
    fn checked_session(
        &self,
        form: &Params,
        cookie: Option<&str>,
    ) -> Result<BrowserSession, ProtocolError> {
        let session = self.load_session(cookie)?.ok_or_else(bad_form)?;
        let sent = form.get("csrf_token").unwrap_or("");
        if !constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
            return Err(bad_form());
        }
        Ok(session)
    }

    /// Starts a session, anonymous or for a user who just authenticated; returns the
    /// cookie value (only its digest is stored).
    fn start_session(
        &self,
        user: Option<(UserId, DateTime<Utc>)>,
    ) -> Result<(String, BrowserSession), ProtocolError> {
        let (cookie, digest) = new_secret()?;
        let now = self.now();
        let lifetime = if user.is_some() {
            self.config.session_lifetime
        } else {
            self.config.pending_request_lifetime
        };
        let (user_id, auth_time) = user.unzip();
        let session = BrowserSession {
            digest,
            user_id,
            auth_time,
            csrf_token: idp_crypto::random_secret()?,
            created_at: now,
            expires_at: now + lifetime,
        };
        self.store.insert_session(&session)?;
        Ok((cookie, session))
    }
}
