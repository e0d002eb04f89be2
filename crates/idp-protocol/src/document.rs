//! Documents served unchanged to many requests (discovery metadata, the JWKS): serialised
//! once, with an entity tag, so serving one neither serialises nor copies.

use crate::ProtocolError;

/// A serialised JSON document and its strong entity tag (RFC 9110 §8.8.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    body: Vec<u8>,
    etag: String,
}

impl Document {
    /// Serialises `value`.
    ///
    /// # Errors
    /// [`ProtocolError::Internal`] if it cannot be serialised.
    pub fn json<T: serde::Serialize>(value: &T) -> Result<Self, ProtocolError> {
        let body = serde_json::to_vec(value).map_err(|e| ProtocolError::Internal(Box::new(e)))?;
        // 128 bits of the content's SHA-256 identify it well enough.
        let digest = idp_crypto::sha256_hex(&body);
        let etag = format!("\"{}\"", digest.get(..32).unwrap_or(&digest));
        Ok(Document { body, etag })
    }

    /// The JSON bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The entity tag, quoted.
    pub fn etag(&self) -> &str {
        &self.etag
    }

    /// Whether an `If-None-Match` header value names this document, so the answer can be
    /// 304 Not Modified (RFC 9110 §13.1.2: weak comparison, `*` matches anything).
    pub fn matches_if_none_match(&self, header: &str) -> bool {
        header
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == self.etag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_follow_the_content_and_if_none_match_compares_weakly() {
        let a = Document::json(&serde_json::json!({"a": 1})).unwrap();
        let b = Document::json(&serde_json::json!({"a": 2})).unwrap();
        assert_ne!(a.etag(), b.etag());
        assert!(a.etag().starts_with('"') && a.etag().ends_with('"'));
        assert!(a.matches_if_none_match(a.etag()));
        assert!(a.matches_if_none_match(&format!("\"x\", W/{}", a.etag())));
        assert!(a.matches_if_none_match("*"));
        assert!(!a.matches_if_none_match(b.etag()));
    }
}
