//! Scopes the operator defines for their own APIs.

use idp_core::{Clock, ScopeDefinition, Store};

use super::{invalid, not_found, refused};
use crate::ProtocolError;

/// Defines a scope that clients may then be allowed (`--scope`) and request.
///
/// # Errors
/// [`ProtocolError::Refused`] for an invalid or standard name, an empty description or
/// a scope that exists.
pub fn create_scope(
    store: &dyn Store,
    clock: &dyn Clock,
    name: &str,
    description: &str,
) -> Result<ScopeDefinition, ProtocolError> {
    ScopeDefinition::check_name(name).map_err(refused)?;
    let description = description.trim();
    if description.is_empty() || description.len() > 256 {
        return Err(invalid("scope description", "must be 1 to 256 bytes long"));
    }
    let scope = ScopeDefinition {
        name: name.to_owned(),
        description: description.to_owned(),
        created_at: clock.now(),
    };
    store.insert_scope(&scope).map_err(refused)?;
    Ok(scope)
}

/// Removes a scope definition. Clients keep it in their lists, but it is no longer
/// granted (the provider grants only scopes it knows); tokens already issued keep it
/// until they expire.
///
/// # Errors
/// [`ProtocolError::Refused`] for an unknown scope.
pub fn remove_scope(store: &dyn Store, name: &str) -> Result<(), ProtocolError> {
    if !store.delete_scope(name).map_err(refused)? {
        return Err(not_found(format!("scope {name}")));
    }
    Ok(())
}
