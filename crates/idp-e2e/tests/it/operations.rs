//! What operators watch: probes and Prometheus metrics.

use crate::support::{api_http, query_param, Browser, TestServer, PASSWORD, REDIRECT_URI};

async fn get(server: &TestServer, path: &str) -> (u16, String) {
    let response = api_http().get(server.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn probes_answer_and_metrics_are_not_public_by_default() {
    let server = TestServer::start().await;
    assert_eq!(get(&server, "/healthz").await, (200, "ok\n".to_owned()));
    assert_eq!(get(&server, "/readyz").await, (200, "ready\n".to_owned()));
    assert_eq!(get(&server, "/metrics").await.0, 404);
}

async fn readiness_fails_while_the_schema_is_not_the_programs() {
    let server = TestServer::start().await;
    // As if the database had been restored from before the last migration.
    server
        .db
        .execute("DELETE FROM __diesel_schema_migrations WHERE version = '20261201000000'");
    let response = api_http().get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    // Liveness does not depend on the database.
    assert_eq!(get(&server, "/healthz").await.0, 200);
}

async fn metrics_count_requests_tokens_and_login_failures() {
    let server = TestServer::start_with(|s| s.metrics_on_main_listener = true).await;
    server.create_user("mallory");
    let created = server.create_client(|c| c.first_party = true);
    let id = created.client.id.as_str().to_owned();
    let authorize = server.url(&format!(
        "/authorize?response_type=code&client_id={id}&redirect_uri={REDIRECT_URI}\
         &scope=openid&state=s&nonce=n"
    ));
    let browser = Browser::new();
    let landing = browser.open(&authorize).await;
    let landing = browser.log_in(landing, "mallory", "wrong password").await;
    let callback = browser
        .log_in(landing, "mallory", PASSWORD)
        .await
        .client_url();
    let code = query_param(&callback, "code").unwrap();
    let response = api_http()
        .post(server.url("/token"))
        .basic_auth(&id, created.secret.as_deref())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let (status, metrics) = get(&server, "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(
        crate::support::metrics_sample(
            &metrics,
            "idp_tokens_issued_total{grant_type=\"authorization_code\"}"
        ),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        crate::support::metrics_sample(&metrics, "idp_login_failures_total"),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        crate::support::metrics_sample(
            &metrics,
            "idp_http_requests_total{route=\"/token\",method=\"POST\",status=\"200\"}"
        ),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        crate::support::metrics_sample(
            &metrics,
            "idp_http_request_duration_seconds_count{route=\"/token\"}"
        ),
        Some(1.0),
        "{metrics}"
    );
    assert!(
        crate::support::metrics_sample(&metrics, "idp_db_pool_connections ").unwrap() >= 1.0,
        "{metrics}"
    );
    assert!(
        crate::support::metrics_sample(&metrics, "idp_db_pool_connections_max ").unwrap() >= 1.0,
        "{metrics}"
    );
    // Raw paths never become labels.
    assert_eq!(get(&server, "/no/such/path/12345").await.0, 404);
    let (_, metrics) = get(&server, "/metrics").await;
    assert!(!metrics.contains("12345"), "{metrics}");
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    probes_answer_and_metrics_are_not_public_by_default,
    readiness_fails_while_the_schema_is_not_the_programs,
    metrics_count_requests_tokens_and_login_failures,
);
