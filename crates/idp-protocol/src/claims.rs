//! Which claims about a user a grant releases (OIDC Core §5.4).

use idp_core::{Scope, ScopeSet, User};
use openidconnect::core::CoreGenderClaim;
use openidconnect::{
    EndUserEmail, EndUserName, EndUserUsername, StandardClaims, SubjectIdentifier,
};

/// The standard claims `scope` releases about `user`; `sub` is always present.
pub(crate) fn standard_claims(user: &User, scope: &ScopeSet) -> StandardClaims<CoreGenderClaim> {
    let mut claims = StandardClaims::new(SubjectIdentifier::new(user.id.as_str().to_owned()));
    if scope.contains(Scope::PROFILE) {
        claims = claims
            .set_name(user.name.clone().map(|n| EndUserName::new(n).into()))
            .set_preferred_username(Some(EndUserUsername::new(user.username.clone())));
    }
    if scope.contains(Scope::EMAIL) {
        if let Some(email) = &user.email {
            claims = claims
                .set_email(Some(EndUserEmail::new(email.clone())))
                .set_email_verified(Some(user.email_verified));
        }
    }
    claims
}
