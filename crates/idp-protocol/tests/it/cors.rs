//! Allowed CORS origins: the clients' redirect-URI origins, re-read at most once per
//! `ORIGIN_RECHECK`, and the configured ones.

use idp_protocol::manage::{self, NewClient};

use crate::harness::Harness;

#[test]
fn the_origins_of_registered_redirect_uris_are_allowed_and_nothing_else() {
    let h = Harness::new(); // redirect URI https://app.example/cb
    let p = &h.provider;
    assert!(p.is_allowed_origin("https://app.example").unwrap());
    for other in [
        "https://app.example:8443",
        "http://app.example",
        "https://app.example/",
        "https://APP.example",
        "https://evil.example",
        "null",
        "",
    ] {
        assert!(!p.is_allowed_origin(other).unwrap(), "{other}");
    }
    // Answered from the cache now, without storage.
    assert_eq!(p.cached_origin_check("https://app.example"), Some(true));
    assert_eq!(p.cached_origin_check("https://evil.example"), Some(false));
}

#[test]
fn configured_origins_are_allowed_as_browsers_serialise_them() {
    let h = Harness::with_config(|c| {
        c.cors_allowed_origins = vec![
            "https://SPA.example:443/".into(),
            "http://localhost:5173".into(),
            "not an origin".into(),
        ];
    });
    let p = &h.provider;
    // Configured origins need no storage at all, even before the clients were read.
    assert_eq!(p.cached_origin_check("https://spa.example"), Some(true));
    assert_eq!(p.cached_origin_check("http://localhost:5173"), Some(true));
    assert_eq!(p.cached_origin_check("https://other.example"), None);
    assert!(!p.is_allowed_origin("not an origin").unwrap());
}

#[test]
fn clients_registered_or_removed_later_count_after_the_recheck_interval() {
    let h = Harness::new();
    let p = &h.provider;
    assert!(!p.is_allowed_origin("https://later.example").unwrap());
    let created = manage::create_client(
        p.store(),
        &*h.clock,
        None,
        NewClient::new(
            "Later",
            vec![
                "https://later.example:8443/cb".into(),
                "com.example.app:/oauth2redirect".into(),
            ],
        ),
    )
    .unwrap();
    // Within the interval this process still answers from what it read.
    assert!(!p.is_allowed_origin("https://later.example:8443").unwrap());
    h.advance(1);
    assert_eq!(p.cached_origin_check("https://later.example:8443"), None);
    assert!(p.is_allowed_origin("https://later.example:8443").unwrap());
    // A custom scheme adds no origin.
    assert!(!p.is_allowed_origin("com.example.app:").unwrap());
    assert!(!p.is_allowed_origin("null").unwrap());

    manage::remove_client(p.store(), &created.client.id).unwrap();
    h.advance(1);
    assert!(!p.is_allowed_origin("https://later.example:8443").unwrap());
    assert!(p.is_allowed_origin("https://app.example").unwrap());
}
