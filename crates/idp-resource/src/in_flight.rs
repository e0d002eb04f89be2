//! Questions about the same token that overlap in time share one introspection call
//! and its answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::{Principal, ResourceError};

/// The answer to one question, shared by everyone who asked it at the same time.
pub(crate) type Shared = Arc<tokio::sync::OnceCell<Result<Principal, ResourceError>>>;

/// One in-flight question per token digest.
pub(crate) type InFlight = Mutex<HashMap<String, Shared>>;

/// A share in the one question about a token; the first to leave once it is answered,
/// or the last one to leave (even by being cancelled), removes it, so the next request
/// asks anew.
pub(crate) struct Turn<'a> {
    in_flight: &'a InFlight,
    digest: &'a str,
    /// The shared answer.
    pub(crate) answer: Shared,
}

impl<'a> Turn<'a> {
    /// Joins the question about `digest`, or starts it.
    pub(crate) fn take(in_flight: &'a InFlight, digest: &'a str) -> Self {
        let answer = Arc::clone(
            in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(digest.to_owned())
                .or_default(),
        );
        Turn {
            in_flight,
            digest,
            answer,
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut map = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Every count change happens under the map's lock, so the count is exact here.
        let mine = std::mem::take(&mut self.answer);
        // Answered (those still holding it have their answer; a newcomer must ask anew,
        // or an outage's answer would stick while requests keep overlapping), or held by
        // the map and this turn alone: nobody else waits.
        let done = map.get(self.digest).is_some_and(|l| {
            Arc::ptr_eq(l, &mine) && (mine.initialized() || Arc::strong_count(l) <= 2)
        });
        drop(mine);
        if done {
            map.remove(self.digest);
        }
    }
}
