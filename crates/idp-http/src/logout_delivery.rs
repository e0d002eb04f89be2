//! The back-channel logout sender (OpenID Connect Back-Channel Logout 1.0 §2.5): a
//! background thread that claims due logout tokens from the database (any instance may
//! send any of them; a lease keeps two from sending the same one), POSTs each to its
//! client's `backchannel_logout_uri` concurrently with a timeout, and records the outcome
//! (retry with back-off, or done). Logout requests only queue tokens, so a slow or
//! failing client never holds up a logout or another client.

use std::sync::{Arc, Weak};
use std::time::Duration;

use idp_protocol::{DueLogout, LogoutRetry, Provider};

/// Deliveries claimed per round.
const BATCH: u32 = 32;

/// How the sender works.
#[derive(Clone, Copy, Debug)]
pub struct LogoutDeliveryOptions {
    /// Time between two looks for due deliveries.
    pub poll_interval: Duration,
    /// How long a client has to answer one POST.
    pub timeout: Duration,
    /// Retries and back-off.
    pub retry: LogoutRetry,
}

impl Default for LogoutDeliveryOptions {
    /// A look every second, 5 s per POST, [`LogoutRetry::default`].
    fn default() -> Self {
        LogoutDeliveryOptions {
            poll_interval: Duration::from_secs(1),
            timeout: Duration::from_secs(5),
            retry: LogoutRetry::default(),
        }
    }
}

/// The longest pause between two looks while the database keeps failing.
const MAX_ERROR_PAUSE: Duration = Duration::from_secs(60);

/// Starts the sender on its own thread (with a small runtime of its own, so it never
/// competes with request handling). It holds the provider weakly and stops once the
/// provider is gone (an embedding application or a test that drops its server).
///
/// # Errors
/// When the thread or its HTTP client cannot be made.
pub fn start_logout_delivery(
    provider: &Arc<Provider>,
    options: LogoutDeliveryOptions,
) -> std::io::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(options.timeout)
        // §2.5: the token goes to the registered URI and nowhere else.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("idp back-channel logout")
        .build()
        .map_err(std::io::Error::other)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let provider = Arc::downgrade(provider);
    std::thread::Builder::new()
        .name("idp-logout-delivery".into())
        .spawn(move || runtime.block_on(run(&provider, client, options)))?;
    Ok(())
}

async fn run(provider: &Weak<Provider>, client: reqwest::Client, options: LogoutDeliveryOptions) {
    // The lease outlasts an attempt (seconds are what the database stores, so round up
    // and add one).
    let lease = Duration::from_secs(options.timeout.as_secs() + 2);
    let mut failures = 0u32;
    loop {
        let Some(provider) = provider.upgrade() else {
            return;
        };
        let due = match provider.claim_due_logouts(lease, BATCH) {
            Ok(due) => {
                failures = 0;
                due
            }
            Err(e) => {
                // A database that is away is not hammered: the pause doubles while it
                // keeps failing.
                failures = failures.saturating_add(1);
                tracing::warn!(error = %e, "could not read the back-channel logout queue");
                drop(provider);
                let pause = options
                    .poll_interval
                    .saturating_mul(1u32 << failures.min(16))
                    .min(MAX_ERROR_PAUSE);
                tokio::time::sleep(pause).await;
                continue;
            }
        };
        let full = u32::try_from(due.len()).unwrap_or(u32::MAX) >= BATCH;
        let mut sends = tokio::task::JoinSet::new();
        for DueLogout { delivery, token } in due {
            let client = client.clone();
            sends.spawn(async move {
                let delivered = send(&client, &delivery.uri, &token).await;
                (delivery, delivered)
            });
        }
        while let Some(joined) = sends.join_next().await {
            let Ok((delivery, delivered)) = joined else {
                continue;
            };
            if let Err(e) = provider.record_logout_attempt(&delivery, delivered, options.retry) {
                tracing::warn!(error = %e, "could not record a back-channel logout attempt");
            }
        }
        drop(provider);
        if !full {
            tokio::time::sleep(options.poll_interval).await;
        }
    }
}

/// POSTs `logout_token` form-encoded (§2.5); whether the client answered 2xx (§2.8: 200,
/// or 204 from frameworks that substitute it).
async fn send(client: &reqwest::Client, uri: &str, token: &str) -> bool {
    match client
        .post(uri)
        .form(&[("logout_token", token)])
        .send()
        .await
    {
        Ok(response) if response.status().is_success() => true,
        Ok(response) => {
            tracing::info!(
                uri,
                status = response.status().as_u16(),
                "back-channel logout refused"
            );
            false
        }
        Err(e) => {
            tracing::info!(uri, error = %e, "back-channel logout not delivered");
            false
        }
    }
}
