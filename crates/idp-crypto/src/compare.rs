//! Constant-time comparison, so that checking a secret leaks nothing through timing.

use subtle::ConstantTimeEq;

/// Whether `a` and `b` are equal, in time independent of where they differ.
/// (Lengths are not secret here: callers compare fixed-length digests or tokens.)
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_only_when_every_byte_matches() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
