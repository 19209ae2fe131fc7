//! The error contract, OpenAPI completeness, health, readiness and metrics.
use super::spawn_app;
use reqwest::{Method, StatusCode, header};
use serde_json::json;

async fn raw(
    app: &super::TestApp,
    token: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, serde_json::Value) {
    let mut request = app
        .http
        .post(format!("{}/api/v1/customers", app.url))
        .bearer_auth(token)
        .body(body);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn bad_input_gets_the_documented_code_and_changes_nothing() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let seq_before = app.store.last_event_seq(org.tenant.id).await.unwrap();
    let json_type = Some("application/json");
    let cases: Vec<(Option<&str>, Vec<u8>, StatusCode, &str)> = vec![
        (
            json_type,
            b"{\"name\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            json_type,
            br#"{"name": 42}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            json_type,
            br#"{"name": "x", "colour": "red"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            json_type,
            br#"{"name": "x", "identities": [{"kind": "fax", "value": "1"}]}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            json_type,
            br#"{"name": "x", "tier": "platinum"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_tier",
        ),
        (
            json_type,
            br#"{"name": "Wang\u0000Fang"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "nul_character",
        ),
        (
            json_type,
            br#"{"name": "   "}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "required",
        ),
        (
            json_type,
            br#"{"name": "x", "identities": [{"kind": "email", "value": "not-an-email"}]}"#
                .to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_identity",
        ),
        (
            json_type,
            format!(r#"{{"name": "{}"}}"#, "x".repeat(70_000)).into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            None,
            br#"{"name": "x"}"#.to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
    ];
    for (content_type, body, status, code) in cases {
        let preview = String::from_utf8_lossy(&body[..body.len().min(60)]).into_owned();
        let (got_status, got) = raw(&app, &org.agent, content_type, body).await;
        assert_eq!(
            (got_status, got["code"].as_str()),
            (status, Some(code)),
            "{preview}: {got}"
        );
        assert!(got["message"].is_string(), "every error has a message");
    }
    let (status, body) = app.get("/api/v1/customers?cursor=zzz", &org.agent).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_cursor"))
    );
    let (status, body) = app.get("/api/v1/customers?limit=0", &org.agent).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_limit"))
    );
    let (status, body) = app.get("/api/v1/users?role=root", &org.agent).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_query"))
    );
    let (status, body) = app.get("/api/v1/customers/not-a-uuid", &org.agent).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("resource_not_found"))
    );
    let (status, body) = app.get("/api/v1/no-such-thing", &org.agent).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("route_not_found"))
    );
    assert_eq!(
        app.store.last_event_seq(org.tenant.id).await.unwrap(),
        seq_before,
        "no failed request wrote anything"
    );
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = spawn_app().await;
    let (status, doc) = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/auth/login",
        "/api/v1/users/{id}",
        "/api/v1/customers/{id}/merge",
        "/api/v1/api-tokens",
        "/api/v1/audit",
        "/api/v1/events",
        "/healthz",
        "/readyz",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    // Every documented operation answers (not the router's 404/405) and every error is documented.
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let concrete = path
                .replace("{id}", &uuid::Uuid::nil().to_string())
                .replace("{identity_id}", &uuid::Uuid::nil().to_string())
                .replace("{canned_id}", &uuid::Uuid::nil().to_string());
            let response = app
                .http
                .request(
                    method.to_uppercase().parse().unwrap(),
                    format!("{}{concrete}", app.url),
                )
                .send()
                .await
                .unwrap();
            assert_ne!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            let body: serde_json::Value = response.json().await.unwrap_or(json!({}));
            assert_ne!(body["code"], "route_not_found", "{method} {path} is routed");
        }
    }
    let error_schema = &doc["components"]["schemas"]["ErrorBody"];
    assert!(error_schema["properties"]["code"].is_object());
    let docs_page = app
        .http
        .get(format!("{}/api/docs/", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(docs_page.status(), StatusCode::OK);
    assert!(
        docs_page.text().await.unwrap().contains("swagger"),
        "the docs page is served from vendored assets"
    );
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app().await;
    let (status, body) = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, body) = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ready"))
    );
    let metrics = app
        .http
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("kefu_http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/readyz\""));
}

#[tokio::test]
async fn an_unreachable_database_is_503_with_retry_after() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    app.store.close().await;
    for path in ["/readyz", "/api/v1/customers"] {
        let response = app
            .http
            .get(format!("{}{path}", app.url))
            .bearer_auth(&org.agent)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(response.headers().contains_key(header::RETRY_AFTER));
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "database_unavailable");
    }
    let (status, _) = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK, "the process is still up");
}

#[tokio::test]
async fn the_event_log_resumes_after_a_sequence() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (_, first) = app
        .get("/api/v1/events?after=0&limit=1000", &org.supervisor)
        .await;
    let last = first["last_seq"].as_i64().unwrap();
    app.post("/api/v1/customers", &org.agent, json!({"name": "A"}))
        .await;
    app.post("/api/v1/customers", &org.agent, json!({"name": "B"}))
        .await;
    let (status, next) = app
        .get(&format!("/api/v1/events?after={last}"), &org.supervisor)
        .await;
    assert_eq!(status, StatusCode::OK);
    let events = next["events"].as_array().unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["customer.created", "customer.created"]);
    assert_eq!(events[0]["seq"].as_i64().unwrap(), last + 1);
    let (status, _) = app.get("/api/v1/events", &org.agent).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "agents do not read the whole log"
    );
}
