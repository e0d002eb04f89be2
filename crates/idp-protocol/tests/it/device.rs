//! The device authorization grant (RFC 8628) with a fixed clock: the interval and the
//! lifetime are crossed to the second, without waiting.

use idp_core::ClientType;
use idp_protocol::{DeviceAuthorizationResponse, DeviceNext, ProtocolError, TokenResponse};

use crate::harness::{code_of, params, Harness, PASSWORD};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A harness whose client is a public command-line tool with the device grant.
fn harness() -> Harness {
    Harness::with_client(|c| {
        c.client_type = ClientType::Public;
        c.redirect_uris = Vec::new();
        c.grant_types = vec!["device_code".into(), "refresh_token".into()];
    })
}

fn start(h: &Harness, scope: &str) -> DeviceAuthorizationResponse {
    let id = h.client.client.id.as_str();
    h.provider
        .device_authorization(&params(&[("client_id", id), ("scope", scope)]), None)
        .unwrap()
}

fn poll(h: &Harness, device_code: &str) -> Result<TokenResponse, ProtocolError> {
    h.token(&[("grant_type", DEVICE_GRANT), ("device_code", device_code)])
}

fn poll_error(h: &Harness, device_code: &str) -> &'static str {
    code_of(&poll(h, device_code).unwrap_err())
}

/// Signs in at the verification page (keeping the cookie), submits `typed` on the code
/// form and answers the approval form with `decision`.
fn decide(h: &mut Harness, typed: &str, decision: &str) -> DeviceNext {
    let page = h.provider.device_page(Some(typed), None).unwrap();
    h.cookie = page.set_session.map(|c| c.value);
    let DeviceNext::ShowLogin(login) = page.next else {
        panic!("{:?}", page.next)
    };
    assert_eq!(login.request_id, typed);
    let signed_in = h
        .provider
        .submit_device_login(
            &params(&[
                ("csrf_token", &login.csrf_token),
                ("request_id", &login.request_id),
                ("username", "alice"),
                ("password", PASSWORD),
            ]),
            h.cookie.as_deref(),
            h.address,
        )
        .unwrap();
    let DeviceNext::GoToVerification(code) = signed_in.next else {
        panic!("{:?}", signed_in.next)
    };
    h.cookie = signed_in.set_session.map(|c| c.value);
    let page = h
        .provider
        .device_page(Some(&code), h.cookie.as_deref())
        .unwrap();
    let DeviceNext::ShowCode(form) = page.next else {
        panic!("{:?}", page.next)
    };
    assert_eq!(form.user_code, typed);
    let entered = h
        .provider
        .submit_device_code(
            &params(&[
                ("csrf_token", &form.csrf_token),
                ("user_code", &form.user_code),
            ]),
            h.cookie.as_deref(),
            h.address,
        )
        .unwrap();
    let DeviceNext::ShowConsent(consent) = entered.next else {
        panic!("{:?}", entered.next)
    };
    assert_eq!(consent.client_name, "App");
    h.provider
        .submit_device_code(
            &params(&[
                ("csrf_token", &consent.csrf_token),
                ("user_code", &consent.user_code),
                ("decision", decision),
            ]),
            h.cookie.as_deref(),
            h.address,
        )
        .unwrap()
        .next
}

#[test]
fn polls_sooner_than_the_interval_slow_down_by_five_seconds_each() {
    let h = harness();
    let answer = start(&h, "openid");
    assert_eq!(answer.interval, 5);
    let code = &answer.device_code;
    assert_eq!(poll_error(&h, code), "authorization_pending");
    h.advance(5);
    assert_eq!(poll_error(&h, code), "authorization_pending");
    h.advance(4);
    assert_eq!(poll_error(&h, code), "slow_down");
    // Now 10 s, counted from the refused poll.
    h.advance(9);
    assert_eq!(poll_error(&h, code), "slow_down");
    // Now 15 s.
    h.advance(15);
    assert_eq!(poll_error(&h, code), "authorization_pending");
}

#[test]
fn a_device_code_works_until_its_lifetime_ends() {
    let mut h = harness();
    let answer = start(&h, "openid offline_access");
    assert_eq!(answer.expires_in, 600);
    h.advance(599);
    // The person types the code in lower case without the dash.
    let typed = answer.user_code.replace('-', "").to_lowercase();
    assert!(matches!(
        decide(&mut h, &typed, "allow"),
        DeviceNext::Decided { approved: true, .. }
    ));
    h.advance(1);
    assert_eq!(poll_error(&h, &answer.device_code), "expired_token");

    let answer = start(&h, "openid offline_access");
    h.advance(599);
    assert_eq!(poll_error(&h, &answer.device_code), "authorization_pending");
}

#[test]
fn an_approved_device_code_gives_the_code_flows_tokens_once() {
    let mut h = harness();
    let answer = start(&h, "openid offline_access unknown");
    assert!(matches!(
        decide(&mut h, &answer.user_code, "allow"),
        DeviceNext::Decided { approved: true, .. }
    ));
    let tokens = poll(&h, &answer.device_code).unwrap();
    // The unknown scope was dropped, as the authorization endpoint drops it.
    assert_eq!(tokens.scope, "offline_access openid");
    assert!(tokens.id_token.is_some());
    let refresh = tokens.refresh_token.unwrap();
    assert!(h.refresh(&refresh).is_ok());
    assert_eq!(poll_error(&h, &answer.device_code), "invalid_grant");
}

#[test]
fn a_denied_device_code_is_access_denied() {
    let mut h = harness();
    let answer = start(&h, "openid");
    assert!(matches!(
        decide(&mut h, &answer.user_code, "deny"),
        DeviceNext::Decided {
            approved: false,
            ..
        }
    ));
    assert_eq!(poll_error(&h, &answer.device_code), "access_denied");
}

#[test]
fn wrong_user_codes_wait_after_five_and_the_wait_passes() {
    let mut h = harness();
    let answer = start(&h, "openid");
    // Signed in with one real decision out of the way.
    let other = start(&h, "openid");
    decide(&mut h, &other.user_code, "deny");
    let form = match h
        .provider
        .device_page(None, h.cookie.as_deref())
        .unwrap()
        .next
    {
        DeviceNext::ShowCode(form) => form,
        other => panic!("{other:?}"),
    };
    let submit = |h: &Harness, code: &str| {
        h.provider
            .submit_device_code(
                &params(&[("csrf_token", &form.csrf_token), ("user_code", code)]),
                h.cookie.as_deref(),
                h.address,
            )
            .unwrap()
    };
    for _ in 0..5 {
        let again = submit(&h, "BCDF-GHJK");
        assert!(again.retry_after.is_none());
        assert!(matches!(again.next, DeviceNext::ShowCode(ref f) if f.error.is_some()));
    }
    assert!(submit(&h, "BCDF-GHJK").retry_after.is_some());
    let refused = submit(&h, &answer.user_code);
    assert!(matches!(refused.next, DeviceNext::ShowCode(_)));
    assert_eq!(
        refused.retry_after,
        Some(idp_protocol::RetryAfter::Throttled(10))
    );
    // After the wait the right code is looked at again.
    h.advance(10);
    let shown = submit(&h, &answer.user_code);
    assert!(shown.retry_after.is_none());
    assert!(matches!(shown.next, DeviceNext::ShowConsent(_)));
}
