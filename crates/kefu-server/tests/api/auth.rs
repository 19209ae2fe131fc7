use super::{PASSWORD, spawn_app};
use reqwest::{Method, StatusCode, header};
use serde_json::json;

#[tokio::test]
async fn login_gives_a_bearer_token_and_an_httponly_cookie() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let response = app
        .http
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"email": "AGENT@acme.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("kefu_session=kfs_")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["user"]["role"], "agent");
    assert_eq!(body["tenant"]["slug"], "acme");
    assert!(body["user"].get("password_hash").is_none());

    let (status, me) = app
        .get("/api/v1/auth/me", body["token"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["id"], org.agent_id.to_string());

    // The cookie alone authenticates too.
    let session = cookie.split(';').next().unwrap();
    let by_cookie = app
        .http
        .get(format!("{}/api/v1/auth/me", app.url))
        .header(header::COOKIE, session)
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), StatusCode::OK);
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_401() {
    let app = spawn_app().await;
    app.org("acme").await;
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "agent@acme.test", "password": "nope-nope"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "ghost@acme.test", "password": PASSWORD})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
    let (status, body) = app.call(Method::GET, "/api/v1/customers", None, None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let (status, _) = app.get("/api/v1/customers", "kfs_forged").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (status, _) = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&org.agent), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get("/api/v1/auth/me", &org.agent).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.get("/api/v1/auth/me", &org.admin).await;
    assert_eq!(status, StatusCode::OK, "other sessions stay valid");
}

#[tokio::test]
async fn repeated_failures_lock_the_account_with_retry_after() {
    let app = spawn_app().await;
    app.org("acme").await;
    for _ in 0..10 {
        let (status, _) = app
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": "admin@acme.test", "password": "guess-guess"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let response = app
        .http
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"email": "admin@acme.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry_after: u64 = response
        .headers()
        .get(header::RETRY_AFTER)
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    // Another account from the same address is not locked by this one's failures.
    app.login("agent@acme.test", PASSWORD).await;
}

#[tokio::test]
async fn one_address_is_limited_across_accounts() {
    let app = spawn_app().await;
    let mut limited = false;
    for i in 0..31 {
        let (status, _) = app
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": format!("u{i}@x.test"), "password": "whatever1"})),
            )
            .await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            assert_eq!(i, 30, "the 31st attempt is the first refused");
        }
    }
    assert!(limited);
}

#[tokio::test]
async fn password_change_checks_the_current_password() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/v1/auth/password",
            Some(&org.agent),
            Some(json!({"current_password": "wrong-one", "new_password": "a-new-password"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("wrong_password"))
    );
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/v1/auth/password",
            Some(&org.agent),
            Some(json!({"current_password": PASSWORD, "new_password": "short"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("weak_password"))
    );
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/v1/auth/password",
            Some(&org.agent),
            Some(json!({"current_password": PASSWORD, "new_password": "a-new-password"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    app.login("agent@acme.test", "a-new-password").await;
}

#[tokio::test]
async fn the_same_email_in_two_tenants_needs_the_tenant() {
    let app = spawn_app().await;
    app.org("acme").await;
    app.org("globex").await;
    // Both orgs have owner@<slug>.test; make a shared address in both.
    for slug in ["acme", "globex"] {
        let tenant = app.store.tenant_by_slug(slug).await.unwrap().unwrap();
        let hash = kefu_server::auth::hash_password(PASSWORD.into())
            .await
            .unwrap();
        app.store
            .create_user(
                tenant.id,
                kefu_store::NewUser {
                    email: "temp@bpo.test".into(),
                    display_name: "Temp".into(),
                    role: kefu_core::Role::Agent,
                    password_hash: Some(hash),
                    profile: Default::default(),
                    group_ids: vec![],
                },
                &kefu_store::Actor::system(),
            )
            .await
            .unwrap();
    }
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "temp@bpo.test", "password": PASSWORD})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("tenant_required"))
    );
    assert_eq!(body["details"]["tenants"], json!(["acme", "globex"]));
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "temp@bpo.test", "password": PASSWORD, "tenant": "globex"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["tenant"]["slug"], "globex");
}
