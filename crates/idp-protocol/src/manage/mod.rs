//! Administrative operations on users, groups, clients, scopes and settings, with their
//! validation rules. `idp-admin` calls these; so will the admin console and dynamic
//! registration.

mod clients;
mod declared;
mod groups;
mod registration_tokens;
mod scopes;
mod settings;
mod users;

pub(crate) use clients::build_client;
pub use clients::{
    client_secret_is, create_client, make_client_permanent, preview_client, remove_client,
    rotate_client_secret, set_client_secret, update_client, ClientUpdate, CreatedClient, NewClient,
    UpdatedClient,
};
pub use declared::{apply, apply_declarations, check, plan, Plan};
pub use groups::{add_group_member, create_group, remove_group_member};
pub use registration_tokens::{
    create_registration_token, registration_tokens, revoke_registration_token, NewRegistrationToken,
};
pub use scopes::{create_scope, remove_scope};
pub use settings::{set_setting, setting_values, unset_setting, SettingSource, SettingValue};
pub use users::{
    create_user, logout_user, remove_user, set_password, update_user, NewUser, ProfileUpdate,
    UserUpdate,
};

use idp_core::CoreError;

use crate::ProtocolError;

/// Refusals carry the domain's message; storage failures stay internal.
pub(crate) fn refused(e: CoreError) -> ProtocolError {
    match e {
        CoreError::Storage(_) | CoreError::Unavailable(_) => ProtocolError::from(e),
        other => ProtocolError::Refused(other),
    }
}

pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> ProtocolError {
    ProtocolError::Refused(CoreError::Invalid {
        what,
        reason: reason.into(),
    })
}

pub(crate) fn not_found(what: String) -> ProtocolError {
    ProtocolError::Refused(CoreError::NotFound(what))
}

/// Checks an absolute `http`/`https` URL given for `what` (a website, a picture, a
/// resource identifier), with no fragment.
pub(crate) fn check_web_url(what: &'static str, value: &str) -> Result<(), ProtocolError> {
    let parsed = url::Url::parse(value)
        .map_err(|e| invalid(what, format!("{value:?} is not an absolute URL: {e}")))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
        return Err(invalid(what, format!("{value:?} must be an http(s) URL")));
    }
    if parsed.fragment().is_some() || value.contains('#') {
        return Err(invalid(
            what,
            format!("{value:?} must not contain a fragment"),
        ));
    }
    Ok(())
}
