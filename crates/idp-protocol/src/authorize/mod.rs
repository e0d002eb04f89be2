//! The authorization endpoint (RFC 6749 §4.1.1, §4.2.1; OIDC Core §3.1.2, §3.2.2, §3.3.2)
//! and the browser interaction it may need: login, consent, and issuing the response.

mod interaction;
mod issue;
mod pkce;
mod request;
mod response;

pub use interaction::{
    ConsentDocument, ConsentForm, Interaction, LoginForm, Next, RetryAfter, SessionCookie,
};
pub(crate) use interaction::{LoginCheck, LOGIN_FAILED};
pub(crate) use pkce::verify_code_verifier;
pub(crate) use request::requested_scope;
pub(crate) use response::redirect_with;
pub use response::FormPost;
