//! PKCE (RFC 7636) on oxide-auth's implementation, plus the syntax checks it leaves out.

use std::borrow::Cow;

use oxide_auth::code_grant::extensions::Pkce;
use oxide_auth::primitives::grant::Value;

/// Why a PKCE parameter was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PkceProblem {
    /// Public clients must send a challenge (RFC 9700 §2.1.1).
    Missing,
    /// Only `S256` is accepted; `plain` and unknown methods are refused.
    Method,
    /// The challenge is not 43 base64url characters (RFC 7636 §4.2).
    Malformed,
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Validates the authorization request's PKCE parameters and returns the encoded
/// challenge to store with the code.
pub(crate) fn encode_challenge(
    required: bool,
    challenge: Option<&str>,
    method: Option<&str>,
) -> Result<Option<String>, PkceProblem> {
    match (challenge, method) {
        (None, Some(_)) => return Err(PkceProblem::Malformed),
        (Some(_), m) if m != Some("S256") => return Err(PkceProblem::Method),
        (Some(c), _)
            if c.len() != 43
                || !c
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            return Err(PkceProblem::Malformed)
        }
        _ => {}
    }
    let pkce = if required {
        Pkce::required()
    } else {
        Pkce::optional()
    };
    let encoded = pkce
        .challenge(method.map(Cow::Borrowed), challenge.map(Cow::Borrowed))
        .map_err(|()| PkceProblem::Missing)?;
    match encoded {
        None => Ok(None),
        Some(v) => v.into_private_value().map_err(|()| PkceProblem::Malformed),
    }
}

/// Whether `verifier` proves possession for the stored challenge (RFC 7636 §4.6). The
/// verifier must be 43–128 unreserved characters (RFC 7636 §4.1), which oxide-auth does
/// not check.
pub(crate) fn verify_code_verifier(encoded_challenge: &str, verifier: &str) -> bool {
    if !(43..=128).contains(&verifier.len()) || !verifier.bytes().all(is_unreserved) {
        return false;
    }
    Pkce::required()
        .verify(
            Some(Value::private(Some(encoded_challenge.to_owned()))),
            Some(Cow::Borrowed(verifier)),
        )
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn s256_round_trip_matches_rfc_7636_appendix_b() {
        let enc = encode_challenge(true, Some(CHALLENGE), Some("S256"))
            .unwrap()
            .unwrap();
        assert!(verify_code_verifier(&enc, VERIFIER));
        assert!(!verify_code_verifier(&enc, &VERIFIER.replace('d', "e")));
    }

    #[test]
    fn plain_missing_and_malformed_challenges_are_refused() {
        assert_eq!(
            encode_challenge(true, None, None),
            Err(PkceProblem::Missing)
        );
        assert_eq!(encode_challenge(false, None, None), Ok(None));
        assert_eq!(
            encode_challenge(true, Some(CHALLENGE), None),
            Err(PkceProblem::Method)
        );
        assert_eq!(
            encode_challenge(true, Some(CHALLENGE), Some("plain")),
            Err(PkceProblem::Method)
        );
        assert_eq!(
            encode_challenge(true, Some("short"), Some("S256")),
            Err(PkceProblem::Malformed)
        );
        assert_eq!(
            encode_challenge(true, None, Some("S256")),
            Err(PkceProblem::Malformed)
        );
    }

    #[test]
    fn short_or_odd_verifiers_never_verify() {
        let enc = encode_challenge(true, Some(CHALLENGE), Some("S256"))
            .unwrap()
            .unwrap();
        assert!(!verify_code_verifier(&enc, "abc"));
        assert!(!verify_code_verifier(&enc, &format!("{VERIFIER} ")));
    }
}
