//! `idp-admin key …`

use chrono::Utc;
use clap::Subcommand;
use idp_core::{Clock, KeyRepo, KeyState, KeySummary, SystemClock};
use idp_store::DieselStore;
use serde::Serialize;

use crate::output::{table, Report};
use crate::Failure;

#[derive(Clone, Copy, Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// List signing keys, newest first, with their state: published (in the JWKS, not
    /// yet signing), active (signing) or retired (superseded, still in the JWKS).
    List,
    /// Make a new RS256 signing key: published in the JWKS at once, signing after the
    /// `key_activation_delay` setting (default one hour); earlier keys stay published.
    Rotate,
}

/// A key as printed: never the private key.
#[derive(Serialize)]
struct KeyView {
    kid: String,
    alg: &'static str,
    created_at: String,
    activate_at: String,
    state: &'static str,
}

fn timestamp(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn view(k: &KeySummary, state: KeyState) -> KeyView {
    KeyView {
        kid: k.kid.clone(),
        alg: k.alg.as_str(),
        created_at: timestamp(k.created_at),
        activate_at: timestamp(k.activate_at),
        state: state.as_str(),
    }
}

pub(crate) fn run(
    store: &DieselStore,
    command: KeyCommand,
    activation_delay: chrono::Duration,
) -> Result<Report, Failure> {
    match command {
        KeyCommand::List => {
            let keys = store.key_summaries()?;
            let states = KeySummary::states(&keys, SystemClock.now());
            let views: Vec<KeyView> = keys.iter().zip(states).map(|(k, s)| view(k, s)).collect();
            let rows: Vec<Vec<String>> = views
                .iter()
                .map(|k| {
                    vec![
                        k.kid.clone(),
                        k.alg.to_owned(),
                        k.created_at.clone(),
                        k.activate_at.clone(),
                        k.state.to_owned(),
                    ]
                })
                .collect();
            let text = table(&["KID", "ALG", "CREATED", "ACTIVATES", "STATE"], &rows);
            Ok(Report::new(views, text))
        }
        KeyCommand::Rotate => {
            let key = idp_protocol::rotate_signing_key(store, &SystemClock, activation_delay)?;
            let state = if key.summary.activate_at > SystemClock.now() {
                KeyState::Published
            } else {
                KeyState::Active
            };
            let text = format!(
                "new {} key {}: published now, signs from {}",
                key.summary.alg,
                key.summary.kid,
                timestamp(key.summary.activate_at)
            );
            Ok(Report::new(view(&key.summary, state), text))
        }
    }
}
