//! The browser session cookie.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::HttpRequest;
use idp_protocol::{Provider, SessionCookie};

/// How the session cookie is named and flagged.
#[derive(Clone, Debug)]
pub(crate) struct CookiePolicy {
    name: &'static str,
    secure: bool,
}

impl CookiePolicy {
    pub(crate) fn for_provider(provider: &Provider) -> Self {
        let secure = provider.config().is_https();
        CookiePolicy {
            // The __Host- prefix pins the cookie to this host, path / and Secure.
            name: if secure {
                "__Host-idp_session"
            } else {
                "idp_session"
            },
            secure,
        }
    }

    /// The session id the browser sent, if any.
    pub(crate) fn read(&self, req: &HttpRequest) -> Option<String> {
        req.cookie(self.name).map(|c| c.value().to_owned())
    }

    /// A `Set-Cookie` for a new session: HttpOnly, SameSite=Lax, Secure over https, kept
    /// as long as the session lasts.
    pub(crate) fn build(&self, session: SessionCookie) -> Cookie<'static> {
        Cookie::build(self.name, session.value)
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .max_age(time::Duration::seconds(session.max_age_secs))
            .finish()
    }

    /// A `Set-Cookie` that removes the session cookie (`Max-Age=0`, same name and flags).
    pub(crate) fn clear(&self) -> Cookie<'static> {
        Cookie::build(self.name, "")
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .max_age(time::Duration::ZERO)
            .finish()
    }
}
