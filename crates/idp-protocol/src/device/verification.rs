//! The verification page (RFC 8628 §3.3): the user signs in (the browser session and
//! login checks of the authorization endpoint), enters or confirms the user code, sees
//! which client asks for which scopes, and approves or denies. Every form carries the
//! session's CSRF token; wrong user codes are counted per client address, and past a few
//! the page makes the browser wait (RFC 8628 §5.1: the codes are short enough to guess).

use std::net::IpAddr;

use idp_core::{BrowserSession, DeviceApproval};

use super::{display, normalise, user_code_digest};
use crate::authorize::{LoginCheck, LOGIN_FAILED};
use crate::throttle::{address_key, Standing};
use crate::{ErrorCode, LoginForm, Params, ProtocolError, Provider, RetryAfter, SessionCookie};

/// What the browser should see next at the verification page, and the session cookie to
/// set on the way.
#[derive(Debug)]
pub struct DeviceInteraction {
    /// The next step.
    pub next: DeviceNext,
    /// A new session cookie to set (after signing in, or for a first visit).
    pub set_session: Option<SessionCookie>,
    /// Set when the attempt was not evaluated or the next one must wait: answer with this
    /// status and `Retry-After`.
    pub retry_after: Option<RetryAfter>,
}

impl From<DeviceNext> for DeviceInteraction {
    fn from(next: DeviceNext) -> Self {
        DeviceInteraction {
            next,
            set_session: None,
            retry_after: None,
        }
    }
}

/// The steps of the verification page.
#[derive(Debug)]
pub enum DeviceNext {
    /// Sign in first: the login form, posting to the device login path. Its `request_id`
    /// carries the user code typed or prefilled so far (possibly empty).
    ShowLogin(LoginForm),
    /// Enter or confirm the user code.
    ShowCode(UserCodeForm),
    /// Approve or deny the client's request.
    ShowConsent(DeviceConsentForm),
    /// Go (303) to the verification page with this user code filled in (possibly empty).
    GoToVerification(String),
    /// The decision was recorded; the device learns it at its next poll.
    Decided {
        /// Approved or denied.
        approved: bool,
        /// The client's name.
        client_name: String,
    },
}

/// What the code entry form shows.
#[derive(Debug)]
pub struct UserCodeForm {
    /// The session's CSRF token, posted back.
    pub csrf_token: String,
    /// The code to fill in (from `verification_uri_complete`, or as typed before).
    pub user_code: String,
    /// Who is signed in.
    pub username: String,
    /// A message after a code that did not work.
    pub error: Option<&'static str>,
}

/// What the approval form shows.
#[derive(Debug)]
pub struct DeviceConsentForm {
    /// The session's CSRF token, posted back.
    pub csrf_token: String,
    /// The user code, as `XXXX-XXXX`, posted back.
    pub user_code: String,
    /// Name of the client asking.
    pub client_name: String,
    /// Scopes it asks for, each with what granting it means.
    pub scopes: Vec<(String, String)>,
    /// Who is signed in.
    pub username: String,
}

/// The name the login form shows for what the user signs in to.
const SIGN_IN_TARGET: &str = "your device";
/// The message for a user code that is malformed, unknown, expired or already used.
const CODE_INVALID: &str = "That code is not valid. Check it on your device; it may have expired.";
/// The message while code entry is throttled.
const CODE_THROTTLED: &str = "Too many wrong codes. Wait a moment and try again.";
/// Longest typed code echoed back into the form.
const MAX_ECHO: usize = 32;

fn bad_form() -> ProtocolError {
    ProtocolError::page(
        ErrorCode::InvalidRequest,
        "the form has expired or did not come from this site; open the device sign-in page again",
    )
}

fn decided_already() -> ProtocolError {
    ProtocolError::page(
        ErrorCode::InvalidRequest,
        "this code has expired or was already used; start again on your device",
    )
}

/// What the user typed, cut to a length worth showing again.
fn echo(input: &str) -> String {
    input.trim().chars().take(MAX_ECHO).collect()
}

/// The failure counter of a client address at the verification page (IPv6 by /64, as
/// for logins).
fn user_code_key(address: IpAddr) -> String {
    format!(
        "user-code-{}",
        address_key(address).trim_start_matches("login-")
    )
}

impl Provider {
    /// `GET` of the verification page, with the `user_code` query parameter when the
    /// device showed `verification_uri_complete`: the login form until the browser's
    /// session is signed in (starting an anonymous session for the form's CSRF token),
    /// then the code form, prefilled. Nothing is looked up here: codes are checked, and
    /// counted, only when submitted.
    ///
    /// # Errors
    /// [`ProtocolError::Internal`] or [`ProtocolError::Busy`] on storage failure.
    pub fn device_page(
        &self,
        user_code: Option<&str>,
        session_cookie: Option<&str>,
    ) -> Result<DeviceInteraction, ProtocolError> {
        let typed = echo(user_code.unwrap_or(""));
        let (session, set_session) = match self.load_session(session_cookie)? {
            Some(s) => (s, None),
            None => {
                let (cookie, s) = self.start_session(None, None)?;
                (s, Some(cookie))
            }
        };
        let next = match self.signed_in_username(&session)? {
            None => DeviceNext::ShowLogin(login_form(&session, &typed, None)),
            Some(username) => DeviceNext::ShowCode(UserCodeForm {
                csrf_token: session.csrf_token,
                user_code: typed,
                username,
                error: None,
            }),
        };
        Ok(DeviceInteraction {
            next,
            set_session,
            retry_after: None,
        })
    }

    /// The login form of the verification page (`csrf_token`, `request_id` = the user code
    /// so far, `username`, `password`), checked from `address` under the login abuse
    /// limits. Signed in, the browser goes back to the verification page.
    ///
    /// # Errors
    /// An error page for a missing session or a CSRF mismatch.
    pub fn submit_device_login(
        &self,
        form: &Params,
        session_cookie: Option<&str>,
        address: Option<IpAddr>,
    ) -> Result<DeviceInteraction, ProtocolError> {
        let session = self.checked_session(form, session_cookie)?;
        let typed = echo(form.get("request_id").unwrap_or(""));
        let username = form.get("username").unwrap_or("");
        let password = form.get("password").unwrap_or("");
        match self.check_login(session, username, password, address)? {
            LoginCheck::SignedIn { user, session } => {
                let (cookie, _) = self.sign_in(&session, &user)?;
                Ok(DeviceInteraction {
                    next: DeviceNext::GoToVerification(typed),
                    set_session: Some(cookie),
                    retry_after: None,
                })
            }
            LoginCheck::Refused {
                session,
                message,
                retry_after,
            } => {
                if message == LOGIN_FAILED {
                    tracing::info!("failed login at the device verification page");
                }
                let mut login = login_form(&session, &typed, Some(message));
                login.username = Some(username.to_owned()).filter(|u| !u.is_empty());
                Ok(DeviceInteraction {
                    next: DeviceNext::ShowLogin(login),
                    set_session: None,
                    retry_after,
                })
            }
        }
    }

    /// The code form (`csrf_token`, `user_code`) and the approval form (the same plus
    /// `decision` = `allow` or `deny`) of the verification page, from `address`. A code
    /// that does not name a pending, unexpired device authorization counts as a failure
    /// of the address and of the signed-in user; past [`crate::ProviderConfig::user_code_backoff`]'s free ones, no
    /// code is even looked up until the wait is over. A right code never clears the count
    /// (whoever guesses could otherwise reset it with a code of their own).
    ///
    /// # Errors
    /// An error page for a missing session, a CSRF mismatch, a decision on a code decided
    /// or expired meanwhile, or a user the client's groups do not admit.
    pub fn submit_device_code(
        &self,
        form: &Params,
        session_cookie: Option<&str>,
        address: Option<IpAddr>,
    ) -> Result<DeviceInteraction, ProtocolError> {
        let session = self.checked_session(form, session_cookie)?;
        let typed = echo(form.get("user_code").unwrap_or(""));
        let Some(username) = self.signed_in_username(&session)? else {
            return Ok(DeviceNext::ShowLogin(login_form(&session, &typed, None)).into());
        };
        let policy = &self.config.user_code_backoff;
        // RFC 8628 §5.1: guesses are limited per client address and per signed-in user,
        // so one account spread over many addresses guesses no faster.
        let keys: Vec<String> = address
            .map(user_code_key)
            .into_iter()
            .chain(
                session
                    .user_id
                    .as_ref()
                    .map(|u| format!("user-code-user-{u}")),
            )
            .collect();
        let code_again = |session: BrowserSession, error, retry_after| DeviceInteraction {
            next: DeviceNext::ShowCode(UserCodeForm {
                csrf_token: session.csrf_token,
                user_code: echo(form.get("user_code").unwrap_or("")),
                username: username.clone(),
                error: Some(error),
            }),
            set_session: None,
            retry_after,
        };
        for key in &keys {
            if let Standing::Wait(secs) = self.standing(key, policy)? {
                return Ok(code_again(
                    session,
                    CODE_THROTTLED,
                    Some(RetryAfter::Throttled(secs)),
                ));
            }
        }
        let now = self.now();
        let found = match normalise(&typed) {
            Some(code) => {
                let digest = user_code_digest(&code);
                match self.store.pending_device_authorization(&digest, now)? {
                    Some(a) => self
                        .client(&a.client_id)?
                        .map(|client| (code, digest, a, client)),
                    None => None,
                }
            }
            None => None,
        };
        let Some((code, digest, authorization, client)) = found else {
            tracing::info!("wrong user code at the verification page");
            let mut wait = None;
            for key in &keys {
                wait = wait.max(self.note_failure(key, policy)?);
            }
            return Ok(code_again(
                session,
                CODE_INVALID,
                wait.map(RetryAfter::Throttled),
            ));
        };
        let (Some(user_id), Some(auth_time)) = (session.user_id.clone(), session.auth_time) else {
            return Err(bad_form());
        };
        let approval = match form.get("decision") {
            None => {
                return Ok(DeviceNext::ShowConsent(DeviceConsentForm {
                    csrf_token: session.csrf_token,
                    user_code: display(&code),
                    client_name: client.name,
                    scopes: self.described_scopes(&authorization.scope)?,
                    username,
                })
                .into())
            }
            Some("allow") => {
                // A client restricted to some groups: other users are stopped here, as at
                // the authorization endpoint.
                self.check_group_admission(&client, &user_id)?;
                Some(DeviceApproval {
                    user_id,
                    auth_time,
                    sid: session.sid,
                })
            }
            Some("deny") => None,
            Some(_) => return Err(bad_form()),
        };
        let approved = approval.is_some();
        // One decision per device authorization, even from two browsers at once.
        if !self
            .store
            .decide_device_authorization(&digest, approval.as_ref(), now)?
        {
            return Err(decided_already());
        }
        tracing::info!(client = %client.id, approved, "device authorization decided");
        Ok(DeviceNext::Decided {
            approved,
            client_name: client.name,
        }
        .into())
    }

    /// The username of the session's user, if it is signed in (and the user exists).
    fn signed_in_username(
        &self,
        session: &BrowserSession,
    ) -> Result<Option<String>, ProtocolError> {
        match &session.user_id {
            None => Ok(None),
            Some(id) => Ok(self.store.user_by_id(id)?.map(|u| u.username)),
        }
    }
}

/// The login form of the verification page for `session`, carrying the user code typed
/// so far in `request_id`.
fn login_form(session: &BrowserSession, typed: &str, error: Option<&'static str>) -> LoginForm {
    LoginForm {
        request_id: typed.to_owned(),
        csrf_token: session.csrf_token.clone(),
        client_name: SIGN_IN_TARGET.to_owned(),
        username: None,
        error,
    }
}
