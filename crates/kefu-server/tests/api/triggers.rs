//! Ticket triggers end to end: a trigger fires once with its changes, events and alert; all-of
//! and any-of conditions; a trigger's own change never fires triggers again; a restart neither
//! repeats nor skips; a template reply is mailed to an email customer (a real SMTP sink); a webhook action is
//! delivered signed; bad rules are a 422 naming the field.

use super::webhooks::{config as webhook_config, receiver};
use super::{Org, TestApp, spawn_app, spawn_app_with};
use kefu_store::Event;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

async fn customer(app: &TestApp, org: &Org, body: Value) -> Value {
    let (status, customer) = app.post("/api/v1/customers", &org.agent, body).await;
    assert_eq!(status, StatusCode::CREATED, "{customer}");
    customer
}

async fn ticket(app: &TestApp, org: &Org, body: Value) -> Value {
    let (status, ticket) = app.post("/api/v1/tickets", &org.agent, body).await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    ticket
}

async fn trigger(app: &TestApp, org: &Org, name: &str, rules: Value) -> Value {
    let (status, trigger) = app
        .post(
            "/api/v1/triggers",
            &org.admin,
            json!({"name": name, "rules": rules}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{trigger}");
    trigger
}

async fn events(app: &TestApp, org: &Org) -> Vec<Event> {
    app.store
        .events_since(org.tenant.id, 0, 1000)
        .await
        .unwrap()
}

async fn fired(app: &TestApp, org: &Org) -> Vec<Event> {
    events(app, org)
        .await
        .into_iter()
        .filter(|e| e.kind == "trigger.fired")
        .collect()
}

/// Polls until `n` triggers fired, then waits a little longer to see that no more do.
async fn settle(app: &TestApp, org: &Org, n: usize) -> Vec<Event> {
    for _ in 0..250 {
        if fired(app, org).await.len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = fired(app, org).await;
    assert_eq!(
        all.len(),
        n,
        "{:#?}",
        all.iter().map(|e| &e.payload.0).collect::<Vec<_>>()
    );
    all
}

async fn get_ticket(app: &TestApp, org: &Org, ticket: &Value) -> Value {
    let (_, read) = app
        .get(
            &format!("/api/v1/tickets/{}", ticket["id"].as_str().unwrap()),
            &org.agent,
        )
        .await;
    read
}

#[tokio::test]
async fn a_trigger_fires_once_with_its_changes_events_and_alert() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (_, group) = app
        .post(
            "/api/v1/groups",
            &org.admin,
            json!({"name": "VIP desk", "member_ids": [org.supervisor_id]}),
        )
        .await;
    let vip = trigger(
        &app,
        &org,
        "VIP escalation",
        json!({"on": "ticket_created",
               "all": [{"field": "priority", "operator": "is", "value": "urgent"}],
               "actions": [{"type": "add_tags", "tags": ["vip-escalation"]},
                           {"type": "set_group", "group_id": group["id"]},
                           {"type": "notify_groups", "group_ids": [group["id"]]}]}),
    )
    .await;
    let (_, list) = app.get("/api/v1/triggers", &org.admin).await;
    assert_eq!(list["items"][0]["id"], vip["id"]);
    let (status, _) = app.get("/api/v1/triggers", &org.agent).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins only");

    let requester = customer(&app, &org, json!({"name": "王芳"})).await;
    let calm = ticket(
        &app,
        &org,
        json!({"subject": "普通", "requester_id": requester["id"]}),
    )
    .await;
    let urgent = ticket(
        &app,
        &org,
        json!({"subject": "服务器宕机", "requester_id": requester["id"], "priority": "urgent", "tags": ["ops"]}),
    )
    .await;
    let fired = settle(&app, &org, 1).await;
    let payload = &fired[0].payload.0;
    assert_eq!(fired[0].actor_type, "trigger");
    assert_eq!(
        fired[0].actor_id.map(|id| id.to_string()),
        vip["id"].as_str().map(str::to_owned)
    );
    assert_eq!(payload["trigger"]["name"], "VIP escalation");
    assert_eq!(payload["ticket_id"], urgent["id"]);
    assert_eq!(payload["notify"], json!([org.supervisor_id]));

    let now = get_ticket(&app, &org, &urgent).await;
    assert_eq!(now["tags"], json!(["ops", "vip-escalation"]));
    assert_eq!(now["group_id"], group["id"]);
    let calm_now = get_ticket(&app, &org, &calm).await;
    assert_eq!(calm_now["tags"], json!([]), "not urgent: untouched");
    // The change is logged as the trigger's, with what changed.
    let updates: Vec<Event> = events(&app, &org)
        .await
        .into_iter()
        .filter(|e| e.kind == "ticket.updated" && e.actor_type == "trigger")
        .collect();
    assert_eq!(updates.len(), 1);
    assert_eq!(
        updates[0].payload.0["changes"]["tags"]["to"],
        json!(["ops", "vip-escalation"])
    );

    // A paused trigger does nothing.
    let (status, _) = app
        .patch(
            &format!("/api/v1/triggers/{}", vip["id"].as_str().unwrap()),
            &org.admin,
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    ticket(
        &app,
        &org,
        json!({"subject": "又宕机", "requester_id": requester["id"], "priority": "urgent"}),
    )
    .await;
    settle(&app, &org, 1).await;
}

#[tokio::test]
async fn all_of_and_any_of_conditions_on_comments() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    trigger(
        &app,
        &org,
        "refund replies",
        json!({"on": "comment_added",
               "all": [{"field": "comment_public", "operator": "is", "value": true}],
               "any": [{"field": "comment", "operator": "contains", "value": "REFUND"},
                       {"field": "tags", "operator": "contains", "value": "vip"}],
               "actions": [{"type": "set_priority", "value": "high"}]}),
    )
    .await;
    let requester = customer(&app, &org, json!({"name": "王芳"})).await;
    let t = ticket(
        &app,
        &org,
        json!({"subject": "退款", "requester_id": requester["id"]}),
    )
    .await;
    let comments = format!("/api/v1/tickets/{}/comments", t["id"].as_str().unwrap());
    // An internal note about a refund: `all` fails.
    app.post(
        &comments,
        &org.agent,
        json!({"body": "refund checked", "public": false}),
    )
    .await;
    // A public reply about nothing in `any`.
    app.post(
        &comments,
        &org.agent,
        json!({"body": "您好", "public": true}),
    )
    .await;
    settle(&app, &org, 0).await;
    assert_eq!(get_ticket(&app, &org, &t).await["priority"], "normal");
    // Public and about a refund (case-insensitive).
    app.post(
        &comments,
        &org.agent,
        json!({"body": "Your refund is on its way", "public": true}),
    )
    .await;
    settle(&app, &org, 1).await;
    assert_eq!(get_ticket(&app, &org, &t).await["priority"], "high");
}

#[tokio::test]
async fn a_triggers_own_change_never_fires_triggers_again() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    // Without the loop rule these two would answer each other for ever.
    trigger(
        &app,
        &org,
        "up",
        json!({"on": "ticket_updated",
               "all": [{"field": "priority", "operator": "changed_to", "value": "high"}],
               "actions": [{"type": "set_priority", "value": "urgent"}]}),
    )
    .await;
    trigger(
        &app,
        &org,
        "down",
        json!({"on": "ticket_updated",
               "all": [{"field": "priority", "operator": "changed_to", "value": "urgent"}],
               "actions": [{"type": "set_priority", "value": "high"}]}),
    )
    .await;
    let requester = customer(&app, &org, json!({"name": "王芳"})).await;
    let t = ticket(
        &app,
        &org,
        json!({"subject": "循环", "requester_id": requester["id"]}),
    )
    .await;
    let (status, _) = app
        .patch(
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
            &org.agent,
            json!({"priority": "high"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let fired = settle(&app, &org, 1).await;
    assert_eq!(fired[0].payload.0["trigger"]["name"], "up");
    assert_eq!(get_ticket(&app, &org, &t).await["priority"], "urgent");
}

#[tokio::test]
async fn a_restart_neither_repeats_nor_skips() {
    let mut app = spawn_app().await;
    let org = app.org("acme").await;
    trigger(
        &app,
        &org,
        "ack",
        json!({"on": "ticket_created",
               "actions": [{"type": "reply", "body": "#{{ticket.number}} 已收到, {{requester.name}}"}]}),
    )
    .await;
    let requester = customer(&app, &org, json!({"name": "王芳"})).await;
    let first = ticket(
        &app,
        &org,
        json!({"subject": "一", "requester_id": requester["id"]}),
    )
    .await;
    settle(&app, &org, 1).await;
    // Written while kefu is down: the follower picks it up when it is back.
    app.stop();
    let second = app
        .store
        .create_ticket(
            org.tenant.id,
            kefu_store::NewTicket {
                subject: "二".into(),
                description: String::new(),
                requester_id: requester["id"].as_str().unwrap().parse().unwrap(),
                channel: "api".into(),
                priority: kefu_core::TicketPriority::Normal,
                ticket_type: kefu_core::TicketType::Question,
                tags: vec![],
                assignee_id: None,
                group_id: None,
                conversation_id: None,
                custom_fields: Default::default(),
            },
            &kefu_store::Actor::system(),
        )
        .await
        .unwrap();
    app.restart().await;
    let org_token = app.login("agent@acme.test", super::PASSWORD).await;
    let fired = settle(&app, &org, 2).await;
    assert_eq!(fired[1].payload.0["ticket_id"], json!(second.id));
    for (t, number) in [
        (first["id"].as_str().unwrap().to_owned(), 1001),
        (second.id.to_string(), 1002),
    ] {
        let (_, comments) = app
            .get(&format!("/api/v1/tickets/{t}/comments"), &org_token)
            .await;
        let bodies: Vec<&str> = comments["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["body"].as_str().unwrap())
            .collect();
        assert_eq!(
            bodies,
            [format!("#{number} 已收到, 王芳")],
            "one reply each"
        );
    }
}

#[tokio::test]
async fn a_template_reply_on_an_email_ticket_is_mailed_to_the_customer() {
    let relay_port = super::email::free_port();
    let sink = super::email::Sink::start(relay_port).await;
    let app = spawn_app_with(super::email::config(Some(relay_port))).await;
    let org = app.org("acme").await;
    let (status, mailbox) = app
        .post(
            "/api/v1/mailboxes",
            &org.admin,
            json!({"address": "help@acme.example", "display_name": "Acme 客服"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mailbox}");
    trigger(
        &app,
        &org,
        "email ack",
        json!({"on": "ticket_created",
               "all": [{"field": "channel", "operator": "is", "value": "email"}],
               "actions": [{"type": "reply", "body": "{{requester.name}}，您好：工单 #{{ticket.number}}「{{ticket.subject}}」已收到。"}]}),
    )
    .await;
    let requester = customer(
        &app,
        &org,
        json!({"name": "王芳", "identities": [{"kind": "email", "value": "wang@example.cn"}]}),
    )
    .await;
    let t = ticket(
        &app,
        &org,
        json!({"subject": "发票", "requester_id": requester["id"], "channel": "email"}),
    )
    .await;
    settle(&app, &org, 1).await;
    let ticket_id: Uuid = t["id"].as_str().unwrap().parse().unwrap();
    let (_, comments) = app
        .get(&format!("/api/v1/tickets/{ticket_id}/comments"), &org.agent)
        .await;
    let reply = &comments["items"][0];
    assert_eq!(reply["body"], "王芳，您好：工单 #1001「发票」已收到。");
    assert_eq!(
        (reply["public"].as_bool(), reply["author_kind"].as_str()),
        (Some(true), Some("system"))
    );
    let mut outbox = Vec::new();
    for _ in 0..100 {
        outbox = app
            .store
            .ticket_outbox(org.tenant.id, ticket_id)
            .await
            .unwrap();
        if !outbox.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    assert_eq!(
        outbox[0].comment_id.to_string(),
        reply["id"].as_str().unwrap()
    );
    let sent = sink.wait_for(1).await;
    let mail = kefu_mail::parse(&sent[0], 1 << 20).unwrap();
    assert_eq!(mail.to[0].address, "wang@example.cn");
    assert_eq!(mail.subject, "[#1001] 发票");
    assert!(
        mail.text.contains("王芳，您好：工单 #1001「发票」已收到。"),
        "{}",
        mail.text
    );
    let raw = String::from_utf8_lossy(&sent[0]);
    assert!(
        raw.contains("Auto-Submitted: auto-replied"),
        "automation is marked: {raw}"
    );
}

#[tokio::test]
async fn a_webhook_action_delivers_trigger_fired_signed_and_retried() {
    let app = spawn_app_with(webhook_config(2, true)).await;
    let org = app.org("acme").await;
    // Fails once: the usual retry path delivers it on the second attempt.
    let hook = receiver(&[503]).await;
    let (status, webhook) = app
        .post(
            "/api/v1/webhooks",
            &org.admin,
            json!({"url": hook.url, "events": ["conversation.created"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{webhook}");
    trigger(
        &app,
        &org,
        "tell the CRM",
        json!({"on": "ticket_created",
               "all": [{"field": "type", "operator": "is", "value": "complaint"}],
               "actions": [{"type": "call_webhook", "webhook_id": webhook["id"]}]}),
    )
    .await;
    let requester = customer(&app, &org, json!({"name": "王芳"})).await;
    let t = ticket(
        &app,
        &org,
        json!({"subject": "投诉", "requester_id": requester["id"], "type": "complaint"}),
    )
    .await;
    let received = hook.until(2).await;
    let (headers, body) = &received[1];
    assert_eq!(headers["x-kefu-event"], "trigger.fired");
    assert!(
        headers["x-kefu-signature"]
            .to_str()
            .unwrap()
            .starts_with("t=")
    );
    let sent: Value = serde_json::from_str(body).unwrap();
    assert_eq!(sent["attempt"], 2);
    assert_eq!(sent["event"]["payload"]["trigger"]["name"], "tell the CRM");
    assert_eq!(sent["event"]["payload"]["ticket_id"], t["id"]);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(hook.count(), 2, "one delivery, retried once");
}

#[tokio::test]
async fn bad_rules_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (status, refused) = app
        .post(
            "/api/v1/triggers",
            &org.admin,
            json!({"name": "bad", "rules": {"on": "ticket_created",
                "all": [{"field": "colour", "operator": "is", "value": "red"},
                        {"field": "subject", "operator": "greater_than", "value": "a"}],
                "actions": [{"type": "set_group", "group_id": Uuid::now_v7()},
                            {"type": "notify_users", "user_ids": [org.agent_id, Uuid::now_v7()]},
                            {"type": "call_webhook", "webhook_id": Uuid::now_v7()}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let fields: Vec<&str> = refused["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "rules.all[0].field",
            "rules.all[1].operator",
            "rules.actions[0].group_id",
            "rules.actions[1].user_ids[1]",
            "rules.actions[2].webhook_id"
        ]
    );
    let (status, refused) = app
        .post("/api/v1/triggers", &org.admin, json!({"name": "x", "rules": {"on": "ticket_created", "actions": [{"type": "explode"}]}}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (_, list) = app.get("/api/v1/triggers", &org.admin).await;
    assert_eq!(list["items"], json!([]));
}
