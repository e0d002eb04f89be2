//! Clients: registration, updates, secrets, removal — one set of rules for `client
//! create` and `client update` ([`check_client`]).

use idp_core::{
    check_custom_credential, Client, ClientId, ClientOptions, ClientType, Clock, GrantType,
    GroupClaim, IdTokenAlg, RedirectUri, Scope, ScopeSet, SettingKey, Store,
};
use idp_crypto::KeyEncryptionKey;

use super::{invalid, not_found, refused};
use crate::provider::digest_of;
use crate::ProtocolError;

/// A client to register.
#[derive(Clone, Debug)]
pub struct NewClient {
    /// Display name.
    pub name: String,
    /// Redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Confidential or public.
    pub client_type: ClientType,
    /// Operator-chosen id (32–64 alphanumerics), or generated.
    pub client_id: Option<String>,
    /// Operator-chosen secret (32–64 alphanumerics), or generated; confidential only.
    pub client_secret: Option<String>,
    /// Skip consent.
    pub first_party: bool,
    /// Allowed scopes; empty means every standard scope.
    pub scopes: Vec<String>,
    /// The scope of requests that name none (RFC 6749 §3.3); must be allowed scopes.
    /// Empty: such requests are refused.
    pub default_scopes: Vec<String>,
    /// Allowed grant types; empty means `authorization_code` and `refresh_token`.
    pub grant_types: Vec<String>,
    /// Issue refresh tokens without `offline_access`.
    pub refresh_without_offline_access: bool,
    /// Put `user_id` in token responses.
    pub include_user_id: bool,
    /// Everything else (flows, algorithms, token format, lifetimes, claims, groups,
    /// logout URIs).
    pub options: ClientOptions,
}

impl NewClient {
    /// A confidential client with generated credentials, every standard scope, the
    /// `authorization_code` and `refresh_token` grants, and default options.
    pub fn new(name: impl Into<String>, redirect_uris: Vec<String>) -> Self {
        NewClient {
            name: name.into(),
            redirect_uris,
            client_type: ClientType::Confidential,
            client_id: None,
            client_secret: None,
            first_party: false,
            scopes: Vec::new(),
            default_scopes: Vec::new(),
            grant_types: Vec::new(),
            refresh_without_offline_access: false,
            include_user_id: false,
            options: ClientOptions::default(),
        }
    }
}

/// A registered client and its secret in clear, shown once.
#[derive(Debug)]
pub struct CreatedClient {
    /// The client as stored.
    pub client: Client,
    /// The secret (confidential clients only).
    pub secret: Option<String>,
}

/// Changes to a registered client: `None` leaves a value as it is. Lists replace the
/// registered list; `Some(None)` on a lifetime returns to the provider's setting.
#[derive(Clone, Debug, Default)]
pub struct ClientUpdate {
    /// Display name.
    pub name: Option<String>,
    /// Redirect URIs.
    pub redirect_uris: Option<Vec<String>>,
    /// Allowed scopes.
    pub scopes: Option<Vec<String>>,
    /// Default scopes.
    pub default_scopes: Option<Vec<String>>,
    /// Allowed grant types.
    pub grant_types: Option<Vec<String>>,
    /// Skip consent.
    pub first_party: Option<bool>,
    /// Refresh tokens without `offline_access`.
    pub refresh_without_offline_access: Option<bool>,
    /// `user_id` in token responses.
    pub include_user_id: Option<bool>,
    /// Implicit and hybrid flows.
    pub implicit: Option<bool>,
    /// ID token signing algorithm.
    pub id_token_alg: Option<IdTokenAlg>,
    /// Signing algorithm of its JWT access tokens.
    pub access_token_alg: Option<idp_core::JwsAlgorithm>,
    /// RFC 9068 JWT access tokens.
    pub jwt_access_token: Option<bool>,
    /// May introspect any token (a resource server, RFC 7662 §2.1).
    pub resource_server: Option<bool>,
    /// Resource identifiers.
    pub resources: Option<Vec<String>>,
    /// Access token lifetime, seconds.
    pub access_token_lifetime: Option<Option<u64>>,
    /// Refresh token lifetime, seconds (0: no expiry).
    pub refresh_token_lifetime: Option<Option<u64>>,
    /// ID token lifetime, seconds.
    pub id_token_lifetime: Option<Option<u64>>,
    /// Claims in the ID token.
    pub claims_in_id_token: Option<bool>,
    /// Group names or ids in `groups`/`roles`.
    pub group_claim: Option<GroupClaim>,
    /// Groups whose members may sign in (empty: everyone).
    pub allowed_groups: Option<Vec<String>>,
    /// Post-logout redirect URIs.
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// Back-channel logout URI; `Some(None)` removes it.
    pub backchannel_logout_uri: Option<Option<String>>,
    /// `sid` required in logout tokens.
    pub backchannel_logout_session_required: Option<bool>,
    /// Front-channel logout URI; `Some(None)` removes it.
    pub frontchannel_logout_uri: Option<Option<String>>,
    /// `iss` and `sid` required on the front-channel logout URI.
    pub frontchannel_logout_session_required: Option<bool>,
}

/// An updated client, and its new secret in clear when the update had to issue one.
#[derive(Debug)]
pub struct UpdatedClient {
    /// The client as stored.
    pub client: Client,
    /// A new secret (shown once), issued when the client switched to HS256 ID tokens:
    /// the old secret's clear text was never kept, and HS256 needs it.
    pub secret: Option<String>,
}

fn parse_redirect_uris(uris: &[String]) -> Result<Vec<RedirectUri>, ProtocolError> {
    uris.iter()
        .filter(|u| !u.is_empty())
        .map(|u| RedirectUri::parse(u))
        .collect::<Result<Vec<_>, _>>()
        .map_err(refused)
}

fn parse_grant_types(names: &[String]) -> Result<Vec<GrantType>, ProtocolError> {
    if names.iter().all(String::is_empty) {
        return Ok(GrantType::DEFAULT.to_vec());
    }
    let mut g = Vec::new();
    for t in names.iter().filter(|t| !t.is_empty()) {
        let t = GrantType::from_operator_name(t).map_err(refused)?;
        if !g.contains(&t) {
            g.push(t);
        }
    }
    Ok(g)
}

fn parse_scopes(names: &[String]) -> Result<ScopeSet, ProtocolError> {
    ScopeSet::parse(&names.join(" ")).map_err(refused)
}

/// RFC 8707 §2: a resource indicator is an absolute URI without a fragment.
fn check_resource(resource: &str) -> Result<(), ProtocolError> {
    let parsed = url::Url::parse(resource).map_err(|e| {
        invalid(
            "resource",
            format!("{resource:?} is not an absolute URI: {e}"),
        )
    })?;
    if parsed.fragment().is_some() || resource.contains('#') {
        return Err(invalid(
            "resource",
            format!("{resource:?} must not contain a fragment (RFC 8707 §2)"),
        ));
    }
    Ok(())
}

/// OIDC Back-Channel Logout 1.0 §2.2 and Front-Channel Logout 1.0 §2: an absolute URL
/// without a fragment; https, or http for a confidential client or on a loopback host
/// (a server the provider reaches, or a browser loads, on the same machine).
fn check_logout_uri(what: &'static str, uri: &str, c: &Client) -> Result<(), ProtocolError> {
    let parsed = url::Url::parse(uri)
        .map_err(|e| invalid(what, format!("{uri:?} is not an absolute URL: {e}")))?;
    if parsed.fragment().is_some() || uri.contains('#') {
        return Err(invalid(
            what,
            format!("{uri:?} must not contain a fragment"),
        ));
    }
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback || c.client_type == ClientType::Confidential => Ok(()),
        "http" => Err(invalid(
            what,
            format!(
                "{uri:?}: public clients need https here unless the host is a loopback address"
            ),
        )),
        _ => Err(invalid(
            what,
            format!("{uri:?} must be an http or https URL"),
        )),
    }
}

/// Scopes and groups about to be created with a client (by the same configuration
/// file), which the client may use although the store does not have them yet.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Pending<'a> {
    /// Scope names.
    pub scopes: &'a [String],
    /// Group names.
    pub groups: &'a [String],
}

/// The rules every registration satisfies, after `client create` and after every
/// `client update` (`before`: the registration being updated; scopes it already had may
/// stay even if the operator has since removed their definition — they are simply no
/// longer granted).
fn check_client(
    store: &dyn Store,
    c: &Client,
    before: Option<&Client>,
    pending: Pending<'_>,
) -> Result<(), ProtocolError> {
    if c.name.trim().is_empty() || c.name.len() > 200 {
        return Err(invalid("client name", "must be 1 to 200 bytes long"));
    }
    let o = &c.options;
    let redirects = c.allows_grant(GrantType::AuthorizationCode) || o.implicit;
    if redirects && c.redirect_uris.is_empty() {
        return Err(invalid("redirect URI", "at least one is required"));
    }
    if c.scopes.is_empty() {
        return Err(invalid("scope", "at least one is required"));
    }
    // RFC 6749 §4.4: only a client that can authenticate may act for itself.
    if c.allows_grant(GrantType::ClientCredentials) && c.client_type == ClientType::Public {
        return Err(invalid(
            "grant type",
            "client_credentials is for confidential clients only (a public client cannot authenticate)",
        ));
    }
    let defined = store.scope_definitions().map_err(refused)?;
    if let Some(unknown) = c.scopes.iter().find(|s| {
        !Scope::is_standard(s)
            && !defined.iter().any(|d| d.name == *s)
            && !pending.scopes.iter().any(|p| p == s)
            && !before.is_some_and(|b| b.scopes.contains(s))
    }) {
        return Err(invalid(
            "scope",
            format!(
                "{unknown:?} is neither a standard scope ({}) nor one defined with `idp-admin scope create`",
                Scope::SUPPORTED.join(", ")
            ),
        ));
    }
    if let Some(outside) = c.default_scopes.iter().find(|s| !c.scopes.contains(s)) {
        return Err(invalid(
            "default scope",
            format!("{outside:?} is not one of the client's scopes"),
        ));
    }
    // OIDC Core §10.1: HS256 signs with the client secret, which public clients lack.
    if o.id_token_alg == IdTokenAlg::Hs256 && c.client_type == ClientType::Public {
        return Err(invalid(
            "ID token algorithm",
            "HS256 signs with the client secret: public clients have none (use RS256, ES256 or EdDSA)",
        ));
    }
    for resource in &o.resources {
        check_resource(resource)?;
    }
    if let Some(uri) = &o.backchannel_logout_uri {
        check_logout_uri("back-channel logout URI", uri, c)?;
    }
    if let Some(uri) = &o.frontchannel_logout_uri {
        check_logout_uri("front-channel logout URI", uri, c)?;
    }
    for (key, value) in [
        (SettingKey::AccessTokenLifetime, o.access_token_lifetime),
        (SettingKey::RefreshTokenLifetime, o.refresh_token_lifetime),
        (SettingKey::IdTokenLifetime, o.id_token_lifetime),
    ] {
        if let Some(v) = value {
            key.normalise(&v.to_string()).map_err(refused)?;
        }
    }
    if !o.allowed_groups.is_empty() {
        let groups = store.groups().map_err(refused)?;
        if let Some(missing) = o
            .allowed_groups
            .iter()
            .find(|g| !groups.iter().any(|known| known.name == **g) && !pending.groups.contains(g))
        {
            return Err(not_found(format!("group {missing}")));
        }
    }
    Ok(())
}

fn unlocked(kek: Option<&KeyEncryptionKey>) -> Result<&KeyEncryptionKey, ProtocolError> {
    kek.ok_or_else(|| {
        invalid(
            "ID token algorithm",
            "HS256 keeps the client secret encrypted under the key-encryption key, which is not available here (set key_encryption_key, or run where the server's key file is)",
        )
    })
}

/// The secret sealed for storage when the client's ID tokens are signed with it (HS256),
/// bound to the client id; otherwise nothing is kept but the digest.
fn sealed_secret(
    client: &Client,
    secret: &str,
    kek: Option<&KeyEncryptionKey>,
) -> Result<Option<Vec<u8>>, ProtocolError> {
    if client.options.id_token_alg != IdTokenAlg::Hs256 {
        return Ok(None);
    }
    Ok(Some(
        unlocked(kek)?.seal(secret.as_bytes(), client.id.as_str().as_bytes())?,
    ))
}

/// Registers a client. `kek` is needed only for HS256 ID tokens (the secret is then kept
/// sealed under it).
///
/// # Errors
/// [`ProtocolError::Refused`] for invalid values or a taken id.
pub fn create_client(
    store: &dyn Store,
    clock: &dyn Clock,
    kek: Option<&KeyEncryptionKey>,
    new: NewClient,
) -> Result<CreatedClient, ProtocolError> {
    let created = build_client(store, clock, kek, new)?;
    store.insert_client(&created.client).map_err(refused)?;
    Ok(created)
}

/// The client [`create_client`] would register, checked by the same rules, with its
/// secret (sealed too for HS256), but not stored: dynamic registration stores it with its
/// registration record.
pub(crate) fn build_client(
    store: &dyn Store,
    clock: &dyn Clock,
    kek: Option<&KeyEncryptionKey>,
    new: NewClient,
) -> Result<CreatedClient, ProtocolError> {
    let (mut client, secret) = assemble_client(store, clock, new, Pending::default())?;
    if let Some(s) = &secret {
        client.secret_digest = Some(digest_of(s));
        client.secret_sealed = sealed_secret(&client, s, kek)?;
    }
    Ok(CreatedClient { client, secret })
}

/// The client [`create_client`] would register for `new`, checked by the same rules,
/// without storing anything (`secret_digest` and `secret_sealed` are `None`; an
/// operator-chosen secret is checked, none is generated). Whether the id is taken is
/// not checked. Used to validate a whole batch (an import) before writing any of it.
///
/// # Errors
/// [`ProtocolError::Refused`] for invalid values.
pub fn preview_client(
    store: &dyn Store,
    clock: &dyn Clock,
    new: &NewClient,
) -> Result<Client, ProtocolError> {
    preview_client_pending(store, clock, new, Pending::default())
}

/// [`preview_client`], with scopes and groups about to be created counted as known.
pub(crate) fn preview_client_pending(
    store: &dyn Store,
    clock: &dyn Clock,
    new: &NewClient,
    pending: Pending<'_>,
) -> Result<Client, ProtocolError> {
    let mut new = new.clone();
    if new.client_type == ClientType::Confidential && new.client_secret.is_none() {
        // A placeholder that satisfies the rule, so no random secret is made for nothing.
        new.client_secret = Some("0".repeat(32));
    }
    Ok(assemble_client(store, clock, new, pending)?.0)
}

/// The stored form of a confidential client's `secret`: its digest, and (HS256) a copy
/// sealed under `kek`.
pub(crate) fn stored_secret(
    client: &Client,
    secret: &str,
    kek: Option<&KeyEncryptionKey>,
) -> Result<(idp_core::SecretDigest, Option<Vec<u8>>), ProtocolError> {
    check_custom_credential("client secret", secret).map_err(refused)?;
    Ok((digest_of(secret), sealed_secret(client, secret, kek)?))
}

/// The checked client for `new` and its secret in clear (generated if not given), with
/// no digest or sealed secret set yet.
fn assemble_client(
    store: &dyn Store,
    clock: &dyn Clock,
    new: NewClient,
    pending: Pending<'_>,
) -> Result<(Client, Option<String>), ProtocolError> {
    let scopes = if new.scopes.is_empty() {
        ScopeSet::from_tokens(Scope::SUPPORTED)
    } else {
        parse_scopes(&new.scopes)?
    };
    let id = match &new.client_id {
        Some(id) => ClientId::parse_custom(id).map_err(refused)?,
        None => generated_client_id()?,
    };
    let secret = match (new.client_type, new.client_secret) {
        (ClientType::Public, Some(_)) => {
            return Err(invalid("client secret", "public clients have no secret"))
        }
        (ClientType::Public, None) => None,
        (ClientType::Confidential, Some(s)) => {
            check_custom_credential("client secret", &s).map_err(refused)?;
            Some(s)
        }
        (ClientType::Confidential, None) => Some(idp_crypto::random_secret()?),
    };
    let now = clock.now();
    let client = Client {
        id,
        name: new.name.trim().to_owned(),
        client_type: new.client_type,
        secret_digest: None,
        redirect_uris: parse_redirect_uris(&new.redirect_uris)?,
        grant_types: parse_grant_types(&new.grant_types)?,
        scopes,
        default_scopes: parse_scopes(&new.default_scopes)?,
        first_party: new.first_party,
        refresh_without_offline_access: new.refresh_without_offline_access,
        include_user_id: new.include_user_id,
        options: new.options,
        secret_sealed: None,
        created_at: now,
        updated_at: now,
        self_registered: None,
    };
    check_client(store, &client, None, pending)?;
    Ok((client, secret))
}

/// A new random client id (192 bits, base64url) that starts with a letter or digit, so
/// it is never read as an option on a command line (`idp-admin client show -x…`).
fn generated_client_id() -> Result<ClientId, ProtocolError> {
    loop {
        let id = idp_crypto::random_id(24)?;
        if id.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Ok(ClientId::new(id));
        }
    }
}

fn load(store: &dyn Store, id: &ClientId) -> Result<Client, ProtocolError> {
    store
        .client(id)
        .map_err(refused)?
        .ok_or_else(|| not_found(format!("client {id}")))
}

/// Updates a client with the same rules as [`create_client`].
///
/// # Errors
/// [`ProtocolError::Refused`] for invalid values or an unknown client.
pub fn update_client(
    store: &dyn Store,
    clock: &dyn Clock,
    kek: Option<&KeyEncryptionKey>,
    id: &ClientId,
    update: ClientUpdate,
) -> Result<UpdatedClient, ProtocolError> {
    let mut c = load(store, id)?;
    let before = c.clone();
    let was_hs256 = c.options.id_token_alg == IdTokenAlg::Hs256;
    if let Some(name) = update.name {
        c.name = name.trim().to_owned();
    }
    if let Some(uris) = update.redirect_uris {
        c.redirect_uris = parse_redirect_uris(&uris)?;
    }
    if let Some(scopes) = update.scopes {
        c.scopes = parse_scopes(&scopes)?;
    }
    if let Some(scopes) = update.default_scopes {
        c.default_scopes = parse_scopes(&scopes)?;
    }
    if let Some(grants) = update.grant_types {
        c.grant_types = parse_grant_types(&grants)?;
    }
    let set = |field: &mut bool, v: Option<bool>| {
        if let Some(v) = v {
            *field = v;
        }
    };
    set(&mut c.first_party, update.first_party);
    set(
        &mut c.refresh_without_offline_access,
        update.refresh_without_offline_access,
    );
    set(&mut c.include_user_id, update.include_user_id);
    let o = &mut c.options;
    set(&mut o.implicit, update.implicit);
    set(&mut o.jwt_access_token, update.jwt_access_token);
    set(&mut o.resource_server, update.resource_server);
    set(&mut o.claims_in_id_token, update.claims_in_id_token);
    if let Some(alg) = update.access_token_alg {
        o.access_token_alg = alg;
    }
    if let Some(alg) = update.id_token_alg {
        o.id_token_alg = alg;
    }
    if let Some(naming) = update.group_claim {
        o.group_claim = naming;
    }
    if let Some(resources) = update.resources {
        o.resources = resources.into_iter().filter(|r| !r.is_empty()).collect();
    }
    if let Some(v) = update.access_token_lifetime {
        o.access_token_lifetime = v;
    }
    if let Some(v) = update.refresh_token_lifetime {
        o.refresh_token_lifetime = v;
    }
    if let Some(v) = update.id_token_lifetime {
        o.id_token_lifetime = v;
    }
    if let Some(groups) = update.allowed_groups {
        o.allowed_groups = groups.into_iter().filter(|g| !g.is_empty()).collect();
    }
    if let Some(uris) = update.post_logout_redirect_uris {
        o.post_logout_redirect_uris = parse_redirect_uris(&uris)?;
    }
    if let Some(uri) = update.backchannel_logout_uri {
        o.backchannel_logout_uri = uri.filter(|u| !u.is_empty());
    }
    set(
        &mut o.backchannel_logout_session_required,
        update.backchannel_logout_session_required,
    );
    if let Some(uri) = update.frontchannel_logout_uri {
        o.frontchannel_logout_uri = uri.filter(|u| !u.is_empty());
    }
    set(
        &mut o.frontchannel_logout_session_required,
        update.frontchannel_logout_session_required,
    );
    c.updated_at = clock.now();
    check_client(store, &c, Some(&before), Pending::default())?;
    let is_hs256 = c.options.id_token_alg == IdTokenAlg::Hs256;
    // Only a switch to or from HS256 touches the secret.
    let secret = match (was_hs256, is_hs256) {
        (false, true) if c.secret_sealed.is_none() => {
            let secret = idp_crypto::random_secret()?;
            let sealed = sealed_secret(&c, &secret, kek)?;
            c.secret_digest = Some(digest_of(&secret));
            c.secret_sealed = sealed;
            Some(secret)
        }
        (true, false) => {
            c.secret_sealed = None;
            None
        }
        _ => None,
    };
    if !store.update_client(&c).map_err(refused)? {
        return Err(not_found(format!("client {id}")));
    }
    if let (Some(digest), true) = (&c.secret_digest, secret.is_some() || was_hs256 != is_hs256) {
        store
            .set_client_secret(id, digest, c.secret_sealed.as_deref())
            .map_err(refused)?;
    }
    Ok(UpdatedClient { client: c, secret })
}

/// Gives a confidential client a new generated secret, returned in clear once (sealed
/// for storage too when its ID tokens are signed with it).
///
/// # Errors
/// [`ProtocolError::Refused`] for unknown or public clients.
pub fn rotate_client_secret(
    store: &dyn Store,
    kek: Option<&KeyEncryptionKey>,
    id: &ClientId,
) -> Result<String, ProtocolError> {
    let secret = idp_crypto::random_secret()?;
    store_client_secret(store, kek, id, &secret)?;
    Ok(secret)
}

/// Gives a confidential client an operator-chosen secret (32–64 alphanumerics, as with
/// [`NewClient::client_secret`]), e.g. the one another provider issued when its clients
/// are imported; sealed for storage too when the client's ID tokens are signed with it.
///
/// # Errors
/// [`ProtocolError::Refused`] for unknown or public clients, or a secret that breaks
/// the rule.
pub fn set_client_secret(
    store: &dyn Store,
    kek: Option<&KeyEncryptionKey>,
    id: &ClientId,
    secret: &str,
) -> Result<(), ProtocolError> {
    check_custom_credential("client secret", secret).map_err(refused)?;
    store_client_secret(store, kek, id, secret)
}

/// Whether `secret` is the client's current secret (digests compared in constant time).
pub fn client_secret_is(client: &Client, secret: &str) -> bool {
    client.secret_digest.as_ref().is_some_and(|stored| {
        idp_crypto::constant_time_eq(
            digest_of(secret).as_hex().as_bytes(),
            stored.as_hex().as_bytes(),
        )
    })
}

fn store_client_secret(
    store: &dyn Store,
    kek: Option<&KeyEncryptionKey>,
    id: &ClientId,
    secret: &str,
) -> Result<(), ProtocolError> {
    let client = load(store, id)?;
    if client.client_type == ClientType::Public {
        return Err(invalid("client", "public clients have no secret to rotate"));
    }
    let sealed = sealed_secret(&client, secret, kek)?;
    store
        .set_client_secret(id, &digest_of(secret), sealed.as_deref())
        .map_err(refused)?;
    Ok(())
}

/// Makes a self-registered client permanent and operator-managed (`idp-admin client
/// update ID --permanent`): it no longer expires, and its registration access token stops
/// working (RFC 7592 management ends).
///
/// # Errors
/// [`ProtocolError::Refused`] for an unknown client or one that did not register itself.
pub fn make_client_permanent(store: &dyn Store, id: &ClientId) -> Result<Client, ProtocolError> {
    let client = load(store, id)?;
    if client.self_registered.is_none() || !store.end_registration(id).map_err(refused)? {
        return Err(invalid(
            "client",
            format!("{id} did not register itself: it is operator-managed already"),
        ));
    }
    load(store, id)
}

/// Removes a client and everything issued to it.
///
/// # Errors
/// [`ProtocolError::Refused`] for an unknown client.
pub fn remove_client(store: &dyn Store, id: &ClientId) -> Result<(), ProtocolError> {
    if !store.delete_client(id).map_err(refused)? {
        return Err(not_found(format!("client {id}")));
    }
    Ok(())
}
