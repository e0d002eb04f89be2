//! Users: creation, profile updates, passwords, removal.

use idp_core::{Address, Clock, CoreError, Store, User, UserId, UserProfile, Withholdable};

use super::{check_web_url, invalid, not_found, refused};
use crate::session_end::{conclude_sessions, EndedSessionReport};
use crate::ProtocolError;

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
    /// The other claims about the user.
    pub profile: UserProfile,
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
        check_email(email)?;
    }
    check_text("name", &new.name.clone().filter(|n| !n.trim().is_empty()))?;
    check_profile(&new.profile)?;
    let user = User {
        id: UserId::new(uuid_like()?),
        username: new.username,
        password_hash: idp_crypto::hash_password(&new.password)?,
        email: new.email,
        email_verified: new.email_verified,
        name: new.name.filter(|n| !n.trim().is_empty()),
        profile: new.profile,
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
/// provider asks for the new password; ending them notifies their clients and revokes
/// their session-bound grants (see [`logout_user`]). Grants with `offline_access` stay
/// valid; `user remove` revokes everything.
///
/// # Errors
/// [`ProtocolError::Refused`] for a weak password or an unknown user.
pub fn set_password(
    store: &dyn Store,
    clock: &dyn Clock,
    username: &str,
    password: &str,
) -> Result<Vec<EndedSessionReport>, ProtocolError> {
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
    end_sessions_of(store, clock, &user.id)
}

/// Ends every browser session of a user (`idp-admin user logout`): each client that
/// took part in one is told by back-channel logout (queued; sent by the server), and the
/// grants issued in them without `offline_access` are revoked (OIDC Core §11). Returns
/// what ended.
///
/// # Errors
/// [`ProtocolError::Refused`] for an unknown user.
pub fn logout_user(
    store: &dyn Store,
    clock: &dyn Clock,
    username: &str,
) -> Result<Vec<EndedSessionReport>, ProtocolError> {
    let user = user_named(store, username)?;
    end_sessions_of(store, clock, &user.id)
}

/// The user called `username`, or `not_found`.
fn user_named(store: &dyn Store, username: &str) -> Result<User, ProtocolError> {
    store
        .user_by_username(username)
        .map_err(refused)?
        .ok_or_else(|| not_found(format!("user {username}")))
}

fn end_sessions_of(
    store: &dyn Store,
    clock: &dyn Clock,
    user: &UserId,
) -> Result<Vec<EndedSessionReport>, ProtocolError> {
    let ended = store.end_sessions_of(user).map_err(refused)?;
    conclude_sessions(store, clock.now(), ended)
}

/// Removes a user and everything issued for them (grants, codes, tokens, sessions,
/// consents). Their sessions are ended first, so the clients that took part are told by
/// back-channel logout (the queued tokens outlive the user).
///
/// # Errors
/// [`ProtocolError::Refused`] for an unknown user.
pub fn remove_user(
    store: &dyn Store,
    clock: &dyn Clock,
    username: &str,
) -> Result<Vec<EndedSessionReport>, ProtocolError> {
    let user = user_named(store, username)?;
    let ended = end_sessions_of(store, clock, &user.id)?;
    if !store.delete_user(username).map_err(refused)? {
        return Err(not_found(format!("user {username}")));
    }
    Ok(ended)
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

fn check_email(email: &str) -> Result<(), ProtocolError> {
    if !email.contains('@') || email.chars().any(char::is_whitespace) || email.len() > 254 {
        return Err(invalid("email", "must be an address like name@example.com"));
    }
    Ok(())
}

/// Longest accepted text claim, so a profile cannot bloat every token.
const MAX_CLAIM: usize = 512;

fn check_text(what: &'static str, value: &Option<String>) -> Result<(), ProtocolError> {
    match value {
        Some(v) if v.trim().is_empty() => Err(invalid(what, "must not be empty")),
        Some(v) if v.len() > MAX_CLAIM => {
            Err(invalid(what, format!("must be at most {MAX_CLAIM} bytes")))
        }
        Some(v) if v.chars().any(|c| c.is_control() && c != '\n') => {
            Err(invalid(what, "must not contain control characters"))
        }
        _ => Ok(()),
    }
}

/// The rules for the claims about a user, shared by `user create` and `user update`.
fn check_profile(p: &UserProfile) -> Result<(), ProtocolError> {
    check_text("given name", &p.given_name)?;
    check_text("family name", &p.family_name)?;
    check_text("phone number", &p.phone_number)?;
    if let Some(phone) = &p.phone_number {
        // OIDC Core §5.1 recommends E.164; local formats are allowed but stay readable.
        if !phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().x;=".contains(c))
        {
            return Err(invalid(
                "phone number",
                "may contain only digits, spaces and + - ( ) . x ; =",
            ));
        }
    }
    for (what, url) in [("website", &p.website), ("picture", &p.picture)] {
        check_text(what, url)?;
        if let Some(url) = url {
            check_web_url(what, url)?;
        }
    }
    if let Some(locale) = &p.locale {
        // A BCP 47 language tag: alphanumeric subtags joined by hyphens (RFC 5646 §2.1).
        let ok = !locale.is_empty()
            && locale.len() <= 35
            && locale.split('-').all(|t| {
                !t.is_empty() && t.len() <= 8 && t.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        if !ok {
            return Err(invalid(
                "locale",
                format!("{locale:?} is not a BCP 47 language tag such as en-US"),
            ));
        }
    }
    if let Some(zone) = &p.zoneinfo {
        // An IANA time zone name such as Europe/Paris.
        let ok = !zone.is_empty()
            && zone.len() <= 64
            && zone
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b));
        if !ok {
            return Err(invalid(
                "zoneinfo",
                format!("{zone:?} is not a time zone such as Europe/Paris"),
            ));
        }
    }
    if let Some(a) = &p.address {
        for (what, v) in [
            ("address", &a.formatted),
            ("address", &a.street_address),
            ("address", &a.locality),
            ("address", &a.region),
            ("address", &a.postal_code),
            ("address", &a.country),
        ] {
            check_text(what, v)?;
        }
        if *a == Address::default() {
            return Err(invalid("address", "has no member; omit it instead"));
        }
    }
    for w in &p.withheld {
        Withholdable::parse_list(w).map_err(refused)?;
    }
    Ok(())
}

/// Changes to the claims about a user: `None` leaves a claim as it is, `Some(None)`
/// removes it.
#[derive(Clone, Debug, Default)]
pub struct ProfileUpdate {
    /// `given_name`.
    pub given_name: Option<Option<String>>,
    /// `family_name`.
    pub family_name: Option<Option<String>>,
    /// `phone_number`.
    pub phone_number: Option<Option<String>>,
    /// `phone_number_verified`.
    pub phone_number_verified: Option<bool>,
    /// `address`.
    pub address: Option<Option<Address>>,
    /// `website`.
    pub website: Option<Option<String>>,
    /// `picture`.
    pub picture: Option<Option<String>>,
    /// `locale`.
    pub locale: Option<Option<String>>,
    /// `zoneinfo`.
    pub zoneinfo: Option<Option<String>>,
    /// The claims withheld from every client, replacing the list (comma-separated
    /// [`Withholdable`] names; empty or `none` withholds nothing).
    pub withhold: Option<String>,
}

impl ProfileUpdate {
    /// Applies the changes to `profile`.
    ///
    /// # Errors
    /// [`ProtocolError::Refused`] for an unknown withheld claim.
    pub fn apply_to(self, profile: &mut UserProfile) -> Result<(), ProtocolError> {
        fn set<T>(field: &mut Option<T>, change: Option<Option<T>>) {
            if let Some(v) = change {
                *field = v;
            }
        }
        set(&mut profile.given_name, self.given_name);
        set(&mut profile.family_name, self.family_name);
        set(&mut profile.phone_number, self.phone_number);
        if let Some(v) = self.phone_number_verified {
            profile.phone_number_verified = v;
        }
        set(&mut profile.address, self.address);
        set(&mut profile.website, self.website);
        set(&mut profile.picture, self.picture);
        set(&mut profile.locale, self.locale);
        set(&mut profile.zoneinfo, self.zoneinfo);
        if let Some(list) = self.withhold {
            profile.withheld = Withholdable::parse_list(&list).map_err(refused)?;
        }
        Ok(())
    }
}

/// Changes to a user: `None` leaves a value as it is, `Some(None)` removes it.
#[derive(Clone, Debug, Default)]
pub struct UserUpdate {
    /// `email`.
    pub email: Option<Option<String>>,
    /// `email_verified`.
    pub email_verified: Option<bool>,
    /// `name`.
    pub name: Option<Option<String>>,
    /// Every other claim.
    pub profile: ProfileUpdate,
}

/// Updates a user's claims (and `updated_at`, OIDC Core §5.1) with the same rules as
/// [`create_user`]; returns the user as stored.
///
/// # Errors
/// [`ProtocolError::Refused`] for invalid values or an unknown user.
pub fn update_user(
    store: &dyn Store,
    clock: &dyn Clock,
    username: &str,
    update: UserUpdate,
) -> Result<User, ProtocolError> {
    let mut user = user_named(store, username)?;
    if let Some(email) = update.email {
        if let Some(e) = &email {
            check_email(e)?;
        }
        if email != user.email {
            // A changed address is not verified until the operator says so.
            user.email_verified = false;
        }
        user.email = email;
    }
    if let Some(v) = update.email_verified {
        user.email_verified = v;
    }
    if let Some(name) = update.name {
        user.name = name.filter(|n| !n.trim().is_empty());
        check_text("name", &user.name)?;
    }
    update.profile.apply_to(&mut user.profile)?;
    check_profile(&user.profile)?;
    user.updated_at = clock.now();
    if !store.update_user(&user).map_err(refused)? {
        return Err(not_found(format!("user {username}")));
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_checked() {
        let ok = UserProfile {
            locale: Some("fr-FR".into()),
            zoneinfo: Some("America/Argentina/Buenos_Aires".into()),
            website: Some("https://example.com".into()),
            phone_number: Some("+1 (555) 010-9999".into()),
            ..UserProfile::default()
        };
        assert!(check_profile(&ok).is_ok());
        let bad = |p: UserProfile| check_profile(&p).is_err();
        assert!(bad(UserProfile {
            website: Some("javascript:alert(1)".into()),
            ..ok.clone()
        }));
        assert!(bad(UserProfile {
            locale: Some("en_US".into()),
            ..ok.clone()
        }));
        assert!(bad(UserProfile {
            phone_number: Some("call me".into()),
            ..ok.clone()
        }));
        assert!(bad(UserProfile {
            address: Some(Address::default()),
            ..ok.clone()
        }));
        assert!(bad(UserProfile {
            given_name: Some("x".repeat(513)),
            ..ok
        }));
    }

    #[test]
    fn user_ids_look_like_version_4_uuids() {
        let id = uuid_like().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
    }
}
