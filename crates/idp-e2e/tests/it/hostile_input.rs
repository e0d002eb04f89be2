//! Garbage, oversized and malformed requests get 4xx answers, never 5xx.

use crate::support::{api_http, TestServer};

async fn status_of(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}

fn assert_4xx(status: u16, what: &str) {
    assert!((400..500).contains(&status), "{what}: got {status}");
}

async fn garbage_and_oversized_bodies_get_4xx_never_5xx() {
    let server = TestServer::start().await;
    let http = api_http();
    let form = "application/x-www-form-urlencoded";
    let big = vec![b'a'; 2 * 1024 * 1024];
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 256) as u8).collect();
    for path in ["/token", "/login", "/consent", "/authorize", "/userinfo"] {
        let url = server.url(path);
        let oversized = status_of(
            http.post(&url)
                .header("content-type", form)
                .body(big.clone()),
        )
        .await;
        assert_eq!(oversized, 413, "{path} oversized");
        assert_4xx(
            status_of(
                http.post(&url)
                    .header("content-type", form)
                    .body(garbage.clone()),
            )
            .await,
            &format!("{path} garbage"),
        );
        assert_4xx(
            status_of(
                http.post(&url)
                    .header("content-type", "application/json")
                    .body("{\"a\":1}"),
            )
            .await,
            &format!("{path} json"),
        );
        assert_4xx(status_of(http.post(&url)).await, &format!("{path} empty"));
    }
    for query in [
        "%ZZ%%",
        "client_id=%FF%FE",
        "client_id=a&client_id=b",
        &"x=y&".repeat(500),
    ] {
        assert_4xx(
            status_of(http.get(format!("{}?{query}", server.url("/authorize")))).await,
            query,
        );
    }
    for header in ["Basic", "Basic !!!", "Basic Og==", "Bearer", "garbage"] {
        assert_4xx(
            status_of(
                http.post(server.url("/token"))
                    .header("authorization", header)
                    .form(&[("grant_type", "authorization_code")]),
            )
            .await,
            header,
        );
        assert_4xx(
            status_of(
                http.get(server.url("/userinfo"))
                    .header("authorization", header),
            )
            .await,
            header,
        );
    }
    assert_4xx(
        status_of(http.get(server.url("/login?request_id=nope"))).await,
        "unknown request",
    );
    assert_4xx(
        status_of(http.get(server.url("/consent"))).await,
        "consent without request",
    );
}

idp_testdb::on_both_backends!(
    async actix_web::rt::System;
    garbage_and_oversized_bodies_get_4xx_never_5xx,
);
