//! RFC 9068 JWT access tokens: their header and claims, their signature against the
//! JWKS, and revocation applying to them as to opaque tokens.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::support::{jwt_payload, TestServer};

/// Checks `jwt`'s RS256 signature against the server's JWKS and returns its header.
async fn verified_header(server: &TestServer, jwt: &str) -> serde_json::Value {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let jwks: serde_json::Value = crate::support::get_json(&server.url("/jwks.json")).await;
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .unwrap_or_else(|| panic!("kid {} not in {jwks}", header["kid"]));
    assert_eq!(header["alg"], "RS256");
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    ring::signature::RsaPublicKeyComponents { n: &n, e: &e }
        .verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &signature,
        )
        .expect("signed by a published key");
    header
}

async fn jwt_access_tokens_carry_rfc_9068_claims_and_are_revoked_like_opaque_ones() {
    let server = TestServer::start().await;
    let alice = server.create_user("alice");
    let created = server.create_client(|c| {
        c.first_party = true;
        c.options.jwt_access_token = true;
        c.options.resources = vec!["https://api.example/".into()];
        c.options.access_token_lifetime = Some(900);
    });
    let browser = crate::support::Browser::new();
    let code = server
        .authorize_for(&browser, &created, "alice", "openid profile")
        .await
        .unwrap();
    let (status, tokens) = server.exchange(&created, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let jwt = tokens["access_token"].as_str().unwrap();

    let header = verified_header(&server, jwt).await;
    assert_eq!(header["typ"], "at+jwt");
    let claims = jwt_payload(jwt);
    assert_eq!(claims["iss"], server.base);
    assert_eq!(claims["sub"], alice.id.as_str());
    assert_eq!(claims["aud"], "https://api.example/");
    assert_eq!(claims["client_id"], created.client.id.as_str());
    assert_eq!(claims["scope"], "openid profile");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
    assert!(claims["auth_time"].as_i64().is_some());
    assert!(claims["jti"].as_str().unwrap().len() >= 43);
    assert_eq!(tokens["expires_in"], 900);

    // The provider accepts it where it accepts access tokens.
    let (status, info) = server.userinfo(jwt).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["preferred_username"], "alice");

    // A changed payload, or an ID token, is not an access token.
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut forged = claims.clone();
    forged["scope"] = "openid profile email".into();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap()),
        parts[2]
    );
    assert_eq!(server.userinfo(&forged).await.0, 401);
    assert_eq!(
        server
            .userinfo(tokens["id_token"].as_str().unwrap())
            .await
            .0,
        401
    );

    // Replaying the code revokes the grant: the JWT stops working here too.
    let (status, _) = server.exchange(&created, &code).await;
    assert_eq!(status, 400);
    assert_eq!(server.userinfo(jwt).await.0, 401);
}

async fn clients_without_the_flag_get_opaque_tokens() {
    let server = TestServer::start().await;
    server.create_user("alice");
    let created = server.create_client(|c| c.first_party = true);
    let (_, tokens) = server.code_flow(&created, "alice", "openid").await;
    let token = tokens["access_token"].as_str().unwrap();
    assert!(!token.contains('.'), "{token}");
    assert_eq!(server.userinfo(token).await.0, 200);
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    jwt_access_tokens_carry_rfc_9068_claims_and_are_revoked_like_opaque_ones,
    clients_without_the_flag_get_opaque_tokens,
);
