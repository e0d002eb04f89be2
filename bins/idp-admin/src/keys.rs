//! `idp-admin key …`

use chrono::Utc;
use clap::Subcommand;
use idp_core::{Clock, KeyRepo, KeyState, KeySummary, SystemClock};
use idp_store::DieselStore;
use serde::Serialize;

use idp_config::{KeyOrigin, Settings};
use idp_protocol::KeyEncryptionKey;
use idp_server::ServerError;

use crate::output::{secret_from_stdin, table, Report};
use crate::Failure;

#[derive(Clone, Copy, Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Re-encrypt every private key under a new key-encryption key, read (base64 of 32
    /// bytes) from stdin, in one transaction. With a key file (SQLite without the
    /// `key_encryption_key` setting) the file then holds the new key; otherwise set the
    /// setting to the new key on every instance and restart them.
    Rewrap {
        /// Read the new key from the first line of stdin.
        #[arg(long, required = true)]
        new_key_stdin: bool,
    },
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

/// A re-encryption as printed.
#[derive(Serialize)]
struct RewrapView {
    keys: usize,
    fingerprint: String,
    key_file: Option<String>,
}

/// The unlocked key-encryption key, or the configuration failure naming the setting.
fn unlock(
    settings: &Settings,
    store: &DieselStore,
) -> Result<(KeyEncryptionKey, KeyOrigin), Failure> {
    idp_server::unlock_signing_keys(settings, store).map_err(|e| match e {
        ServerError::Config(_) | ServerError::KeyEncryption(_) => Failure::Config(e.to_string()),
        other => Failure::Refused(idp_core::error_chain(&other)),
    })
}

fn rewrap(store: &DieselStore, settings: &Settings) -> Result<Report, Failure> {
    let text = secret_from_stdin("new key", "NEW_KEY")?;
    let new = KeyEncryptionKey::from_base64(&text)
        .map_err(|e| Failure::Refused(format!("the new key is unusable: {e}")))?;
    let (current, origin) = unlock(settings, store)?;
    // With a key file, the new key is staged beside it before the database changes and
    // moved into place after, so that at no moment is the only copy of the key lost.
    let staged = match &origin {
        KeyOrigin::File(path) | KeyOrigin::NewFile(path) => {
            let staged = path.with_extension("kek.new");
            idp_config::write_key_file(&staged, text.trim())
                .map_err(|e| Failure::Refused(format!("cannot write {}: {e}", staged.display())))?;
            Some((staged, path.clone()))
        }
        KeyOrigin::Setting => None,
    };
    let n = match idp_protocol::rewrap_signing_keys(store, &current, &new) {
        Ok(n) => n,
        Err(e) => {
            if let Some((staged, _)) = &staged {
                let _ = std::fs::remove_file(staged);
            }
            return Err(e.into());
        }
    };
    let key_file = match staged {
        Some((staged, path)) => {
            std::fs::rename(&staged, &path).map_err(|e| {
                Failure::Refused(format!(
                    "the keys are re-encrypted, but moving {} to {} failed ({e}): move it by hand",
                    staged.display(),
                    path.display()
                ))
            })?;
            Some(path.display().to_string())
        }
        None => None,
    };
    let next = match &key_file {
        Some(path) => format!("{path} now holds the new key"),
        None => "set key_encryption_key (IDP_KEY_ENCRYPTION_KEY) to the new key on every \
                 instance and restart them"
            .to_owned(),
    };
    let text = format!(
        "re-encrypted {n} private keys under the key with fingerprint {}; {next}",
        new.fingerprint_hex()
    );
    let view = RewrapView {
        keys: n,
        fingerprint: new.fingerprint_hex(),
        key_file,
    };
    Ok(Report::new(view, text))
}

pub(crate) fn run(
    store: &DieselStore,
    command: KeyCommand,
    settings: &Settings,
) -> Result<Report, Failure> {
    let activation_delay = chrono::Duration::seconds(
        i64::try_from(settings.key_activation_delay).unwrap_or(i64::MAX / 1000),
    );
    match command {
        KeyCommand::Rewrap { .. } => rewrap(store, settings),
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
            let (kek, _) = unlock(settings, store)?;
            let key =
                idp_protocol::rotate_signing_key(store, &SystemClock, &kek, activation_delay)?;
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
