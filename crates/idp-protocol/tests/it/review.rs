//! The rules of the foundation review (issue 14), each through the `Provider` API.

use std::net::IpAddr;
use std::sync::Barrier;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use idp_core::{JwsAlgorithm, KeySummary, SigningKey};
use idp_protocol::{Next, ProtocolError, RetryAfter};

use crate::harness::{code_of, params, query, redirected, Harness, PASSWORD, REDIRECT};

fn kid_of(id_token: &str) -> String {
    let header = id_token.split('.').next().unwrap();
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

fn jwks_kids(h: &Harness) -> Vec<String> {
    let doc = h.provider.jwks_document().unwrap();
    let jwks: serde_json::Value = serde_json::from_slice(doc.body()).unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

// 1. Revocation holds against races; a failed issue does not burn the grant.

#[test]
fn two_concurrent_redemptions_of_one_code_leave_no_usable_token() {
    for _ in 0..3 {
        let mut h = Harness::new();
        let code = h.code(&[]);
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| h.exchange(&code));
            let b = s.spawn(|| h.exchange(&code));
            (a.join().unwrap(), b.join().unwrap())
        });
        let (won, lost) = match (a, b) {
            (Ok(t), Err(e)) | (Err(e), Ok(t)) => (t, e),
            other => panic!("exactly one redemption wins: {other:?}"),
        };
        assert_eq!(code_of(&lost), "invalid_grant");
        // The loser revoked the grant, so the winner's tokens are dead too.
        assert_eq!(
            code_of(&h.provider.userinfo(&won.access_token).unwrap_err()),
            "invalid_token"
        );
        let refresh = h.refresh(&won.refresh_token.unwrap()).unwrap_err();
        assert_eq!(code_of(&refresh), "invalid_grant");
    }
}

#[test]
fn two_concurrent_refreshes_with_one_token_leave_no_usable_token() {
    let mut h = Harness::new();
    let first = h.tokens(&[]);
    let rt = first.refresh_token.unwrap();
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| h.refresh(&rt));
        let b = s.spawn(|| h.refresh(&rt));
        (a.join().unwrap(), b.join().unwrap())
    });
    let won = match (a, b) {
        (Ok(t), Err(_)) | (Err(_), Ok(t)) => t,
        other => panic!("exactly one refresh wins: {other:?}"),
    };
    assert!(h.provider.userinfo(&won.access_token).is_err());
    assert!(h.provider.userinfo(&first.access_token).is_err());
    assert!(h.refresh(&won.refresh_token.unwrap()).is_err());
}

#[test]
fn a_failure_before_the_tokens_are_stored_leaves_the_code_redeemable() {
    let mut h = Harness::new();
    let code = h.code(&[]);
    // The active key becomes an unusable one: the ID token cannot be signed.
    h.advance(1);
    let now = h.clock_now();
    h.provider
        .store()
        .insert_signing_key(&SigningKey {
            summary: KeySummary {
                kid: "broken".into(),
                alg: JwsAlgorithm::Rs256,
                created_at: now,
                activate_at: now,
                retired_at: None,
            },
            private_key_pkcs8: vec![1, 2, 3],
        })
        .unwrap();
    h.advance(1);
    let err = h.exchange(&code).unwrap_err();
    assert!(matches!(err, ProtocolError::Internal(_)), "{err:?}");
    // A good key takes over; the code was not spent and its grant not revoked.
    idp_protocol::rotate_signing_key(
        h.provider.store(),
        &*h.clock,
        &h.provider.config().key_encryption_key,
        chrono::Duration::seconds(1),
        JwsAlgorithm::Rs256,
    )
    .unwrap();
    h.advance(2);
    let tokens = h.exchange(&code).unwrap();
    assert!(h.provider.userinfo(&tokens.access_token).is_ok());
}

// 2. id_token_hint.

#[test]
fn id_token_hint_names_the_user_who_must_be_signed_in_and_may_have_expired() {
    let mut h = Harness::new();
    h.add_user("bob");
    let alice_token = h.tokens(&[]).id_token.unwrap();
    let alice_cookie = h.cookie.take();
    // Bob signs in in a browser of his own.
    let Next::GoToLogin(id) = h.authorize(&[]).unwrap() else {
        panic!()
    };
    let Next::GoToConsent(id) = h.submit_login_as(&id, "bob", PASSWORD).unwrap().next else {
        panic!()
    };
    let Next::RedirectToClient(url) = h.consent(&id, "allow").unwrap() else {
        panic!()
    };
    let bob_token = h
        .exchange(&query(&url, "code").unwrap())
        .unwrap()
        .id_token
        .unwrap();
    h.cookie = alice_cookie;

    // Alice is signed in: her own hint passes silently, also once it has expired.
    h.advance(2 * 3600);
    let next = h
        .authorize(&[("prompt", "none"), ("id_token_hint", &alice_token)])
        .unwrap();
    assert!(matches!(next, Next::RedirectToClient(_)), "{next:?}");
    // Bob's hint with prompt=none: login_required.
    let err = h
        .authorize(&[("prompt", "none"), ("id_token_hint", &bob_token)])
        .unwrap_err();
    assert_eq!(
        query(redirected(&err), "error").as_deref(),
        Some("login_required")
    );
    // Without prompt=none: the login page; signing in as Alice again does not do.
    let Next::GoToLogin(id) = h.authorize(&[("id_token_hint", &bob_token)]).unwrap() else {
        panic!()
    };
    let Next::RedirectToClient(url) = h.log_in(&id, PASSWORD) else {
        panic!()
    };
    assert_eq!(query(&url, "error").as_deref(), Some("login_required"));
    // A hint this provider did not sign: invalid_request, back to the client.
    let mut forged = bob_token.clone();
    forged.pop();
    forged.push(if bob_token.ends_with('A') { 'B' } else { 'A' });
    for bad in [forged.as_str(), "not.a.jwt", "garbage"] {
        let err = h.authorize(&[("id_token_hint", bad)]).unwrap_err();
        assert_eq!(
            query(redirected(&err), "error").as_deref(),
            Some("invalid_request"),
            "{bad}"
        );
    }
}

// 3. max_age and the consent page.

#[test]
fn one_login_satisfies_max_age_through_the_consent_page() {
    let mut h = Harness::new();
    let Next::GoToLogin(id) = h.authorize(&[("max_age", "0")]).unwrap() else {
        panic!()
    };
    let Next::GoToConsent(id) = h.log_in(&id, PASSWORD) else {
        panic!()
    };
    // The person reads the consent page for a while.
    h.advance(30);
    let next = h.consent(&id, "allow").unwrap();
    let Next::RedirectToClient(url) = next else {
        panic!("{next:?}")
    };
    let tokens = h.exchange(&query(&url, "code").unwrap()).unwrap();
    assert!(tokens.id_token.is_some());
    // A new request with max_age=0 needs a new login.
    assert!(matches!(
        h.authorize(&[("max_age", "0")]).unwrap(),
        Next::GoToLogin(_)
    ));
}

// 4. An omitted scope.

#[test]
fn an_omitted_scope_takes_the_clients_default_and_never_adds_openid_or_offline_access() {
    let mut h = Harness::new();
    let err = h.authorize(&[("scope", "")]).unwrap_err();
    let url = redirected(&err);
    assert_eq!(query(url, "error").as_deref(), Some("invalid_scope"));
    assert_eq!(query(url, "state").as_deref(), Some("st"));

    let mut h = Harness::with_client(|c| c.default_scopes = vec!["email".into()]);
    let tokens = h.tokens(&[("scope", "")]);
    assert_eq!(tokens.scope, "email");
    assert!(tokens.id_token.is_none() && tokens.refresh_token.is_none());

    // openid in the operator's default makes it an OpenID Connect request.
    let mut h = Harness::with_client(|c| c.default_scopes = vec!["openid".into()]);
    let tokens = h.tokens(&[("scope", "")]);
    assert_eq!(tokens.scope, "openid");
    assert!(tokens.id_token.is_some() && tokens.refresh_token.is_none());
}

// 5. Parked requests are bound to their browser.

#[test]
fn a_parked_request_can_be_completed_only_in_the_browser_that_started_it() {
    let mut h = Harness::new();
    let Next::GoToLogin(id) = h.authorize(&[]).unwrap() else {
        panic!()
    };
    let victim = h.cookie.take();
    assert!(victim.is_some(), "parking starts a session");
    // Someone else holding the request id, with no session or with their own.
    assert!(h.provider.login_page(&id, None).is_err());
    let Next::GoToLogin(own) = h.authorize(&[]).unwrap() else {
        panic!()
    };
    assert!(h.provider.login_page(&id, h.cookie.as_deref()).is_err());
    let Next::ShowLogin(form) = h
        .provider
        .login_page(&own, h.cookie.as_deref())
        .unwrap()
        .next
    else {
        panic!()
    };
    let stolen = h.provider.submit_login(
        &params(&[
            ("request_id", &id),
            ("csrf_token", &form.csrf_token),
            ("username", "alice"),
            ("password", PASSWORD),
        ]),
        h.cookie.as_deref(),
        h.address,
    );
    assert_eq!(code_of(&stolen.unwrap_err()), "invalid_request");
    // In the browser that started it, it completes.
    h.cookie = victim;
    assert!(matches!(h.log_in(&id, PASSWORD), Next::GoToConsent(_)));
}

#[test]
fn a_session_is_started_only_when_a_request_is_parked() {
    let mut h = Harness::new();
    assert!(h.authorize(&[("prompt", "none")]).is_err());
    assert!(h.cookie.is_none());
    h.code(&[]);
    let cookie = h.cookie.clone();
    let interaction = h
        .provider
        .authorize(
            &params(&[
                ("response_type", "code"),
                ("client_id", h.client.client.id.as_str()),
                ("redirect_uri", REDIRECT),
                ("scope", "openid email offline_access"),
                ("code_challenge", crate::harness::CHALLENGE),
                ("code_challenge_method", "S256"),
            ]),
            cookie.as_deref(),
        )
        .unwrap();
    assert!(matches!(interaction.next, Next::RedirectToClient(_)));
    assert!(interaction.set_session.is_none());
}

// 8. Login and client-authentication throttling.

#[test]
fn failed_logins_back_off_per_username_whether_or_not_it_exists() {
    for username in ["alice", "nobody"] {
        let mut h = Harness::new();
        let Next::GoToLogin(id) = h.authorize(&[]).unwrap() else {
            panic!()
        };
        let Next::ShowLogin(first) = h
            .provider
            .login_page(&id, h.cookie.as_deref())
            .unwrap()
            .next
        else {
            panic!()
        };
        let mut tokens = vec![first.csrf_token.clone()];
        for attempt in 1..=6 {
            let i = h.submit_login_as(&id, username, "wrong password").unwrap();
            let Next::ShowLogin(form) = &i.next else {
                panic!()
            };
            assert_eq!(form.error, Some("Invalid username or password."));
            // The sixth failure is one past the five free ones: wait a second.
            let expected = (attempt == 6).then_some(RetryAfter::Throttled(1));
            assert_eq!(i.retry_after, expected, "attempt {attempt}");
            // A failed attempt gets a fresh CSRF token.
            assert!(!tokens.contains(&form.csrf_token));
            tokens.push(form.csrf_token.clone());
        }
        // While it waits, nothing is checked — not even the right password.
        let i = h.submit_login_as(&id, username, PASSWORD).unwrap();
        assert!(
            matches!(i.retry_after, Some(RetryAfter::Throttled(_))),
            "{i:?}"
        );
        // A token of a failed attempt is worth nothing.
        let stale = h.provider.submit_login(
            &params(&[
                ("request_id", &id),
                ("csrf_token", &first.csrf_token),
                ("username", "alice"),
                ("password", PASSWORD),
            ]),
            h.cookie.as_deref(),
            h.address,
        );
        assert_eq!(code_of(&stale.unwrap_err()), "invalid_request");
        h.advance(2);
        if username == "alice" {
            assert!(matches!(h.log_in(&id, PASSWORD), Next::GoToConsent(_)));
            // The success cleared the count: the next failure is a first one again.
            let Next::GoToLogin(id) = h.authorize(&[("prompt", "login")]).unwrap() else {
                panic!()
            };
            let i = h.submit_login_as(&id, "alice", "wrong password").unwrap();
            assert_eq!(i.retry_after, None);
        }
    }
}

#[test]
fn failed_logins_back_off_per_client_address() {
    let mut h = Harness::new();
    let Next::GoToLogin(id) = h.authorize(&[]).unwrap() else {
        panic!()
    };
    for i in 0..21 {
        h.submit_login_as(&id, &format!("user{i}"), "wrong password")
            .unwrap();
    }
    let i = h.submit_login_as(&id, "alice", PASSWORD).unwrap();
    assert!(
        matches!(i.retry_after, Some(RetryAfter::Throttled(_))),
        "{i:?}"
    );
    // Another address is not held back.
    h.address = Some(IpAddr::from([198, 51, 100, 9]));
    assert!(matches!(h.log_in(&id, PASSWORD), Next::GoToConsent(_)));
}

#[test]
fn failed_client_authentication_backs_off_per_client() {
    let h = Harness::new();
    let id = h.client.client.id.as_str().to_owned();
    let attempt = |secret: &str| {
        h.provider.token(
            &params(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "x"),
                ("client_id", &id),
                ("client_secret", secret),
            ]),
            None,
        )
    };
    for _ in 0..10 {
        assert_eq!(code_of(&attempt("wrong").unwrap_err()), "invalid_client");
    }
    let err = attempt("wrong").unwrap_err();
    assert!(
        matches!(err, ProtocolError::Throttled { retry_after: 1, .. }),
        "{err:?}"
    );
    let secret = h.client.secret.clone().unwrap();
    assert!(matches!(
        attempt(&secret).unwrap_err(),
        ProtocolError::Throttled { .. }
    ));
    h.advance(2);
    // Authenticated again: the refresh token is what is wrong now.
    assert_eq!(code_of(&attempt(&secret).unwrap_err()), "invalid_grant");
}

// 9. Password hashing under a concurrency limit.

#[test]
fn password_checks_beyond_the_limit_are_told_to_retry_instead_of_queueing() {
    let mut h = Harness::with_config(|c| c.password_hashing_concurrency = 1);
    let browsers: Vec<(String, String, String)> = (0..6)
        .map(|_| {
            h.cookie = None;
            let Next::GoToLogin(id) = h.authorize(&[]).unwrap() else {
                panic!()
            };
            let cookie = h.cookie.clone().unwrap();
            let Next::ShowLogin(form) = h.provider.login_page(&id, Some(&cookie)).unwrap().next
            else {
                panic!()
            };
            (id, cookie, form.csrf_token)
        })
        .collect();
    let barrier = Barrier::new(browsers.len());
    let outcomes: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = browsers
            .iter()
            .map(|(id, cookie, csrf)| {
                let (h, barrier) = (&h, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    h.provider
                        .submit_login(
                            &params(&[
                                ("request_id", id),
                                ("csrf_token", csrf),
                                ("username", "alice"),
                                ("password", PASSWORD),
                            ]),
                            Some(cookie),
                            h.address,
                        )
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let busy = outcomes
        .iter()
        .filter(|i| matches!(i.retry_after, Some(RetryAfter::Busy(_))))
        .count();
    let signed_in = outcomes
        .iter()
        .filter(|i| matches!(i.next, Next::GoToConsent(_)))
        .count();
    assert!(busy >= 1 && signed_in >= 1, "{outcomes:?}");
    assert_eq!(busy + signed_in, outcomes.len());
}

// 10. Bounded storage: parameters that are stored have length limits.

#[test]
fn overlong_stored_parameters_are_refused_clearly() {
    let mut h = Harness::new();
    let long = |n: usize| "x".repeat(n);
    for (name, max) in [("state", 1024), ("nonce", 512), ("login_hint", 256)] {
        assert!(
            h.authorize(&[(name, &long(max))]).is_ok(),
            "{name} at its limit"
        );
        let err = h.authorize(&[(name, &long(max + 1))]).unwrap_err();
        let url = redirected(&err);
        assert_eq!(
            query(url, "error").as_deref(),
            Some("invalid_request"),
            "{name}"
        );
        assert!(query(url, "error_description").unwrap().contains(name));
        if name == "state" {
            assert_eq!(query(url, "state"), None, "an overlong state is not echoed");
        }
    }
}

// 7. Key rotation publishes first and signs later.

#[test]
fn a_rotated_key_is_published_at_once_and_signs_after_the_delay() {
    let mut h = Harness::new();
    let old = kid_of(&h.tokens(&[]).id_token.unwrap());
    let new = idp_protocol::rotate_signing_key(
        h.provider.store(),
        &*h.clock,
        &h.provider.config().key_encryption_key,
        chrono::Duration::hours(1),
        JwsAlgorithm::Rs256,
    )
    .unwrap()
    .summary
    .kid;
    h.advance(2);
    let kids = jwks_kids(&h);
    assert!(kids.contains(&old) && kids.contains(&new), "{kids:?}");
    assert_eq!(kid_of(&h.tokens(&[]).id_token.unwrap()), old);
    h.advance(3600);
    assert_eq!(kid_of(&h.tokens(&[]).id_token.unwrap()), new);
    assert!(
        jwks_kids(&h).contains(&old),
        "the old key still verifies old tokens"
    );
}

// 12. UserInfo without a hand-off to the blocking pool gives the same answers.

#[test]
fn immediate_userinfo_answers_like_userinfo() {
    let mut h = Harness::new();
    let tokens = h.tokens(&[]);
    let immediate = h
        .provider
        .userinfo_immediate(&tokens.access_token)
        .unwrap()
        .expect("an idle connection answers at once");
    assert_eq!(
        serde_json::to_value(&immediate).unwrap(),
        serde_json::to_value(h.provider.userinfo(&tokens.access_token).unwrap()).unwrap()
    );
    let bad = h.provider.userinfo_immediate("not-a-token").unwrap_err();
    assert_eq!(code_of(&bad), "invalid_token");
}

// 9. A hash made with other argon2 parameters is replaced at the next login.

#[test]
fn a_login_rehashes_a_password_hashed_with_other_parameters() {
    use argon2::password_hash::PasswordHasher;
    let mut h = Harness::new();
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(8 * 1024, 1, 1, None).unwrap(),
    )
    .hash_password(PASSWORD.as_bytes())
    .unwrap()
    .to_string();
    assert!(h
        .provider
        .store()
        .set_password_hash("alice", &weak)
        .unwrap());
    let Next::GoToLogin(id) = h.authorize(&[]).unwrap() else {
        panic!()
    };
    assert!(matches!(h.log_in(&id, PASSWORD), Next::GoToConsent(_)));
    let stored = h
        .provider
        .store()
        .user_by_username("alice")
        .unwrap()
        .unwrap()
        .password_hash;
    assert_ne!(stored, weak);
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
}
