//! Tenant isolation over every endpoint: a user of tenant B, with every right in B, never
//! reaches tenant A's data. The checks are driven by the OpenAPI document, so an endpoint
//! added without a check here fails this test.
use super::{PASSWORD, TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct TenantA {
    user_id: String,
    group_id: String,
    customer_id: String,
    identity_id: String,
    token_id: String,
    token: String,
    inbox_id: String,
    conversation_id: String,
    message_id: String,
    canned_id: String,
    ticket_id: String,
    attachment_id: String,
    webhook_id: String,
    mailbox_id: String,
    mail_id: String,
    file_id: String,
    faq_id: String,
    article_id: String,
    kb_category_id: String,
    term_id: String,
    field_id: String,
    trigger_id: String,
    view_id: String,
    schedule_id: String,
    status_token: String,
    integration_id: String,
    scenario_id: String,
    secrets: Vec<String>,
}

async fn tenant_a(app: &TestApp) -> TenantA {
    let org = app.org("acme").await;
    let (_, group) = app
        .post(
            "/api/v1/groups",
            &org.admin,
            json!({"name": "Acme Secret Group", "member_ids": [org.agent_id]}),
        )
        .await;
    let (_, customer) = app
        .post("/api/v1/customers", &org.agent, json!({"name": "Acme Secret Customer", "identities": [{"kind": "phone", "value": "13912345678"}]}))
        .await;
    let (_, token) = app
        .post(
            "/api/v1/api-tokens",
            &org.admin,
            json!({"name": "Acme Secret Token", "scopes": ["customers:read"]}),
        )
        .await;
    let inbox = app.inbox(&org.admin).await;
    let inbox_id = inbox["id"].as_str().unwrap().to_owned();
    let visitor = app.visitor(&inbox_id).await;
    let (_, conversation) = app
        .post("/api/v1/widget/conversations", &visitor, json!({}))
        .await;
    let conversation_id = conversation["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/widget/conversations/{conversation_id}/messages");
    let (status, message) = app
        .post(&path, &visitor, json!({"body": "Acme Secret message"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(message["id"].is_string());
    // A's bot inbox: a question the bot could not answer is in A's bot figures and lists only.
    let (status, bot_inbox) = app
        .post(
            "/api/v1/inboxes",
            &org.admin,
            json!({"name": "Acme Secret bot", "channel": "web", "settings": {"bot_enabled": true}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{bot_inbox}");
    let bot_visitor = app.visitor(bot_inbox["id"].as_str().unwrap()).await;
    let (_, bot_conversation) = app
        .post("/api/v1/widget/conversations", &bot_visitor, json!({}))
        .await;
    let bot_path = format!(
        "/api/v1/widget/conversations/{}/messages",
        bot_conversation["id"].as_str().unwrap()
    );
    let (status, _) = app
        .post(
            &bot_path,
            &bot_visitor,
            json!({"body": "Acme Secret question"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, bot_messages) = app.get(&bot_path, &bot_visitor).await;
    let bot_reply = &bot_messages["items"][1];
    assert_eq!(bot_reply["sender_kind"], "bot", "{bot_messages}");
    let message_id = bot_reply["id"].as_str().unwrap().to_owned();
    let attachment = app
        .http
        .post(format!(
            "{}/api/v1/widget/conversations/{conversation_id}/attachments?name=Acme%20Secret.txt",
            app.url
        ))
        .bearer_auth(&visitor)
        .header("content-type", "text/plain")
        .body("Acme Secret file")
        .send()
        .await
        .unwrap();
    assert_eq!(attachment.status(), StatusCode::CREATED);
    let attachment: Value = attachment.json().await.unwrap();
    let (status, _) = app
        .post(
            &path,
            &visitor,
            json!({"attachment_ids": [attachment["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, canned) = app
        .post(
            "/api/v1/canned-responses",
            &org.supervisor,
            json!({"shortcut": "hello", "title": "Acme Secret greeting", "body": "Hi {{customer.name}}", "shared": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{canned}");
    let (status, ticket) = app
        .post(
            "/api/v1/tickets",
            &org.agent,
            json!({"subject": "Acme Secret ticket", "requester_id": customer["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    let (status, webhook) = app
        .post(
            "/api/v1/webhooks",
            &org.admin,
            json!({"url": "https://acme-secret.example.com/hook", "events": ["*"], "description": "Acme Secret CRM"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{webhook}");
    let (status, mailbox) = app
        .post(
            "/api/v1/mailboxes",
            &org.admin,
            json!({"address": "acme-secret-desk@acme.example", "display_name": "Acme Secret desk"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mailbox}");
    // Mail on A's ticket with a file, and one kept without a ticket, as the listener stores them.
    let ticket_uuid: uuid::Uuid = ticket["id"].as_str().unwrap().parse().unwrap();
    let mut mail_ids = Vec::new();
    for (n, on_ticket) in [(1, Some(ticket_uuid)), (2, None)] {
        let ingested = app
            .store
            .ingest_mail(
                org.tenant.id,
                kefu_store::IngestMail {
                    mail: kefu_store::NewMailRecord {
                        mailbox_id: None,
                        direction: kefu_store::MailDirection::Inbound,
                        message_id: Some(format!("acme-secret-{n}@acme.example")),
                        kind: "normal".into(),
                        from_address: "acme-secret-sender@acme.example".into(),
                        subject: "Acme Secret mail".into(),
                        raw: Some(b"Subject: Acme Secret mail\r\n\r\nAcme Secret body".to_vec()),
                        parse_error: None,
                    },
                    action: kefu_store::MailAction::Record {
                        ticket_id: on_ticket,
                    },
                    cc: vec![],
                    files: vec![kefu_store::NewTicketFile {
                        name: "Acme Secret.txt".into(),
                        content_type: "text/plain".into(),
                        sha256: "00".repeat(32),
                        content: b"Acme Secret file".to_vec(),
                    }],
                },
                &kefu_store::Actor::system(),
            )
            .await
            .unwrap();
        mail_ids.push(ingested.mail.id.to_string());
    }
    let files = app
        .store
        .ticket_files(org.tenant.id, ticket_uuid)
        .await
        .unwrap();
    let (status, kb_category) = app
        .post(
            "/api/v1/kb/categories",
            &org.supervisor,
            json!({"name": "Acme Secret category"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{kb_category}");
    let (status, faq) = app
        .post(
            "/api/v1/kb/faqs",
            &org.supervisor,
            json!({"question": "Acme Secret question about parcels", "similar_questions": ["Acme Secret parcel"],
                   "answer": "Acme Secret answer", "category_id": kb_category["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{faq}");
    let (status, article) = app
        .post(
            "/api/v1/kb/articles",
            &org.supervisor,
            json!({"title": "Acme Secret article", "body": "Acme Secret body", "language": "en",
                   "status": "published", "category_id": kb_category["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{article}");
    let (status, term) = app
        .post(
            "/api/v1/kb/vocabulary",
            &org.supervisor,
            json!({"term": "Acme Secret term", "synonyms": ["acmesecretsynonym"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{term}");
    let (status, field) = app
        .post(
            "/api/v1/ticket-fields",
            &org.admin,
            json!({"key": "acme_secret_field", "label": "Acme Secret field", "type": "select", "options": ["Acme Secret option"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{field}");
    let (status, trigger) = app
        .post(
            "/api/v1/triggers",
            &org.admin,
            json!({"name": "Acme Secret trigger", "rules": {"on": "ticket_created",
                   "all": [{"field": "group_id", "operator": "is", "value": group["id"]}],
                   "actions": [{"type": "notify_groups", "group_ids": [group["id"]]},
                               {"type": "call_webhook", "webhook_id": webhook["id"]}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{trigger}");
    let (status, view) = app
        .post(
            "/api/v1/ticket-views",
            &org.supervisor,
            json!({"name": "Acme Secret view", "shared": true, "filters": {"tag": "Acme Secret tag"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    let (status, schedule) = app
        .post(
            "/api/v1/report-schedules",
            &org.supervisor,
            json!({"name": "Acme Secret schedule", "frequency": "daily", "send_time": "08:00",
                "recipients": ["acme-secret-boss@acme.example"], "report_kind": "scorecards", "format": "xlsx"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{schedule}");
    let (status, link) = app
        .get(
            &format!(
                "/api/v1/tickets/{}/status-link",
                ticket["id"].as_str().unwrap()
            ),
            &org.agent,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let (status, integration) = app
        .post(
            "/api/v1/kb/integrations",
            &org.admin,
            json!({"name": "Acme Secret integration", "base_url": "https://acme-secret.example.com/api",
                   "path_template": "/orders/{order_id}", "secret_header": "X-Acme-Secret-Key",
                   "secret_value": "acme-secret-api-key"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{integration}");
    let (status, scenario) = app
        .post(
            "/api/v1/kb/scenarios",
            &org.supervisor,
            json!({"name": "Acme Secret scenario", "triggers": ["Acme Secret order status"],
                   "steps": [{"kind": "ask", "slot": "order_id", "prompt": "Acme Secret prompt"},
                             {"kind": "call", "integration_id": integration["id"]},
                             {"kind": "say", "text": "Acme Secret {result.status}"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{scenario}");
    let a = TenantA {
        integration_id: integration["id"].as_str().unwrap().into(),
        scenario_id: scenario["id"].as_str().unwrap().into(),
        view_id: view["id"].as_str().unwrap().into(),
        schedule_id: schedule["id"].as_str().unwrap().into(),
        status_token: link["token"].as_str().unwrap().into(),
        faq_id: faq["id"].as_str().unwrap().into(),
        article_id: article["id"].as_str().unwrap().into(),
        kb_category_id: kb_category["id"].as_str().unwrap().into(),
        term_id: term["id"].as_str().unwrap().into(),
        field_id: field["id"].as_str().unwrap().into(),
        trigger_id: trigger["id"].as_str().unwrap().into(),
        mail_id: mail_ids[1].clone(),
        file_id: files[0].id.to_string(),
        mailbox_id: mailbox["id"].as_str().unwrap().into(),
        user_id: org.agent_id.to_string(),
        group_id: group["id"].as_str().unwrap().into(),
        customer_id: customer["id"].as_str().unwrap().into(),
        identity_id: customer["identities"][0]["id"].as_str().unwrap().into(),
        token_id: token["id"].as_str().unwrap().into(),
        token: token["token"].as_str().unwrap().into(),
        inbox_id,
        conversation_id,
        message_id,
        canned_id: canned["id"].as_str().unwrap().into(),
        ticket_id: ticket["id"].as_str().unwrap().into(),
        attachment_id: attachment["id"].as_str().unwrap().into(),
        webhook_id: webhook["id"].as_str().unwrap().into(),
        secrets: vec![
            inbox["secret"].as_str().unwrap().into(),
            webhook["secret"].as_str().unwrap().into(),
        ],
    };
    let secrets = vec![
        a.user_id.clone(),
        a.group_id.clone(),
        a.customer_id.clone(),
        a.identity_id.clone(),
        a.token_id.clone(),
        "Acme Secret".into(),
        "13912345678".into(),
        org.tenant.id.to_string(),
        a.conversation_id.clone(),
        a.message_id.clone(),
        a.canned_id.clone(),
        a.ticket_id.clone(),
        a.attachment_id.clone(),
        a.mailbox_id.clone(),
        "acme-secret-desk@acme.example".into(),
        "acme-secret-sender".into(),
        a.mail_id.clone(),
        a.file_id.clone(),
        a.secrets[0].clone(),
        a.secrets[1].clone(),
        a.webhook_id.clone(),
        "acme-secret.example.com".into(),
        a.faq_id.clone(),
        a.article_id.clone(),
        a.kb_category_id.clone(),
        a.term_id.clone(),
        "acmesecretsynonym".into(),
        a.field_id.clone(),
        a.trigger_id.clone(),
        a.view_id.clone(),
        a.schedule_id.clone(),
        "acme-secret-boss@acme.example".into(),
        a.status_token.clone(),
        a.integration_id.clone(),
        a.scenario_id.clone(),
        "acme-secret-api-key".into(),
    ];
    TenantA { secrets, ..a }
}

fn assert_no_leak(a: &TenantA, what: &str, body: &Value) {
    let text = body.to_string();
    for secret in &a.secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{what} leaked {secret}: {text}"
        );
    }
}

#[tokio::test]
async fn tenant_b_gets_404_and_never_tenant_a_data_on_every_endpoint() {
    let app = spawn_app().await;
    let a = tenant_a(&app).await;
    let b = app.org("globex").await;
    let (_, b_customer) = app
        .post(
            "/api/v1/customers",
            &b.agent,
            json!({"name": "Globex customer"}),
        )
        .await;
    let b_customer_id = b_customer["id"].as_str().unwrap().to_owned();
    let b_inbox = app.inbox(&b.owner).await;
    let b_visitor = app.visitor(b_inbox["id"].as_str().unwrap()).await;
    let (_, doc) = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;

    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let label = format!("{method} {path}");
            let concrete = path
                .replace("/users/{id}", &format!("/users/{}", a.user_id))
                .replace("/groups/{id}", &format!("/groups/{}", a.group_id))
                .replace("/customers/{id}", &format!("/customers/{}", a.customer_id))
                .replace("{identity_id}", &a.identity_id)
                .replace("/api-tokens/{id}", &format!("/api-tokens/{}", a.token_id))
                .replace("/inboxes/{id}", &format!("/inboxes/{}", a.inbox_id))
                .replace("{inbox_id}", &a.inbox_id)
                .replace("/tickets/{id}", &format!("/tickets/{}", a.ticket_id))
                .replace("{user_id}", &a.user_id.to_string())
                .replace("{conversation_id}", &a.conversation_id)
                .replace(
                    "/conversations/{id}",
                    &format!("/conversations/{}", a.conversation_id),
                )
                .replace(
                    "/canned-responses/{id}",
                    &format!("/canned-responses/{}", a.canned_id),
                )
                .replace("{canned_id}", &a.canned_id)
                .replace(
                    "/attachments/{id}",
                    &format!("/attachments/{}", a.attachment_id),
                )
                .replace("/webhooks/{id}", &format!("/webhooks/{}", a.webhook_id))
                .replace("{delivery_id}", &uuid::Uuid::now_v7().to_string())
                .replace("/mailboxes/{id}", &format!("/mailboxes/{}", a.mailbox_id))
                .replace("/mails/{id}", &format!("/mails/{}", a.mail_id))
                .replace("{file_id}", &a.file_id)
                .replace("{message_id}", &a.message_id)
                .replace("/kb/faqs/{id}", &format!("/kb/faqs/{}", a.faq_id))
                .replace(
                    "/kb/articles/{id}",
                    &format!("/kb/articles/{}", a.article_id),
                )
                .replace(
                    "/kb/categories/{id}",
                    &format!("/kb/categories/{}", a.kb_category_id),
                )
                .replace(
                    "/kb/vocabulary/{id}",
                    &format!("/kb/vocabulary/{}", a.term_id),
                )
                .replace(
                    "/ticket-fields/{id}",
                    &format!("/ticket-fields/{}", a.field_id),
                )
                .replace("/triggers/{id}", &format!("/triggers/{}", a.trigger_id))
                .replace(
                    "/kb/integrations/{id}",
                    &format!("/kb/integrations/{}", a.integration_id),
                )
                .replace(
                    "/kb/scenarios/{id}",
                    &format!("/kb/scenarios/{}", a.scenario_id),
                )
                .replace(
                    "/ticket-views/{id}",
                    &format!("/ticket-views/{}", a.view_id),
                )
                .replace(
                    "/report-schedules/{id}",
                    &format!("/report-schedules/{}", a.schedule_id),
                )
                // A status link opens its ticket for whoever holds it, like a password: B
                // does not hold A's, and a made-up one opens nothing.
                .replace("{token}", &"0".repeat(kefu_store::STATUS_TOKEN_CHARS));
            // Customer-side endpoints take B's visitor; the rest B's owner.
            let caller = if path.starts_with("/api/v1/widget/conversations")
                || path.starts_with("/api/v1/widget/attachments")
            {
                b_visitor.as_str()
            } else {
                b.owner.as_str()
            };
            if path.ends_with("/stream") {
                // Real-time: B's socket replays B's log and nothing of A's.
                let token = if path.starts_with("/api/v1/widget/") {
                    &b_visitor
                } else {
                    &b.owner
                };
                let mut socket = super::stream::connect(&app, path, token, 0).await;
                let (events, _) = super::stream::backlog(&mut socket).await;
                assert_no_leak(&a, &label, &Value::Array(events));
                checked += 1;
                continue;
            }
            if path == "/api/v1/widget/{inbox_id}/session" {
                // Inbox ids are public (they are in the widget snippet): anyone may start a
                // session on A's inbox and gets a new visitor of A, but nothing of A's.
                let (status, response) = app
                    .call(method.clone(), &concrete, None, Some(json!({})))
                    .await;
                assert_eq!(status, StatusCode::OK, "{label}: {response}");
                assert_no_leak(&a, &label, &response);
                checked += 1;
                continue;
            }
            if path.starts_with("/api/v1/help/") {
                // The help center is public and names its tenant by slug: under B's slug,
                // A's FAQ never shows, by id or by search.
                let mut concrete = path
                    .replace("{tenant_slug}", "globex")
                    .replace("/faqs/{id}", &format!("/faqs/{}", a.faq_id))
                    .replace("/articles/{id}", &format!("/articles/{}", a.article_id));
                if concrete.ends_with("/search") {
                    concrete.push_str("?q=Acme%20Secret%20parcels");
                }
                let (status, response) = app.call(method.clone(), &concrete, None, None).await;
                let expected = if path.contains("{id}") {
                    StatusCode::NOT_FOUND
                } else {
                    StatusCode::OK
                };
                assert_eq!(status, expected, "{label}: {response}");
                assert_no_leak(&a, &label, &response);
                checked += 1;
                continue;
            }
            assert!(!concrete.contains('{'), "no tenant-A id for {label}");
            if path.contains('{') {
                // Every operation on a tenant-A record: 404 with nothing of A in the body.
                let body = match (method.as_str(), path.as_str()) {
                    ("PATCH", "/api/v1/users/{id}") => Some(json!({"display_name": "pwned"})),
                    ("PUT", "/api/v1/users/{id}/presence") => Some(json!({"state": "available"})),
                    ("PATCH", "/api/v1/groups/{id}") => Some(json!({"name": "pwned"})),
                    ("PATCH", "/api/v1/customers/{id}") => Some(json!({"name": "pwned"})),
                    ("POST", "/api/v1/customers/{id}/identities") => {
                        Some(json!({"kind": "phone", "value": "5550000"}))
                    }
                    ("POST", "/api/v1/customers/{id}/merge") => {
                        Some(json!({"source_id": b_customer_id}))
                    }
                    ("POST", p) if p.ends_with("/messages") => Some(json!({"body": "pwned"})),
                    // Uploads: the conversation (or ticket) is looked up before the body is read.
                    ("POST", p) if p.ends_with("/attachments") || p.ends_with("/files") => {
                        Some(json!({}))
                    }
                    ("POST", p)
                        if p.ends_with("/assign")
                            || p.ends_with("/resolve")
                            || p.ends_with("/accept")
                            || p.ends_with("/read")
                            || p.ends_with("/typing")
                            || p.ends_with("/retry")
                            || p.ends_with("/reject") =>
                    {
                        Some(json!({}))
                    }
                    ("POST", "/api/v1/conversations/{id}/transfer") => {
                        Some(json!({"topic": "", "note": "pwned"}))
                    }
                    ("PATCH", "/api/v1/canned-responses/{id}") => Some(json!({"title": "pwned"})),
                    ("PATCH", "/api/v1/tickets/{id}") => Some(json!({"subject": "pwned"})),
                    ("PATCH", "/api/v1/kb/articles/{id}") => Some(json!({"title": "pwned"})),
                    ("POST", p) if p.ends_with("/publish") || p.ends_with("/unpublish") => {
                        Some(json!({}))
                    }
                    ("PATCH", "/api/v1/webhooks/{id}") => Some(json!({"active": false})),
                    ("PATCH", "/api/v1/ticket-fields/{id}") => Some(json!({"label": "pwned"})),
                    ("PATCH", "/api/v1/triggers/{id}") => Some(json!({"active": false})),
                    ("PATCH", "/api/v1/ticket-views/{id}") => Some(json!({"name": "pwned"})),
                    ("PUT", "/api/v1/report-schedules/{id}") => Some(json!({"name": "pwned",
                        "frequency": "daily", "send_time": "08:00", "recipients": ["x@globex.example"],
                        "report_kind": "metrics", "format": "csv"})),
                    ("POST", "/api/v1/status/{token}/replies") => Some(json!({"body": "pwned"})),
                    ("PATCH", "/api/v1/mailboxes/{id}") => {
                        Some(json!({"display_name": "pwned", "enabled": false}))
                    }
                    ("POST", "/api/v1/tickets/{id}/comments") => {
                        Some(json!({"body": "pwned", "public": true}))
                    }
                    ("POST", "/api/v1/conversations/{id}/ticket") => Some(json!({})),
                    ("PATCH", "/api/v1/kb/faqs/{id}") => Some(json!({"answer": "pwned"})),
                    ("PATCH", "/api/v1/kb/categories/{id}") => Some(json!({"name": "pwned"})),
                    ("PUT", "/api/v1/kb/vocabulary/{id}") => Some(json!({"term": "pwned"})),
                    ("PATCH", "/api/v1/kb/integrations/{id}") => Some(json!({"timeout_ms": 1000})),
                    ("POST", "/api/v1/kb/integrations/{id}/test") => {
                        Some(json!({"slots": {"order_id": "1"}}))
                    }
                    ("PATCH", "/api/v1/kb/scenarios/{id}") => Some(json!({"name": "pwned"})),
                    ("PUT", "/api/v1/kb/faqs/{id}/action") => Some(
                        json!({"integration_id": a.integration_id, "reply": "pwned {result.x}"}),
                    ),
                    ("POST", p) if p.ends_with("/render") => None,
                    ("PATCH", "/api/v1/inboxes/{id}") => {
                        Some(json!({"name": "pwned", "settings": {"bot_enabled": true}}))
                    }
                    ("POST", p) if p.ends_with("/feedback") => Some(json!({"helpful": false})),
                    ("POST", "/api/v1/widget/conversations/{id}/rating") => {
                        Some(json!({"rating": 5}))
                    }
                    ("PUT", "/api/v1/tickets/{id}/parent") => {
                        Some(json!({"parent_id": a.ticket_id, "kind": "subtask"}))
                    }
                    ("POST", "/api/v1/tickets/{id}/subtasks") => Some(json!({"subject": "pwned"})),
                    ("PUT", "/api/v1/tickets/{id}/followers/{user_id}") => None,
                    ("PUT", "/api/v1/tickets/{id}/conversations/{conversation_id}") => None,
                    ("PUT", "/api/v1/tickets/{id}/cc") => {
                        Some(json!({"emails": ["pwned@example.com"]}))
                    }
                    ("POST", "/api/v1/tickets/{id}/merge") => {
                        Some(json!({"into": uuid::Uuid::now_v7()}))
                    }
                    ("POST", "/api/v1/tickets/{id}/split") => {
                        Some(json!({"comment_ids": [uuid::Uuid::now_v7()], "subject": "pwned"}))
                    }
                    // A's schedule is not B's to send.
                    ("POST", "/api/v1/report-schedules/{id}/send-now") => Some(json!({})),
                    ("GET" | "DELETE", _) => None,
                    _ => panic!("no cross-tenant check for {label}"),
                };
                let (status, response) = app
                    .call(method.clone(), &concrete, Some(caller), body)
                    .await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{label}: {response}");
                assert_no_leak(&a, &label, &response);
            } else {
                let (status, response) = match (method.as_str(), path.as_str()) {
                    ("POST", "/api/v1/auth/login") => {
                        app.call(method.clone(), path, None, Some(json!({"email": "agent@acme.test", "password": PASSWORD, "tenant": "globex"}))).await
                    }
                    ("POST", "/api/v1/auth/logout") => {
                        let own = app.login("agent@globex.test", PASSWORD).await;
                        app.call(method.clone(), path, Some(&own), None).await
                    }
                    ("PUT", "/api/v1/auth/password") => app.call(method.clone(), path, Some(&b.owner), Some(json!({"current_password": "wrong-wrong", "new_password": "whatever-123"}))).await,
                    ("POST", "/api/v1/users") => app.post(path, &b.owner, json!({"email": "x@globex.test", "display_name": "x", "role": "agent", "group_ids": [a.group_id]})).await,
                    ("POST", "/api/v1/groups") => app.post(path, &b.owner, json!({"name": "x", "member_ids": [a.user_id]})).await,
                    ("POST", "/api/v1/customers") => app.post(path, &b.owner, json!({"name": "Globex twin", "identities": [{"kind": "phone", "value": "13900000001"}]})).await,
                    ("POST", "/api/v1/api-tokens") => app.post(path, &b.owner, json!({"name": "b", "scopes": ["customers:read"]})).await,
                    ("PATCH", "/api/v1/tenant") => app.patch(path, &b.owner, json!({"name": "Globex renamed"})).await,
                    ("GET", "/api/v1/customers/lookup") => app.get("/api/v1/customers/lookup?kind=phone&value=13912345678", &b.agent).await,
                    ("GET", "/api/v1/events") => app.get("/api/v1/events?after=0&limit=1000", &b.owner).await,
                    ("POST", "/api/v1/tickets") => {
                        app.post(path, &b.owner, json!({"subject": "x", "requester_id": a.customer_id})).await
                    }
                    ("GET", "/api/v1/reports/metrics") => {
                        let answer = app.get("/api/v1/reports/metrics?from=2000-01-01&to=2100-01-01&granularity=month", &b.owner).await;
                        let offered: u64 = answer.1["rows"].as_array().unwrap().iter().map(|r| r["counts"]["offered"].as_u64().unwrap()).sum();
                        assert_eq!(offered, 0, "A's conversation is not in B's report");
                        assert!(!answer.1.to_string().contains(&a.inbox_id), "A's queue in B's report");
                        answer
                    }
                    // B's scorecards list B's people only, none of A's agents.
                    ("GET", "/api/v1/reports/scorecards") => {
                        let answer = app.get("/api/v1/reports/scorecards?from=2000-01-01&to=2100-01-01", &b.owner).await;
                        assert_eq!(answer.0, StatusCode::OK, "{}", answer.1);
                        assert!(!answer.1["scorecards"].as_array().unwrap().is_empty(), "B's agent has a card");
                        answer
                    }
                    // B's schedule, mailed to B; A's schedules are not listed to B (the GET).
                    ("POST", "/api/v1/report-schedules") => {
                        app.post(path, &b.supervisor, json!({"name": "b", "frequency": "weekly", "weekday": 1,
                            "send_time": "09:00", "recipients": ["boss@globex.example"], "report_kind": "metrics", "format": "csv"})).await
                    }
                    ("PUT", "/api/v1/sla-policies") => {
                        app.call(method.clone(), path, Some(&b.owner), Some(json!({"policies": [{"name": "b", "targets": {"resolution_minutes": 60}}]}))).await
                    }
                    // A's ticket among B's ids: not found, and nothing of A in the answer.
                    ("POST", "/api/v1/tickets/bulk-update") => {
                        let answer = app.post(path, &b.owner, json!({"ids": [a.ticket_id], "patch": {"priority": "urgent"}})).await;
                        assert_eq!(answer.1["failed"][0]["code"], "ticket_not_found", "{}", answer.1);
                        assert_eq!(answer.1["updated"], json!([]));
                        // The id B sent is echoed back; the rest must hold nothing of A.
                        (answer.0, json!({"updated": answer.1["updated"], "message": answer.1["failed"][0]["message"]}))
                    }
                    // The same key as A's: keys are unique per tenant only.
                    ("POST", "/api/v1/ticket-fields") => {
                        app.post(path, &b.owner, json!({"key": "acme_secret_field", "label": "b", "type": "text"})).await
                    }
                    // A's group and webhook are unknown in B: named as unknown, nothing of A told.
                    ("POST", "/api/v1/triggers") => {
                        let refused = app.post(path, &b.owner, json!({"name": "b", "rules": {"on": "ticket_created",
                            "actions": [{"type": "notify_groups", "group_ids": [a.group_id]}, {"type": "call_webhook", "webhook_id": a.webhook_id}]}})).await;
                        assert_eq!(refused.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.1);
                        let fields: Vec<&str> = refused.1["details"]["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
                        assert_eq!(fields, ["rules.actions[0].group_ids[0]", "rules.actions[1].webhook_id"]);
                        app.post(path, &b.owner, json!({"name": "b", "rules": {"on": "ticket_created", "actions": [{"type": "add_tags", "tags": ["b"]}]}})).await
                    }
                    // A's department is unknown in B: named as unknown, nothing of A told.
                    ("POST", "/api/v1/ticket-views") => {
                        let refused = app.post(path, &b.supervisor, json!({"name": "b", "shared": true, "filters": {"group": a.group_id}})).await;
                        assert_eq!(refused.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.1);
                        assert_eq!(refused.1["details"]["errors"][0]["field"], "filters.group");
                        assert_no_leak(&a, &label, &refused.1);
                        app.post(path, &b.supervisor, json!({"name": "b", "shared": true, "filters": {"group": "mine"}})).await
                    }
                    ("POST", "/api/v1/webhooks") => {
                        app.post(path, &b.owner, json!({"url": "https://globex.example.com/hook", "events": ["ticket.*"]})).await
                    }
                    // B's own address; A's is taken deployment-wide (409), which names no tenant.
                    ("POST", "/api/v1/mailboxes") => {
                        let taken = app.post(path, &b.owner, json!({"address": "acme-secret-desk@acme.example", "display_name": "b"})).await;
                        assert_eq!(taken.0, StatusCode::CONFLICT);
                        assert_no_leak(&a, &label, &json!({"message": taken.1["message"], "details": taken.1["details"]}));
                        app.post(path, &b.owner, json!({"address": "desk@globex.example", "display_name": "b"})).await
                    }
                    ("POST", "/api/v1/inboxes") => {
                        app.post(path, &b.owner, json!({"name": "b", "channel": "app"})).await
                    }
                    // The same shortcut as A's shared one: shortcuts are unique per tenant only.
                    ("POST", "/api/v1/canned-responses") => app.post(path, &b.supervisor, json!({"shortcut": "hello", "title": "b", "body": "b", "shared": true})).await,
                    ("POST", "/api/v1/widget/conversations") => {
                        app.post(path, &b_visitor, json!({})).await
                    }
                    // B's knowledge base is B's own: A's FAQ is never matched, listed or exported.
                    ("POST", "/api/v1/kb/faqs") => app.post(path, &b.supervisor, json!({"question": "Where is my parcel?", "answer": "b"})).await,
                    ("POST", "/api/v1/kb/articles") => app.post(path, &b.supervisor, json!({"title": "b", "body": "b", "language": "en"})).await,
                    ("POST", "/api/v1/kb/categories") => app.post(path, &b.supervisor, json!({"name": "b"})).await,
                    ("POST", "/api/v1/kb/vocabulary") => app.post(path, &b.supervisor, json!({"term": "b"})).await,
                    ("PUT", "/api/v1/kb/settings") => app.call(method.clone(), path, Some(&b.owner), Some(json!({"margin": 0.2}))).await,
                    ("POST", "/api/v1/kb/match") => app.post(path, &b.agent, json!({"question": "question about parcels"})).await,
                    ("POST", "/api/v1/kb/integrations") => app.post(path, &b.admin, json!({"name": "b", "base_url": "https://globex.example.com", "path_template": "/o/{id}"})).await,
                    // A's integration is unknown in B: named as unknown, nothing of A told.
                    ("POST", "/api/v1/kb/scenarios") => {
                        let refused = app.post(path, &b.supervisor, json!({"name": "b", "triggers": ["b"],
                            "steps": [{"kind": "call", "integration_id": a.integration_id}]})).await;
                        assert_eq!(refused.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.1);
                        assert_eq!(refused.1["details"]["errors"][0]["code"], "unknown_integration");
                        assert_no_leak(&a, &label, &refused.1);
                        app.post(path, &b.supervisor, json!({"name": "b", "triggers": ["b"], "steps": [{"kind": "say", "text": "b"}]})).await
                    }
                    // A's scenario never starts for B, whatever B types.
                    ("POST", "/api/v1/kb/try") => {
                        let tried = app.post(path, &b.supervisor, json!({"message": "Acme Secret order status"})).await;
                        assert_ne!(tried.1["action"], "scenario", "{}", tried.1);
                        tried
                    }
                    ("POST", "/api/v1/kb/import") => super::knowledge::import(&app, &b.supervisor, "csv", "question,answer\nHow do I pay?,b\n").await,
                    ("GET", "/api/v1/kb/search") => {
                        app.get(&format!("{path}?q=Acme%20Secret%20article"), &b.supervisor).await
                    }
                    ("GET", _) => app.get(path, caller).await,
                    ("POST", p) if p.starts_with("/api/v1/wfm/") => {
                        app.post(path, &b.owner, super::wfm::question(p)).await
                    }
                    _ => panic!("no cross-tenant check for {label}"),
                };
                let expected = match (method.as_str(), path.as_str()) {
                    ("POST", "/api/v1/auth/login") => StatusCode::UNAUTHORIZED,
                    ("POST", "/api/v1/auth/logout") => StatusCode::NO_CONTENT,
                    ("PUT", "/api/v1/auth/password") => StatusCode::FORBIDDEN,
                    ("POST", "/api/v1/users" | "/api/v1/groups" | "/api/v1/tickets") => {
                        StatusCode::UNPROCESSABLE_ENTITY
                    }
                    ("POST", p) if p.starts_with("/api/v1/wfm/") => StatusCode::OK,
                    ("POST", "/api/v1/tickets/bulk-update") => StatusCode::OK,
                    ("POST", "/api/v1/kb/match" | "/api/v1/kb/import" | "/api/v1/kb/try") => {
                        StatusCode::OK
                    }
                    ("POST", _) => StatusCode::CREATED,
                    ("GET", "/api/v1/customers/lookup") => StatusCode::NOT_FOUND,
                    _ => StatusCode::OK,
                };
                assert_eq!(status, expected, "{label}: {response}");
                assert_no_leak(&a, &label, &response);
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} operations checked");

    // Nothing of A changed.
    let a_admin = app.login("admin@acme.test", PASSWORD).await;
    let (status, customer) = app
        .get(&format!("/api/v1/customers/{}", a.customer_id), &a_admin)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(customer["name"], "Acme Secret Customer");
    assert_eq!(customer["identities"].as_array().unwrap().len(), 1);
    let (status, group) = app
        .get(&format!("/api/v1/groups/{}", a.group_id), &a_admin)
        .await;
    assert_eq!(
        (status, group["name"].as_str()),
        (StatusCode::OK, Some("Acme Secret Group"))
    );
    let (_, user) = app
        .get(&format!("/api/v1/users/{}", a.user_id), &a_admin)
        .await;
    assert_eq!(
        (user["active"].as_bool(), user["presence"].as_str()),
        (Some(true), Some("offline"))
    );
    let (status, _) = app.get("/api/v1/customers", &a.token).await;
    assert_eq!(status, StatusCode::OK, "A's API token still works");
    let (status, canned) = app
        .get(
            &format!("/api/v1/canned-responses/{}", a.canned_id),
            &a_admin,
        )
        .await;
    assert_eq!(
        (status, canned["title"].as_str()),
        (StatusCode::OK, Some("Acme Secret greeting"))
    );
    let (_, mailboxes) = app.get("/api/v1/mailboxes", &a_admin).await;
    assert_eq!(
        (
            mailboxes["items"][0]["display_name"].as_str(),
            mailboxes["items"][0]["enabled"].as_bool()
        ),
        (Some("Acme Secret desk"), Some(true))
    );
    let (_, faq) = app
        .get(&format!("/api/v1/kb/faqs/{}", a.faq_id), &a_admin)
        .await;
    assert_eq!(faq["answer"], "Acme Secret answer");
    let (_, term) = app.get("/api/v1/kb/vocabulary", &a_admin).await;
    assert_eq!(term[0]["term"], "Acme Secret term");
    let (_, integrations) = app.get("/api/v1/kb/integrations", &a_admin).await;
    assert_eq!(
        (
            integrations["items"][0]["timeout_ms"].as_i64(),
            integrations["items"][0]["has_secret"].as_bool()
        ),
        (Some(5000), Some(true))
    );
    let (status, scenario) = app
        .get(&format!("/api/v1/kb/scenarios/{}", a.scenario_id), &a_admin)
        .await;
    assert_eq!(
        (status, scenario["name"].as_str()),
        (StatusCode::OK, Some("Acme Secret scenario"))
    );
    let (_, tenant) = app.get("/api/v1/tenant", &a_admin).await;
    assert_eq!(tenant["name"], "acme Inc");
    let (_, trigger) = app
        .get(&format!("/api/v1/triggers/{}", a.trigger_id), &a_admin)
        .await;
    assert_eq!(
        (trigger["name"].as_str(), trigger["active"].as_bool()),
        (Some("Acme Secret trigger"), Some(true))
    );
    let (_, field) = app
        .get(&format!("/api/v1/ticket-fields/{}", a.field_id), &a_admin)
        .await;
    assert_eq!(field["label"], "Acme Secret field");
    // And A's token reaches nothing of B.
    let (status, _) = app
        .get(&format!("/api/v1/customers/{b_customer_id}"), &a.token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
