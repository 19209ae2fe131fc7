//! The requester's status link: the secret opens one ticket's number, subject, status and
//! public replies (never internal notes) without an account, and takes the customer's answer.

use super::{spawn_app, spawn_app_with};
use kefu_server::ServerConfig;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_link_shows_public_replies_takes_answers_and_stops_at_closed() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (_, customer) = app
        .post("/api/v1/customers", &org.agent, json!({"name": "王芳"}))
        .await;
    let (_, ticket) = app
        .post(
            "/api/v1/tickets",
            &org.agent,
            json!({"subject": "发票抬头错误", "requester_id": customer["id"]}),
        )
        .await;
    let id = ticket["id"].as_str().unwrap();
    let (status, link) = app
        .get(&format!("/api/v1/tickets/{id}/status-link"), &org.agent)
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let token = link["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), kefu_store::STATUS_TOKEN_CHARS);
    assert_eq!(link["path"], format!("/t/{token}"));
    assert_eq!(
        link["url"],
        serde_json::Value::Null,
        "no public_url configured"
    );
    let (_, again) = app
        .get(&format!("/api/v1/tickets/{id}/status-link"), &org.agent)
        .await;
    assert_eq!(again["token"], token.as_str(), "one link per ticket");

    for (public, body) in [
        (true, "已为您重开发票，请查收。"),
        (false, "内部：财务已处理"),
    ] {
        let (status, _) = app
            .post(
                &format!("/api/v1/tickets/{id}/comments"),
                &org.agent,
                json!({"body": body, "public": public}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, _) = app
        .patch(
            &format!("/api/v1/tickets/{id}"),
            &org.agent,
            json!({"status": "pending_customer"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let page_path = format!("/api/v1/status/{token}");
    let (status, page) = app.call(Method::GET, &page_path, None, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["number"], ticket["number"]);
    assert_eq!(page["subject"], "发票抬头错误");
    assert_eq!(page["status"], "pending_customer");
    assert_eq!(page["can_reply"], true);
    let replies = page["replies"].as_array().unwrap();
    assert_eq!(replies.len(), 1, "internal notes never show: {page}");
    assert_eq!(replies[0]["body"], "已为您重开发票，请查收。");
    assert_eq!(replies[0]["author_kind"], "agent");
    assert_eq!(replies[0]["author_name"], "agent");

    // The customer's answer is the requester's comment, and brings the ticket back to open.
    let (status, blank) = app
        .call(
            Method::POST,
            &format!("{page_path}/replies"),
            None,
            Some(json!({"body": "  "})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{blank}");
    let (status, after) = app
        .call(
            Method::POST,
            &format!("{page_path}/replies"),
            None,
            Some(json!({"body": "收到了，谢谢！"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{after}");
    assert_eq!(after["status"], "open");
    assert_eq!(after["replies"][1]["author_kind"], "customer");
    let (_, comments) = app
        .get(&format!("/api/v1/tickets/{id}/comments"), &org.agent)
        .await;
    let last = comments["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["author_kind"], "customer");
    assert_eq!(last["author_id"], customer["id"]);
    assert_eq!(last["public"], true);

    // Solved, then closed: the page still opens, but takes no more answers.
    for status in ["solved", "closed"] {
        let (code, body) = app
            .patch(
                &format!("/api/v1/tickets/{id}"),
                &org.agent,
                json!({"status": status}),
            )
            .await;
        assert_eq!(code, StatusCode::OK, "{body}");
    }
    let (_, closed) = app.call(Method::GET, &page_path, None, None).await;
    assert_eq!(closed["can_reply"], false);
    let (status, refused) = app
        .call(
            Method::POST,
            &format!("{page_path}/replies"),
            None,
            Some(json!({"body": "还有问题"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "ticket_closed");

    // The page itself is served for the link.
    let html = app
        .http
        .get(format!("{}/t/{token}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("/status.js"), "{html}");
}

#[tokio::test]
async fn a_token_opens_its_own_ticket_only_and_guesses_open_nothing() {
    let app = spawn_app_with(ServerConfig {
        public_url: Some("https://support.example.com".into()),
        ..ServerConfig::default()
    })
    .await;
    let acme = app.org("acme").await;
    let other = app.org("other").await;
    let mut tokens = Vec::new();
    for (org, subject) in [(&acme, "acme's"), (&other, "other's")] {
        let (_, customer) = app
            .post("/api/v1/customers", &org.agent, json!({"name": "C"}))
            .await;
        let (_, ticket) = app
            .post(
                "/api/v1/tickets",
                &org.agent,
                json!({"subject": subject, "requester_id": customer["id"]}),
            )
            .await;
        let id = ticket["id"].as_str().unwrap();
        let (_, link) = app
            .get(&format!("/api/v1/tickets/{id}/status-link"), &org.agent)
            .await;
        let token = link["token"].as_str().unwrap().to_owned();
        assert_eq!(
            link["url"],
            format!("https://support.example.com/t/{token}")
        );
        // Another tenant's staff cannot fetch this ticket's link.
        let stranger = if org.tenant.id == acme.tenant.id {
            &other.admin
        } else {
            &acme.admin
        };
        let (status, _) = app
            .get(&format!("/api/v1/tickets/{id}/status-link"), stranger)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        tokens.push((token, subject));
    }
    for (token, subject) in &tokens {
        let (_, page) = app
            .call(Method::GET, &format!("/api/v1/status/{token}"), None, None)
            .await;
        assert_eq!(page["subject"], *subject);
    }
    let guessed = "0".repeat(kefu_store::STATUS_TOKEN_CHARS);
    for token in [
        guessed.as_str(),
        "short",
        "../../etc/passwd",
        &"g".repeat(64),
    ] {
        for method in [Method::GET, Method::POST] {
            let path = match method {
                Method::GET => format!("/api/v1/status/{token}"),
                _ => format!("/api/v1/status/{token}/replies"),
            };
            let body = (method == Method::POST).then(|| json!({"body": "hi"}));
            let (status, error) = app.call(method, &path, None, body).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {error}");
        }
    }
}
