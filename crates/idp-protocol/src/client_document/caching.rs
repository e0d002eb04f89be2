//! How long a fetched Client ID Metadata Document is used before it is fetched again
//! (draft-ietf-oauth-client-id-metadata-document, "Metadata Caching": the HTTP caching
//! headers, RFC 9111), within the operator's bounds.

use chrono::{DateTime, Duration, Utc};

/// The response's caching headers, as received.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CacheHeaders<'a> {
    /// `Cache-Control`.
    pub cache_control: Option<&'a str>,
    /// `Expires`.
    pub expires: Option<&'a str>,
    /// `Date`.
    pub date: Option<&'a str>,
}

/// How long the document may be used, clamped to `[min, max]`.
///
/// - `Cache-Control: no-store` or `no-cache` (RFC 9111 §5.2.2.4-5) ask for no reuse: the
///   minimum. The minimum exists because one authorization takes several requests
///   (authorize, login, consent, token), each of which needs the client, and because a
///   document host must not be able to make the provider fetch on every request.
/// - `s-maxage` (the provider is a shared cache, §5.2.2.10) before `max-age` (§5.2.2.1).
/// - Else `Expires` (§5.3) less `Date` (or now); an invalid `Expires` means already
///   expired: the minimum.
/// - No caching header at all: the minimum (no heuristic freshness).
pub(crate) fn document_lifetime(
    headers: CacheHeaders<'_>,
    now: DateTime<Utc>,
    min: Duration,
    max: Duration,
) -> Duration {
    let wanted = requested_lifetime(headers, now).unwrap_or(Duration::zero());
    wanted.max(min).min(max)
}

fn requested_lifetime(headers: CacheHeaders<'_>, now: DateTime<Utc>) -> Option<Duration> {
    if let Some(cc) = headers.cache_control {
        let mut max_age = None;
        let mut s_maxage = None;
        for directive in cc.split(',') {
            let (name, value) = match directive.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
                None => (directive.trim(), None),
            };
            let seconds = || value.and_then(|v| v.parse::<u32>().ok());
            match name.to_ascii_lowercase().as_str() {
                "no-store" | "no-cache" => return Some(Duration::zero()),
                "max-age" => max_age = seconds(),
                "s-maxage" => s_maxage = seconds(),
                _ => {}
            }
        }
        if let Some(secs) = s_maxage.or(max_age) {
            return Some(Duration::seconds(i64::from(secs)));
        }
    }
    let expires = headers.expires?;
    let Some(expires) = http_date(expires) else {
        return Some(Duration::zero());
    };
    let date = headers.date.and_then(http_date).unwrap_or(now);
    Some(expires - date)
}

/// An HTTP-date (RFC 9110 §5.6.7) in its preferred form, `Sun, 06 Nov 1994 08:49:37 GMT`,
/// which is also an RFC 2822 date.
fn http_date(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(value.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(cache_control: Option<&str>, expires: Option<&str>, date: Option<&str>, secs: i64) {
        let now = DateTime::parse_from_rfc2822("Wed, 02 Dec 2026 04:00:00 GMT")
            .unwrap()
            .with_timezone(&Utc);
        let got = document_lifetime(
            CacheHeaders {
                cache_control,
                expires,
                date,
            },
            now,
            Duration::seconds(60),
            Duration::hours(24),
        );
        assert_eq!(
            got.num_seconds(),
            secs,
            "{cache_control:?} {expires:?} {date:?}"
        );
    }

    #[test]
    fn caching_headers_are_honoured_within_the_bounds() {
        check(Some("max-age=600"), None, None, 600);
        check(Some("public, max-age=3600"), None, None, 3600);
        check(Some("max-age=\"120\""), None, None, 120);
        check(Some("max-age=600, s-maxage=900"), None, None, 900);
        // Clamped to [60 s, 24 h].
        check(Some("max-age=5"), None, None, 60);
        check(Some("max-age=999999"), None, None, 86_400);
        check(Some("no-store"), None, None, 60);
        check(Some("max-age=600, no-cache"), None, None, 60);
        // A malformed max-age is ignored; Expires then decides.
        check(
            Some("max-age=abc"),
            Some("Wed, 02 Dec 2026 05:00:00 GMT"),
            None,
            3600,
        );
        // max-age wins over Expires (RFC 9111 §5.3).
        check(
            Some("max-age=300"),
            Some("Wed, 02 Dec 2026 05:00:00 GMT"),
            None,
            300,
        );
        // Expires counts from the response's Date when there is one.
        check(
            None,
            Some("Wed, 02 Dec 2026 05:00:00 GMT"),
            Some("Wed, 02 Dec 2026 04:30:00 GMT"),
            1800,
        );
        check(None, Some("0"), None, 60);
        check(None, Some("Wed, 02 Dec 2026 03:00:00 GMT"), None, 60);
        check(None, None, None, 60);
    }
}
