use idp_core::{ClientId, ConsentRepo, CoreError, GroupRepo, ScopeSet, User, UserId, UserRepo};

use crate::{fresh_store, t};

pub fn user(id: &str, username: &str) -> User {
    User {
        id: UserId::new(id),
        username: username.into(),
        password_hash: "$argon2id$fake".into(),
        email: Some(format!("{username}@example.com")),
        email_verified: true,
        name: Some("Full Name".into()),
        profile: idp_core::UserProfile::default(),
        created_at: t(0),
        updated_at: t(0),
    }
}

/// A user with every profile claim set.
pub fn user_with_profile(id: &str, username: &str) -> User {
    User {
        profile: idp_core::UserProfile {
            given_name: Some("Given".into()),
            family_name: Some("Family".into()),
            phone_number: Some("+33 1 23 45 67 89".into()),
            phone_number_verified: true,
            address: Some(idp_core::Address {
                street_address: Some("1 Rue \"Quoted\"\n2nd floor".into()),
                country: Some("FR".into()),
                ..idp_core::Address::default()
            }),
            website: Some("https://example.com/~me".into()),
            picture: Some("https://example.com/me.png".into()),
            locale: Some("fr-FR".into()),
            zoneinfo: Some("Europe/Paris".into()),
            withheld: vec!["address".into(), "picture".into()],
        },
        updated_at: t(9),
        ..user(id, username)
    }
}

fn users_are_updated_with_their_profile() {
    let (store, _db) = fresh_store();
    store.insert_user(&user("u1", "alice"), &[]).unwrap();
    store.insert_user(&user("u2", "bob"), &[]).unwrap();
    let mut changed = user_with_profile("u1", "alice2");
    changed.password_hash = "must not change".into();
    assert!(store.update_user(&changed).unwrap());
    let read = store.user_by_id(&UserId::new("u1")).unwrap().unwrap();
    assert_eq!(read.username, "alice2");
    assert_eq!(read.profile, changed.profile);
    assert_eq!(read.updated_at, t(9));
    assert_eq!(read.password_hash, "$argon2id$fake");
    let taken = user_with_profile("u1", "bob");
    assert!(matches!(
        store.update_user(&taken),
        Err(CoreError::Conflict(_))
    ));
    assert!(!store.update_user(&user("nobody", "carl")).unwrap());
}

fn users_round_trip_and_usernames_are_unique() {
    let (store, _db) = fresh_store();
    let alice = user("u1", "alice");
    store.insert_user(&alice, &[]).unwrap();
    assert_eq!(
        store.user_by_username("alice").unwrap(),
        Some(alice.clone())
    );
    assert_eq!(store.user_by_id(&UserId::new("u1")).unwrap(), Some(alice));
    assert!(store.user_by_username("ALICE").unwrap().is_none());
    let err = store.insert_user(&user("u2", "alice"), &[]).unwrap_err();
    assert!(matches!(err, CoreError::Conflict(_)), "{err:?}");
    assert!(store.set_password_hash("alice", "$argon2id$new").unwrap());
    assert!(!store.set_password_hash("nobody", "x").unwrap());
    assert_eq!(
        store
            .user_by_username("alice")
            .unwrap()
            .unwrap()
            .password_hash,
        "$argon2id$new"
    );
}

fn creating_a_user_in_a_missing_group_leaves_nothing_behind() {
    let (store, _db) = fresh_store();
    store.insert_group("id-staff", "staff", t(0)).unwrap();
    let err = store
        .insert_user(&user("u1", "bob"), &["staff".into(), "missing".into()])
        .unwrap_err();
    assert!(matches!(err, CoreError::NotFound(_)), "{err:?}");
    assert!(store.users().unwrap().is_empty());
    assert!(store.groups().unwrap()[0].members.is_empty());
}

fn groups_track_members() {
    let (store, _db) = fresh_store();
    store.insert_group("id-staff", "staff", t(0)).unwrap();
    store.insert_group("id-admins", "admins", t(0)).unwrap();
    assert!(matches!(
        store.insert_group("id-other", "staff", t(1)),
        Err(CoreError::Conflict(_))
    ));
    store
        .insert_user(&user("u1", "carol"), &["staff".into()])
        .unwrap();
    store.insert_user(&user("u2", "dave"), &[]).unwrap();
    store.add_member("staff", "dave").unwrap();
    store.add_member("staff", "dave").unwrap(); // idempotent
    store.add_member("admins", "carol").unwrap();
    assert!(matches!(
        store.add_member("nope", "dave"),
        Err(CoreError::NotFound(_))
    ));
    assert!(matches!(
        store.add_member("staff", "nobody"),
        Err(CoreError::NotFound(_))
    ));
    let groups = store.groups().unwrap();
    assert_eq!(groups[0].name, "admins");
    assert_eq!(
        groups[1].members,
        vec!["carol".to_owned(), "dave".to_owned()]
    );
    let of_carol = store.groups_of(&UserId::new("u1")).unwrap();
    assert_eq!(
        of_carol
            .iter()
            .map(|g| (g.id.as_str(), g.name.as_str()))
            .collect::<Vec<_>>(),
        [("id-admins", "admins"), ("id-staff", "staff")]
    );
    assert_eq!(groups[0].id, "id-admins");
    assert!(store.remove_member("staff", "dave").unwrap());
    assert!(!store.remove_member("staff", "dave").unwrap());
    // Deleting a user removes their memberships.
    assert!(store.delete_user("carol").unwrap());
    assert!(!store.delete_user("carol").unwrap());
    assert!(store.groups().unwrap().iter().all(|g| g.members.is_empty()));
}

fn consent_accumulates_per_user_and_client() {
    let (store, _db) = fresh_store();
    store.insert_user(&user("u1", "erin"), &[]).unwrap();
    crate::clients::insert_client(&store, "c1");
    let (u, c) = (UserId::new("u1"), ClientId::new("c1"));
    assert!(store.consent(&u, &c).unwrap().is_none());
    store
        .save_consent(&u, &c, &ScopeSet::parse("openid email").unwrap(), t(0))
        .unwrap();
    store
        .save_consent(&u, &c, &ScopeSet::parse("profile").unwrap(), t(1))
        .unwrap();
    assert_eq!(
        store.consent(&u, &c).unwrap().unwrap().to_string(),
        "email openid profile"
    );
}

idp_testdb::on_both_backends!(
    users_round_trip_and_usernames_are_unique,
    users_are_updated_with_their_profile,
    creating_a_user_in_a_missing_group_leaves_nothing_behind,
    groups_track_members,
    consent_accumulates_per_user_and_client,
);
