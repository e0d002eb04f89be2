//! Resource indicators (RFC 8707) on the authorization and token endpoints: the access
//! token's audience is the resource, and a resource the client may not use is
//! `invalid_target`.

use idp_protocol::manage::CreatedClient;
use serde_json::{json, Value};

use crate::support::{api_http, jwt_payload, query_param, Browser, Landing, TestServer};

const FILES: &str = "https://files.example/mcp";
const CALENDAR: &str = "https://calendar.example/api";
const ELSEWHERE: &str = "https://elsewhere.example/";

/// A confidential web client with JWT access tokens that may use FILES and CALENDAR.
fn app(server: &TestServer) -> CreatedClient {
    server.create_client(|c| {
        c.grant_types = vec![
            "authorization_code".into(),
            "refresh_token".into(),
            "client_credentials".into(),
        ];
        c.refresh_without_offline_access = true;
        c.options.jwt_access_token = true;
        c.options.resources = vec![FILES.into(), CALENDAR.into()];
    })
}

async fn introspect(server: &TestServer, caller: &CreatedClient, token: &str) -> Value {
    let response = api_http()
        .post(server.url("/introspect"))
        .basic_auth(caller.client.id.as_str(), caller.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The error an authorization request with `resource` values ends in, at the client.
async fn authorize_error(
    server: &TestServer,
    created: &CreatedClient,
    resources: &[&str],
) -> url::Url {
    let extra: Vec<(&str, &str)> = resources.iter().map(|r| ("resource", *r)).collect();
    match server
        .authorize_with(&Browser::new(), created, "alice", "openid", &extra)
        .await
    {
        Err(Landing::Client(url)) => url,
        other => panic!("expected an error redirect: {other:?}"),
    }
}

async fn the_resource_of_the_authorization_becomes_the_audience_of_every_token() {
    let server = TestServer::start().await;
    server.create_user("alice");
    let app = app(&server);
    let browser = Browser::new();
    let code = server
        .authorize_with(&browser, &app, "alice", "openid", &[("resource", FILES)])
        .await
        .unwrap();
    let (status, tokens) = server
        .token_request(
            &app,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", crate::support::REDIRECT_URI),
                ("resource", FILES),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(jwt_payload(access)["aud"], FILES);
    assert_eq!(introspect(&server, &app, access).await["aud"], FILES);
    // The ID token is still for the client, and UserInfo still answers (openid).
    let id_token = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["aud"], json!([app.client.id.as_str()]));
    assert_eq!(server.userinfo(access).await.0, 200);

    // §2.2: a refresh may not widen the audience beyond the authorization's resources…
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (status, error) = server
        .token_request(
            &app,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("resource", CALENDAR),
            ],
        )
        .await;
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("invalid_target")),
        "{error}"
    );
    // …and without `resource` it keeps the authorization's.
    let (status, refreshed) = server
        .token_request(
            &app,
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        )
        .await;
    assert_eq!(status, 200, "{refreshed}");
    let access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(jwt_payload(access)["aud"], FILES);

    // Two resources at authorization: the token request picks one, or gets both.
    let code = server
        .authorize_with(
            &browser,
            &app,
            "alice",
            "openid",
            &[("resource", FILES), ("resource", CALENDAR)],
        )
        .await
        .unwrap();
    let (status, both) = server.exchange(&app, &code).await;
    assert_eq!(status, 200, "{both}");
    let access = both["access_token"].as_str().unwrap();
    assert_eq!(jwt_payload(access)["aud"], json!([FILES, CALENDAR]));
    assert_eq!(
        introspect(&server, &app, access).await["aud"],
        json!([FILES, CALENDAR])
    );

    // Without any resource, the client's default audience as before: its first one.
    let (status, plain) = server.code_flow(&app, "alice", "openid").await;
    assert_eq!(status, 200, "{plain}");
    assert_eq!(
        jwt_payload(plain["access_token"].as_str().unwrap())["aud"],
        FILES
    );
}

async fn a_resource_the_client_may_not_use_is_invalid_target() {
    let server = TestServer::start().await;
    server.create_user("alice");
    let app = app(&server);
    let issuer = server.url("");
    let issuer = issuer.trim_end_matches('/');
    for resources in [
        vec![ELSEWHERE],
        vec![FILES, ELSEWHERE],
        vec!["https://files.example/mcp#fragment"],
        vec!["/relative"],
    ] {
        let url = authorize_error(&server, &app, &resources).await;
        assert_eq!(
            query_param(&url, "error").as_deref(),
            Some("invalid_target"),
            "{url}"
        );
        assert_eq!(query_param(&url, "state").as_deref(), Some("st"), "{url}");
        assert_eq!(query_param(&url, "iss").as_deref(), Some(issuer), "{url}");
    }

    // client_credentials: the resource is the audience; another is refused.
    let (status, tokens) = server
        .token_request(
            &app,
            &[("grant_type", "client_credentials"), ("resource", CALENDAR)],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        jwt_payload(tokens["access_token"].as_str().unwrap())["aud"],
        CALENDAR
    );
    let (status, error) = server
        .token_request(
            &app,
            &[
                ("grant_type", "client_credentials"),
                ("resource", ELSEWHERE),
            ],
        )
        .await;
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("invalid_target")),
        "{error}"
    );

    // A code issued without a resource: the token request may name one of the client's,
    // not another.
    let code = server
        .authorize_with(&Browser::new(), &app, "alice", "openid", &[])
        .await
        .unwrap();
    let (status, error) = server
        .token_request(
            &app,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", crate::support::REDIRECT_URI),
                ("resource", ELSEWHERE),
            ],
        )
        .await;
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("invalid_target")),
        "{error}"
    );
}

async fn shared_resources_are_open_to_every_client() {
    let server = TestServer::start().await;
    let app = app(&server);
    let local = "http://127.0.0.1:8000/mcp";
    let run = server.admin(&[
        "settings",
        "set",
        "shared_resources",
        "https://x.example/#f",
    ]);
    assert!(!run.ok, "a resource with a fragment is refused");
    server
        .set_settings(&[("shared_resources", &format!("urn:example:shared {local}"))])
        .await;
    let run = server.admin(&["settings", "get", "shared_resources"]);
    assert_eq!(run.stdout.trim(), format!("urn:example:shared {local}"));
    for resource in ["urn:example:shared", local] {
        let (status, tokens) = server
            .token_request(
                &app,
                &[("grant_type", "client_credentials"), ("resource", resource)],
            )
            .await;
        assert_eq!(status, 200, "{tokens}");
        assert_eq!(
            jwt_payload(tokens["access_token"].as_str().unwrap())["aud"],
            resource
        );
    }
    let (status, _) = server
        .token_request(
            &app,
            &[
                ("grant_type", "client_credentials"),
                ("resource", "urn:example:other"),
            ],
        )
        .await;
    assert_eq!(status, 400);
}

async fn the_any_https_resource_setting_admits_every_https_resource_and_nothing_else() {
    let server = TestServer::start().await;
    let app = app(&server);
    let (status, _) = server
        .token_request(
            &app,
            &[
                ("grant_type", "client_credentials"),
                ("resource", ELSEWHERE),
            ],
        )
        .await;
    assert_eq!(status, 400);
    server.set_settings(&[("any_https_resource", "true")]).await;
    let (status, tokens) = server
        .token_request(
            &app,
            &[
                ("grant_type", "client_credentials"),
                ("resource", ELSEWHERE),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        jwt_payload(tokens["access_token"].as_str().unwrap())["aud"],
        ELSEWHERE
    );
    for refused in ["http://elsewhere.example/", "urn:example:elsewhere"] {
        let (status, error) = server
            .token_request(
                &app,
                &[("grant_type", "client_credentials"), ("resource", refused)],
            )
            .await;
        assert_eq!(
            (status, error["error"].as_str()),
            (400, Some("invalid_target")),
            "{refused}: {error}"
        );
    }
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    the_resource_of_the_authorization_becomes_the_audience_of_every_token,
    a_resource_the_client_may_not_use_is_invalid_target,
    shared_resources_are_open_to_every_client,
    the_any_https_resource_setting_admits_every_https_resource_and_nothing_else,
);
