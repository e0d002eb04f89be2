//! Resource indicators (RFC 8707): which resources a client may ask tokens for, and the
//! audience its access tokens then carry.
//!
//! A client may name its own resources (`ClientOptions::resources`, set by the operator),
//! the resources the operator shares with every client (`shared_resources`: an MCP server
//! that clients registering themselves must reach) and, when the operator turns on
//! `any_https_resource`, any `https` URI. Everything else is `invalid_target` (§2),
//! malformed indicators included.

use idp_core::{check_resource_indicator, is_https_resource, Client, Grant, MAX_RESOURCES};
use serde::{Deserialize, Serialize};

use crate::{ErrorCode, Params, ProtocolError, Provider};

/// An `aud` claim: one audience as a string, several as an array (RFC 7519 §4.1.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// One audience.
    One(String),
    /// Several audiences.
    Many(Vec<String>),
}

impl Audience {
    /// The claim for `audiences`: a string when there is one.
    pub fn of(mut audiences: Vec<String>) -> Self {
        if audiences.len() == 1 {
            Audience::One(audiences.remove(0))
        } else {
            Audience::Many(audiences)
        }
    }

    /// Whether `value` is one of the audiences.
    pub fn contains(&self, value: &str) -> bool {
        match self {
            Audience::One(a) => a == value,
            Audience::Many(all) => all.iter().any(|a| a == value),
        }
    }
}

/// The resources a request names, each checked for form (§2), repeats dropped.
pub(crate) fn named_resources(params: &Params) -> Result<Vec<String>, &'static str> {
    let all = params.all("resource");
    if all.len() > MAX_RESOURCES {
        return Err("too many resources");
    }
    let mut named: Vec<String> = Vec::with_capacity(all.len());
    for resource in all {
        check_resource_indicator(resource)
            .map_err(|_| "a resource must be an absolute URI without a fragment")?;
        if !named.contains(resource) {
            named.push(resource.clone());
        }
    }
    Ok(named)
}

fn invalid_target(description: &'static str) -> ProtocolError {
    ProtocolError::json(ErrorCode::InvalidTarget, description)
}

impl Provider {
    /// The resources a request names that `client` may use (RFC 8707 §2): empty when it
    /// names none. `refuse` makes the `invalid_target` error in the request's delivery.
    ///
    /// # Errors
    /// What `refuse` makes for a malformed or forbidden resource; storage failures.
    pub(crate) fn permitted_resources(
        &self,
        client: &Client,
        params: &Params,
        refuse: impl Fn(&'static str) -> ProtocolError,
    ) -> Result<Vec<String>, ProtocolError> {
        let named = named_resources(params).map_err(&refuse)?;
        self.check_permitted(client, &named, refuse)?;
        Ok(named)
    }

    fn check_permitted(
        &self,
        client: &Client,
        resources: &[String],
        refuse: impl Fn(&'static str) -> ProtocolError,
    ) -> Result<(), ProtocolError> {
        let mut any_https = None;
        for resource in resources {
            if client.options.resources.contains(resource) || self.is_shared_resource(resource)? {
                continue;
            }
            // The setting is read only for a resource that is not the client's own.
            let allowed = match any_https {
                Some(a) => a,
                None => *any_https.insert(self.any_https_resource()?),
            };
            if !(allowed && is_https_resource(resource)) {
                return Err(refuse("the client may not use this resource"));
            }
        }
        Ok(())
    }

    /// The audience a token request gives a new access token of `grant`: the resources
    /// the request names — which must be among those the authorization request named,
    /// when it named any (§2.2), and otherwise ones the client may use —, else the
    /// grant's resources; `None` when neither names any (the client's default audience).
    ///
    /// # Errors
    /// `invalid_target` for a resource outside those bounds; storage failures.
    pub(crate) fn token_audience(
        &self,
        client: &Client,
        grant: &Grant,
        params: &Params,
    ) -> Result<Option<Vec<String>>, ProtocolError> {
        let named = named_resources(params).map_err(invalid_target)?;
        if named.is_empty() {
            return Ok((!grant.resources.is_empty()).then(|| grant.resources.clone()));
        }
        if grant.resources.is_empty() {
            self.check_permitted(client, &named, invalid_target)?;
        } else if !named.iter().all(|r| grant.resources.contains(r)) {
            return Err(invalid_target(
                "the resource was not part of the authorization request",
            ));
        }
        Ok(Some(named))
    }

    /// The resources a `client_credentials` request names that the client may use, as
    /// the audience of its token; `None` when it names none.
    ///
    /// # Errors
    /// `invalid_target`; storage failures.
    pub(crate) fn requested_audience(
        &self,
        client: &Client,
        params: &Params,
    ) -> Result<Option<Vec<String>>, ProtocolError> {
        let named = self.permitted_resources(client, params, invalid_target)?;
        Ok((!named.is_empty()).then_some(named))
    }

    /// The audience of an access token of `client`: the resources its request chose,
    /// else the client's first resource, else the issuer (RFC 9068 §3).
    pub(crate) fn access_token_audience(
        &self,
        client: &Client,
        chosen: Option<&[String]>,
    ) -> Audience {
        match chosen {
            Some(chosen) if !chosen.is_empty() => Audience::of(chosen.to_vec()),
            _ => Audience::One(
                client
                    .options
                    .resources
                    .first()
                    .cloned()
                    .unwrap_or_else(|| self.config.issuer.clone()),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_resources_are_checked_and_deduplicated() {
        let p = Params::parse_urlencoded(b"resource=https%3A%2F%2Fa.example%2F&resource=https%3A%2F%2Fa.example%2F&resource=urn%3Ax");
        assert_eq!(
            named_resources(&p),
            Ok(vec!["https://a.example/".to_owned(), "urn:x".to_owned()])
        );
        let bad = Params::parse_urlencoded(b"resource=https%3A%2F%2Fa.example%2F%23frag");
        assert!(named_resources(&bad).is_err());
        let relative = Params::parse_urlencoded(b"resource=%2Fapi");
        assert!(named_resources(&relative).is_err());
        let many: String = (0..11).map(|i| format!("resource=urn%3A{i}&")).collect();
        assert!(named_resources(&Params::parse_urlencoded(many.as_bytes())).is_err());
    }

    #[test]
    fn one_audience_is_a_string_and_several_an_array() {
        assert_eq!(
            serde_json::to_value(Audience::of(vec!["a".into()])).unwrap(),
            serde_json::json!("a")
        );
        assert_eq!(
            serde_json::to_value(Audience::of(vec!["a".into(), "b".into()])).unwrap(),
            serde_json::json!(["a", "b"])
        );
    }
}
