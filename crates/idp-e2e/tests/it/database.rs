//! The server and its database: PostgreSQL going away while the server runs.

use std::time::Duration;

use idp_testdb::Backend;

use crate::support::{api_http, TestServer};

/// A token request that needs the database (the client is looked up, the code is not
/// found): 400 `invalid_grant` while the database answers.
async fn token_request(server: &TestServer, client_id: &str, secret: &str) -> reqwest::Response {
    api_http()
        .post(server.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "no-such-code"),
            ("redirect_uri", crate::support::REDIRECT_URI),
        ])
        .send()
        .await
        .unwrap()
}

async fn a_database_that_fails_while_serving_gives_503_with_retry_after_and_recovers() {
    let server = TestServer::start_with(|s| s.database_pool_timeout_ms = 300).await;
    let created = server.create_client(|_| {});
    let (id, secret) = (
        created.client.id.as_str().to_owned(),
        created.secret.clone().unwrap(),
    );
    assert_eq!(token_request(&server, &id, &secret).await.status(), 400);

    // The outage: no new connections, and every open one cut.
    let name = server.db.postgres_name().unwrap().to_owned();
    server
        .db
        .admin_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
    server.db.admin_execute(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ));
    for attempt in 0..3 {
        let response = token_request(&server, &id, &secret).await;
        assert_eq!(response.status(), 503, "attempt {attempt}");
        assert!(response.headers().contains_key("retry-after"));
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "temporarily_unavailable");
    }
    let ready = api_http().get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert!(ready.headers().contains_key("retry-after"));

    // Back again: the same server answers normally, without a restart.
    server
        .db
        .admin_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
    let mut status = 0;
    for _ in 0..50 {
        status = token_request(&server, &id, &secret).await.status().as_u16();
        if status == 400 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 400, "the server did not recover");
    let ready = api_http().get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}

#[test]
fn postgres_outage_while_serving() {
    idp_testdb::run_on(Backend::Postgres, || {
        actix_web::rt::System::new()
            .block_on(a_database_that_fails_while_serving_gives_503_with_retry_after_and_recovers())
    });
}
