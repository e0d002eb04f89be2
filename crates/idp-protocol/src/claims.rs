//! Which claims about a user a grant releases (OIDC Core §5.4), and where.

use idp_core::{GroupClaim, GroupRef, Scope, ScopeSet, User, Withholdable};
use openidconnect::core::CoreGenderClaim;
use openidconnect::{
    AdditionalClaims, AddressClaim, AddressCountry, AddressLocality, AddressPostalCode,
    AddressRegion, EndUserEmail, EndUserFamilyName, EndUserGivenName, EndUserName,
    EndUserPhoneNumber, EndUserPictureUrl, EndUserTimezone, EndUserUsername, EndUserWebsiteUrl,
    FormattedAddress, LanguageTag, StandardClaims, StreetAddress, SubjectIdentifier,
};
use serde::{Deserialize, Serialize};

/// The claims beyond OpenID Connect's standard ones: the user's groups, as `groups` and
/// (the same list, as Nextcloud clients expect) `roles`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupClaims {
    /// Released with the `groups` scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// Released with the `roles` scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// The `sid` of the browser session an ID token was issued in (Front-Channel Logout
    /// 1.0 §3); never in UserInfo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Claims a token hook added to an ID token ([`crate::TokenHooks::before_issue`]);
    /// empty otherwise, and never filled for UserInfo.
    #[serde(flatten, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl AdditionalClaims for GroupClaims {}

/// Whether `scope` releases the user's groups (and so whether they must be loaded).
pub(crate) fn wants_groups(scope: &ScopeSet) -> bool {
    scope.contains(Scope::GROUPS) || scope.contains(Scope::ROLES)
}

/// The claims `scope` releases about `user`, less what the user withholds; `sub` is
/// always present. `groups` are the user's groups (loaded only when
/// [`wants_groups`]), named as the client asked.
pub(crate) fn released_claims(
    user: &User,
    scope: &ScopeSet,
    groups: &[GroupRef],
    group_claim: GroupClaim,
) -> (StandardClaims<CoreGenderClaim>, GroupClaims) {
    let p = &user.profile;
    // A claim the user withholds is never released (as Nextcloud's `oidc` app lets users
    // restrict claims).
    let keep = |claim: Withholdable| !p.withholds(claim);
    let mut claims = StandardClaims::new(SubjectIdentifier::new(user.id.as_str().to_owned()));
    if scope.contains(Scope::PROFILE) {
        let text = |claim, v: &Option<String>| v.clone().filter(|_| keep(claim));
        claims = claims
            .set_preferred_username(Some(EndUserUsername::new(user.username.clone())))
            .set_name(text(Withholdable::Name, &user.name).map(|n| EndUserName::new(n).into()))
            .set_given_name(
                text(Withholdable::GivenName, &p.given_name)
                    .map(|n| EndUserGivenName::new(n).into()),
            )
            .set_family_name(
                text(Withholdable::FamilyName, &p.family_name)
                    .map(|n| EndUserFamilyName::new(n).into()),
            )
            .set_website(
                text(Withholdable::Website, &p.website).map(|w| EndUserWebsiteUrl::new(w).into()),
            )
            .set_picture(
                text(Withholdable::Picture, &p.picture).map(|u| EndUserPictureUrl::new(u).into()),
            )
            .set_locale(text(Withholdable::Locale, &p.locale).map(LanguageTag::new))
            .set_zoneinfo(text(Withholdable::Zoneinfo, &p.zoneinfo).map(EndUserTimezone::new))
            .set_updated_at(Some(user.updated_at));
    }
    if scope.contains(Scope::EMAIL) && keep(Withholdable::Email) {
        if let Some(email) = &user.email {
            claims = claims
                .set_email(Some(EndUserEmail::new(email.clone())))
                .set_email_verified(Some(user.email_verified));
        }
    }
    if scope.contains(Scope::ADDRESS) && keep(Withholdable::Address) {
        if let Some(a) = &p.address {
            claims = claims.set_address(Some(AddressClaim {
                formatted: a.formatted.clone().map(FormattedAddress::new),
                street_address: a.street_address.clone().map(StreetAddress::new),
                locality: a.locality.clone().map(AddressLocality::new),
                region: a.region.clone().map(AddressRegion::new),
                postal_code: a.postal_code.clone().map(AddressPostalCode::new),
                country: a.country.clone().map(AddressCountry::new),
            }));
        }
    }
    if scope.contains(Scope::PHONE) && keep(Withholdable::Phone) {
        if let Some(phone) = &p.phone_number {
            claims = claims
                .set_phone_number(Some(EndUserPhoneNumber::new(phone.clone())))
                .set_phone_number_verified(Some(p.phone_number_verified));
        }
    }
    let names = || -> Vec<String> {
        groups
            .iter()
            .map(|g| match group_claim {
                GroupClaim::Names => g.name.clone(),
                GroupClaim::Ids => g.id.clone(),
            })
            .collect()
    };
    let extra = GroupClaims {
        groups: scope.contains(Scope::GROUPS).then(names),
        roles: scope.contains(Scope::ROLES).then(names),
        ..GroupClaims::default()
    };
    (claims, extra)
}
