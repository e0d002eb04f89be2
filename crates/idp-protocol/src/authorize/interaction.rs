//! The browser side of an authorization: sessions, the login and consent forms, and
//! issuing the response once both are satisfied.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use idp_core::{AuthorizationRequest, BrowserSession, Client, PendingAuthorization, User, UserId};
use idp_crypto::{constant_time_eq, PasswordCheck};

use super::response::{redirect_error, FormPost};
use crate::provider::{digest_of, new_secret};
use crate::throttle::{address_key, user_key, Standing};
use crate::{ErrorCode, Params, ProtocolError, Provider};

/// What the browser should see next, and the session cookie to set on the way.
#[derive(Debug)]
pub struct Interaction {
    /// The next step.
    pub next: Next,
    /// A new session cookie to set (after login, or for a first visit).
    pub set_session: Option<SessionCookie>,
    /// Set when the page is shown because the attempt was not evaluated: answer with this
    /// status and `Retry-After`.
    pub retry_after: Option<RetryAfter>,
}

/// A session cookie to set.
#[derive(Debug)]
pub struct SessionCookie {
    /// The cookie's value (only its digest is stored).
    pub value: String,
    /// Seconds until the session expires (the cookie's `Max-Age`).
    pub max_age_secs: i64,
}

/// Why an attempt was not evaluated, and when to try again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    /// Too many failures: 429 Too Many Requests, retry after this many seconds.
    Throttled(u64),
    /// The provider is momentarily overloaded: 503 Service Unavailable.
    Busy(u64),
}

impl From<Next> for Interaction {
    fn from(next: Next) -> Self {
        Interaction {
            next,
            set_session: None,
            retry_after: None,
        }
    }
}

/// The next step of an authorization.
#[derive(Debug)]
pub enum Next {
    /// Redirect to the client: a success or error response, with `state` and `iss`, in
    /// the URL's query or fragment (per the request's response mode).
    RedirectToClient(String),
    /// Show a page that posts a success or error response to the client
    /// (`response_mode=form_post`, OAuth 2.0 Form Post Response Mode §2).
    PostToClient(FormPost),
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
    /// Scopes it asks for, each with what granting it means.
    pub scopes: Vec<(String, String)>,
    /// Who is logged in.
    pub username: String,
    /// Set when the client is identified by a Client ID Metadata Document: what the page
    /// shows so that the user can judge a client that nobody vetted.
    pub client_document: Option<ConsentDocument>,
}

/// What the consent page shows about a client identified by a metadata document: its
/// `client_id` URL and host (the only things the provider can vouch for: the document was
/// served there) and the home page the document claims, unverified.
#[derive(Debug)]
pub struct ConsentDocument {
    /// The `client_id` URL.
    pub url: String,
    /// Its host.
    pub host: String,
    /// The document's `client_uri`, unverified.
    pub client_uri: Option<String>,
}

/// The outcome of [`Provider::check_login`].
pub(crate) enum LoginCheck {
    /// The password is right.
    SignedIn {
        /// Who signed in.
        user: Box<User>,
        /// The session it was checked in (not yet replaced).
        session: BrowserSession,
    },
    /// Not signed in: show the form again with `message` ([`LOGIN_FAILED`] after a wrong
    /// username or password, which the caller logs).
    Refused {
        /// The session, with its new CSRF token after a wrong password.
        session: BrowserSession,
        /// Why (always one of the generic messages).
        message: &'static str,
        /// Set when the attempt was not evaluated, or the next one must wait.
        retry_after: Option<RetryAfter>,
    },
}

/// The single message for any failed login, so it reveals nothing about which part was wrong.
pub(crate) const LOGIN_FAILED: &str = "Invalid username or password.";
/// The message while logins are throttled; the same whether or not the account exists.
const LOGIN_THROTTLED: &str = "Too many failed sign-in attempts. Wait a moment and try again.";
/// The message when no password check could run.
const LOGIN_BUSY: &str = "The server is busy. Try again in a moment.";

enum Step {
    Login,
    Consent,
    Issue {
        user_id: UserId,
        auth_time: DateTime<Utc>,
        /// The session's `sid`, recorded on the grant and put in ID tokens.
        sid: String,
    },
}

pub(super) fn expired_request() -> ProtocolError {
    ProtocolError::page(
        ErrorCode::InvalidRequest,
        "this sign-in request has expired or was already completed; return to the application and start again",
    )
}

fn other_browser() -> ProtocolError {
    ProtocolError::page(
        ErrorCode::InvalidRequest,
        "this sign-in request was started in another browser; return to the application and start again",
    )
}

fn bad_form() -> ProtocolError {
    ProtocolError::page(
        ErrorCode::InvalidRequest,
        "the form has expired or did not come from this site; return to the application and start again",
    )
}

impl Provider {
    /// Refuses `user` for a client restricted to some groups when the user is in none of
    /// them: an error page, nothing sent to the client.
    ///
    /// # Errors
    /// `access_denied` on a page; storage failures.
    pub(crate) fn check_group_admission(
        &self,
        client: &Client,
        user: &UserId,
    ) -> Result<(), ProtocolError> {
        if client.options.allowed_groups.is_empty() {
            return Ok(());
        }
        let groups: Vec<String> = self
            .store
            .groups_of(user)?
            .into_iter()
            .map(|g| g.name)
            .collect();
        if client.options.admits(&groups) {
            return Ok(());
        }
        Err(ProtocolError::page(
            ErrorCode::AccessDenied,
            "your account may not sign in to this application; ask the administrator to add you to one of its groups",
        ))
    }

    /// Handles an authorization request (GET or POST): validates it, then redirects to the
    /// client with a code, or parks it — bound to this browser's session, started here if
    /// there is none — and sends the browser to login or consent.
    ///
    /// # Errors
    /// A [`ProtocolError::Rejected`] to show as an error page or to redirect to the
    /// client; [`ProtocolError::Internal`] on storage failure.
    pub fn authorize(
        &self,
        params: &Params,
        session_cookie: Option<&str>,
    ) -> Result<Interaction, ProtocolError> {
        self.authorize_from(params, session_cookie, None)
    }

    /// [`Provider::authorize`] for a request from `client_address`: a `client_id` that is
    /// a URL may then be fetched as a Client ID Metadata Document, within the limit of
    /// fetches per address.
    ///
    /// # Errors
    /// As [`Provider::authorize`].
    pub fn authorize_from(
        &self,
        params: &Params,
        session_cookie: Option<&str>,
        client_address: Option<std::net::IpAddr>,
    ) -> Result<Interaction, ProtocolError> {
        let (request, client) = self.validate_authorization_request(params, client_address)?;
        let session = self.load_session(session_cookie)?;
        let step = self.step(&request, &client, session.as_ref(), None, false)?;
        let next = match step {
            Step::Issue {
                user_id,
                auth_time,
                sid,
            } => self.issue(&request, &client, user_id, auth_time, sid)?,
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
            Step::Login | Step::Consent => {
                // Only now is a session needed: the parked request is bound to it.
                let (session, set_session) = match session {
                    Some(s) => (s, None),
                    None => {
                        let (cookie, s) = self.start_session(None, None)?;
                        (s, Some(cookie))
                    }
                };
                let id = self.park(request, &session)?;
                return Ok(Interaction {
                    next: if matches!(step, Step::Login) {
                        Next::GoToLogin(id)
                    } else {
                        Next::GoToConsent(id)
                    },
                    set_session,
                    retry_after: None,
                });
            }
        };
        Ok(Interaction::from(next))
    }

    /// The login form for a parked request of this browser.
    ///
    /// # Errors
    /// An error page if the request is unknown, expired, or from another browser.
    pub fn login_page(
        &self,
        request_id: &str,
        session_cookie: Option<&str>,
    ) -> Result<Interaction, ProtocolError> {
        let (pending, client) = self.load_pending(request_id)?;
        let session = self.bound_session(&pending, session_cookie)?;
        Ok(Interaction::from(Next::ShowLogin(LoginForm {
            request_id: pending.id,
            csrf_token: session.csrf_token,
            client_name: client.name,
            username: pending.request.login_hint,
            error: None,
        })))
    }

    /// Checks a submitted login form (`request_id`, `csrf_token`, `username`, `password`)
    /// from the client address `address`. Failures are counted per username and per
    /// address; past a few, attempts are not evaluated for a growing while. On success the
    /// session is replaced by a new one (new id and CSRF token, same `sid`) and the
    /// authorization continues.
    ///
    /// # Errors
    /// An error page for a missing session, a CSRF mismatch, an expired request or one
    /// from another browser.
    pub fn submit_login(
        &self,
        form: &Params,
        session_cookie: Option<&str>,
        address: Option<IpAddr>,
    ) -> Result<Interaction, ProtocolError> {
        let session = self.checked_session(form, session_cookie)?;
        let (pending, client) = self.load_pending(form.get("request_id").unwrap_or(""))?;
        if pending.browser_sid != session.sid {
            return Err(other_browser());
        }
        let username = form.get("username").unwrap_or("");
        let password = form.get("password").unwrap_or("");
        match self.check_login(session, username, password, address)? {
            LoginCheck::SignedIn { user, session } => {
                self.finish_login(pending, &client, &session, &user)
            }
            LoginCheck::Refused {
                session,
                message,
                retry_after,
            } => {
                if message == LOGIN_FAILED {
                    tracing::info!(client = %client.id, "failed login");
                }
                Ok(self.login_again(&pending, &client, &session, username, message, retry_after))
            }
        }
    }

    /// Checks a username and password submitted from `address` in `session`, under the
    /// login abuse limits: failures are counted per username and per address, and past a
    /// few, attempts are not evaluated for a growing while. A failure gives the session a
    /// fresh CSRF token, so a token seen in a failed attempt is worth nothing.
    pub(crate) fn check_login(
        &self,
        session: BrowserSession,
        username: &str,
        password: &str,
        address: Option<IpAddr>,
    ) -> Result<LoginCheck, ProtocolError> {
        let c = &self.config;
        let keys = [
            Some((user_key(username), &c.login_backoff_per_user)),
            address.map(|a| (address_key(a), &c.login_backoff_per_address)),
        ];
        // Whether the username has failures on record, to clear after a success.
        let mut user_failed = false;
        for (i, (key, policy)) in keys.iter().flatten().enumerate() {
            match self.standing(key, policy)? {
                Standing::Clean => {}
                Standing::Failed => user_failed |= i == 0,
                Standing::Wait(secs) => {
                    return Ok(LoginCheck::Refused {
                        session,
                        message: LOGIN_THROTTLED,
                        retry_after: Some(RetryAfter::Throttled(secs)),
                    })
                }
            }
        }
        let Some(mut permit) = self.hashing.try_acquire() else {
            return Ok(LoginCheck::Refused {
                session,
                message: LOGIN_BUSY,
                retry_after: Some(RetryAfter::Busy(u64::from(c.busy_retry_after_secs))),
            });
        };
        let user = self.store.user_by_username(username)?;
        let check =
            permit.verify_password(password, user.as_ref().map(|u| u.password_hash.as_str()));
        let (true, Some(user)) = (check.matched(), user) else {
            drop(permit);
            let mut wait = None;
            for (key, policy) in keys.iter().flatten() {
                wait = wait.max(self.note_failure(key, policy)?);
            }
            let csrf_token = idp_crypto::random_secret()?;
            self.store.set_csrf_token(&session.digest, &csrf_token)?;
            return Ok(LoginCheck::Refused {
                session: BrowserSession {
                    csrf_token,
                    ..session
                },
                message: LOGIN_FAILED,
                retry_after: wait.map(RetryAfter::Throttled),
            });
        };
        if check == PasswordCheck::MatchNeedsRehash {
            // The parameters changed since this hash was made: store one with the current
            // parameters while the password is at hand.
            let hash = idp_crypto::hash_password(password)?;
            self.store.set_password_hash(&user.username, &hash)?;
        }
        drop(permit);
        if user_failed {
            self.store.clear_failures(&user_key(username))?;
        }
        Ok(LoginCheck::SignedIn {
            user: Box::new(user),
            session,
        })
    }

    /// The login page again, after an attempt that did not sign in.
    fn login_again(
        &self,
        pending: &PendingAuthorization,
        client: &Client,
        session: &BrowserSession,
        username: &str,
        message: &'static str,
        retry_after: Option<RetryAfter>,
    ) -> Interaction {
        Interaction {
            next: Next::ShowLogin(LoginForm {
                request_id: pending.id.clone(),
                csrf_token: session.csrf_token.clone(),
                client_name: client.name.clone(),
                username: Some(username.to_owned()).filter(|u| !u.is_empty()),
                error: Some(message),
            }),
            set_session: None,
            retry_after,
        }
    }

    /// After a correct password: a new session for the user, then the next step.
    fn finish_login(
        &self,
        pending: PendingAuthorization,
        client: &Client,
        session: &BrowserSession,
        user: &User,
    ) -> Result<Interaction, ProtocolError> {
        let (cookie, session) = self.sign_in(session, user)?;
        // OIDC Core §3.1.2.1: the client named another user with id_token_hint.
        if pending
            .request
            .hinted_subject
            .as_ref()
            .is_some_and(|s| *s != user.id)
        {
            if !self.store.delete_pending(&pending.id)? {
                return Err(expired_request());
            }
            let next = self
                .error_to_client(
                    &pending.request,
                    ErrorCode::LoginRequired,
                    "the signed-in user is not the one the client named",
                )
                .into_client_next()?;
            return Ok(Interaction {
                next,
                set_session: Some(cookie),
                retry_after: None,
            });
        }
        let step = self.step(
            &pending.request,
            client,
            Some(&session),
            Some(pending.created_at),
            false,
        )?;
        Ok(Interaction {
            next: self.continue_pending(pending, client, step)?,
            set_session: Some(cookie),
            retry_after: None,
        })
    }

    /// Replaces `session` by a new one signed in as `user` (new id and CSRF token, same
    /// `sid`); returns its cookie.
    pub(crate) fn sign_in(
        &self,
        session: &BrowserSession,
        user: &User,
    ) -> Result<(SessionCookie, BrowserSession), ProtocolError> {
        // Session fixation defence: the pre-login session id is never authenticated; the
        // stable sid carries over.
        match &session.user_id {
            // Another user signs in on this browser: the previous user's session ends
            // here, with what ending a session entails (its clients are told, its
            // session-bound grants revoked). Grants are found by sid *and* user, so the
            // new user's grants under the same sid are not mixed up with them.
            Some(previous) if *previous != user.id => {
                if let Some(ended) = self.store.end_session(&session.digest)? {
                    crate::session_end::conclude_sessions(&*self.store, self.now(), vec![ended])?;
                }
            }
            _ => self.store.delete_session(&session.digest)?,
        }
        self.start_session(
            Some((user.id.clone(), self.now())),
            Some(session.sid.clone()),
        )
    }

    /// The consent form for a parked request of this browser.
    ///
    /// # Errors
    /// An error page if the request is unknown, expired, or from another browser.
    pub fn consent_page(
        &self,
        request_id: &str,
        session_cookie: Option<&str>,
    ) -> Result<Interaction, ProtocolError> {
        let (pending, client) = self.load_pending(request_id)?;
        let session = self.bound_session(&pending, session_cookie)?;
        let step = self.step(
            &pending.request,
            &client,
            Some(&session),
            Some(pending.created_at),
            true,
        )?;
        let Step::Issue { user_id, .. } = step else {
            return Ok(Interaction::from(Next::GoToLogin(pending.id)));
        };
        let user = self
            .store
            .user_by_id(&user_id)?
            .ok_or_else(expired_request)?;
        Ok(Interaction::from(Next::ShowConsent(ConsentForm {
            request_id: pending.id,
            csrf_token: session.csrf_token,
            client_name: client.name,
            scopes: self.described_scopes(&pending.request.scope)?,
            username: user.username,
            client_document: client
                .options
                .metadata_document
                .as_ref()
                .map(|d| ConsentDocument {
                    host: url::Url::parse(client.id.as_str())
                        .ok()
                        .and_then(|u| u.host_str().map(str::to_owned))
                        .unwrap_or_default(),
                    url: client.id.as_str().to_owned(),
                    client_uri: d.client_uri.clone(),
                }),
        })))
    }

    /// Each scope with its description: the provider's words for its own scopes, the
    /// operator's for theirs.
    pub(crate) fn described_scopes(
        &self,
        scope: &idp_core::ScopeSet,
    ) -> Result<Vec<(String, String)>, ProtocolError> {
        let defined = if scope.iter().all(idp_core::Scope::is_standard) {
            Vec::new()
        } else {
            self.store.scope_definitions()?
        };
        Ok(scope
            .iter()
            .map(|s| {
                let description = idp_core::Scope::description(s)
                    .map(str::to_owned)
                    .or_else(|| {
                        defined
                            .iter()
                            .find(|d| d.name == s)
                            .map(|d| d.description.clone())
                    })
                    .unwrap_or_else(|| "access granted under this name".to_owned());
                (s.to_owned(), description)
            })
            .collect())
    }

    /// Handles a submitted consent form (`request_id`, `csrf_token`, `decision` =
    /// `allow` or `deny`). Deny sends `access_denied` to the client; allow remembers the
    /// consent for this user, client and scopes and issues the response.
    ///
    /// # Errors
    /// An error page for a missing session, a CSRF mismatch, an expired request or one
    /// from another browser.
    pub fn submit_consent(
        &self,
        form: &Params,
        session_cookie: Option<&str>,
    ) -> Result<Interaction, ProtocolError> {
        let session = self.checked_session(form, session_cookie)?;
        let (pending, client) = self.load_pending(form.get("request_id").unwrap_or(""))?;
        if pending.browser_sid != session.sid {
            return Err(other_browser());
        }
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
                self.continue_pending(pending, &client, step)?
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

    /// Decides what an authorization request still needs. `login_since`: when the request
    /// was parked; a login at or after it satisfies `prompt=login` and `max_age` for the
    /// rest of the request (the person just authenticated for it).
    fn step(
        &self,
        request: &AuthorizationRequest,
        client: &Client,
        session: Option<&BrowserSession>,
        login_since: Option<DateTime<Utc>>,
        consented: bool,
    ) -> Result<Step, ProtocolError> {
        let Some((user_id, auth_time, sid)) =
            session.and_then(|s| Some((s.user_id.clone()?, s.auth_time?, s.sid.clone())))
        else {
            return Ok(Step::Login);
        };
        // OIDC Core §3.1.2.1: with id_token_hint only the hinted user will do.
        if request
            .hinted_subject
            .as_ref()
            .is_some_and(|s| *s != user_id)
        {
            return Ok(Step::Login);
        }
        // A client restricted to some groups: other users are stopped here, at the
        // provider, with nothing sent to the client.
        self.check_group_admission(client, &user_id)?;
        let logged_in_for_this_request = login_since.is_some_and(|since| auth_time >= since);
        if request.prompt.login && !logged_in_for_this_request {
            return Ok(Step::Login);
        }
        // OIDC Core §3.1.2.1: max_age bounds the time since the user last authenticated.
        if let Some(max_age) = request.max_age {
            if (self.now() - auth_time).num_seconds() > max_age && !logged_in_for_this_request {
                return Ok(Step::Login);
            }
        }
        let needs_consent = if consented || (client.first_party && !request.prompt.consent) {
            false
        } else if request.prompt.consent || client.options.metadata_document.is_some() {
            // A client identified by a metadata document is nobody's vetted client:
            // consent is asked every time, never remembered.
            true
        } else {
            let remembered = self.store.consent(&user_id, &client.id)?;
            !remembered.is_some_and(|r| request.scope.is_subset(&r))
        };
        Ok(if needs_consent {
            Step::Consent
        } else {
            Step::Issue {
                user_id,
                auth_time,
                sid,
            }
        })
    }

    fn continue_pending(
        &self,
        pending: PendingAuthorization,
        client: &Client,
        step: Step,
    ) -> Result<Next, ProtocolError> {
        Ok(match step {
            Step::Login => Next::GoToLogin(pending.id),
            Step::Consent => Next::GoToConsent(pending.id),
            Step::Issue {
                user_id,
                auth_time,
                sid,
            } => {
                // Exactly one completion per parked request.
                if !self.store.delete_pending(&pending.id)? {
                    return Err(expired_request());
                }
                self.issue(&pending.request, client, user_id, auth_time, sid)?
            }
        })
    }

    /// An error response for the client of a validated request, in its response mode.
    fn error_to_client(
        &self,
        request: &AuthorizationRequest,
        code: ErrorCode,
        description: &'static str,
    ) -> ProtocolError {
        redirect_error(
            &request.redirect_uri,
            request.response_mode,
            request.state.as_deref(),
            &self.config.issuer,
            code,
            description,
        )
    }

    /// Parks a request, bound to the session of the browser that made it.
    fn park(
        &self,
        request: AuthorizationRequest,
        session: &BrowserSession,
    ) -> Result<String, ProtocolError> {
        let now = self.now();
        let pending = PendingAuthorization {
            id: idp_crypto::random_secret()?,
            request,
            browser_sid: session.sid.clone(),
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
            .client(&pending.request.client_id)?
            .ok_or_else(expired_request)?;
        Ok((pending, client))
    }

    pub(crate) fn load_session(
        &self,
        cookie: Option<&str>,
    ) -> Result<Option<BrowserSession>, ProtocolError> {
        match cookie.filter(|c| !c.is_empty()) {
            None => Ok(None),
            Some(c) => Ok(self.store.session(&digest_of(c), self.now())?),
        }
    }

    /// The session of the browser that parked `pending` (RFC 9700 §4.7: a leaked request
    /// id is useless in another browser).
    fn bound_session(
        &self,
        pending: &PendingAuthorization,
        cookie: Option<&str>,
    ) -> Result<BrowserSession, ProtocolError> {
        self.load_session(cookie)?
            .filter(|s| s.sid == pending.browser_sid)
            .ok_or_else(other_browser)
    }

    /// The session of a form post, with its CSRF token checked in constant time.
    pub(crate) fn checked_session(
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

    /// Starts a session, anonymous or for a user who just authenticated, keeping `sid`
    /// when given; returns the cookie (only its digest is stored).
    pub(crate) fn start_session(
        &self,
        user: Option<(UserId, DateTime<Utc>)>,
        sid: Option<String>,
    ) -> Result<(SessionCookie, BrowserSession), ProtocolError> {
        let (value, digest) = new_secret()?;
        let now = self.now();
        let lifetime = if user.is_some() {
            self.lifetimes()?.session
        } else {
            self.config.pending_request_lifetime
        };
        let (user_id, auth_time) = user.unzip();
        let sid = match sid {
            Some(sid) => sid,
            None => idp_crypto::random_id(16)?,
        };
        let session = BrowserSession {
            digest,
            sid,
            user_id,
            auth_time,
            csrf_token: idp_crypto::random_secret()?,
            created_at: now,
            expires_at: now + lifetime,
        };
        self.store.insert_session(&session)?;
        let cookie = SessionCookie {
            value,
            max_age_secs: lifetime.num_seconds(),
        };
        Ok((cookie, session))
    }
}
