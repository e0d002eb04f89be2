//! Administrative operations on users, groups, clients and keys, with their validation
//! rules. `idp-admin` calls these; so will the admin console and dynamic registration.

use idp_core::{
    check_custom_credential, Client, ClientId, ClientType, Clock, CoreError, GrantType, Group,
    RedirectUri, Scope, ScopeSet, Store, User, UserId,
};

use crate::provider::digest_of;
use crate::ProtocolError;

/// Refusals carry the domain's message; storage failures stay internal.
fn refused(e: CoreError) -> ProtocolError {
    match e {
        CoreError::Storage(_) => ProtocolError::Internal(Box::new(e)),
        other => ProtocolError::Refused(other),
    }
}

fn invalid(what: &'static str, reason: impl Into<String>) -> ProtocolError {
    ProtocolError::Refused(CoreError::Invalid {
        what,
        reason: reason.into(),
    })
}

/// A user to create.
#[derive(Clone, Debug, Default)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Password in clear (hashed with argon2id before storing).
    pub password: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Whether the address is verified.
    pub email_verified: bool,
    /// Display name.
    pub name: Option<String>,
    /// Groups to join (they must exist).
    pub groups: Vec<String>,
}

/// Creates a user, all or nothing.
///
/// # Errors
/// [`ProtocolError::Refused`] for invalid values, a taken username or a missing group.
pub fn create_user(
    store: &dyn Store,
    clock: &dyn Clock,
    new: NewUser,
) -> Result<User, ProtocolError> {
    User::check_username(&new.username).map_err(refused)?;
    check_password(&new.password)?;
    if let Some(email) = &new.email {
        if !email.contains('@') || email.chars().any(char::is_whitespace) {
            return Err(invalid("email", "must be an address like name@example.com"));
        }
    }
    let user = User {
        id: UserId::new(uuid_like()?),
        username: new.username,
        password_hash: idp_crypto::hash_password(&new.password)?,
        email: new.email,
        email_verified: new.email_verified,
        name: new.name.filter(|n| !n.trim().is_empty()),
        profile: idp_core::UserProfile::default(),
        created_at: clock.now(),
        updated_at: clock.now(),
    };
    store.insert_user(&user, &new.groups).map_err(refused)?;
    Ok(user)
}

fn check_password(password: &str) -> Result<(), ProtocolError> {
    if password.chars().count() < 8 {
        return Err(invalid("password", "must be at least 8 characters long"));
    }
    if password.len() > 1024 {
        return Err(invalid("password", "must be at most 1024 bytes long"));
    }
    Ok(())
}

/// Sets a new password and ends the user's browser sessions, so the next sign-in at the
/// provider asks for the new password. (Tokens already issued to applications stay valid
/// until they expire; `user remove` revokes everything.)
///
/// # Errors
/// [`ProtocolError::Refused`] for a weak password or an unknown user.
pub fn set_password(
    store: &dyn Store,
    username: &str,
    password: &str,
) -> Result<(), ProtocolError> {
    check_password(password)?;
    let user = store
        .user_by_username(username)
        .map_err(refused)?
        .ok_or_else(|| ProtocolError::Refused(CoreError::NotFound(format!("user {username}"))))?;
    let hash = idp_crypto::hash_password(password)?;
    if !store.set_password_hash(username, &hash).map_err(refused)? {
        return Err(ProtocolError::Refused(CoreError::NotFound(format!(
            "user {username}"
        ))));
    }
    store.delete_sessions_of(&user.id).map_err(refused)?;
    Ok(())
}

fn not_found(what: String) -> ProtocolError {
    ProtocolError::Refused(CoreError::NotFound(what))
}

/// Removes a user and everything issued for them (grants, codes, tokens, sessions,
/// consents).
///
/// # Errors
/// [`ProtocolError::Refused`] for an unknown user.
pub fn remove_user(store: &dyn Store, username: &str) -> Result<(), ProtocolError> {
    if !store.delete_user(username).map_err(refused)? {
        return Err(not_found(format!("user {username}")));
    }
    Ok(())
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

/// Adds a user to a group (a member already is one: nothing changes).
///
/// # Errors
/// [`ProtocolError::Refused`] if the group or the user does not exist.
pub fn add_group_member(
    store: &dyn Store,
    group: &str,
    username: &str,
) -> Result<(), ProtocolError> {
    store.add_member(group, username).map_err(refused)
}

/// Removes a user from a group.
///
/// # Errors
/// [`ProtocolError::Refused`] if the user is not a member.
pub fn remove_group_member(
    store: &dyn Store,
    group: &str,
    username: &str,
) -> Result<(), ProtocolError> {
    if !store.remove_member(group, username).map_err(refused)? {
        return Err(invalid(
            "group member",
            format!("{username} is not a member of {group}"),
        ));
    }
    Ok(())
}

/// Creates a group.
///
/// # Errors
/// [`ProtocolError::Refused`] for an invalid or taken name.
pub fn create_group(
    store: &dyn Store,
    clock: &dyn Clock,
    name: &str,
) -> Result<Group, ProtocolError> {
    Group::check_name(name).map_err(refused)?;
    let id = idp_crypto::random_id(16)?;
    store
        .insert_group(&id, name, clock.now())
        .map_err(refused)?;
    Ok(Group {
        id,
        name: name.to_owned(),
        members: Vec::new(),
    })
}

/// A random UUID (version 4 layout) as the user's stable subject identifier.
fn uuid_like() -> Result<String, ProtocolError> {
    use base64::Engine;
    let raw = idp_crypto::random_id(16)?;
    let mut b = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|e| ProtocolError::Internal(Box::new(e)))?;
    if b.len() != 16 {
        return Err(ProtocolError::Internal(
            "random id has the wrong length".into(),
        ));
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

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
    /// Allowed scopes; empty means every supported scope.
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
}

impl NewClient {
    /// A confidential client with generated credentials, every supported scope, the
    /// `authorization_code` and `refresh_token` grants, and no special flags.
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

/// Registers a client.
///
/// # Errors
/// [`ProtocolError::Refused`] for invalid values or a taken id.
pub fn create_client(
    store: &dyn Store,
    clock: &dyn Clock,
    new: NewClient,
) -> Result<CreatedClient, ProtocolError> {
    if new.name.trim().is_empty() {
        return Err(invalid("client name", "must not be empty"));
    }
    let redirect_uris = new
        .redirect_uris
        .iter()
        .map(|u| RedirectUri::parse(u))
        .collect::<Result<Vec<_>, _>>()
        .map_err(refused)?;
    let grant_types = if new.grant_types.is_empty() {
        GrantType::SUPPORTED.to_vec()
    } else {
        let mut g = Vec::new();
        for t in &new.grant_types {
            let t = t.parse::<GrantType>().map_err(refused)?;
            if !g.contains(&t) {
                g.push(t);
            }
        }
        g
    };
    if grant_types.contains(&GrantType::AuthorizationCode) && redirect_uris.is_empty() {
        return Err(invalid("redirect URI", "at least one is required"));
    }
    let scopes = if new.scopes.is_empty() {
        ScopeSet::from_tokens(Scope::SUPPORTED)
    } else {
        let scopes = ScopeSet::parse(&new.scopes.join(" ")).map_err(refused)?;
        if let Some(unknown) = scopes.iter().find(|s| !Scope::SUPPORTED.contains(s)) {
            return Err(invalid(
                "scope",
                format!(
                    "{unknown:?} is not supported (supported: {})",
                    Scope::SUPPORTED.join(", ")
                ),
            ));
        }
        scopes
    };
    let default_scopes = ScopeSet::parse(&new.default_scopes.join(" ")).map_err(refused)?;
    if let Some(outside) = default_scopes.iter().find(|s| !scopes.contains(s)) {
        return Err(invalid(
            "default scope",
            format!("{outside:?} is not one of the client's scopes"),
        ));
    }
    let id = match &new.client_id {
        Some(id) => ClientId::parse_custom(id).map_err(refused)?,
        None => ClientId::new(idp_crypto::random_id(24)?),
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
    let client = Client {
        id,
        name: new.name.trim().to_owned(),
        client_type: new.client_type,
        secret_digest: secret.as_deref().map(digest_of),
        redirect_uris,
        grant_types,
        scopes,
        default_scopes,
        first_party: new.first_party,
        refresh_without_offline_access: new.refresh_without_offline_access,
        include_user_id: new.include_user_id,
        options: idp_core::ClientOptions::default(),
        secret_sealed: None,
        created_at: clock.now(),
        updated_at: clock.now(),
    };
    store.insert_client(&client).map_err(refused)?;
    Ok(CreatedClient { client, secret })
}

/// Gives a confidential client a new generated secret, returned in clear once.
///
/// # Errors
/// [`ProtocolError::Refused`] for unknown or public clients.
pub fn rotate_client_secret(store: &dyn Store, id: &ClientId) -> Result<String, ProtocolError> {
    let client = store
        .client(id)
        .map_err(refused)?
        .ok_or_else(|| ProtocolError::Refused(CoreError::NotFound(format!("client {id}"))))?;
    if client.client_type == ClientType::Public {
        return Err(invalid("client", "public clients have no secret to rotate"));
    }
    let secret = idp_crypto::random_secret()?;
    store
        .set_client_secret(id, &digest_of(&secret), None)
        .map_err(refused)?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_look_like_version_4_uuids() {
        let id = uuid_like().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
    }
}
