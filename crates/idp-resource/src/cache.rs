//! The introspection cache: positive answers by the SHA-256 digest of the token (never
//! the token itself), bounded in entries (the oldest go first) and in time (a maximum
//! age, and never beyond the token's own `exp`).

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use crate::Principal;

/// One cached answer.
struct Entry {
    principal: Principal,
    /// Usable while `now < until` (seconds since the epoch).
    until: i64,
    /// Which insertion of this digest it is, to recognise stale records in `order`.
    generation: u64,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    /// Digests in insertion order (oldest first), with the generation inserted.
    order: VecDeque<(String, u64)>,
    next_generation: u64,
}

/// Positive introspection answers.
pub(crate) struct TokenCache {
    max_entries: usize,
    max_age: i64,
    inner: Mutex<Inner>,
}

impl TokenCache {
    /// A cache of at most `max_entries` answers, each kept at most `max_age` seconds
    /// (0 in either: nothing is cached).
    pub(crate) fn new(max_entries: usize, max_age: i64) -> Self {
        TokenCache {
            max_entries,
            max_age,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Whether answers are kept at all.
    pub(crate) fn enabled(&self) -> bool {
        self.max_entries > 0 && self.max_age > 0
    }

    /// The answer cached for `digest`, if still usable at `now`.
    pub(crate) fn get(&self, digest: &str, now: i64) -> Option<Principal> {
        if !self.enabled() {
            return None;
        }
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match inner.entries.get(digest) {
            Some(entry) if now < entry.until => Some(entry.principal.clone()),
            Some(_) => {
                inner.entries.remove(digest);
                None
            }
            None => None,
        }
    }

    /// Keeps `principal` for `digest` from `now` for the maximum age, but not past
    /// `expires_at` (the token's `exp`, when the answer gave one).
    pub(crate) fn insert(
        &self,
        digest: String,
        principal: Principal,
        now: i64,
        expires_at: Option<i64>,
    ) {
        if !self.enabled() {
            return;
        }
        let mut until = now.saturating_add(self.max_age);
        if let Some(exp) = expires_at {
            until = until.min(exp);
        }
        if until <= now {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let inner = &mut *inner;
        if !inner.entries.contains_key(&digest) {
            while inner.entries.len() >= self.max_entries {
                let Some((oldest, generation)) = inner.order.pop_front() else {
                    break;
                };
                if inner
                    .entries
                    .get(&oldest)
                    .is_some_and(|e| e.generation == generation)
                {
                    inner.entries.remove(&oldest);
                }
            }
        }
        let generation = inner.next_generation;
        inner.next_generation += 1;
        inner.order.push_back((digest.clone(), generation));
        inner.entries.insert(
            digest,
            Entry {
                principal,
                until,
                generation,
            },
        );
        // Records of replaced or expired entries: drop them before they outnumber the
        // live ones.
        if inner.order.len() > self.max_entries.saturating_mul(2) {
            let entries = &inner.entries;
            inner
                .order
                .retain(|(d, g)| entries.get(d).is_some_and(|e| e.generation == *g));
        }
    }

    /// How many answers are held (for metrics and tests).
    pub(crate) fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
            .len()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn principal(sub: &str) -> Principal {
        let claims = json!({"sub": sub, "client_id": "c"});
        Principal::from_claims(claims.as_object().unwrap().clone()).unwrap()
    }

    #[test]
    fn the_oldest_entry_goes_first_and_replaced_entries_leave_no_stale_records() {
        let cache = TokenCache::new(2, 60);
        cache.insert("a".into(), principal("a"), 0, None);
        cache.insert("b".into(), principal("b"), 0, None);
        // Replacing "a" makes it the newer of the two.
        cache.insert("a".into(), principal("a2"), 1, None);
        cache.insert("c".into(), principal("c"), 1, None);
        assert!(cache.get("b", 2).is_none());
        assert_eq!(cache.get("a", 2).unwrap().subject, "a2");
        assert!(cache.get("c", 2).is_some());
        assert_eq!(cache.len(), 2);
        for i in 0..100 {
            cache.insert("a".into(), principal("a"), i, None);
        }
        assert!(cache.inner.lock().unwrap().order.len() <= 4);
    }

    #[test]
    fn nothing_is_kept_past_exp_or_the_maximum_age() {
        let cache = TokenCache::new(10, 60);
        cache.insert("a".into(), principal("a"), 100, Some(130));
        assert!(cache.get("a", 129).is_some());
        assert!(cache.get("a", 130).is_none());
        cache.insert("b".into(), principal("b"), 100, None);
        assert!(cache.get("b", 159).is_some());
        assert!(cache.get("b", 160).is_none());
        cache.insert("c".into(), principal("c"), 100, Some(100));
        assert!(cache.get("c", 100).is_none());
        let off = TokenCache::new(10, 0);
        off.insert("a".into(), principal("a"), 100, None);
        assert_eq!(off.len(), 0);
    }
}
