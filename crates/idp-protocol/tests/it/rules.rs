//! Protocol rules that need no waiting.

use idp_protocol::{Delivery, Next, ProtocolError};

use crate::harness::{code_of, params, query, Harness, PASSWORD, REDIRECT, VERIFIER};

#[test]
fn remembered_consent_is_asked_again_with_prompt_consent_or_new_scopes() {
    let mut h = Harness::new();
    h.code(&[("scope", "openid")]);
    assert!(matches!(
        h.authorize(&[("scope", "openid")]).unwrap(),
        Next::RedirectToClient(_)
    ));
    assert!(matches!(
        h.authorize(&[("scope", "openid"), ("prompt", "consent")])
            .unwrap(),
        Next::GoToConsent(_)
    ));
    assert!(matches!(
        h.authorize(&[("scope", "openid email")]).unwrap(),
        Next::GoToConsent(_)
    ));
}

#[test]
fn a_denied_request_redirects_access_denied_with_state_and_iss() {
    let mut h = Harness::new();
    let Next::GoToLogin(id) = h.authorize(&[]).unwrap() else {
        panic!()
    };
    let Next::GoToConsent(id) = h.log_in(&id, PASSWORD) else {
        panic!()
    };
    let err = h.consent(&id, "deny").unwrap_err();
    let ProtocolError::Rejected {
        delivery: Delivery::Redirect(url),
        ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(query(&url, "error").as_deref(), Some("access_denied"));
    assert_eq!(query(&url, "state").as_deref(), Some("st"));
    assert_eq!(query(&url, "iss").as_deref(), Some("https://idp.example"));
}

#[test]
fn a_completed_request_cannot_be_completed_twice() {
    let mut h = Harness::new();
    let Next::GoToLogin(id) = h.authorize(&[]).unwrap() else {
        panic!()
    };
    let Next::GoToConsent(consent_id) = h.log_in(&id, PASSWORD) else {
        panic!()
    };
    assert!(matches!(
        h.consent(&consent_id, "allow").unwrap(),
        Next::RedirectToClient(_)
    ));
    assert!(h
        .provider
        .consent_page(&consent_id, h.cookie.as_deref())
        .is_err());
}

#[test]
fn the_code_is_bound_to_client_redirect_uri_and_verifier() {
    let mut h = Harness::new();
    let code = h.code(&[]);
    let bad_redirect = h.token(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", "https://app.example/other"),
        ("code_verifier", VERIFIER),
    ]);
    assert_eq!(code_of(&bad_redirect.unwrap_err()), "invalid_grant");

    let code = h.code(&[]);
    let missing_verifier = h.token(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
    ]);
    assert_eq!(code_of(&missing_verifier.unwrap_err()), "invalid_grant");

    // RFC 9700 §2.1.1: a verifier for a code issued without a challenge is refused.
    let code = h.code(&[("code_challenge", ""), ("code_challenge_method", "")]);
    assert_eq!(code_of(&h.exchange(&code).unwrap_err()), "invalid_grant");

    // A code redeemed by another client fails and its grant is revoked.
    let code = h.code(&[]);
    let other = idp_protocol::manage::create_client(
        h.provider.store(),
        &*h.clock,
        None,
        idp_protocol::manage::NewClient::new("Other", vec![REDIRECT.into()]),
    )
    .unwrap();
    let stolen = h.provider.token(
        &params(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", other.client.id.as_str()),
            ("client_secret", other.secret.as_deref().unwrap()),
        ]),
        None,
    );
    assert_eq!(code_of(&stolen.unwrap_err()), "invalid_grant");
    assert_eq!(code_of(&h.exchange(&code).unwrap_err()), "invalid_grant");
}

#[test]
fn refresh_may_narrow_but_never_widen_the_scope() {
    let mut h = Harness::new();
    let code = h.code(&[]);
    let tokens = h.exchange(&code).unwrap();
    assert_eq!(tokens.scope, "email offline_access openid");
    let rt = tokens.refresh_token.unwrap();
    let wider = h.token(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &rt),
        ("scope", "openid profile"),
    ]);
    assert_eq!(code_of(&wider.unwrap_err()), "invalid_scope");
    let malformed = h.token(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &rt),
        ("scope", "open\"id"),
    ]);
    assert_eq!(code_of(&malformed.unwrap_err()), "invalid_scope");
    // Refused requests do not spend the refresh token.
    let narrowed = h
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("scope", "openid"),
        ])
        .unwrap();
    assert_eq!(narrowed.scope, "openid");
    // The rotated refresh token keeps the original scope.
    let again = h
        .refresh(narrowed.refresh_token.as_deref().unwrap())
        .unwrap();
    assert_eq!(again.scope, "email offline_access openid");
}

#[test]
fn an_oauth_request_may_omit_the_only_redirect_uri_but_an_openid_one_may_not() {
    let mut h = Harness::new();
    let code = h.code(&[("redirect_uri", ""), ("scope", "email")]);
    let tokens = h
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", VERIFIER),
        ])
        .unwrap();
    assert!(tokens.id_token.is_none());

    let err = h.authorize(&[("redirect_uri", "")]).unwrap_err();
    assert!(
        matches!(
            err,
            ProtocolError::Rejected {
                delivery: Delivery::ErrorPage,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn scopes_the_client_may_not_have_are_dropped() {
    let mut h = Harness::with_client(|c| c.scopes = vec!["openid".into(), "email".into()]);
    let code = h.code(&[("scope", "openid email profile offline_access")]);
    let tokens = h.exchange(&code).unwrap();
    assert_eq!(tokens.scope, "email openid");
    assert!(tokens.refresh_token.is_none());
}

#[test]
fn a_wrong_password_shows_the_form_again_and_keeps_the_session() {
    let mut h = Harness::new();
    let Next::GoToLogin(id) = h.authorize(&[]).unwrap() else {
        panic!()
    };
    let Next::ShowLogin(form) = h.log_in(&id, "wrong") else {
        panic!()
    };
    assert_eq!(form.error, Some("Invalid username or password."));
    assert_eq!(form.username.as_deref(), Some("alice"));
    assert!(matches!(h.log_in(&id, PASSWORD), Next::GoToConsent(_)));
}

#[test]
fn userinfo_releases_claims_by_scope() {
    let mut h = Harness::new();
    let code = h.code(&[("scope", "openid")]);
    let tokens = h.exchange(&code).unwrap();
    let claims = serde_json::to_value(h.provider.userinfo(&tokens.access_token).unwrap()).unwrap();
    assert!(claims.get("sub").is_some());
    assert!(claims.get("email").is_none(), "{claims}");

    let code = h.code(&[("scope", "openid email")]);
    let tokens = h.exchange(&code).unwrap();
    let claims = serde_json::to_value(h.provider.userinfo(&tokens.access_token).unwrap()).unwrap();
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["email_verified"], false);
}

#[test]
fn a_new_password_ends_the_users_sessions() {
    let mut h = Harness::new();
    h.code(&[]);
    assert!(matches!(
        h.authorize(&[]).unwrap(),
        Next::RedirectToClient(_)
    ));
    idp_protocol::manage::set_password(
        h.provider.store(),
        &*h.clock,
        "alice",
        "a brand new password",
    )
    .unwrap();
    assert!(matches!(h.authorize(&[]).unwrap(), Next::GoToLogin(_)));
    assert!(idp_protocol::manage::set_password(
        h.provider.store(),
        &*h.clock,
        "nobody",
        "long enough!"
    )
    .is_err());
}
