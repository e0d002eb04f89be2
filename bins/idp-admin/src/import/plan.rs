//! What an import changes: every client checked (and every missing group found) before
//! anything is written, then written through `idp_protocol::manage`.

use std::collections::{BTreeMap, BTreeSet};

use idp_core::{
    check_custom_credential, error_chain, Client, ClientId, ClientRepo, ClientType, GroupRepo,
    IdTokenAlg, SystemClock,
};
use idp_protocol::manage::{self, ClientUpdate, NewClient};
use idp_protocol::KeyEncryptionKey;
use idp_store::DieselStore;
use serde::Serialize;

use super::Read;
use crate::output::Report;
use crate::Failure;

/// A client of the source as it would be registered here.
pub(crate) struct Candidate {
    /// The registration, with the source's client id; its `client_secret` is unused
    /// (see `secret`).
    pub(crate) new: NewClient,
    /// The source's secret, if it can be used here.
    pub(crate) secret: SecretSource,
    /// What the source has that does not carry over, in words for the operator.
    pub(crate) warnings: Vec<String>,
}

/// What the source knows of a client's secret.
pub(crate) enum SecretSource {
    /// Public client: no secret.
    Public,
    /// Stored in clear and within this provider's rule (32–64 letters and digits).
    Clear(String),
    /// Not usable here; the reason, for the warning.
    Unusable(String),
}

impl SecretSource {
    /// A stored secret: usable if it follows the rule for operator-chosen secrets,
    /// otherwise `why_not(secret)` says why it is not.
    pub(crate) fn stored(secret: Option<&str>, why_not: impl Fn(&str) -> String) -> Self {
        match secret {
            Some(s) if check_custom_credential("client secret", s).is_ok() => {
                SecretSource::Clear(s.to_owned())
            }
            Some(s) => SecretSource::Unusable(why_not(s)),
            None => SecretSource::Unusable("the source has no secret for it".to_owned()),
        }
    }
}

/// A client of the source that is not imported, and why.
pub(crate) struct Skipped {
    /// Its id in the source.
    pub(crate) client_id: String,
    /// Its name in the source.
    pub(crate) name: String,
    /// Why.
    pub(crate) reason: String,
}

/// The redirect URIs this provider can match exactly (RFC 6749 §3.1.2.3, RFC 9700
/// §4.1.3): wildcard entries are dropped with a warning.
pub(crate) fn exact_redirect_uris(uris: &[String], warnings: &mut Vec<String>) -> Vec<String> {
    let mut kept = Vec::new();
    for uri in uris.iter().map(|u| u.trim()).filter(|u| !u.is_empty()) {
        if uri.contains('*') {
            warnings.push(format!(
                "redirect URI {uri} has a wildcard, which this provider does not match (redirect URIs are compared exactly, RFC 9700 §4.1.3): not imported"
            ));
        } else if !kept.iter().any(|k: &String| k == uri) {
            kept.push(uri.to_owned());
        }
    }
    kept
}

/// What happens to one client.
enum Action {
    Create,
    Update(Vec<&'static str>),
    Unchanged,
}

/// What happens to the secret.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SecretAction {
    /// Public client.
    None,
    /// The source's secret is set.
    Imported,
    /// A new secret is generated (and printed once).
    Generated,
    /// The secret stored here stays.
    Kept,
}

impl SecretAction {
    fn as_str(self) -> &'static str {
        match self {
            SecretAction::None => "none",
            SecretAction::Imported => "imported",
            SecretAction::Generated => "generated",
            SecretAction::Kept => "kept",
        }
    }
}

struct Entry {
    candidate: Candidate,
    /// The registration as checked by `manage::preview_client`.
    preview: Client,
    action: Action,
    secret: SecretAction,
}

/// The checked import.
pub(crate) struct Plan {
    entries: Vec<Entry>,
    skipped: Vec<Skipped>,
    warnings: Vec<String>,
}

/// The fields an import sets on a client that exists already; everything else (default
/// scopes, lifetimes, logout URIs of other kinds, …) stays as the operator left it.
fn changes(before: &Client, after: &Client) -> Vec<&'static str> {
    let (b, a) = (&before.options, &after.options);
    [
        ("name", before.name == after.name),
        ("redirect_uris", before.redirect_uris == after.redirect_uris),
        ("scopes", before.scopes == after.scopes),
        ("grant_types", before.grant_types == after.grant_types),
        ("first_party", before.first_party == after.first_party),
        (
            "refresh_without_offline_access",
            before.refresh_without_offline_access == after.refresh_without_offline_access,
        ),
        (
            "token_response_user_id",
            before.include_user_id == after.include_user_id,
        ),
        ("implicit", b.implicit == a.implicit),
        ("id_token_alg", b.id_token_alg == a.id_token_alg),
        ("jwt_access_token", b.jwt_access_token == a.jwt_access_token),
        ("resources", b.resources == a.resources),
        ("allowed_groups", b.allowed_groups == a.allowed_groups),
        (
            "post_logout_redirect_uris",
            b.post_logout_redirect_uris == a.post_logout_redirect_uris,
        ),
    ]
    .into_iter()
    .filter(|(_, same)| !same)
    .map(|(name, _)| name)
    .collect()
}

/// The update that gives an existing client the imported values of [`changes`]' fields.
fn update_to(c: &Client) -> ClientUpdate {
    let o = &c.options;
    ClientUpdate {
        name: Some(c.name.clone()),
        redirect_uris: Some(
            c.redirect_uris
                .iter()
                .map(|u| u.as_str().to_owned())
                .collect(),
        ),
        scopes: Some(c.scopes.iter().map(str::to_owned).collect()),
        grant_types: Some(
            c.grant_types
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
        ),
        first_party: Some(c.first_party),
        refresh_without_offline_access: Some(c.refresh_without_offline_access),
        include_user_id: Some(c.include_user_id),
        implicit: Some(o.implicit),
        id_token_alg: Some(o.id_token_alg),
        jwt_access_token: Some(o.jwt_access_token),
        access_token_alg: Some(o.access_token_alg),
        resources: Some(o.resources.clone()),
        allowed_groups: Some(o.allowed_groups.clone()),
        post_logout_redirect_uris: Some(
            o.post_logout_redirect_uris
                .iter()
                .map(|u| u.as_str().to_owned())
                .collect(),
        ),
        ..ClientUpdate::default()
    }
}

impl Plan {
    /// Checks every client of `read` against this provider's rules and its current
    /// registrations. Groups the source restricts clients to must exist here: if any is
    /// missing the import is refused, naming them all.
    pub(crate) fn make(store: &DieselStore, read: Read) -> Result<Plan, Failure> {
        let known: BTreeSet<String> = store.groups()?.into_iter().map(|g| g.name).collect();
        let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for c in read.clients.iter().flatten() {
            for g in &c.new.options.allowed_groups {
                if !known.contains(g) {
                    missing
                        .entry(g.clone())
                        .or_default()
                        .push(c.new.name.clone());
                }
            }
        }
        if !missing.is_empty() {
            let list: Vec<String> = missing
                .iter()
                .map(|(g, clients)| format!("{g} (for {})", clients.join(", ")))
                .collect();
            return Err(Failure::Refused(format!(
                "the source lets only members of groups sign in to some clients, and these groups do not exist here: {}. Create them (`idp-admin group create NAME`, then add their members) and run the import again; nothing was imported",
                list.join("; ")
            )));
        }
        let mut plan = Plan {
            entries: Vec::new(),
            skipped: Vec::new(),
            warnings: read.warnings,
        };
        let mut seen = BTreeSet::new();
        for read in read.clients {
            let candidate = match read {
                Ok(c) => c,
                Err(skipped) => {
                    plan.skipped.push(skipped);
                    continue;
                }
            };
            let id = candidate.new.client_id.clone().unwrap_or_default();
            let skip = |reason: String| Skipped {
                client_id: id.clone(),
                name: candidate.new.name.clone(),
                reason,
            };
            if !seen.insert(id.clone()) {
                plan.skipped.push(skip(
                    "the source lists this client id twice; the first is imported".into(),
                ));
                continue;
            }
            let preview = match manage::preview_client(store, &SystemClock, &candidate.new) {
                Ok(p) => p,
                Err(e) => {
                    plan.skipped.push(skip(error_chain(&e)));
                    continue;
                }
            };
            let entry = match store.client(&ClientId::new(id.as_str()))? {
                None => Entry {
                    secret: match &candidate.secret {
                        SecretSource::Public => SecretAction::None,
                        SecretSource::Clear(_) => SecretAction::Imported,
                        SecretSource::Unusable(_) => SecretAction::Generated,
                    },
                    action: Action::Create,
                    candidate,
                    preview,
                },
                Some(existing) if existing.client_type != preview.client_type => {
                    plan.skipped.push(skip(format!(
                        "a {} client with this id exists here, and the source has a {} one: remove it here first (`idp-admin client remove {id}`) to import it",
                        existing.client_type.as_str(),
                        preview.client_type.as_str()
                    )));
                    continue;
                }
                Some(existing) => {
                    let secret = match &candidate.secret {
                        SecretSource::Public => SecretAction::None,
                        SecretSource::Clear(s) if !manage::client_secret_is(&existing, s) => {
                            SecretAction::Imported
                        }
                        SecretSource::Clear(_) | SecretSource::Unusable(_) => SecretAction::Kept,
                    };
                    let changed = changes(&existing, &preview);
                    let action = if changed.is_empty() && secret != SecretAction::Imported {
                        Action::Unchanged
                    } else {
                        Action::Update(changed)
                    };
                    Entry {
                        candidate,
                        preview,
                        action,
                        secret,
                    }
                }
            };
            plan.entries.push(entry);
        }
        Ok(plan)
    }

    /// What [`Plan::apply`] would report, for `--dry-run`.
    pub(crate) fn outcome_without_writing(self) -> Outcome {
        let mut results: Vec<ClientResult> = self
            .entries
            .into_iter()
            .map(|e| ClientResult::of(e, None))
            .collect();
        results.extend(self.skipped.into_iter().map(ClientResult::skipped));
        Outcome {
            clients: results,
            warnings: self.warnings,
        }
    }

    /// Writes the plan. The key-encryption key is obtained first when a client to be
    /// written signs ID tokens with its secret (HS256), so a missing key refuses the
    /// import before anything is written.
    pub(crate) fn apply(
        self,
        store: &DieselStore,
        kek: impl Fn() -> Option<KeyEncryptionKey>,
    ) -> Result<Outcome, Failure> {
        let sealing: Vec<&str> = self
            .entries
            .iter()
            .filter(|e| !matches!(e.action, Action::Unchanged))
            .filter(|e| {
                e.preview.options.id_token_alg == IdTokenAlg::Hs256
                    && e.preview.client_type == ClientType::Confidential
            })
            .map(|e| e.preview.name.as_str())
            .collect();
        let kek = if sealing.is_empty() {
            None
        } else {
            Some(kek().ok_or_else(|| {
                Failure::Refused(format!(
                    "{} sign ID tokens with the client secret (HS256), which is kept encrypted under the key-encryption key, and that key is not available here (set key_encryption_key, or run where the server's key file is); nothing was imported",
                    sealing.join(", ")
                ))
            })?)
        };
        let kek = kek.as_ref();
        let mut results = Vec::new();
        for entry in self.entries {
            let id = entry.preview.id.clone();
            let clear = match &entry.candidate.secret {
                SecretSource::Clear(s) => Some(s.clone()),
                _ => None,
            };
            let shown = match entry.action {
                Action::Unchanged => None,
                Action::Create => {
                    let mut new = entry.candidate.new.clone();
                    new.client_secret = clear.clone();
                    let created = manage::create_client(store, &SystemClock, kek, new)?;
                    // Only a generated secret is shown: the imported one is known.
                    created.secret.filter(|_| clear.is_none())
                }
                Action::Update(_) => {
                    let updated = manage::update_client(
                        store,
                        &SystemClock,
                        kek,
                        &id,
                        update_to(&entry.preview),
                    )?;
                    if let Some(s) = &clear {
                        manage::set_client_secret(store, kek, &id, s)?;
                        None
                    } else {
                        // A switch to HS256 needs the secret in clear, so one was issued.
                        updated.secret
                    }
                }
            };
            let mut result = ClientResult::of(entry, shown.clone());
            if shown.is_some() && result.secret == SecretAction::Kept.as_str() {
                result.secret = SecretAction::Generated.as_str();
                result.warnings.push(
                    "HS256 needs the client secret in clear, which was not kept: a new secret was issued"
                        .to_owned(),
                );
            }
            results.push(result);
        }
        results.extend(self.skipped.into_iter().map(ClientResult::skipped));
        Ok(Outcome {
            clients: results,
            warnings: self.warnings,
        })
    }
}

/// One client in the output.
#[derive(Serialize)]
struct ClientResult {
    client_id: String,
    name: String,
    /// created, updated, unchanged or skipped.
    action: &'static str,
    /// For updates: the fields that change.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    changes: Vec<&'static str>,
    /// none, imported, generated or kept.
    secret: &'static str,
    /// A generated secret, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    /// Why a client is skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    warnings: Vec<String>,
}

impl ClientResult {
    fn of(e: Entry, shown: Option<String>) -> Self {
        let mut warnings = e.candidate.warnings;
        if let SecretSource::Unusable(why) = &e.candidate.secret {
            warnings.push(match e.secret {
                SecretAction::Generated => format!(
                    "{why}: a new secret is generated; put it in the application's configuration"
                ),
                _ => format!("{why}: the secret already set here is kept"),
            });
        }
        let (action, changes) = match e.action {
            Action::Create => ("created", Vec::new()),
            Action::Update(c) => ("updated", c),
            Action::Unchanged => ("unchanged", Vec::new()),
        };
        let changes = if e.secret == SecretAction::Imported && action == "updated" {
            let mut c = changes;
            c.push("client_secret");
            c
        } else {
            changes
        };
        ClientResult {
            client_id: e.preview.id.to_string(),
            name: e.preview.name,
            action,
            changes,
            secret: e.secret.as_str(),
            client_secret: shown,
            reason: None,
            warnings,
        }
    }

    fn skipped(s: Skipped) -> Self {
        ClientResult {
            client_id: s.client_id,
            name: s.name,
            action: "skipped",
            changes: Vec::new(),
            secret: SecretAction::None.as_str(),
            client_secret: None,
            reason: Some(s.reason),
            warnings: Vec::new(),
        }
    }
}

/// What an import did (or, with `--dry-run`, would do).
pub(crate) struct Outcome {
    clients: Vec<ClientResult>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct OutcomeView<'a> {
    app: &'a str,
    dry_run: bool,
    clients: &'a [ClientResult],
    warnings: &'a [String],
}

impl Outcome {
    /// The report: one JSON object, or a line per client.
    pub(crate) fn report(&self, app: &str, dry_run: bool) -> Report {
        let mut text = String::new();
        let verb = |action: &'static str| match (dry_run, action) {
            (true, "created") => "would create",
            (true, "updated") => "would update",
            (_, other) => other,
        };
        for c in &self.clients {
            text.push_str(&format!(
                "{:<13} {}  {}",
                verb(c.action),
                c.client_id,
                c.name
            ));
            if !c.changes.is_empty() {
                text.push_str(&format!("  ({})", c.changes.join(", ")));
            }
            text.push('\n');
            if let Some(reason) = &c.reason {
                text.push_str(&format!("              reason: {reason}\n"));
            }
            if c.secret == "generated" {
                match &c.client_secret {
                    Some(s) => text.push_str(&format!(
                        "              client_secret: {s}   (new, shown once: put it in the application's configuration)\n"
                    )),
                    None => text.push_str("              client_secret: a new one would be generated\n"),
                }
            }
            for w in &c.warnings {
                text.push_str(&format!("              warning: {w}\n"));
            }
        }
        for w in &self.warnings {
            text.push_str(&format!("warning: {w}\n"));
        }
        let count = |a: &str| self.clients.iter().filter(|c| c.action == a).count();
        text.push_str(&format!(
            "{} created, {} updated, {} unchanged, {} skipped{}",
            count("created"),
            count("updated"),
            count("unchanged"),
            count("skipped"),
            if dry_run {
                " (dry run: nothing was written)"
            } else {
                ""
            }
        ));
        let view = OutcomeView {
            app,
            dry_run,
            clients: &self.clients,
            warnings: &self.warnings,
        };
        Report::new(view, text)
    }
}
