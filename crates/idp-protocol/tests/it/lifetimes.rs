//! Lifetimes of codes, tokens, sessions and parked requests.

use idp_protocol::{Delivery, Next, ProtocolError};

use crate::harness::{code_of, Harness};

#[test]
fn codes_expire_after_sixty_seconds() {
    let mut h = Harness::new();
    let code = h.code(&[]);
    h.advance(60);
    assert_eq!(code_of(&h.exchange(&code).unwrap_err()), "invalid_grant");

    let code = h.code(&[]);
    h.advance(59);
    assert!(h.exchange(&code).is_ok());
}

#[test]
fn access_tokens_stop_working_after_an_hour() {
    let mut h = Harness::new();
    let code = h.code(&[]);
    let tokens = h.exchange(&code).unwrap();
    assert_eq!(tokens.expires_in, 3600);
    assert!(h.provider.userinfo(&tokens.access_token).is_ok());
    h.advance(3600);
    let err = h.provider.userinfo(&tokens.access_token).unwrap_err();
    assert_eq!(code_of(&err), "invalid_token");
    assert!(matches!(
        err,
        ProtocolError::Rejected {
            delivery: Delivery::Bearer,
            ..
        }
    ));
}

#[test]
fn refresh_tokens_expire_after_thirty_days() {
    let mut h = Harness::new();
    let code = h.code(&[]);
    let tokens = h.exchange(&code).unwrap();
    h.advance(29 * 86400);
    let refreshed = h.refresh(tokens.refresh_token.as_deref().unwrap()).unwrap();
    h.advance(30 * 86400);
    let err = h
        .refresh(refreshed.refresh_token.as_deref().unwrap())
        .unwrap_err();
    assert_eq!(code_of(&err), "invalid_grant");
}

#[test]
fn max_age_forces_a_new_login_once_exceeded() {
    let mut h = Harness::new();
    h.code(&[]);
    h.advance(100);
    assert!(matches!(
        h.authorize(&[("max_age", "500")]).unwrap(),
        Next::RedirectToClient(_)
    ));
    assert!(matches!(
        h.authorize(&[("max_age", "50")]).unwrap(),
        Next::GoToLogin(_)
    ));
    let err = h
        .authorize(&[("max_age", "50"), ("prompt", "none")])
        .unwrap_err();
    assert_eq!(code_of(&err), "login_required");
}

#[test]
fn sessions_end_after_twelve_hours() {
    let mut h = Harness::new();
    h.code(&[]);
    h.advance(12 * 3600 - 1);
    assert!(matches!(
        h.authorize(&[]).unwrap(),
        Next::RedirectToClient(_)
    ));
    h.advance(1);
    assert!(matches!(h.authorize(&[]).unwrap(), Next::GoToLogin(_)));
}

#[test]
fn parked_requests_expire_after_fifteen_minutes() {
    let mut h = Harness::new();
    let Next::GoToLogin(id) = h.authorize(&[]).unwrap() else {
        panic!()
    };
    h.advance(15 * 60);
    let err = h.provider.login_page(&id, None).unwrap_err();
    assert!(matches!(
        err,
        ProtocolError::Rejected {
            delivery: Delivery::ErrorPage,
            ..
        }
    ));
}

#[test]
fn the_id_token_auth_time_is_the_login_time_also_after_refresh() {
    let mut h = Harness::new();
    let login_time = 1_800_000_000;
    let code = h.code(&[]);
    h.advance(30);
    let tokens = h.exchange(&code).unwrap();
    h.advance(500);
    let refreshed = h.refresh(tokens.refresh_token.as_deref().unwrap()).unwrap();
    for id_token in [tokens.id_token.unwrap(), refreshed.id_token.unwrap()] {
        let payload = id_token.split('.').nth(1).unwrap();
        let json: serde_json::Value = serde_json::from_slice(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(json["auth_time"], login_time);
        assert_eq!(json["iss"], "https://idp.example");
    }
}
