//! Which web origins may call the client-facing APIs (token endpoint, UserInfo, …) from a
//! browser, under the Fetch standard's CORS protocol (§3.2): the origins of the clients'
//! registered redirect URIs and the configured ones.
//!
//! The redirect URIs live in the database and change at run time (`idp-admin client
//! create`/`remove`, other instances), so the set of their origins is only a per-process
//! cache, re-read at most once per [`ORIGIN_RECHECK`] — the same rule as the key set's
//! `KEY_RECHECK`. The configured origins are configuration, kept as given.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Duration, Utc};

use crate::{ProtocolError, Provider};

/// How long a process trusts its cached set of client origins before reading the clients
/// again: a client registered or removed elsewhere counts here within this time.
pub const ORIGIN_RECHECK: Duration = Duration::seconds(1);

/// The origin of `uri` as a browser sends it in `Origin` — the ASCII serialisation of RFC
/// 6454 §6.2, `scheme://host[:port]`: scheme and host lowercased, the host IDNA-encoded,
/// the scheme's default port left out — for `http` and `https` URLs; `None` for anything
/// else. Other schemes (a native app's `com.example.app:/cb`) have no web origin
/// (RFC 6454 §4: their origin is a fresh, opaque one), so they can never allow one.
pub fn web_origin(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    match url.origin() {
        origin @ url::Origin::Tuple(..) => Some(origin.ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

/// The origins of the registered redirect URIs, as this process last read them.
#[derive(Debug)]
struct ClientOrigins {
    origins: HashSet<String>,
    checked_at: DateTime<Utc>,
}

impl ClientOrigins {
    fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        now >= self.checked_at && now - self.checked_at < ORIGIN_RECHECK
    }
}

/// The allowed origins: configured ones, and a cache of the clients' ones.
#[derive(Debug, Default)]
pub(crate) struct OriginCache {
    /// Configured origins, serialised like `Origin` headers.
    configured: HashSet<String>,
    current: RwLock<Option<Arc<ClientOrigins>>>,
    /// Held while the clients are re-read, so that requests finding the cache stale
    /// together read the database once, not once each; holds when the last read failed,
    /// so that during an outage they fail at once instead of each waiting its turn.
    refresh: Mutex<Option<DateTime<Utc>>>,
}

impl OriginCache {
    /// A cache with these configured origins; entries that are not `http`/`https` URLs
    /// are ignored (logged), any path is dropped.
    pub(crate) fn new(configured: &[String]) -> Self {
        let configured = configured
            .iter()
            .filter_map(|entry| {
                let origin = web_origin(entry);
                if origin.is_none() {
                    tracing::warn!(
                        entry,
                        "ignored a configured CORS origin that is not an http(s) origin"
                    );
                }
                origin
            })
            .collect();
        OriginCache {
            configured,
            ..OriginCache::default()
        }
    }

    fn cached(&self) -> Option<Arc<ClientOrigins>> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl Provider {
    /// Whether a browser app at `origin` (an `Origin` header's value) may call the
    /// client-facing APIs: `origin` is configured, or is the origin of a registered
    /// redirect URI of some client. Compared exactly with the serialisation browsers send
    /// (RFC 6454 §6.2; see [`web_origin`]), so `null` and malformed values never match.
    ///
    /// May read the clients from storage (at most once per [`ORIGIN_RECHECK`] in this
    /// process): call it off the async executor, or try [`Provider::cached_origin_check`]
    /// first.
    ///
    /// # Errors
    /// [`ProtocolError::Busy`] if the database cannot be reached in time (or could not be,
    /// less than [`ORIGIN_RECHECK`] ago), [`ProtocolError::Internal`] on other storage
    /// failures.
    pub fn is_allowed_origin(&self, origin: &str) -> Result<bool, ProtocolError> {
        if let Some(answer) = self.cached_origin_check(origin) {
            return Ok(answer);
        }
        Ok(self.reread_client_origins()?.origins.contains(origin))
    }

    /// The answer of [`Provider::is_allowed_origin`] when it needs no storage: the origin
    /// is configured, or this process read the clients less than [`ORIGIN_RECHECK`] ago.
    /// `None` when the clients must be read again first.
    pub fn cached_origin_check(&self, origin: &str) -> Option<bool> {
        if self.origins.configured.contains(origin) {
            return Some(true);
        }
        let now = self.now();
        self.origins
            .cached()
            .filter(|set| set.is_fresh(now))
            .map(|set| set.origins.contains(origin))
    }

    /// Reads the clients' redirect URIs and caches their origins (unless another thread
    /// did so while this one waited).
    fn reread_client_origins(&self) -> Result<Arc<ClientOrigins>, ProtocolError> {
        let mut failed_at = self
            .origins
            .refresh
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = self.now();
        if let Some(set) = self.origins.cached().filter(|set| set.is_fresh(now)) {
            return Ok(set);
        }
        if failed_at.is_some_and(|at| now >= at && now - at < ORIGIN_RECHECK) {
            return Err(ProtocolError::Busy { retry_after: 1 });
        }
        let clients = match self.store.clients() {
            Ok(clients) => clients,
            Err(e) => {
                *failed_at = Some(now);
                return Err(e.into());
            }
        };
        *failed_at = None;
        let origins = clients
            .iter()
            .flat_map(|client| &client.redirect_uris)
            .filter_map(|uri| web_origin(uri.as_str()))
            .collect();
        let set = Arc::new(ClientOrigins {
            origins,
            checked_at: now,
        });
        *self
            .origins
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::clone(&set));
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::web_origin;

    #[test]
    fn origins_are_serialised_as_browsers_send_them() {
        let cases = [
            (
                "https://app.example/callback?x=1",
                Some("https://app.example"),
            ),
            ("https://app.example:443/cb", Some("https://app.example")),
            ("http://app.example:80/cb", Some("http://app.example")),
            (
                "https://app.example:8443/cb",
                Some("https://app.example:8443"),
            ),
            ("http://app.example:443/", Some("http://app.example:443")),
            ("HTTPS://App.EXAMPLE/cb", Some("https://app.example")),
            ("http://127.0.0.1:9/callback", Some("http://127.0.0.1:9")),
            ("http://[::1]:8080/cb", Some("http://[::1]:8080")),
            (
                "https://bücher.example/cb",
                Some("https://xn--bcher-kva.example"),
            ),
            ("https://app.example", Some("https://app.example")),
        ];
        for (uri, origin) in cases {
            assert_eq!(web_origin(uri).as_deref(), origin, "{uri}");
        }
    }

    #[test]
    fn other_schemes_have_no_web_origin() {
        for uri in [
            "com.example.app:/oauth2redirect",
            "myapp://callback",
            "urn:ietf:wg:oauth:2.0:oob",
            "file:///tmp/cb",
            "ftp://files.example/cb",
            "not a uri",
            "",
        ] {
            assert_eq!(web_origin(uri), None, "{uri}");
        }
    }
}
