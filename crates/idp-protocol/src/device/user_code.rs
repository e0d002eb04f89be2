//! User codes (RFC 8628 §6.1): eight characters of a base-20 alphabet of consonants
//! (no vowels, so no words; no look-alike digits), shown as `XXXX-XXXX` and matched
//! case-insensitively, ignoring dashes and spaces.

use idp_core::SecretDigest;

use crate::provider::digest_of;
use crate::ProtocolError;

/// RFC 8628 §6.1: `BCDFGHJKLMNPQRSTVWXZ`, 20^8 ≈ 2^34.5 codes.
const ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Characters in a user code.
const LEN: usize = 8;

/// Longest input looked at: anything longer is not a user code, however it is spaced.
const MAX_INPUT: usize = 64;

/// A new random user code in its normalised form (eight letters, no dash).
pub(super) fn new_user_code() -> Result<String, ProtocolError> {
    Ok(idp_crypto::random_from_alphabet(ALPHABET, LEN)?)
}

/// The code as shown to people: `XXXX-XXXX`.
pub(crate) fn display(normalised: &str) -> String {
    match (normalised.get(..LEN / 2), normalised.get(LEN / 2..)) {
        (Some(a), Some(b)) => format!("{a}-{b}"),
        _ => normalised.to_owned(),
    }
}

/// The normalised form of what a person typed: upper case, dashes and white space
/// dropped; `None` unless that leaves eight characters of the alphabet.
pub(crate) fn normalise(input: &str) -> Option<String> {
    if input.len() > MAX_INPUT {
        return None;
    }
    let code: String = input
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// The stored form of a normalised user code.
pub(crate) fn user_code_digest(normalised: &str) -> SecretDigest {
    digest_of(normalised)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Option<&str>) {
        assert_eq!(normalise(input).as_deref(), expected, "{input:?}");
    }

    #[test]
    fn user_codes_match_ignoring_case_dashes_and_spaces() {
        check("WDJB-MJHT", Some("WDJBMJHT"));
        check("wdjb-mjht", Some("WDJBMJHT"));
        check(" wdjb mjht ", Some("WDJBMJHT"));
        check("WDJBMJHT", Some("WDJBMJHT"));
        check("W-D-J-B-M-J-H-T", Some("WDJBMJHT"));
        // Vowels and digits are not in the alphabet; lengths other than eight are not codes.
        check("WDJA-MJHT", None);
        check("WDJ1-MJHT", None);
        check("WDJB-MJH", None);
        check("WDJB-MJHTT", None);
        check("", None);
        check(&"B".repeat(1000), None);
        check("WDJB-MJHŤ", None);
    }

    #[test]
    fn new_codes_are_normalised_and_shown_in_two_halves() {
        let code = new_user_code().unwrap();
        assert_eq!(normalise(&code).as_deref(), Some(code.as_str()));
        let shown = display(&code);
        assert_eq!(shown.len(), 9);
        assert_eq!(shown.as_bytes()[4], b'-');
        assert_eq!(normalise(&shown), Some(code));
    }
}
