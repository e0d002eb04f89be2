//! `idp-admin key …`

use chrono::Utc;
use clap::Subcommand;
use idp_core::{Clock, JwsAlgorithm, SystemClock};
use idp_store::DieselStore;
use serde::Serialize;

use idp_config::{KeyOrigin, Settings};
use idp_protocol::{KeyEncryptionKey, KeyStatus};
use idp_server::ServerError;

use crate::output::{or_dash, secret_from_stdin, table, Report};
use crate::Failure;

#[derive(Clone, Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Re-encrypt every private key, and every client secret kept for HS256 ID tokens,
    /// under a new key-encryption key, read (base64 of 32 bytes) from stdin, in one
    /// transaction. With a key file (SQLite without the `key_encryption_key` setting) the
    /// file then holds the new key; otherwise set the setting to the new key on every
    /// instance and restart them.
    Rewrap {
        /// Read the new key from the first line of stdin.
        #[arg(long, required = true)]
        new_key_stdin: bool,
    },
    /// List signing keys, newest first, with their state — published (in the JWKS, not
    /// yet signing), active (signing for its algorithm) or retired (retired or
    /// superseded; in the JWKS for the `retired_key_grace` setting, then gone) — their
    /// dates, and whether the JWKS still publishes them.
    List,
    /// Make a new signing key of an algorithm: published in the JWKS at once, signing
    /// after the `key_activation_delay` setting (default one hour); earlier keys of the
    /// algorithm sign until then, and stay published for `retired_key_grace` after.
    Rotate {
        /// The key's algorithm.
        #[arg(long, default_value = "RS256", value_parser = parse_alg)]
        alg: JwsAlgorithm,
    },
    /// Retire a key now: it signs nothing from now on and leaves the JWKS after the
    /// `retired_key_grace` setting (default one day). If it was the signing key of its
    /// algorithm, the newer key already published for the algorithm signs at once; the
    /// only key of an algorithm that can sign is not retired (rotate first).
    Retire {
        /// The key's id (`kid`). Thumbprints may begin with `-`, so it is never read as
        /// an option.
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
}

fn parse_alg(s: &str) -> Result<JwsAlgorithm, String> {
    s.parse().map_err(|e: idp_core::CoreError| e.to_string())
}

/// A key as printed: never the private key.
#[derive(Serialize)]
struct KeyView {
    kid: String,
    alg: &'static str,
    state: &'static str,
    created_at: String,
    activate_at: String,
    retired_at: Option<String>,
    /// When it stops (or stopped) signing, if known.
    signs_until: Option<String>,
    in_jwks: bool,
}

fn timestamp(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn view(k: &KeyStatus) -> KeyView {
    let s = &k.summary;
    KeyView {
        kid: s.kid.clone(),
        alg: s.alg.as_str(),
        state: k.state.as_str(),
        created_at: timestamp(s.created_at),
        activate_at: timestamp(s.activate_at),
        retired_at: s.retired_at.map(timestamp),
        signs_until: k.signs_until.map(timestamp),
        in_jwks: k.in_jwks,
    }
}

/// A re-encryption as printed.
#[derive(Serialize)]
struct RewrapView {
    keys: usize,
    client_secrets: usize,
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
        "re-encrypted {} private keys and {} client secrets under the key with fingerprint \
         {}; {next}",
        n.keys,
        n.client_secrets,
        new.fingerprint_hex()
    );
    let view = RewrapView {
        keys: n.keys,
        client_secrets: n.client_secrets,
        fingerprint: new.fingerprint_hex(),
        key_file,
    };
    Ok(Report::new(view, text))
}

/// The keys with their states, as `key list` prints them.
fn list(store: &DieselStore, settings: &Settings) -> Result<Report, Failure> {
    let keys = idp_protocol::key_statuses(store, SystemClock.now(), grace(store, settings)?)?;
    let views: Vec<KeyView> = keys.iter().map(view).collect();
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|k| {
            vec![
                k.kid.clone(),
                k.alg.to_owned(),
                k.state.to_owned(),
                k.created_at.clone(),
                k.activate_at.clone(),
                or_dash(k.retired_at.clone().unwrap_or_default()),
                if k.in_jwks { "yes" } else { "no" }.to_owned(),
            ]
        })
        .collect();
    let text = table(
        &[
            "KID",
            "ALG",
            "STATE",
            "CREATED",
            "ACTIVATES",
            "RETIRED",
            "IN JWKS",
        ],
        &rows,
    );
    Ok(Report::new(views, text))
}

/// The retired-key grace period in force: the database's setting over the
/// configuration's.
fn grace(store: &DieselStore, settings: &Settings) -> Result<chrono::Duration, Failure> {
    let configured = idp_server::lifetimes(settings);
    Ok(idp_protocol::lifetimes_in_force(store, configured)?.retired_key_grace)
}

fn seconds(s: u64) -> chrono::Duration {
    chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000))
}

/// The status of one key now (after a rotation or retirement).
fn status_of(store: &DieselStore, settings: &Settings, kid: &str) -> Result<KeyStatus, Failure> {
    idp_protocol::key_statuses(store, SystemClock.now(), grace(store, settings)?)?
        .into_iter()
        .find(|k| k.summary.kid == kid)
        .ok_or_else(|| Failure::Refused(format!("key {kid} vanished")))
}

pub(crate) fn run(
    store: &DieselStore,
    command: KeyCommand,
    settings: &Settings,
) -> Result<Report, Failure> {
    match command {
        KeyCommand::Rewrap { .. } => rewrap(store, settings),
        KeyCommand::List => list(store, settings),
        KeyCommand::Rotate { alg } => {
            let (kek, _) = unlock(settings, store)?;
            let delay = seconds(settings.key_activation_delay);
            let key = idp_protocol::rotate_signing_key(store, &SystemClock, &kek, delay, alg)?;
            let text = format!(
                "new {} key {}: published now, signs from {}",
                key.summary.alg,
                key.summary.kid,
                timestamp(key.summary.activate_at)
            );
            Ok(Report::new(
                view(&status_of(store, settings, &key.summary.kid)?),
                text,
            ))
        }
        KeyCommand::Retire { kid } => {
            let key = idp_protocol::retire_signing_key(store, &SystemClock, &kid)?;
            let status = status_of(store, settings, &key.kid)?;
            let text = format!(
                "retired {} key {}: it signs nothing from now on and leaves the JWKS after \
                 the retired-key grace period",
                key.alg, key.kid
            );
            Ok(Report::new(view(&status), text))
        }
    }
}
