//! Abuse limits: failures counted per key, and the exponential back-off they earn.

use chrono::{DateTime, Duration, Utc};

/// Failures counted for one key (a username, a client address, a client id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failures {
    /// How many, since the counting window began.
    pub count: u32,
    /// When the latest happened.
    pub last: DateTime<Utc>,
}

/// How many failures are free, and how the wait grows after them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Failures allowed before any wait.
    pub free: u32,
    /// The wait after the first failure past `free`; it doubles with each further one.
    pub base: Duration,
    /// The longest wait.
    pub max: Duration,
    /// Failures older than this are forgotten.
    pub window: Duration,
}

impl Backoff {
    /// When the next attempt is allowed after `failures`, or `None` if it is allowed now
    /// (`now` at or past that instant also means allowed).
    pub fn retry_at(&self, failures: &Failures, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let over = failures.count.checked_sub(self.free)?;
        if over == 0 {
            return None;
        }
        // base · 2^(over-1), capped: shift at most 20 places so nothing overflows.
        let factor = 1i32 << (over - 1).min(20);
        let wait = self
            .base
            .checked_mul(factor)
            .map_or(self.max, |w| w.min(self.max));
        let at = failures.last + wait;
        (at > now).then_some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(count: u32, since_last: i64, expected_wait: Option<i64>) {
        let policy = Backoff {
            free: 3,
            base: Duration::seconds(1),
            max: Duration::seconds(60),
            window: Duration::hours(1),
        };
        let last = DateTime::from_timestamp(1_000, 0).unwrap_or_default();
        let now = last + Duration::seconds(since_last);
        let got = policy
            .retry_at(&Failures { count, last }, now)
            .map(|at| (at - now).num_seconds());
        assert_eq!(got, expected_wait, "count {count}, {since_last}s after");
    }

    #[test]
    fn waits_double_after_the_free_failures_and_are_capped() {
        check(3, 0, None);
        check(4, 0, Some(1));
        check(5, 0, Some(2));
        check(6, 1, Some(3));
        check(10, 0, Some(60));
        check(u32::MAX, 0, Some(60));
        check(5, 2, None);
    }
}
