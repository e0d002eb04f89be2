//! `idp-admin config check|apply FILE`: the clients, scopes and groups a configuration
//! file declares (docs/configuration.md, "Declaring clients, scopes and groups").

use std::path::PathBuf;

use clap::Subcommand;
use idp_core::{Declarations, DeclaredItem, IdTokenAlg, SystemClock};
use idp_protocol::manage::{self, Plan};
use idp_protocol::{KeyEncryptionKey, ProtocolError};
use idp_store::DieselStore;
use serde_json::json;

use crate::output::Report;
use crate::Failure;

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Check the clients, scopes and groups FILE declares against the rules and the
    /// database, writing nothing (exit code 2 and one line per entry at fault).
    Check {
        /// A configuration file (TOML) with `[[clients]]`, `[[scopes]]`, `[[groups]]`.
        file: PathBuf,
    },
    /// Create or update what FILE declares; unchanged items are not written.
    Apply {
        /// A configuration file (TOML) with `[[clients]]`, `[[scopes]]`, `[[groups]]`.
        file: PathBuf,
        /// Also delete the clients, scopes and groups an earlier declaration created that
        /// FILE no longer lists (never ones made by hand, registered or imported).
        #[arg(long)]
        prune: bool,
        /// Show what would change, writing nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// A declaration that breaks a rule is a configuration error (exit code 2).
fn failure(e: ProtocolError) -> Failure {
    match e {
        e @ (ProtocolError::Declaration { .. } | ProtocolError::Refused(_)) => {
            Failure::Config(idp_core::error_chain(&e))
        }
        other => Failure::from(other),
    }
}

fn names(items: &[DeclaredItem]) -> Vec<serde_json::Value> {
    items
        .iter()
        .map(|i| json!({ "kind": i.kind.as_str(), "name": i.name }))
        .collect()
}

fn report(plan: &Plan, dry_run: bool, checked: bool) -> Report {
    let mut lines = Vec::new();
    let verb = |done: &'static str, would: &'static str| {
        if dry_run || checked {
            would
        } else {
            done
        }
    };
    for (items, word) in [
        (&plan.created, verb("created", "would create")),
        (&plan.updated, verb("updated", "would update")),
        (&plan.pruned, verb("pruned", "would prune")),
    ] {
        lines.extend(items.iter().map(|i| format!("{word} {i}")));
    }
    let summary = format!(
        "{} created, {} updated, {} unchanged, {} pruned{}",
        plan.created.len(),
        plan.updated.len(),
        plan.unchanged.len(),
        plan.pruned.len(),
        if dry_run && !checked {
            " (dry run: nothing written)"
        } else {
            ""
        }
    );
    if checked {
        lines.push(format!("ok: {summary}"));
    } else {
        lines.push(summary);
    }
    Report::new(
        json!({
            "created": names(&plan.created),
            "updated": names(&plan.updated),
            "unchanged": names(&plan.unchanged),
            "pruned": names(&plan.pruned),
            "dry_run": dry_run,
        }),
        lines.join("\n"),
    )
}

/// Whether a declared client signs its ID tokens with its secret (and so needs the
/// key-encryption key to keep it sealed).
fn needs_key(declared: &Declarations) -> bool {
    declared.clients.iter().any(|c| {
        c.id_token_alg
            .as_deref()
            .and_then(|a| a.parse::<IdTokenAlg>().ok())
            == Some(IdTokenAlg::Hs256)
    })
}

pub(crate) fn run(
    store: &DieselStore,
    command: ConfigCommand,
    kek: impl Fn() -> Option<KeyEncryptionKey>,
) -> Result<Report, Failure> {
    let (file, prune, dry_run, check) = match command {
        ConfigCommand::Check { file } => (file, false, true, true),
        ConfigCommand::Apply {
            file,
            prune,
            dry_run,
        } => (file, prune, dry_run, false),
    };
    let declared =
        idp_config::load_declared(&file, None).map_err(|e| Failure::Config(e.to_string()))?;
    let kek = needs_key(&declared).then(kek).flatten();
    if check {
        // Every entry at fault, one line each.
        return match manage::check(store, &SystemClock, kek.as_ref(), &declared)? {
            Ok(plan) => Ok(report(&plan, dry_run, check)),
            Err(problems) => Err(Failure::Config(
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\nerror: "),
            )),
        };
    }
    let plan = if dry_run {
        manage::plan(store, &SystemClock, kek.as_ref(), &declared, prune).map_err(failure)?
    } else {
        manage::apply_declarations(store, &SystemClock, kek.as_ref(), &declared, prune)
            .map_err(failure)?
    };
    Ok(report(&plan, dry_run, check))
}
