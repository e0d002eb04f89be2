//! Configuration as code: the clients, scopes and groups a configuration file declares,
//! planned against the store ([`plan`]) and written together ([`apply`]).
//!
//! A declared item is created or updated to match its entry, never silently deleted:
//! only with `prune` are items deleted, and only those a declaration created (recorded in
//! the store's `declared_items`), never clients made by hand, by registration or by
//! import. An existing item a file takes up (say a client made with `idp-admin client
//! create`) is updated but stays the operator's. Each client entry is checked by the
//! rules of `idp-admin client create` (`clients.rs`), with the scopes and groups the same
//! file declares counted as known.

use std::collections::BTreeSet;

use idp_core::{
    Client, ClientDeclaration, ClientId, ClientOptions, ClientType, Clock, CoreError, Declarations,
    DeclaredChanges, DeclaredItem, DeclaredKind, Group, GroupClaim, GroupDeclaration, IdTokenAlg,
    RedirectUri, ScopeDeclaration, ScopeDefinition, Store,
};
use idp_crypto::KeyEncryptionKey;

use super::clients::{client_secret_is, preview_client_pending, stored_secret, Pending};
use super::{refused, NewClient};
use crate::ProtocolError;

/// What applying a declaration does: the items it creates, updates, leaves as they are
/// and (with `prune`) deletes, and the writes that do it.
#[derive(Debug, Default)]
pub struct Plan {
    /// Items to create.
    pub created: Vec<DeclaredItem>,
    /// Items to update.
    pub updated: Vec<DeclaredItem>,
    /// Items that already match their entry.
    pub unchanged: Vec<DeclaredItem>,
    /// Declared items no longer in the file, to delete (only with `prune`).
    pub pruned: Vec<DeclaredItem>,
    changes: DeclaredChanges,
}

impl Plan {
    /// Whether applying the plan writes nothing.
    pub fn is_noop(&self) -> bool {
        self.changes.is_empty()
    }
}

fn declaration(entry: &str, reason: impl Into<String>) -> ProtocolError {
    ProtocolError::Declaration {
        entry: entry.to_owned(),
        reason: reason.into(),
    }
}

/// A refusal of the shared rules, reported against the entry; storage failures stay
/// what they are.
fn in_entry(entry: &str) -> impl Fn(ProtocolError) -> ProtocolError + '_ {
    move |e| match e {
        ProtocolError::Refused(reason) => declaration(entry, reason.to_string()),
        other => other,
    }
}

fn item(kind: DeclaredKind, name: &str) -> DeclaredItem {
    DeclaredItem {
        kind,
        name: name.to_owned(),
    }
}

/// The client `idp-admin client create` would register for the same flags.
fn new_client(entry: &str, d: &ClientDeclaration) -> Result<NewClient, ProtocolError> {
    let client_type = match d.client_type.as_deref() {
        None | Some("confidential") => ClientType::Confidential,
        Some("public") => ClientType::Public,
        Some(other) => {
            return Err(declaration(
                entry,
                format!("type {other:?}: must be confidential or public"),
            ))
        }
    };
    let parse = |e: CoreError| declaration(entry, e.to_string());
    let defaults = ClientOptions::default();
    let options = ClientOptions {
        implicit: d.implicit,
        id_token_alg: d
            .id_token_alg
            .as_deref()
            .map(str::parse::<IdTokenAlg>)
            .transpose()
            .map_err(parse)?
            .unwrap_or(defaults.id_token_alg),
        jwt_access_token: d.jwt_access_token,
        access_token_alg: d
            .access_token_alg
            .as_deref()
            .map(str::parse::<idp_core::JwsAlgorithm>)
            .transpose()
            .map_err(parse)?
            .unwrap_or(defaults.access_token_alg),
        resource_server: d.resource_server,
        resources: d.resources.clone(),
        access_token_lifetime: d.access_token_lifetime,
        refresh_token_lifetime: d.refresh_token_lifetime,
        id_token_lifetime: d.id_token_lifetime,
        claims_in_id_token: d.claims_in_id_token,
        group_claim: d
            .group_claim
            .as_deref()
            .map(str::parse::<GroupClaim>)
            .transpose()
            .map_err(parse)?
            .unwrap_or(defaults.group_claim),
        allowed_groups: d.allowed_groups.clone(),
        post_logout_redirect_uris: d
            .post_logout_redirect_uris
            .iter()
            .map(|u| RedirectUri::parse(u))
            .collect::<Result<_, _>>()
            .map_err(parse)?,
        backchannel_logout_uri: d.backchannel_logout_uri.clone(),
        backchannel_logout_session_required: d.backchannel_logout_session_required,
        frontchannel_logout_uri: d.frontchannel_logout_uri.clone(),
        frontchannel_logout_session_required: d.frontchannel_logout_session_required,
        token_endpoint_auth_method: None,
    };
    let client_secret = match (client_type, &d.secret) {
        (ClientType::Confidential, None) => {
            return Err(declaration(
                entry,
                "a confidential client needs client_secret_file or client_secret_env (a secret generated at start could never be shown)",
            ))
        }
        (ClientType::Public, Some(_)) => {
            return Err(declaration(entry, "public clients have no secret"))
        }
        (_, secret) => secret.as_ref().map(|s| s.expose().to_owned()),
    };
    Ok(NewClient {
        client_type,
        client_id: Some(d.client_id.clone()),
        client_secret,
        first_party: d.first_party,
        scopes: d.scopes.clone(),
        default_scopes: d.default_scopes.clone(),
        grant_types: d.grant_types.clone(),
        refresh_without_offline_access: d.refresh_without_offline_access,
        include_user_id: d.token_response_user_id,
        options,
        ..NewClient::new(d.name.clone(), d.redirect_uris.clone())
    })
}

/// A refusal for each second entry with the same name.
fn duplicates<'a>(array: &str, names: impl Iterator<Item = &'a str>) -> Vec<ProtocolError> {
    let mut seen = BTreeSet::new();
    names
        .enumerate()
        .filter(|(_, name)| !seen.insert(*name))
        .map(|(i, name)| declaration(&format!("{array}[{i}] ({name})"), "declared twice"))
        .collect()
}

/// An entry's refusal is noted and the next entry checked; anything else (a storage
/// failure) ends the plan.
fn note(
    problems: &mut Vec<ProtocolError>,
    r: Result<(), ProtocolError>,
) -> Result<(), ProtocolError> {
    match r {
        Err(e @ ProtocolError::Declaration { .. }) => {
            problems.push(e);
            Ok(())
        }
        other => other,
    }
}

/// Plans what applying `declared` would change, checking every entry by the rules
/// `idp-admin` applies (a client as `client create` does, against the store's scopes
/// and groups and those the file declares). With `prune`, items an earlier declaration
/// created that `declared` no longer lists are to be deleted. `kek` is needed only for
/// HS256 clients (their secret is kept sealed). Writes nothing.
///
/// # Errors
/// [`ProtocolError::Declaration`] naming the first entry at fault; storage failures.
pub fn plan(
    store: &dyn Store,
    clock: &dyn Clock,
    kek: Option<&KeyEncryptionKey>,
    declared: &Declarations,
    prune: bool,
) -> Result<Plan, ProtocolError> {
    let (plan, problems) = plan_checked(store, clock, kek, declared, prune)?;
    match problems.into_iter().next() {
        Some(first) => Err(first),
        None => Ok(plan),
    }
}

/// Every entry of `declared` that breaks a rule (each a [`ProtocolError::Declaration`]
/// naming its entry), and the plan when there is none: what `idp-admin config check`
/// reports. Writes nothing.
///
/// # Errors
/// Storage failures.
pub fn check(
    store: &dyn Store,
    clock: &dyn Clock,
    kek: Option<&KeyEncryptionKey>,
    declared: &Declarations,
) -> Result<Result<Plan, Vec<ProtocolError>>, ProtocolError> {
    let (plan, problems) = plan_checked(store, clock, kek, declared, false)?;
    Ok(if problems.is_empty() {
        Ok(plan)
    } else {
        Err(problems)
    })
}

fn plan_checked(
    store: &dyn Store,
    clock: &dyn Clock,
    kek: Option<&KeyEncryptionKey>,
    declared: &Declarations,
    prune: bool,
) -> Result<(Plan, Vec<ProtocolError>), ProtocolError> {
    let mut plan = Plan::default();
    let owned: BTreeSet<DeclaredItem> = store
        .declared_items()
        .map_err(refused)?
        .into_iter()
        .collect();
    let mut problems = duplicates("scopes", declared.scopes.iter().map(|s| s.name.as_str()));
    problems.extend(duplicates(
        "groups",
        declared.groups.iter().map(|g| g.name.as_str()),
    ));
    problems.extend(duplicates(
        "clients",
        declared.clients.iter().map(|c| c.client_id.as_str()),
    ));

    let defined = store.scope_definitions().map_err(refused)?;
    for (i, d) in declared.scopes.iter().enumerate() {
        let entry = format!("scopes[{i}] (name {})", d.name);
        let r = plan_scope(&mut plan, &entry, d, &defined, clock);
        note(&mut problems, r)?;
    }
    let groups = store.groups().map_err(refused)?;
    for (i, d) in declared.groups.iter().enumerate() {
        let entry = format!("groups[{i}] (name {})", d.name);
        let r = plan_group(&mut plan, &entry, d, &groups, store);
        note(&mut problems, r)?;
    }
    let scope_names: Vec<String> = declared.scopes.iter().map(|s| s.name.clone()).collect();
    let group_names: Vec<String> = declared.groups.iter().map(|g| g.name.clone()).collect();
    let pending = Pending {
        scopes: &scope_names,
        groups: &group_names,
    };
    for (i, d) in declared.clients.iter().enumerate() {
        let entry = format!("clients[{i}] (client_id {})", d.client_id);
        let r = plan_client(&mut plan, &entry, d, pending, store, clock, kek);
        note(&mut problems, r)?;
    }

    if prune {
        let listed: BTreeSet<DeclaredItem> = plan
            .created
            .iter()
            .chain(&plan.updated)
            .chain(&plan.unchanged)
            .cloned()
            .collect();
        let clients = store.clients().map_err(refused)?;
        for gone in owned.iter().filter(|i| !listed.contains(i)) {
            // A record whose item was removed by hand is forgotten quietly.
            let exists = match gone.kind {
                DeclaredKind::Client => clients.iter().any(|c| c.id.as_str() == gone.name),
                DeclaredKind::Scope => defined.iter().any(|s| s.name == gone.name),
                DeclaredKind::Group => groups.iter().any(|g| g.name == gone.name),
            };
            plan.changes.delete.push(gone.clone());
            if exists {
                plan.pruned.push(gone.clone());
            }
        }
    }
    Ok((plan, problems))
}

fn plan_scope(
    plan: &mut Plan,
    entry: &str,
    d: &ScopeDeclaration,
    defined: &[ScopeDefinition],
    clock: &dyn Clock,
) -> Result<(), ProtocolError> {
    ScopeDefinition::check_name(&d.name).map_err(|e| declaration(entry, e.to_string()))?;
    let description = d.description.trim();
    if description.is_empty() || description.len() > 256 {
        return Err(declaration(
            entry,
            "description must be 1 to 256 bytes long",
        ));
    }
    let wanted = ScopeDefinition {
        name: d.name.clone(),
        description: description.to_owned(),
        created_at: clock.now(),
    };
    let it = item(DeclaredKind::Scope, &d.name);
    match defined.iter().find(|s| s.name == d.name) {
        None => {
            plan.changes.insert_scopes.push(wanted);
            plan.changes.record.push(it.clone());
            plan.created.push(it);
        }
        Some(s) if s.description == wanted.description => plan.unchanged.push(it),
        Some(_) => {
            plan.changes.update_scopes.push(wanted);
            plan.updated.push(it);
        }
    }
    Ok(())
}

fn plan_group(
    plan: &mut Plan,
    entry: &str,
    d: &GroupDeclaration,
    groups: &[Group],
    store: &dyn Store,
) -> Result<(), ProtocolError> {
    Group::check_name(&d.name).map_err(|e| declaration(entry, e.to_string()))?;
    let mut members: Vec<String> = d.members.clone().unwrap_or_default();
    members.sort();
    members.dedup();
    for username in &members {
        if store.user_by_username(username).map_err(refused)?.is_none() {
            return Err(declaration(
                entry,
                format!("member {username}: no such user"),
            ));
        }
    }
    let it = item(DeclaredKind::Group, &d.name);
    match groups.iter().find(|g| g.name == d.name) {
        None => {
            plan.changes.insert_groups.push(Group {
                id: idp_crypto::random_id(16)?,
                name: d.name.clone(),
                members,
            });
            plan.changes.record.push(it.clone());
            plan.created.push(it);
        }
        Some(g) if d.members.is_some() && g.members != members => {
            plan.changes.set_group_members.push(Group {
                members,
                ..g.clone()
            });
            plan.updated.push(it);
        }
        Some(_) => plan.unchanged.push(it),
    }
    Ok(())
}

fn plan_client(
    plan: &mut Plan,
    entry: &str,
    d: &ClientDeclaration,
    pending: Pending<'_>,
    store: &dyn Store,
    clock: &dyn Clock,
    kek: Option<&KeyEncryptionKey>,
) -> Result<(), ProtocolError> {
    let new = new_client(entry, d)?;
    let mut wanted =
        preview_client_pending(store, clock, &new, pending).map_err(in_entry(entry))?;
    let it = item(DeclaredKind::Client, &d.client_id);
    let existing = store
        .client(&ClientId::new(d.client_id.as_str()))
        .map_err(refused)?;
    let secret = new.client_secret.as_deref();
    let Some(c) = existing else {
        if let Some(s) = secret {
            let (digest, sealed) = stored_secret(&wanted, s, kek).map_err(in_entry(entry))?;
            wanted.secret_digest = Some(digest);
            wanted.secret_sealed = sealed;
        }
        plan.changes.insert_clients.push(wanted);
        plan.changes.record.push(it.clone());
        plan.created.push(it);
        return Ok(());
    };
    if c.self_registered.is_some() {
        return Err(declaration(
            entry,
            "this client registered itself (dynamic registration); make it operator-managed first (idp-admin client update ID --permanent)",
        ));
    }
    if c.client_type != wanted.client_type {
        return Err(declaration(
            entry,
            format!(
                "the client exists as a {} client; its type cannot change (remove it first)",
                c.client_type.as_str()
            ),
        ));
    }
    keep_or_replace_secret(entry, &c, &mut wanted, secret, kek)?;
    wanted.created_at = c.created_at;
    wanted.updated_at = c.updated_at;
    if wanted == c {
        plan.unchanged.push(it);
    } else {
        wanted.updated_at = clock.now();
        plan.changes.update_clients.push(wanted);
        plan.updated.push(it);
    }
    Ok(())
}

/// The stored secret of an existing client a declaration updates: kept when the
/// declared secret is the stored one (and, for HS256, a sealed copy exists), replaced
/// otherwise.
fn keep_or_replace_secret(
    entry: &str,
    existing: &Client,
    wanted: &mut Client,
    secret: Option<&str>,
    kek: Option<&KeyEncryptionKey>,
) -> Result<(), ProtocolError> {
    let Some(secret) = secret else {
        wanted.secret_digest = None;
        wanted.secret_sealed = None;
        return Ok(());
    };
    let hs256 = wanted.options.id_token_alg == IdTokenAlg::Hs256;
    if client_secret_is(existing, secret) && (!hs256 || existing.secret_sealed.is_some()) {
        wanted.secret_digest.clone_from(&existing.secret_digest);
        wanted.secret_sealed = if hs256 {
            existing.secret_sealed.clone()
        } else {
            None
        };
        return Ok(());
    }
    let (digest, sealed) = stored_secret(wanted, secret, kek).map_err(in_entry(entry))?;
    wanted.secret_digest = Some(digest);
    wanted.secret_sealed = sealed;
    Ok(())
}

/// Writes `plan` in one transaction (all of it or nothing), one application at a time
/// across instances.
///
/// # Errors
/// [`ProtocolError::Refused`] with [`CoreError::Conflict`] if another instance created an
/// item since the plan was made (plan again: [`apply_declarations`] does); storage
/// failures.
pub fn apply(store: &dyn Store, clock: &dyn Clock, plan: &Plan) -> Result<(), ProtocolError> {
    if plan.is_noop() {
        return Ok(());
    }
    store
        .apply_declared(&plan.changes, clock.now())
        .map_err(refused)
}

/// Plans and applies `declared` (see [`plan`]). When another instance applied the same
/// file in between (several instances starting together), the items it created now
/// exist: the plan is made once more and applied, so no instance fails and nothing is
/// created twice.
///
/// # Errors
/// As [`plan`] and [`apply`].
pub fn apply_declarations(
    store: &dyn Store,
    clock: &dyn Clock,
    kek: Option<&KeyEncryptionKey>,
    declared: &Declarations,
    prune: bool,
) -> Result<Plan, ProtocolError> {
    let mut attempts = 0;
    loop {
        let planned = plan(store, clock, kek, declared, prune)?;
        match apply(store, clock, &planned) {
            Err(ProtocolError::Refused(CoreError::Conflict(_))) if attempts < 2 => attempts += 1,
            Err(e) => return Err(e),
            Ok(()) => return Ok(planned),
        }
    }
}
