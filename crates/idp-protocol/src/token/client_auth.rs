//! Client authentication at the token endpoint (RFC 6749 §2.3): `client_secret_basic`,
//! `client_secret_post`, or `none` for public clients.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use idp_core::{Client, ClientId, ClientType, SecretMethod};
use idp_crypto::constant_time_eq;

use crate::provider::digest_of;
use crate::throttle::{client_key, Standing};
use crate::{Delivery, ErrorCode, Params, ProtocolError, Provider};

fn invalid_client(basic: bool, description: &'static str) -> ProtocolError {
    ProtocolError::Rejected {
        code: ErrorCode::InvalidClient,
        description,
        delivery: Delivery::Json {
            basic_challenge: basic,
        },
    }
}

/// Decodes one form-urlencoded credential (RFC 6749 §2.3.1: Basic credentials are
/// `application/x-www-form-urlencoded` before base64).
fn form_decode(s: &str) -> Option<String> {
    let plus_as_space = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// The client id and secret of an HTTP Basic `Authorization` header; `None` for other
/// schemes, `Err` for a malformed Basic header.
fn basic_credentials(header: &str) -> Result<Option<(String, String)>, ()> {
    let Some((scheme, rest)) = header.trim().split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = STANDARD.decode(rest.trim()).map_err(|_| ())?;
    let decoded = String::from_utf8(decoded).map_err(|_| ())?;
    let (id, secret) = decoded.split_once(':').ok_or(())?;
    Ok(Some((
        form_decode(id).ok_or(())?,
        form_decode(secret).ok_or(())?,
    )))
}

impl Provider {
    /// Identifies and authenticates the client of a token request.
    pub(crate) fn authenticate_client(
        &self,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<Client, ProtocolError> {
        let basic = match authorization.map(basic_credentials) {
            None | Some(Ok(None)) => None,
            Some(Ok(Some(creds))) => Some(creds),
            Some(Err(())) => {
                return Err(invalid_client(
                    true,
                    "the Basic authorization header is malformed",
                ))
            }
        };
        let used_basic = basic.is_some();
        if params.is_duplicated("client_id") || params.is_duplicated("client_secret") {
            return Err(invalid_client(
                used_basic,
                "client credentials were sent more than once",
            ));
        }
        let (client_id, secret) = match basic {
            Some((id, secret)) => {
                // RFC 6749 §2.3: one authentication method per request.
                if params.get("client_secret").is_some() {
                    return Err(ProtocolError::json(
                        ErrorCode::InvalidRequest,
                        "use one client authentication method, not two",
                    ));
                }
                if params.get("client_id").is_some_and(|body_id| body_id != id) {
                    return Err(invalid_client(
                        true,
                        "client_id does not match the credentials",
                    ));
                }
                (id, Some(secret).filter(|s| !s.is_empty()))
            }
            None => match params.get("client_id") {
                Some(id) => (
                    id.to_owned(),
                    params.get("client_secret").map(str::to_owned),
                ),
                None => return Err(invalid_client(false, "client authentication is required")),
            },
        };
        let client = self
            .client(&ClientId::new(client_id))?
            .ok_or_else(|| invalid_client(used_basic, "client authentication failed"))?;
        match (client.client_type, &client.secret_digest, secret) {
            (ClientType::Confidential, Some(stored), Some(secret)) => {
                // RFC 7591 §2: a client that registered a method uses that one.
                let method = if used_basic {
                    SecretMethod::Basic
                } else {
                    SecretMethod::Post
                };
                if client
                    .options
                    .token_endpoint_auth_method
                    .is_some_and(|registered| registered != method)
                {
                    return Err(invalid_client(
                        used_basic,
                        "this client authenticates with its registered token_endpoint_auth_method",
                    ));
                }
                // RFC 6749 §10.10: guesses are limited per client; while one waits, no
                // secret is even compared.
                let key = client_key(client.id.as_str());
                let policy = &self.config.client_auth_backoff;
                let throttled = |retry_after| ProtocolError::Throttled {
                    retry_after,
                    delivery: Delivery::Json {
                        basic_challenge: used_basic,
                    },
                };
                let standing = self.standing(&key, policy)?;
                if let Standing::Wait(secs) = standing {
                    return Err(throttled(secs));
                }
                let presented = digest_of(&secret);
                if constant_time_eq(presented.as_hex().as_bytes(), stored.as_hex().as_bytes()) {
                    if matches!(standing, Standing::Failed) {
                        self.store.clear_failures(&key)?;
                    }
                    Ok(client)
                } else {
                    tracing::info!(client = %client.id, "failed client authentication");
                    match self.note_failure(&key, policy)? {
                        Some(secs) => Err(throttled(secs)),
                        None => Err(invalid_client(used_basic, "client authentication failed")),
                    }
                }
            }
            (ClientType::Public, _, None) => Ok(client),
            (ClientType::Public, _, Some(_)) => Err(invalid_client(
                used_basic,
                "public clients do not authenticate with a secret",
            )),
            (ClientType::Confidential, _, _) => {
                Err(invalid_client(used_basic, "client authentication failed"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        // "a%3Ab:p+w%25" = id "a:b", secret "p w%"
        let header = format!("Basic {}", STANDARD.encode("a%3Ab:p+w%25"));
        assert_eq!(
            basic_credentials(&header),
            Ok(Some(("a:b".to_owned(), "p w%".to_owned())))
        );
        assert_eq!(basic_credentials("Bearer xyz"), Ok(None));
        assert_eq!(basic_credentials("Basic !!!"), Err(()));
        assert_eq!(
            basic_credentials(&format!("Basic {}", STANDARD.encode("nocolon"))),
            Err(())
        );
    }
}
