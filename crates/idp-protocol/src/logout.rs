//! RP-Initiated Logout 1.0: the end-session endpoint (§2), its validation of the
//! post-logout redirection (§3), and the confirmation the OP asks for when the logout
//! cannot be attributed to the signed-in user (§2, §6).
//!
//! CSRF design: the confirmation form carries the browser session's CSRF token (as the
//! login and consent forms do); a browser without a session gets an anonymous one, the
//! way `authorize` parks requests, so the POST can always be checked against a token
//! bound to the cookie.

use idp_core::{BrowserSession, ClientId};
use idp_crypto::constant_time_eq;

use crate::authorize::{redirect_with, SessionCookie};
use crate::session_end::conclude_sessions;
use crate::{ErrorCode, Params, ProtocolError, Provider};

/// The logout parameters posted back by the confirmation form, in order.
const FORWARDED: [&str; 4] = [
    "id_token_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
];

/// What the browser should see after a logout request.
#[derive(Debug)]
pub struct Logout {
    /// The next step.
    pub next: LogoutNext,
    /// A new (anonymous) session cookie to set, for the confirmation form's CSRF token.
    pub set_session: Option<SessionCookie>,
    /// Whether to clear the session cookie: the session was ended.
    pub clear_session: bool,
    /// Front-Channel Logout 1.0 §2: the URLs to load in hidden iframes (one per client of
    /// the ended session with a `frontchannel_logout_uri`) before the browser moves on.
    pub frontchannel: Vec<String>,
}

/// The next step of a logout.
#[derive(Debug)]
pub enum LogoutNext {
    /// Redirect (303) to the validated `post_logout_redirect_uri`, with `state` (§3).
    Redirect(String),
    /// Show the "You are signed out" page.
    SignedOut,
    /// Ask the user to confirm (§2: the OP SHOULD ask when the request is not
    /// attributable to the session's user).
    Confirm(LogoutForm),
}

/// What the confirmation page posts back to the end-session endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogoutForm {
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The logout parameters as received, to send again as hidden fields.
    pub fields: Vec<(&'static str, String)>,
}

/// A syntactically checked logout request (§2), before anything is looked up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LogoutRequest {
    pub(crate) id_token_hint: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) post_logout_redirect_uri: Option<String>,
    pub(crate) state: Option<String>,
    /// Whether the confirmation form was submitted (`confirm=yes`).
    pub(crate) confirm: bool,
}

fn page(description: &'static str) -> ProtocolError {
    ProtocolError::page(ErrorCode::InvalidRequest, description)
}

fn bad_form() -> ProtocolError {
    page("the form has expired or did not come from this site; return to the application and sign out again")
}

impl LogoutRequest {
    /// Reads the §2 parameters; `ui_locales` is accepted and ignored. A parameter sent
    /// twice is refused (as in RFC 6749 §3.1, which §2 builds on). `confirm=yes` counts
    /// only in a POST (`posted`): a confirmation never rides on a link.
    pub(crate) fn parse(params: &Params, posted: bool) -> Result<Self, ProtocolError> {
        if params.has_duplicates() {
            return Err(page("a logout parameter was sent more than once"));
        }
        // As for authorization requests: a state is echoed, so its length is bounded.
        if params.get("state").is_some_and(|s| s.len() > 1024) {
            return Err(page("state is too long"));
        }
        let get = |name| params.get(name).map(str::to_owned);
        Ok(LogoutRequest {
            id_token_hint: get("id_token_hint"),
            client_id: get("client_id"),
            post_logout_redirect_uri: get("post_logout_redirect_uri"),
            state: get("state"),
            confirm: posted && params.get("confirm") == Some("yes"),
        })
    }

    /// The client the request is attributable to (§2): `client_id`, which must be an
    /// audience of the hint when both are given, else the hint's one audience.
    pub(crate) fn client<'a>(
        &'a self,
        audiences: Option<&'a [String]>,
    ) -> Result<Option<&'a str>, ProtocolError> {
        match (self.client_id.as_deref(), audiences) {
            (Some(id), Some(aud)) if !aud.iter().any(|a| a == id) => Err(page(
                "client_id does not match the client the ID token was issued to",
            )),
            (Some(id), _) => Ok(Some(id)),
            (None, Some([one])) => Ok(Some(one.as_str())),
            (None, _) => Ok(None),
        }
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        let values = [
            &self.id_token_hint,
            &self.client_id,
            &self.post_logout_redirect_uri,
            &self.state,
        ];
        FORWARDED
            .into_iter()
            .zip(values)
            .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
            .collect()
    }
}

impl Provider {
    /// The end-session endpoint (RP-Initiated Logout 1.0 §2), GET or POST. Validates the
    /// parameters; ends the browser session at once when a valid `id_token_hint` names the
    /// session's user, otherwise asks for confirmation with a CSRF-protected form that
    /// posts back with `confirm=yes`. Afterwards redirects to the registered
    /// `post_logout_redirect_uri` (with `state`), or shows the signed-out page. `posted`:
    /// the parameters came in a POST body (only then is `confirm=yes` honoured).
    ///
    /// # Errors
    /// An error page for duplicated parameters, a hint that does not verify, a `client_id`
    /// that does not match the hint, an unknown client, an unregistered
    /// `post_logout_redirect_uri` or one without an identified client, and a confirmation
    /// without the session's CSRF token; [`ProtocolError::Internal`] on storage failure.
    pub fn end_session(
        &self,
        params: &Params,
        session_cookie: Option<&str>,
        posted: bool,
    ) -> Result<Logout, ProtocolError> {
        let request = LogoutRequest::parse(params, posted)?;
        let hint = match request.id_token_hint.as_deref() {
            None => None,
            // §2: the OP need not check expiry; verify_id_token does not.
            Some(token) => Some(self.verify_id_token(token)?.ok_or_else(|| {
                page("the id_token_hint is not a valid ID token from this provider")
            })?),
        };
        let client_id = request.client(hint.as_ref().map(|h| h.audiences.as_slice()))?;
        let redirect = match request.post_logout_redirect_uri.as_deref() {
            None => None,
            Some(uri) => {
                // §3: only to a URI registered for the client identified by client_id or
                // the hint; never to any other.
                let client_id = client_id.ok_or_else(|| {
                    page("post_logout_redirect_uri needs client_id or id_token_hint")
                })?;
                let client = self
                    .client(&ClientId::new(client_id))?
                    .ok_or_else(|| page("unknown client"))?;
                let registered = client
                    .options
                    .post_logout_redirect_uris
                    .iter()
                    .find(|r| r.as_str() == uri)
                    .ok_or_else(|| {
                        page("post_logout_redirect_uri is not registered for this client")
                    })?;
                Some(redirect_with(
                    registered,
                    &[("state", request.state.as_deref())],
                )?)
            }
        };
        if redirect.is_none() {
            if let Some(id) = request.client_id.as_deref() {
                // An unknown client_id is refused even without a redirect.
                if self.client(&ClientId::new(id))?.is_none() {
                    return Err(page("unknown client"));
                }
            }
        }
        let session = self.load_session(session_cookie)?;
        let attributable = match (&hint, &session) {
            (Some(h), Some(s)) => s.user_id.as_ref() == Some(&h.subject),
            _ => false,
        };
        if request.confirm {
            let session = session.as_ref().ok_or_else(bad_form)?;
            let sent = params.get("csrf_token").unwrap_or("");
            if !constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
                return Err(bad_form());
            }
        } else if !attributable {
            let (session, set_session): (BrowserSession, _) = match session {
                Some(s) => (s, None),
                None => {
                    let (cookie, s) = self.start_session(None, None)?;
                    (s, Some(cookie))
                }
            };
            return Ok(Logout {
                next: LogoutNext::Confirm(LogoutForm {
                    csrf_token: session.csrf_token,
                    fields: request.fields(),
                }),
                set_session,
                clear_session: false,
                frontchannel: Vec::new(),
            });
        }
        let mut frontchannel = Vec::new();
        if let Some(s) = &session {
            // Only the request that actually ended it tells the clients (a concurrent
            // second logout finds it gone).
            if let Some(ended) = self.store.end_session(&s.digest)? {
                tracing::info!(sid = %ended.sid, "session ended by RP-initiated logout");
                for report in conclude_sessions(&*self.store, self.now(), vec![ended])? {
                    frontchannel.extend(report.frontchannel_urls(&self.config.issuer));
                }
            }
        }
        Ok(Logout {
            next: match redirect {
                Some(url) => LogoutNext::Redirect(url),
                None => LogoutNext::SignedOut,
            },
            set_session: None,
            clear_session: true,
            frontchannel,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> Result<LogoutRequest, ProtocolError> {
        LogoutRequest::parse(&Params::parse_urlencoded(query.as_bytes()), true)
    }

    #[test]
    fn parameters_are_read_and_ui_locales_ignored() {
        let r = parse("id_token_hint=h&client_id=c&post_logout_redirect_uri=https%3A%2F%2Frp%2Fbye&state=s&ui_locales=de").unwrap();
        assert_eq!(r.id_token_hint.as_deref(), Some("h"));
        assert_eq!(r.client_id.as_deref(), Some("c"));
        assert_eq!(
            r.post_logout_redirect_uri.as_deref(),
            Some("https://rp/bye")
        );
        assert_eq!(r.state.as_deref(), Some("s"));
        assert!(!r.confirm);
        assert_eq!(
            r.fields(),
            vec![
                ("id_token_hint", "h".to_owned()),
                ("client_id", "c".to_owned()),
                ("post_logout_redirect_uri", "https://rp/bye".to_owned()),
                ("state", "s".to_owned()),
            ]
        );
        assert!(parse("confirm=yes").unwrap().confirm);
        assert!(!parse("confirm=no").unwrap().confirm);
        let get = LogoutRequest::parse(&Params::parse_urlencoded(b"confirm=yes"), false);
        assert!(!get.unwrap().confirm, "confirm=yes in a GET is ignored");
    }

    #[test]
    fn duplicated_parameters_are_refused() {
        for q in [
            "state=a&state=b",
            "client_id=a&client_id=b",
            "ui_locales=a&ui_locales=b",
        ] {
            assert!(
                matches!(
                    parse(q),
                    Err(ProtocolError::Rejected {
                        delivery: crate::Delivery::ErrorPage,
                        ..
                    })
                ),
                "{q}"
            );
        }
    }

    #[test]
    fn the_client_is_client_id_matching_the_hint_or_the_hints_one_audience() {
        let aud = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let with_id = parse("client_id=c").unwrap();
        let without = parse("").unwrap();
        assert_eq!(with_id.client(None).unwrap(), Some("c"));
        assert_eq!(with_id.client(Some(&aud(&["c"]))).unwrap(), Some("c"));
        assert!(with_id.client(Some(&aud(&["d"]))).is_err());
        assert_eq!(without.client(Some(&aud(&["d"]))).unwrap(), Some("d"));
        assert_eq!(without.client(Some(&aud(&["d", "e"]))).unwrap(), None);
        assert_eq!(without.client(None).unwrap(), None);
    }

    #[test]
    fn state_is_appended_to_the_registered_query() {
        let plain = idp_core::RedirectUri::from_trusted("https://rp.example/bye");
        assert_eq!(
            redirect_with(&plain, &[("state", Some("x y"))]).unwrap(),
            "https://rp.example/bye?state=x+y"
        );
        assert_eq!(
            redirect_with(&plain, &[("state", None)]).unwrap(),
            "https://rp.example/bye"
        );
        let query = idp_core::RedirectUri::from_trusted("https://rp.example/bye?a=1");
        assert_eq!(
            redirect_with(&query, &[("state", Some("s"))]).unwrap(),
            "https://rp.example/bye?a=1&state=s"
        );
    }
}
