//! HS256: HMAC with SHA-256 (RFC 7518 §3.2) on ring, keyed with a client secret for ID
//! tokens of clients that chose it (OIDC Core §10.1: the octets of the secret's UTF-8
//! form are the key).

use ring::hmac;

/// The HS256 MAC of `message` under `key` (32 bytes).
pub fn hs256_sign(key: &[u8], message: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    hmac::sign(&key, message).as_ref().to_vec()
}

/// Whether `tag` is the HS256 MAC of `message` under `key`, compared in constant time
/// (ring's `hmac::verify`).
pub fn hs256_verify(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    hmac::verify(&key, message, tag).is_ok()
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    use super::*;

    #[test]
    fn hs256_matches_rfc_7515_appendix_a1() {
        let key = URL_SAFE_NO_PAD
            .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .unwrap();
        let input = b"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        let tag = hs256_sign(&key, input);
        assert_eq!(
            URL_SAFE_NO_PAD.encode(&tag),
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        );
        assert!(hs256_verify(&key, input, &tag));
    }

    #[test]
    fn hs256_round_trips_and_refuses_other_keys_messages_and_truncation() {
        let tag = hs256_sign(b"client secret", b"message");
        assert_eq!(tag.len(), 32);
        assert!(hs256_verify(b"client secret", b"message", &tag));
        assert!(!hs256_verify(b"client secreT", b"message", &tag));
        assert!(!hs256_verify(b"client secret", b"messagE", &tag));
        assert!(!hs256_verify(b"client secret", b"message", &tag[..16]));
        assert!(!hs256_verify(b"client secret", b"message", &[]));
    }
}
