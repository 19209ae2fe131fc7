//! Messages left while nobody could answer: carried on as a ticket once the customer is quiet,
//! told in the chat, added to the same ticket when they write again, answered by mail (relayed
//! to a real SMTP server); and left alone while an agent is there to take them.

use super::email::{Sink, config as mail_config, free_port};
use super::routing::{agent, customer_starts, offered_to, set_presence, until};
use super::{TestApp, spawn_app_with};
use kefu_server::ServerConfig;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

const QUIET: Duration = Duration::from_millis(400);

async fn visitor_says(app: &TestApp, visitor: &str, id: &str, body: &str) {
    let (status, message) = app
        .call(
            Method::POST,
            &format!("/api/v1/widget/conversations/{id}/messages"),
            Some(visitor),
            Some(json!({"body": body})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
}

/// What the visitor sees of the conversation: its messages.
async fn visitor_messages(app: &TestApp, visitor: &str, id: &str) -> Vec<Value> {
    let (status, page) = app
        .call(
            Method::GET,
            &format!("/api/v1/widget/conversations/{id}/messages"),
            Some(visitor),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn tickets_of(app: &TestApp, token: &str, conversation: &str) -> Vec<Value> {
    let (status, page) = app.get("/api/v1/tickets?limit=100", token).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["conversation_id"] == conversation)
        .cloned()
        .collect()
}

async fn comments(app: &TestApp, token: &str, ticket: &Value) -> Vec<Value> {
    let (status, page) = app
        .get(
            &format!(
                "/api/v1/tickets/{}/comments",
                ticket["id"].as_str().unwrap()
            ),
            token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_message_left_with_nobody_there_becomes_a_ticket_and_the_customer_is_told() {
    let relay_port = free_port();
    let sink = Sink::start(relay_port).await;
    let app = spawn_app_with(ServerConfig {
        left_message_ticket_after: Some(QUIET),
        public_url: Some("https://help.acme.example/".into()),
        ..mail_config(Some(relay_port))
    })
    .await;
    let org = app.org("acme").await;
    let inbox = app.inbox(&org.admin).await;
    let inbox_id = inbox["id"].as_str().unwrap();
    let (id, visitor) = customer_starts(
        &app,
        inbox_id,
        json!({"contact": {"name": "王芳", "email": "wang@example.com"}}),
    )
    .await;
    visitor_says(&app, &visitor, &id, "你好，我的订单 SO-88 还没发货").await;
    visitor_says(&app, &visitor, &id, "麻烦看一下，谢谢").await;

    let carried = until(&app, &org.agent, &id, |c| c["status"] == "resolved").await;
    assert_eq!(carried["disposition"], "transferred_to_ticket");
    let tickets = tickets_of(&app, &org.agent, &id).await;
    assert_eq!(tickets.len(), 1, "{tickets:?}");
    let ticket = &tickets[0];
    assert_eq!(ticket["subject"], "你好，我的订单 SO-88 还没发货");
    assert_eq!(ticket["channel"], "web");
    assert_eq!(ticket["status"], "new");
    assert_eq!(ticket["tags"], json!(["left-message"]));
    assert_eq!(ticket["requester_id"], carried["customer_id"]);
    let description = ticket["description"].as_str().unwrap();
    assert!(
        description.contains("SO-88") && description.contains("麻烦看一下"),
        "{description}"
    );
    let number = ticket["number"].as_i64().unwrap();

    // The customer reads the number in the chat, in their language.
    let seen = visitor_messages(&app, &visitor, &id).await;
    let notice = seen.last().unwrap();
    assert_eq!(notice["sender_kind"], "system");
    let text = notice["body"].as_str().unwrap();
    assert!(
        text.contains(&format!("#{number}")) && text.contains("工单"),
        "{text}"
    );

    // Writing again (within the reopen window) adds to the same ticket, not a second one.
    visitor_says(&app, &visitor, &id, "补充：收货电话 13800000000").await;
    let again = until(&app, &org.agent, &id, |c| {
        c["status"] == "resolved" && c["resolved_at"] != carried["resolved_at"]
    })
    .await;
    assert_eq!(again["disposition"], "transferred_to_ticket");
    let tickets = tickets_of(&app, &org.agent, &id).await;
    assert_eq!(tickets.len(), 1, "{tickets:?}");
    let added = comments(&app, &org.agent, &tickets[0]).await;
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0]["author_kind"], "customer");
    let body = added[0]["body"].as_str().unwrap();
    assert!(
        body.contains("13800000000") && !body.contains("SO-88"),
        "only the new message: {body}"
    );
    let notices = visitor_messages(&app, &visitor, &id)
        .await
        .into_iter()
        .filter(|m| m["sender_kind"] == "system")
        .count();
    assert_eq!(notices, 2);

    // Agents' public reply goes to the address the customer gave, through the mail outbox.
    let (status, mailbox) = app
        .post(
            "/api/v1/mailboxes",
            &org.admin,
            json!({"address": "support@acme.example", "display_name": "Acme"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mailbox}");
    let ticket_id = tickets[0]["id"].as_str().unwrap();
    let (status, reply) = app
        .post(
            &format!("/api/v1/tickets/{ticket_id}/comments"),
            &org.agent,
            json!({"body": "已为您催促仓库，今天发出。", "public": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let mail = String::from_utf8_lossy(&sink.wait_for(1).await[0]).into_owned();
    assert!(mail.contains("wang@example.com"), "{mail}");
    assert!(mail.contains(&format!("[#{number}]")), "{mail}");
    // With no email thread to answer, the customer follows the ticket by its status link.
    let (_, link) = app
        .get(
            &format!("/api/v1/tickets/{ticket_id}/status-link"),
            &org.agent,
        )
        .await;
    let url = link["url"].as_str().unwrap();
    assert!(url.starts_with("https://help.acme.example/t/"), "{url}");
    let text = kefu_mail::parse(mail.as_bytes(), 1 << 20).unwrap().text;
    assert!(
        text.contains("已为您催促仓库") && text.contains(url),
        "{text}"
    );
}

#[tokio::test]
async fn nothing_is_carried_while_an_agent_can_answer_or_the_customer_is_still_writing() {
    // Longer than the others: "still writing" must hold on a loaded machine too.
    let quiet = Duration::from_secs(2);
    let app = spawn_app_with(ServerConfig {
        left_message_ticket_after: Some(quiet),
        ..ServerConfig::default()
    })
    .await;
    let org = app.org("acme").await;
    let inbox = app.inbox(&org.admin).await;
    let inbox_id = inbox["id"].as_str().unwrap();

    // Nobody there, but the customer keeps writing: never quiet long enough.
    let (id, visitor) = customer_starts(&app, inbox_id, json!({})).await;
    for n in 0..4 {
        visitor_says(&app, &visitor, &id, &format!("line {n}")).await;
        tokio::time::sleep(quiet / 5).await;
    }
    let (_, conversation) = app
        .get(&format!("/api/v1/conversations/{id}"), &org.agent)
        .await;
    assert_eq!(conversation["status"], "queued", "{conversation}");
    assert!(tickets_of(&app, &org.agent, &id).await.is_empty());

    // With an agent available from the start, a conversation is offered and stays one.
    let lina = agent(&app, &org, "lina", 2, &[]).await;
    set_presence(&app, &lina, "available").await;
    let (served, visitor) = customer_starts(&app, inbox_id, json!({})).await;
    visitor_says(&app, &visitor, &served, "有人吗").await;
    until(&app, &lina.token, &served, offered_to(&lina)).await;
    tokio::time::sleep(quiet * 2).await;
    let (_, conversation) = app
        .get(&format!("/api/v1/conversations/{served}"), &org.agent)
        .await;
    assert_eq!(conversation["status"], "offered", "{conversation}");
    assert!(tickets_of(&app, &org.agent, &served).await.is_empty());
}
