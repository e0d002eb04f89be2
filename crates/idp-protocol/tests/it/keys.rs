//! Signing per client algorithm (RS256, ES256, EdDSA, HS256), and key retirement with
//! its grace period, on a fixed clock.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use idp_core::{ClientType, IdTokenAlg, JwsAlgorithm, KeyState};
use idp_protocol::ProtocolError;
use openidconnect::core::{CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet};
use openidconnect::{AccessToken, AccessTokenHash, ClientId, ClientSecret, IssuerUrl, Nonce};

use crate::harness::Harness;

fn header(token: &str) -> serde_json::Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

fn jwks(h: &Harness) -> CoreJsonWebKeySet {
    serde_json::from_slice(h.provider.jwks_document().unwrap().body()).unwrap()
}

fn jwks_kids(h: &Harness) -> Vec<String> {
    let doc: serde_json::Value =
        serde_json::from_slice(h.provider.jwks_document().unwrap().body()).unwrap();
    doc["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// Keys for ES256 and EdDSA beside the harness's RS256 key, as the server makes at start.
fn with_every_key(h: &Harness) {
    let made = idp_protocol::ensure_signing_key(
        h.provider.store(),
        &*h.clock,
        &h.provider.config().key_encryption_key,
    )
    .unwrap();
    let algs: Vec<JwsAlgorithm> = made.iter().map(|k| k.summary.alg).collect();
    assert_eq!(algs, [JwsAlgorithm::Es256, JwsAlgorithm::EdDsa]);
}

/// Switches the harness client to `alg`; for HS256 its secret is stored sealed, as
/// client registration does for such clients.
fn use_alg(h: &Harness, alg: IdTokenAlg) {
    let store = h.provider.store();
    let id = &h.client.client.id;
    let mut client = store.client(id).unwrap().unwrap();
    client.options.id_token_alg = alg;
    assert!(store.update_client(&client).unwrap());
    if alg == IdTokenAlg::Hs256 {
        if let Some(secret) = &h.client.secret {
            let kek = &h.provider.config().key_encryption_key;
            let sealed = kek.seal(secret.as_bytes(), id.as_str().as_bytes()).unwrap();
            let digest = client.secret_digest.unwrap();
            store.set_client_secret(id, &digest, Some(&sealed)).unwrap();
        }
    }
}

/// The relying party's verifier (`openidconnect`), on the harness's clock.
fn verifier<'a>(h: &'a Harness, alg: IdTokenAlg) -> CoreIdTokenVerifier<'a> {
    let client_id = ClientId::new(h.client.client.id.as_str().to_owned());
    let issuer = IssuerUrl::new("https://idp.example".into()).unwrap();
    let clock = std::sync::Arc::clone(&h.clock);
    let v = match &h.client.secret {
        Some(secret) => CoreIdTokenVerifier::new_confidential_client(
            client_id,
            ClientSecret::new(secret.clone()),
            issuer,
            jwks(h),
        ),
        None => CoreIdTokenVerifier::new_public_client(client_id, issuer, jwks(h)),
    };
    v.set_allowed_algs([alg_name(alg)])
        .set_time_fn(move || idp_core::Clock::now(&*clock))
}

fn alg_name(alg: IdTokenAlg) -> openidconnect::core::CoreJwsSigningAlgorithm {
    serde_json::from_value(serde_json::Value::String(alg.as_str().into())).unwrap()
}

#[test]
fn every_algorithm_signs_id_tokens_the_relying_party_verifies_and_hints_accept() {
    let mut h = Harness::new();
    with_every_key(&h);
    for alg in IdTokenAlg::ALL {
        use_alg(&h, alg);
        let tokens = h.tokens(&[]);
        let raw = tokens.id_token.clone().unwrap();
        let head = header(&raw);
        assert_eq!(head["alg"], alg.as_str());
        // A MAC key is never published, so its tokens name none (OIDC Core §10.1).
        assert_eq!(head.get("kid").is_some(), alg != IdTokenAlg::Hs256, "{alg}");
        let token: CoreIdToken = raw.parse().unwrap();
        let v = verifier(&h, alg);
        let claims = token.claims(&v, &Nonce::new("n-0".into())).unwrap();
        // at_hash with the algorithm's hash (SHA-512 for Ed25519), as openidconnect
        // computes it (OIDC Core §3.1.3.6).
        let key = match alg {
            IdTokenAlg::Hs256 => {
                use openidconnect::JsonWebKey;
                openidconnect::core::CoreJsonWebKey::new_symmetric(
                    h.client.secret.clone().unwrap().into_bytes(),
                )
            }
            _ => token.signing_key(&v).unwrap().clone(),
        };
        let at_hash = AccessTokenHash::from_token(
            &AccessToken::new(tokens.access_token.clone()),
            token.signing_alg().unwrap(),
            &key,
        )
        .unwrap();
        assert_eq!(claims.access_token_hash(), Some(&at_hash), "{alg}");
        let expected_len = if alg == IdTokenAlg::EdDsa { 43 } else { 22 };
        assert_eq!(at_hash.as_str().len(), expected_len, "{alg}");
        // The provider reads its own token back as an id_token_hint, even expired.
        h.advance(7200);
        let hint = h
            .provider
            .verify_id_token(&raw)
            .unwrap()
            .unwrap_or_else(|| panic!("{alg}: the hint is not verified"));
        assert_eq!(hint.audiences, [h.client.client.id.as_str()]);
        // A token with its signature changed is not ours.
        let (body, sig) = raw.rsplit_once('.').unwrap();
        let flipped = if sig.starts_with('A') { "B" } else { "A" };
        let forged = format!("{body}.{flipped}{}", &sig[1..]);
        assert_eq!(h.provider.verify_id_token(&forged).unwrap(), None, "{alg}");
    }
}

#[test]
fn hs256_needs_a_confidential_client_with_a_sealed_secret_and_never_falls_back() {
    // Confidential, but the secret is not stored sealed: no token at all.
    let mut h = Harness::new();
    let mut client = h
        .provider
        .store()
        .client(&h.client.client.id)
        .unwrap()
        .unwrap();
    client.options.id_token_alg = IdTokenAlg::Hs256;
    h.provider.store().update_client(&client).unwrap();
    let code = h.code(&[]);
    let err = h.exchange(&code).unwrap_err();
    assert!(matches!(err, ProtocolError::Internal(_)), "{err:?}");
    // Nothing was spent: with RS256 again, the same code is exchanged.
    client.options.id_token_alg = IdTokenAlg::Rs256;
    h.provider.store().update_client(&client).unwrap();
    assert!(h.exchange(&code).unwrap().id_token.is_some());

    // A public client (registration refuses HS256 for it; here it is forced).
    let mut h = Harness::with_client(|c| c.client_type = ClientType::Public);
    use_alg(&h, IdTokenAlg::Hs256);
    let code = h.code(&[]);
    let err = h.exchange(&code).unwrap_err();
    assert!(matches!(err, ProtocolError::Internal(_)), "{err:?}");
}

#[test]
fn the_only_key_of_an_algorithm_is_not_retired() {
    let h = Harness::new();
    with_every_key(&h);
    let kek = &h.provider.config().key_encryption_key;
    let store = h.provider.store();
    let statuses =
        idp_protocol::key_statuses(store, h.clock_now(), chrono::Duration::days(1)).unwrap();
    let es256 = statuses
        .iter()
        .find(|k| k.summary.alg == JwsAlgorithm::Es256)
        .unwrap();
    let err = idp_protocol::retire_signing_key(store, &*h.clock, &es256.summary.kid)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("only ES256 key") && err.contains("key rotate --alg ES256"),
        "{err}"
    );
    assert!(idp_protocol::retire_signing_key(store, &*h.clock, "no-such-kid").is_err());
    // A superseded key may go: rotate, let the new key activate, retire the old one.
    let new = idp_protocol::rotate_signing_key(
        store,
        &*h.clock,
        kek,
        chrono::Duration::seconds(60),
        JwsAlgorithm::Es256,
    )
    .unwrap();
    h.advance(61);
    idp_protocol::retire_signing_key(store, &*h.clock, &es256.summary.kid).unwrap();
    let again = idp_protocol::retire_signing_key(store, &*h.clock, &es256.summary.kid)
        .unwrap_err()
        .to_string();
    assert!(again.contains("already retired"), "{again}");
    // ...but not the new one, which is now the only ES256 key that can sign.
    assert!(idp_protocol::retire_signing_key(store, &*h.clock, &new.summary.kid).is_err());
}

#[test]
fn a_retired_key_stops_signing_at_once_and_leaves_the_jwks_after_the_grace() {
    let mut h = Harness::new();
    with_every_key(&h);
    use_alg(&h, IdTokenAlg::Es256);
    h.provider
        .store()
        .set_setting("retired_key_grace", "300", h.clock_now())
        .unwrap();
    let old_token = h.tokens(&[]).id_token.unwrap();
    let old = header(&old_token)["kid"].as_str().unwrap().to_owned();
    // A new ES256 key, published now, due in an hour.
    let new = idp_protocol::rotate_signing_key(
        h.provider.store(),
        &*h.clock,
        &h.provider.config().key_encryption_key,
        chrono::Duration::hours(1),
        JwsAlgorithm::Es256,
    )
    .unwrap()
    .summary
    .kid;
    h.advance(2);
    assert!(jwks_kids(&h).contains(&new));
    assert_eq!(
        header(&h.tokens(&[]).id_token.unwrap())["kid"],
        old.as_str()
    );

    // Retiring the active key hands signing to the published one at once.
    let retired = idp_protocol::retire_signing_key(h.provider.store(), &*h.clock, &old).unwrap();
    assert_eq!(retired.retired_at, Some(h.clock_now()));
    h.advance(2); // past KEY_RECHECK
    assert_eq!(
        header(&h.tokens(&[]).id_token.unwrap())["kid"],
        new.as_str()
    );
    let states = idp_protocol::key_statuses(
        h.provider.store(),
        h.clock_now(),
        chrono::Duration::seconds(300),
    )
    .unwrap();
    let old_status = states.iter().find(|k| k.summary.kid == old).unwrap();
    assert_eq!(old_status.state, KeyState::Retired);
    assert!(old_status.in_jwks);
    let new_status = states.iter().find(|k| k.summary.kid == new).unwrap();
    assert_eq!(new_status.state, KeyState::Active);
    // Tokens it signed still verify during the grace period...
    assert!(jwks_kids(&h).contains(&old));
    assert!(h.provider.verify_id_token(&old_token).unwrap().is_some());
    // ...and no longer after it.
    h.advance(300);
    assert!(!jwks_kids(&h).contains(&old));
    assert!(jwks_kids(&h).contains(&new));
    assert_eq!(h.provider.verify_id_token(&old_token).unwrap(), None);
    // Other algorithms were not touched.
    assert_eq!(jwks_kids(&h).len(), 3);
}
