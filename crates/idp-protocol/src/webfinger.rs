//! WebFinger (RFC 7033) for OpenID Provider Issuer Discovery (OIDC Discovery §2): given
//! an account (`acct:alice@example.com`) or a URL on our host, answer with the issuer.

use percent_encoding::percent_decode_str;
use serde::Serialize;

use crate::{ProtocolError, Provider};

/// The link relation of an OpenID Connect issuer (OIDC Discovery §2).
pub const ISSUER_REL: &str = "http://openid.net/specs/connect/1.0/issuer";

/// Which accounts WebFinger answers for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WebFingerAccounts {
    /// Any `acct:` on the issuer's host, existing or not: the answer is the same for
    /// every name, so it reveals nothing about who has an account.
    #[default]
    Any,
    /// Only usernames that exist (an unknown one is 404, so names can be probed: the
    /// operator's choice).
    Existing,
}

/// A JSON Resource Descriptor (RFC 7033 §4.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Jrd {
    /// The resource asked about, as given.
    pub subject: String,
    /// The links, filtered by the requested `rel`s.
    pub links: Vec<JrdLink>,
}

/// One link of a [`Jrd`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JrdLink {
    /// The relation.
    pub rel: &'static str,
    /// The target.
    pub href: String,
}

/// The outcome of a WebFinger query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebFinger {
    /// 200 with this descriptor.
    Found(Jrd),
    /// 400: no `resource`, or more than one (RFC 7033 §4.2).
    BadRequest(&'static str),
    /// 404: not a resource of ours.
    NotFound,
}

impl Provider {
    /// Answers `GET /.well-known/webfinger?resource=R&rel=…`: the issuer for accounts on
    /// the issuer's host (its port aside), as [`WebFingerAccounts`] allows, and for URLs
    /// on it. `rels` filters the links (RFC 7033 §4.3); none given means all.
    ///
    /// # Errors
    /// [`ProtocolError::Internal`] if storage fails (only with
    /// [`WebFingerAccounts::Existing`]).
    pub fn webfinger(
        &self,
        resources: &[String],
        rels: &[String],
    ) -> Result<WebFinger, ProtocolError> {
        let [resource] = resources else {
            return Ok(WebFinger::BadRequest(
                "exactly one resource parameter is required",
            ));
        };
        let Some(issuer_host) = url::Url::parse(&self.config().issuer)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        else {
            return Ok(WebFinger::NotFound);
        };
        let known = match resource.strip_prefix("acct:") {
            Some(account) => {
                // RFC 7565 §7: the host follows the last "@"; the user part may be
                // percent-encoded (and may itself hold an "@").
                let Some((user, host)) = account.rsplit_once('@') else {
                    return Ok(WebFinger::NotFound);
                };
                let user = percent_decode_str(user).decode_utf8_lossy();
                host.eq_ignore_ascii_case(&issuer_host)
                    && !user.is_empty()
                    && match self.config().webfinger_accounts {
                        WebFingerAccounts::Any => true,
                        WebFingerAccounts::Existing => {
                            self.store().user_by_username(&user)?.is_some()
                        }
                    }
            }
            None => url::Url::parse(resource).is_ok_and(|u| {
                matches!(u.scheme(), "https" | "http")
                    && u.host_str()
                        .is_some_and(|h| h.eq_ignore_ascii_case(&issuer_host))
            }),
        };
        if !known {
            return Ok(WebFinger::NotFound);
        }
        let wanted = |rel: &str| rels.is_empty() || rels.iter().any(|r| r == rel);
        let links = [JrdLink {
            rel: ISSUER_REL,
            href: self.config().issuer.clone(),
        }]
        .into_iter()
        .filter(|l| wanted(l.rel))
        .collect();
        Ok(WebFinger::Found(Jrd {
            subject: resource.clone(),
            links,
        }))
    }
}
