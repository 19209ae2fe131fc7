//! Conversations over HTTP: a visitor (anonymous or vouched for by the site's HMAC) talks,
//! an agent takes the conversation, replies and adds a note the visitor never sees, resolves it,
//! and the visitor rates it. Retries, wrong tokens and closed conversations get their codes.

use super::{TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// hex(HMAC-SHA256(secret, user_id)), computed as a site's server would.
fn site_hash(secret: &str, user_id: &str) -> String {
    kefu_server::visitor::user_hash(secret, user_id).unwrap()
}

async fn session(app: &TestApp, inbox_id: &str, body: Value) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/api/v1/widget/{inbox_id}/session"),
        None,
        Some(body),
    )
    .await
}

fn bodies(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_visitor_and_an_agent_hold_a_conversation() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let inbox = app.inbox(&org.admin).await;
    let inbox_id = inbox["id"].as_str().unwrap();
    let visitor = app.visitor(inbox_id).await;
    assert!(visitor.starts_with("kfv_"));

    let (status, conversation) = app
        .post(
            "/api/v1/widget/conversations",
            &visitor,
            json!({"language": "zh-CN"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{conversation}");
    assert_eq!(conversation["status"], "queued");
    let id = conversation["id"].as_str().unwrap();
    let widget_messages = format!("/api/v1/widget/conversations/{id}/messages");
    let send = json!({"body": "<b>我的快递</b> 还没到", "client_msg_id": "c-1"});
    let (status, first) = app.post(&widget_messages, &visitor, send.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, retry) = app.post(&widget_messages, &visitor, send).await;
    assert_eq!(
        (status, &retry),
        (StatusCode::OK, &first),
        "a retry is stored once"
    );

    // The agent sees it waiting, takes it, replies and leaves a note.
    let (_, queued) = app
        .get("/api/v1/conversations?status=queued", &org.agent)
        .await;
    assert_eq!(queued["items"][0]["id"], id);
    let agent_messages = format!("/api/v1/conversations/{id}/messages");
    let (status, _) = app
        .post(&agent_messages, &org.agent, json!({"body": "您好"}))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "replying needs the conversation"
    );
    let (status, taken) = app
        .post(
            &format!("/api/v1/conversations/{id}/assign"),
            &org.agent,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, taken["status"].as_str()),
        (StatusCode::OK, Some("assigned"))
    );
    let (status, again) = app
        .post(
            &format!("/api/v1/conversations/{id}/assign"),
            &org.agent,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{again}");
    let (status, _) = app
        .post(
            &agent_messages,
            &org.agent,
            json!({"body": "您好，正在为您查询"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .post(
            &agent_messages,
            &org.supervisor,
            json!({"body": "VIP, refund if late", "kind": "note"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, mine) = app
        .get("/api/v1/conversations?assignee=me", &org.agent)
        .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);

    let (_, seen_by_visitor) = app.get(&widget_messages, &visitor).await;
    assert_eq!(
        bodies(&seen_by_visitor),
        ["<b>我的快递</b> 还没到", "您好，正在为您查询"]
    );
    let (_, seen_by_agent) = app.get(&agent_messages, &org.agent).await;
    assert_eq!(bodies(&seen_by_agent).len(), 3, "agents see the note");

    let (status, resolved) = app
        .post(
            &format!("/api/v1/conversations/{id}/resolve"),
            &org.agent,
            json!({"disposition": "answered"}),
        )
        .await;
    assert_eq!(
        (status, resolved["status"].as_str()),
        (StatusCode::OK, Some("resolved"))
    );
    let rating = format!("/api/v1/widget/conversations/{id}/rating");
    let (status, rated) = app
        .post(&rating, &visitor, json!({"rating": 5, "comment": "很快"}))
        .await;
    assert_eq!(
        (status, rated["rating"].as_i64()),
        (StatusCode::OK, Some(5))
    );
    let (status, twice) = app.post(&rating, &visitor, json!({"rating": 1})).await;
    assert_eq!(
        (status, twice["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_rated"))
    );

    // Every step is in the event log, in order.
    let (_, events) = app
        .get("/api/v1/events?after=0&limit=200", &org.owner)
        .await;
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity_id"] == id)
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "conversation.created",
            "message.created",
            "conversation.assigned",
            "message.created",
            "message.created",
            "conversation.resolved",
            "conversation.rated"
        ]
    );
}

#[tokio::test]
async fn sites_vouch_for_their_users_with_an_hmac() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let inbox = app.inbox(&org.admin).await;
    let (inbox_id, secret) = (
        inbox["id"].as_str().unwrap(),
        inbox["secret"].as_str().unwrap(),
    );
    let good = json!({"user_id": "u-42", "user_hash": site_hash(secret, "u-42"), "name": "王芳"});
    let (status, first) = session(&app, inbox_id, good.clone()).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    // Another device of the same user is the same customer.
    let (_, second) = session(&app, inbox_id, good).await;
    assert_eq!(first["customer_id"], second["customer_id"]);
    assert_ne!(first["visitor_token"], second["visitor_token"]);
    let (status, customer) = app
        .get(
            "/api/v1/customers/lookup?kind=app_user_id&value=u-42",
            &org.agent,
        )
        .await;
    assert_eq!(
        (status, &customer["id"]),
        (StatusCode::OK, &first["customer_id"])
    );
    assert_eq!(customer["name"], "王芳");

    let forged = json!({"user_id": "u-43", "user_hash": site_hash(secret, "u-42")});
    let (status, err) = session(&app, inbox_id, forged).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_user_hash"))
    );
    let (status, _) = session(&app, inbox_id, json!({"user_id": "u-42"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A returning anonymous browser keeps its token and customer.
    let visitor = app.visitor(inbox_id).await;
    let (status, back) = session(&app, inbox_id, json!({"visitor_token": visitor})).await;
    assert_eq!(
        (status, back["visitor_token"].as_str()),
        (StatusCode::OK, Some(visitor.as_str()))
    );
}

#[tokio::test]
async fn bad_tokens_foreign_conversations_and_closed_ones_are_refused() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let inbox = app.inbox(&org.admin).await;
    let inbox_id = inbox["id"].as_str().unwrap();
    let (one, two) = (app.visitor(inbox_id).await, app.visitor(inbox_id).await);
    let (_, conversation) = app
        .post("/api/v1/widget/conversations", &one, json!({}))
        .await;
    let id = conversation["id"].as_str().unwrap();
    let messages = format!("/api/v1/widget/conversations/{id}/messages");

    let (status, err) = app
        .post(&messages, "kfv_forged", json!({"body": "hi"}))
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_visitor_token"))
    );
    let (status, _) = app.post(&messages, &org.agent, json!({"body": "hi"})).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a user session is not a visitor"
    );
    let (status, err) = app.get(&messages, &two).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("conversation_not_found"))
    );
    let (status, err) = session(&app, inbox_id, json!({"visitor_token": "kfv_nope"})).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_visitor_token"))
    );
    let (status, err) = session(&app, "00000000-0000-7000-8000-000000000000", json!({})).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("inbox_not_found"))
    );

    let long = "字".repeat(10_001);
    let (status, err) = app.post(&messages, &one, json!({"body": long})).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("message_too_long"))
    );
    let (status, err) = app
        .post(&messages, &one, json!({"body": "hi", "kind": "note"}))
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_field")),
        "{err}"
    );
    let (status, err) = app
        .post(
            "/api/v1/widget/conversations",
            &one,
            json!({"topic": "nope"}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_topic"))
    );

    // Resolved long ago (window 0 s would be needed to test expiry; here: an agent reply is refused).
    app.post(
        &format!("/api/v1/conversations/{id}/assign"),
        &org.supervisor,
        json!({"agent_id": org.agent_id}),
    )
    .await;
    app.post(
        &format!("/api/v1/conversations/{id}/resolve"),
        &org.agent,
        json!({}),
    )
    .await;
    let (status, err) = app
        .post(
            &format!("/api/v1/conversations/{id}/messages"),
            &org.agent,
            json!({"body": "再见"}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("conversation_closed"))
    );
    // The customer writing again within the window reopens it.
    let (status, _) = app.post(&messages, &one, json!({"body": "还有问题"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, reopened) = app
        .get(&format!("/api/v1/conversations/{id}"), &org.agent)
        .await;
    assert_eq!(reopened["status"], "queued");
    let (status, err) = app
        .get("/api/v1/conversations?status=nope", &org.agent)
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_query"))
    );
}

#[tokio::test]
async fn the_widget_api_answers_other_origins_and_new_visitors_start_at_the_newest_event() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let inbox = app.inbox(&org.admin).await;
    let inbox_id = inbox["id"].as_str().unwrap();
    let url = format!("{}/api/v1/widget/{inbox_id}/session", app.url);
    let preflight = app
        .http
        .request(Method::OPTIONS, &url)
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));
    let response = app
        .http
        .post(&url)
        .header("origin", "https://shop.example")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let session: Value = response.json().await.unwrap();
    let (_, events) = app
        .get("/api/v1/events?after=0&limit=1000", &org.owner)
        .await;
    assert_eq!(session["last_seq"], events["last_seq"]);
    // Staff endpoints stay same-origin.
    let staff = app
        .http
        .get(format!("{}/api/v1/customers", app.url))
        .header("origin", "https://shop.example")
        .bearer_auth(&org.agent)
        .send()
        .await
        .unwrap();
    assert!(staff.headers().get("access-control-allow-origin").is_none());
    // Agents see the inboxes they serve, but not the secret that vouches for users.
    let (status, inboxes) = app.get("/api/v1/inboxes", &org.agent).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(inboxes[0]["secret"], "");
    let (_, inboxes) = app.get("/api/v1/inboxes", &org.admin).await;
    assert_eq!(inboxes[0]["secret"], inbox["secret"]);
}
