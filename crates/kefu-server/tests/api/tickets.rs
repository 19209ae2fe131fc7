//! Tickets over HTTP: create, find by number or text, status rules, comments, a conversation
//! carried on as a ticket with its transcript, and who may do what.

use super::spawn_app;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn agents_work_tickets_through_their_lifecycle_with_comments() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (_, customer) = app
        .post("/api/v1/customers", &org.agent, json!({"name": "王芳"}))
        .await;
    let (status, invalid) = app
        .post(
            "/api/v1/tickets",
            &org.agent,
            json!({"subject": " ", "requester_id": customer["id"], "tags": ["x".repeat(65)]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{invalid}");
    let fields: Vec<&str> = invalid["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["subject", "tags[0]"]);

    let (status, ticket) = app
        .post(
            "/api/v1/tickets",
            &org.agent,
            json!({"subject": "退款没到账", "description": "订单 SO-1", "requester_id": customer["id"],
                   "priority": "high", "type": "incident", "tags": ["退款"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    assert_eq!(ticket["number"], 1001);
    assert_eq!(ticket["status"], "new");
    assert_eq!(ticket["type"], "incident");
    let id = ticket["id"].as_str().unwrap();

    let (_, found) = app.get("/api/v1/tickets?q=%231001", &org.agent).await;
    assert_eq!(found["items"][0]["id"], id, "#1001 finds it");
    let (_, found) = app.get("/api/v1/tickets?q=SO-1", &org.agent).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let (status, _) = app.get("/api/v1/tickets?status=bogus", &org.agent).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, mine) = app
        .patch(
            &format!("/api/v1/tickets/{id}"),
            &org.agent,
            json!({"assignee_id": org.agent_id, "status": "pending_internal"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let (_, listed) = app
        .get(
            "/api/v1/tickets?assignee=me&status=pending_internal",
            &org.agent,
        )
        .await;
    assert_eq!(listed["items"][0]["id"], id);
    let (status, refused) = app
        .patch(
            &format!("/api/v1/tickets/{id}"),
            &org.agent,
            json!({"status": "closed"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "invalid_transition");

    let (status, note) = app
        .post(
            &format!("/api/v1/tickets/{id}/comments"),
            &org.agent,
            json!({"body": "财务在核对"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    assert_eq!(note["public"], false, "a note unless said otherwise");
    let (_, comments) = app
        .get(&format!("/api/v1/tickets/{id}/comments"), &org.agent)
        .await;
    assert_eq!(comments["items"].as_array().unwrap().len(), 1);

    let (status, cleared) = app
        .patch(
            &format!("/api/v1/tickets/{id}"),
            &org.agent,
            json!({"assignee_id": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cleared}");
    assert!(cleared["assignee_id"].is_null());
}

#[tokio::test]
async fn a_conversation_becomes_a_ticket_with_its_transcript_but_not_its_notes() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let inbox = app.inbox(&org.admin).await;
    let visitor = app.visitor(inbox["id"].as_str().unwrap()).await;
    let (_, conversation) = app
        .call(
            Method::POST,
            "/api/v1/widget/conversations",
            Some(&visitor),
            Some(json!({})),
        )
        .await;
    let id = conversation["id"].as_str().unwrap();
    app.call(
        Method::POST,
        &format!("/api/v1/widget/conversations/{id}/messages"),
        Some(&visitor),
        Some(json!({"body": "我要开增值税专用发票\n公司抬头：演示科技"})),
    )
    .await;
    app.post(
        &format!("/api/v1/conversations/{id}/assign"),
        &org.agent,
        json!({}),
    )
    .await;
    for (kind, body) in [("text", "好的，我转给财务"), ("note", "VIP 客户，优先")] {
        let (status, _) = app
            .post(
                &format!("/api/v1/conversations/{id}/messages"),
                &org.agent,
                json!({"body": body, "kind": kind}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, ticket) = app
        .post(
            &format!("/api/v1/conversations/{id}/ticket"),
            &org.agent,
            json!({"priority": "high"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    assert_eq!(ticket["subject"], "我要开增值税专用发票");
    assert_eq!(ticket["conversation_id"], id);
    assert_eq!(ticket["requester_id"], conversation["customer_id"]);
    assert_eq!(ticket["channel"], "chat");
    let description = ticket["description"].as_str().unwrap();
    assert!(description.contains("公司抬头：演示科技"), "{description}");
    assert!(description.contains("好的，我转给财务"), "{description}");
    assert!(
        !description.contains("VIP 客户"),
        "notes stay out: {description}"
    );
}

#[tokio::test]
async fn tokens_need_ticket_scopes() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (_, customer) = app
        .post("/api/v1/customers", &org.agent, json!({"name": "王芳"}))
        .await;
    let token = |scopes: serde_json::Value| {
        let app = &app;
        let admin = org.admin.clone();
        async move {
            let (status, token) = app
                .post(
                    "/api/v1/api-tokens",
                    &admin,
                    json!({"name": "crm", "scopes": scopes}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{token}");
            token["token"].as_str().unwrap().to_owned()
        }
    };
    let reader = token(json!(["tickets:read"])).await;
    let writer = token(json!(["tickets:write", "tickets:read"])).await;
    let body = json!({"subject": "来自 CRM", "requester_id": customer["id"]});
    let (status, _) = app.post("/api/v1/tickets", &reader, body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, ticket) = app.post("/api/v1/tickets", &writer, body).await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    assert_eq!(ticket["channel"], "api");
    let (status, comment) = app
        .post(
            &format!(
                "/api/v1/tickets/{}/comments",
                ticket["id"].as_str().unwrap()
            ),
            &writer,
            json!({"body": "订单已退款", "public": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{comment}");
    assert_eq!(comment["author_kind"], "system");
    let (status, _) = app.get("/api/v1/tickets", &reader).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_internal_note_names_the_colleagues_and_departments_it_mentions() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (_, owner) = app.get("/api/v1/auth/me", &org.owner).await;
    let owner_id = owner["user"]["id"].as_str().unwrap().to_owned();
    let (_, group) = app
        .post(
            "/api/v1/groups",
            &org.admin,
            json!({"name": "财务 Finance", "member_ids": [owner_id, org.agent_id]}),
        )
        .await;
    assert!(group["id"].is_string(), "{group}");
    let (_, customer) = app
        .post("/api/v1/customers", &org.agent, json!({"name": "王芳"}))
        .await;
    let (_, ticket) = app
        .post(
            "/api/v1/tickets",
            &org.agent,
            json!({"subject": "退款", "requester_id": customer["id"]}),
        )
        .await;
    let id = ticket["id"].as_str().unwrap();
    let comments = format!("/api/v1/tickets/{id}/comments");
    // The writer (the agent, in Finance) is not told about their own note.
    app.post(
        &comments,
        &org.agent,
        json!({"body": "＠supervisor 请看一下，@财务 Finance 请核对退款", "public": false}),
    )
    .await;
    app.post(
        &comments,
        &org.agent,
        json!({"body": "@supervisor 在公开回复里不算", "public": true}),
    )
    .await;
    let (_, events) = app.get("/api/v1/events?limit=1000", &org.admin).await;
    let added: Vec<_> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "ticket.comment_added")
        .collect();
    let mut expected = vec![org.supervisor_id.to_string(), owner_id];
    expected.sort();
    assert_eq!(added[0]["payload"]["mentions"], json!(expected));
    assert!(
        added[1]["payload"].get("mentions").is_none(),
        "public replies mention nobody"
    );
}

#[tokio::test]
async fn a_bulk_update_changes_each_ticket_it_can_and_names_the_ones_it_cannot() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (_, customer) = app
        .post("/api/v1/customers", &org.agent, json!({"name": "王芳"}))
        .await;
    let mut ids = Vec::new();
    for subject in ["一", "二", "三"] {
        let (_, ticket) = app
            .post(
                "/api/v1/tickets",
                &org.agent,
                json!({"subject": subject, "requester_id": customer["id"]}),
            )
            .await;
        ids.push(ticket["id"].as_str().unwrap().to_owned());
    }
    // The third is solved: solved tickets may not go on hold.
    app.patch(
        &format!("/api/v1/tickets/{}", ids[2]),
        &org.agent,
        json!({"status": "solved"}),
    )
    .await;
    let (status, result) = app
        .post(
            "/api/v1/tickets/bulk-update",
            &org.agent,
            json!({"ids": ids, "patch": {"status": "on_hold", "priority": "high"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    let updated: Vec<&str> = result["updated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(updated, [ids[0].as_str(), ids[1].as_str()]);
    assert!(
        result["updated"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "on_hold" && t["priority"] == "high")
    );
    assert_eq!(result["failed"][0]["id"], ids[2].as_str());
    assert_eq!(result["failed"][0]["code"], "invalid_transition");
    let (_, third) = app
        .get(&format!("/api/v1/tickets/{}", ids[2]), &org.agent)
        .await;
    assert_eq!(
        third["priority"], "normal",
        "a refused ticket is left as it was"
    );

    for body in [
        json!({"ids": [], "patch": {"priority": "low"}}),
        json!({"ids": [ids[0]], "patch": {"subject": "x"}}),
    ] {
        let (status, err) = app
            .post("/api/v1/tickets/bulk-update", &org.agent, body)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    }
}

#[tokio::test]
async fn a_solved_ticket_is_closed_when_its_time_is_up_and_a_reopened_one_is_not() {
    let app = super::spawn_app_with(kefu_server::ServerConfig {
        ticket_auto_close: Some(std::time::Duration::from_millis(600)),
        ..kefu_server::ServerConfig::default()
    })
    .await;
    let org = app.org("acme").await;
    let (_, customer) = app
        .post("/api/v1/customers", &org.agent, json!({"name": "王芳"}))
        .await;
    let mut ids = Vec::new();
    for subject in ["solved", "reopened"] {
        let (_, ticket) = app
            .post(
                "/api/v1/tickets",
                &org.agent,
                json!({"subject": subject, "requester_id": customer["id"]}),
            )
            .await;
        let id = ticket["id"].as_str().unwrap().to_owned();
        app.patch(
            &format!("/api/v1/tickets/{id}"),
            &org.agent,
            json!({"status": "solved"}),
        )
        .await;
        ids.push(id);
    }
    app.patch(
        &format!("/api/v1/tickets/{}", ids[1]),
        &org.agent,
        json!({"status": "open"}),
    )
    .await;
    let mut closed = serde_json::Value::Null;
    for _ in 0..150 {
        closed = app
            .get(&format!("/api/v1/tickets/{}", ids[0]), &org.agent)
            .await
            .1;
        if closed["status"] == "closed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(closed["status"], "closed", "{closed}");
    assert!(closed["closed_at"].is_string());
    let (_, reopened) = app
        .get(&format!("/api/v1/tickets/{}", ids[1]), &org.agent)
        .await;
    assert_eq!(reopened["status"], "open");
}

/// The weekday two days from today (UTC): a business day that is surely not now.
fn weekday_after_tomorrow() -> &'static str {
    use chrono::Datelike;
    let day = (chrono::Utc::now() + chrono::TimeDelta::days(2)).weekday();
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][day.num_days_from_monday() as usize]
}

#[tokio::test]
async fn a_ticket_the_customer_never_answers_is_solved_after_the_tenants_business_hours() {
    let app = super::spawn_app_with(kefu_server::ServerConfig {
        pending_solve_check: Some(std::time::Duration::from_millis(100)),
        ..kefu_server::ServerConfig::default()
    })
    .await;
    let acme = app.org("acme").await;
    let globex = app.org("globex").await;
    // Acme counts every hour and waits 2 seconds; Globex opens one minute on another day, so
    // none of its business time passes during the test.
    let (status, body) = app
        .patch(
            "/api/v1/tenant",
            &acme.owner,
            json!({"settings": {"pending_solve_hours": 2.0 / 3600.0, "locale": "zh-CN"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let hours = json!({ weekday_after_tomorrow(): [["09:00", "09:01"]] });
    let (status, body) = app
        .patch(
            "/api/v1/tenant",
            &globex.owner,
            json!({"settings": {"pending_solve_hours": 2.0 / 3600.0, "business_hours": hours}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, refused) = app
        .patch(
            "/api/v1/tenant",
            &acme.owner,
            json!({"settings": {"pending_solve_hours": -1}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

    let mut tickets = Vec::new();
    for (org, subject) in [(&acme, "等回复"), (&acme, "客户回了"), (&globex, "休息日")] {
        let (_, customer) = app
            .post("/api/v1/customers", &org.agent, json!({"name": "王芳"}))
            .await;
        let (_, ticket) = app
            .post(
                "/api/v1/tickets",
                &org.agent,
                json!({"subject": subject, "requester_id": customer["id"]}),
            )
            .await;
        let id = ticket["id"].as_str().unwrap().to_owned();
        let (status, _) = app
            .patch(
                &format!("/api/v1/tickets/{id}"),
                &org.agent,
                json!({"status": "pending_customer"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        tickets.push(id);
    }
    // The second one's wait ends early: an agent takes it back to open.
    app.patch(
        &format!("/api/v1/tickets/{}", tickets[1]),
        &acme.agent,
        json!({"status": "open"}),
    )
    .await;

    let mut solved = serde_json::Value::Null;
    for _ in 0..200 {
        solved = app
            .get(&format!("/api/v1/tickets/{}", tickets[0]), &acme.agent)
            .await
            .1;
        if solved["status"] == "solved" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(solved["status"], "solved", "{solved}");
    let (_, comments) = app
        .get(
            &format!("/api/v1/tickets/{}/comments", tickets[0]),
            &acme.agent,
        )
        .await;
    let notice = &comments["items"][0];
    assert_eq!(
        (notice["public"].as_bool(), notice["author_kind"].as_str()),
        (Some(true), Some("system"))
    );
    assert!(
        notice["body"]
            .as_str()
            .unwrap()
            .contains("工单 #1001 已标记为已解决"),
        "{notice}"
    );
    assert_eq!(comments["items"].as_array().unwrap().len(), 1, "one notice");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (_, open) = app
        .get(&format!("/api/v1/tickets/{}", tickets[1]), &acme.agent)
        .await;
    assert_eq!(open["status"], "open");
    let (_, waiting) = app
        .get(&format!("/api/v1/tickets/{}", tickets[2]), &globex.agent)
        .await;
    assert_eq!(
        waiting["status"], "pending_customer",
        "no business time has passed for Globex"
    );
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The subjects `GET /api/v1/tickets?q=…` finds, newest first.
async fn searched(app: &super::TestApp, token: &str, q: &str) -> Vec<String> {
    let (status, body) = app
        .get(&format!("/api/v1/tickets?q={}", urlencode(q)), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{q:?}: {body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["subject"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn search_finds_text_in_chinese_and_english_within_the_tenant() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let other = app.org("globex").await;
    let (_, customer) = app
        .post("/api/v1/customers", &org.agent, json!({"name": "王芳"}))
        .await;
    let mut ids = Vec::new();
    for (subject, description) in [
        ("申请退款失败", "银行卡退回"),
        ("Printer offline", "The office printer shows error 50.4"),
        ("优惠券 \"50% off\" AND *", "coupon_code x_y"),
    ] {
        let (status, ticket) = app
            .post(
                "/api/v1/tickets",
                &org.agent,
                json!({"subject": subject, "description": description, "requester_id": customer["id"]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{ticket}");
        ids.push(ticket["id"].as_str().unwrap().to_owned());
    }
    let (status, _) = app
        .post(
            &format!("/api/v1/tickets/{}/comments", ids[1]),
            &org.agent,
            json!({"body": "已联系厂商 vendor-ticket-9921", "public": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    assert_eq!(searched(&app, &org.agent, "退款").await, ["申请退款失败"]);
    assert_eq!(
        searched(&app, &org.agent, "申请退款").await,
        ["申请退款失败"]
    );
    assert_eq!(
        searched(&app, &org.agent, "PRINTER").await,
        ["Printer offline"]
    );
    assert_eq!(
        searched(&app, &org.agent, "vendor-ticket-9921").await,
        ["Printer offline"],
        "a term only in an internal note"
    );
    assert_eq!(
        searched(&app, &org.agent, "厂商").await,
        ["Printer offline"]
    );
    assert_eq!(
        searched(&app, &org.agent, "\"50% off\"").await,
        ["优惠券 \"50% off\" AND *"]
    );
    for q in [
        "\"",
        "AND",
        "*",
        "%",
        "_",
        "a OR b",
        "NEAR(x y)",
        "'; DROP TABLE tickets; --",
    ] {
        searched(&app, &org.agent, q).await;
    }
    assert!(searched(&app, &org.agent, "50%off").await.is_empty());
    assert_eq!(
        searched(&app, &org.agent, "#1002").await,
        ["Printer offline"],
        "#number still finds the ticket"
    );
    assert!(
        searched(&app, &other.agent, "退款").await.is_empty(),
        "another tenant finds nothing"
    );
    assert!(searched(&app, &other.agent, "printer").await.is_empty());
}
