//! SHA-256 digests of secrets, the form in which codes, tokens, session ids and client
//! secrets are stored. Generated secrets carry 256 bits of entropy and operator-chosen
//! client secrets are 32–64 alphanumerics (about 190 bits or more when random), so a fast
//! unsalted digest is safe and keeps lookups O(1) (argon2 is for passwords only).

use std::fmt::Write;

use ring::digest::{digest, SHA256};

/// SHA-256 of `input` as lowercase hex.
pub fn sha256_hex(input: &[u8]) -> String {
    let d = digest(&SHA256, input);
    let mut out = String::with_capacity(64);
    for b in d.as_ref() {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_fips_180_2_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
