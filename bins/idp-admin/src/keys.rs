//! `idp-admin key …`

use clap::Subcommand;
use idp_core::{KeyRepo, SigningKey, SystemClock};
use idp_store::DieselStore;
use serde::Serialize;

use crate::output::{table, Report};
use crate::Failure;

#[derive(Clone, Copy, Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// List signing keys, newest first.
    List,
    /// Make a new active RS256 signing key; earlier keys stay published in the JWKS.
    Rotate,
}

/// A key as printed: never the private key.
#[derive(Serialize)]
struct KeyView {
    kid: String,
    alg: String,
    created_at: String,
    active: bool,
}

fn view(k: &SigningKey) -> KeyView {
    KeyView {
        kid: k.kid.clone(),
        alg: k.alg.clone(),
        created_at: k
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        active: k.active,
    }
}

pub(crate) fn run(store: &DieselStore, command: KeyCommand) -> Result<Report, Failure> {
    match command {
        KeyCommand::List => {
            let keys: Vec<KeyView> = store.signing_keys()?.iter().map(view).collect();
            let rows: Vec<Vec<String>> = keys
                .iter()
                .map(|k| {
                    vec![
                        k.kid.clone(),
                        k.alg.clone(),
                        k.created_at.clone(),
                        if k.active { "active" } else { "published" }.to_owned(),
                    ]
                })
                .collect();
            let text = table(&["KID", "ALG", "CREATED", "STATE"], &rows);
            Ok(Report::new(keys, text))
        }
        KeyCommand::Rotate => {
            let key = idp_protocol::rotate_signing_key(store, &SystemClock)?;
            let text = format!("new active {} key {}", key.alg, key.kid);
            Ok(Report::new(view(&key), text))
        }
    }
}
