//! Groups of users.

use idp_core::{Clock, Group, Store};

use super::{invalid, refused};
use crate::ProtocolError;

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
