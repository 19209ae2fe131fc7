//! Ticket links over HTTP: sub-tasks that block their parent, incidents solved with their
//! problem, cycles refused, merge (history, tags, children, conversation and the email thread
//! move) and split, and that other tenants and read-only tokens can do none of it.

use super::email::{config, send};
use super::{TestApp, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

async fn customer(app: &TestApp, token: &str, name: &str) -> String {
    let (status, customer) = app
        .post("/api/v1/customers", token, json!({"name": name}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{customer}");
    customer["id"].as_str().unwrap().to_owned()
}

async fn ticket(app: &TestApp, token: &str, requester: &str, subject: &str, kind: &str) -> Value {
    let (status, ticket) = app
        .post(
            "/api/v1/tickets",
            token,
            json!({"subject": subject, "requester_id": requester, "type": kind}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    ticket
}

fn id(ticket: &Value) -> &str {
    ticket["id"].as_str().unwrap()
}

async fn set_status(app: &TestApp, token: &str, ticket: &Value, to: &str) -> (StatusCode, Value) {
    app.patch(
        &format!("/api/v1/tickets/{}", id(ticket)),
        token,
        json!({"status": to}),
    )
    .await
}

async fn set_parent(
    app: &TestApp,
    token: &str,
    child: &Value,
    parent: &str,
    kind: &str,
) -> (StatusCode, Value) {
    app.call(
        Method::PUT,
        &format!("/api/v1/tickets/{}/parent", id(child)),
        Some(token),
        Some(json!({"parent_id": parent, "kind": kind})),
    )
    .await
}

async fn comments(app: &TestApp, token: &str, ticket: &Value) -> Vec<Value> {
    let (status, page) = app
        .get(&format!("/api/v1/tickets/{}/comments", id(ticket)), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn comment(app: &TestApp, token: &str, ticket: &Value, body: &str, public: bool) -> Value {
    let (status, comment) = app
        .post(
            &format!("/api/v1/tickets/{}/comments", id(ticket)),
            token,
            json!({"body": body, "public": public}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{comment}");
    comment
}

async fn children(app: &TestApp, token: &str, ticket: &Value) -> Vec<Value> {
    let (status, page) = app
        .get(&format!("/api/v1/tickets/{}/children", id(ticket)), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// The kinds of the events about one ticket, oldest first.
async fn event_kinds(app: &TestApp, tenant: Uuid, ticket: &Value) -> Vec<String> {
    let id: Uuid = id(ticket).parse().unwrap();
    let mut events = app
        .store
        .events_for_entities(tenant, &[id], 1000)
        .await
        .unwrap();
    events.reverse();
    events.into_iter().map(|e| e.kind).collect()
}

#[tokio::test]
async fn a_subtask_blocks_its_parent_until_it_is_done() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let requester = customer(&app, &org.agent, "王芳").await;
    let parent = ticket(&app, &org.agent, &requester, "退款没到账", "question").await;

    let (status, sub) = app
        .post(
            &format!("/api/v1/tickets/{}/subtasks", id(&parent)),
            &org.agent,
            json!({"subject": "请财务核实退款", "description": "订单 SO-1", "assignee_id": org.supervisor_id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    assert_eq!(sub["type"], "task");
    assert_eq!(sub["requester_id"], requester.as_str());
    assert_eq!(sub["assignee_id"], org.supervisor_id.to_string());
    assert_eq!(sub["parent_id"], id(&parent));
    assert_eq!(sub["link_kind"], "subtask");
    assert!(
        event_kinds(&app, org.tenant.id, &sub)
            .await
            .contains(&"ticket.linked".to_owned())
    );

    let (_, detail) = app
        .get(&format!("/api/v1/tickets/{}", id(&sub)), &org.agent)
        .await;
    assert_eq!(detail["parent"]["number"], parent["number"]);
    assert_eq!(detail["parent"]["status"], "new");
    let listed = children(&app, &org.agent, &parent).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            &listed[0]["number"],
            &listed[0]["status"],
            &listed[0]["kind"]
        ),
        (&sub["number"], &json!("open"), &json!("subtask"))
    );

    let (status, refused) = set_status(&app, &org.agent, &parent, "solved").await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "ticket_blocked_by_subtasks");
    assert_eq!(refused["details"]["numbers"], json!([sub["number"]]));

    let (status, solved) = set_status(&app, &org.supervisor, &sub, "solved").await;
    assert_eq!(status, StatusCode::OK, "{solved}");
    let (status, solved) = set_status(&app, &org.agent, &parent, "solved").await;
    assert_eq!(status, StatusCode::OK, "no longer blocked: {solved}");
    let (status, closed) = set_status(&app, &org.agent, &parent, "closed").await;
    assert_eq!(status, StatusCode::OK, "{closed}");

    let (status, refused) = app
        .post(
            &format!("/api/v1/tickets/{}/subtasks", id(&parent)),
            &org.agent,
            json!({"subject": "再查一次"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "parent_closed");
    assert_eq!(children(&app, &org.agent, &parent).await.len(), 1);
}

#[tokio::test]
async fn solving_a_problem_solves_its_open_incidents_with_a_public_notice() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let requester = customer(&app, &org.agent, "李雷").await;
    let problem = ticket(&app, &org.agent, &requester, "支付接口故障", "problem").await;
    let first = ticket(&app, &org.agent, &requester, "付款失败", "incident").await;
    let second = ticket(&app, &org.agent, &requester, "付不了款", "incident").await;
    let question = ticket(&app, &org.agent, &requester, "怎么付款", "question").await;

    for incident in [&first, &second] {
        let (status, linked) =
            set_parent(&app, &org.agent, incident, id(&problem), "incident").await;
        assert_eq!(status, StatusCode::OK, "{linked}");
        assert_eq!(linked["parent"]["number"], problem["number"]);
        assert_eq!(linked["link_kind"], "incident");
    }
    let (status, refused) = set_parent(&app, &org.agent, &first, id(&question), "incident").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["code"], "parent_not_a_problem");

    // Already solved on its own: it gets no notice.
    let (status, _) = set_status(&app, &org.agent, &second, "solved").await;
    assert_eq!(status, StatusCode::OK);
    let (status, solved) = set_status(&app, &org.agent, &problem, "solved").await;
    assert_eq!(status, StatusCode::OK, "incidents never block: {solved}");

    let (_, first_now) = app
        .get(&format!("/api/v1/tickets/{}", id(&first)), &org.agent)
        .await;
    assert_eq!(first_now["status"], "solved");
    let notices = comments(&app, &org.agent, &first).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0]["author_kind"], "system");
    assert_eq!(notices[0]["public"], true, "the customer hears about it");
    let text = notices[0]["body"].as_str().unwrap();
    assert!(
        text.contains(&format!("#{}", first["number"]))
            && text.contains(&format!("#{}", problem["number"])),
        "{text}"
    );
    assert!(comments(&app, &org.agent, &second).await.is_empty());
    let kinds = event_kinds(&app, org.tenant.id, &first).await;
    assert!(
        kinds.ends_with(&[
            "ticket.updated".to_owned(),
            "ticket.comment_added".to_owned()
        ]),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn links_refuse_cycles_and_unknown_tickets_and_can_be_removed() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let requester = customer(&app, &org.agent, "韩梅梅").await;
    let a = ticket(&app, &org.agent, &requester, "A", "task").await;
    let b = ticket(&app, &org.agent, &requester, "B", "task").await;
    let c = ticket(&app, &org.agent, &requester, "C", "task").await;

    assert_eq!(
        set_parent(&app, &org.agent, &b, id(&a), "subtask").await.0,
        StatusCode::OK
    );
    assert_eq!(
        set_parent(&app, &org.agent, &c, id(&b), "subtask").await.0,
        StatusCode::OK
    );
    for (child, parent) in [(&a, &c), (&a, &a), (&b, &c)] {
        let (status, refused) = set_parent(&app, &org.agent, child, id(parent), "subtask").await;
        assert_eq!(status, StatusCode::CONFLICT, "{refused}");
        assert_eq!(refused["code"], "ticket_link_cycle");
    }
    let (status, missing) =
        set_parent(&app, &org.agent, &a, &Uuid::now_v7().to_string(), "subtask").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    assert_eq!(missing["code"], "ticket_not_found");

    let (status, unlinked) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tickets/{}/parent", id(&c)),
            Some(&org.agent),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{unlinked}");
    assert!(unlinked["parent_id"].is_null() && unlinked["parent"].is_null());
    assert!(
        event_kinds(&app, org.tenant.id, &c)
            .await
            .ends_with(&["ticket.unlinked".to_owned()])
    );
    // C is free now, so A may go under it.
    assert_eq!(
        set_parent(&app, &org.agent, &a, id(&c), "subtask").await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_merge_moves_history_tags_children_and_the_mail_thread_and_closes_the_source() {
    let app = spawn_app_with(config(None)).await;
    let org = app.org("acme").await;
    let (status, mailbox) = app
        .post(
            "/api/v1/mailboxes",
            &org.admin,
            json!({"address": "support@acme.example", "display_name": "Acme 客服"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mailbox}");
    let smtp = app.smtp.unwrap();
    let customer_address = "张三 <zhang@example.com>";
    send(
        smtp,
        customer_address,
        "support@acme.example",
        "退货申请",
        "鞋子尺码不对",
        &[("Message-ID", "<m1@example.com>")],
    )
    .await;
    send(
        smtp,
        customer_address,
        "support@acme.example",
        "退货申请（补充）",
        "订单号 SO-9",
        &[("Message-ID", "<m2@example.com>")],
    )
    .await;
    let (_, byno) = app.get("/api/v1/tickets?q=%231001", &org.agent).await;
    let target = byno["items"][0].clone();
    let (_, byno) = app.get("/api/v1/tickets?q=%231002", &org.agent).await;
    let source = byno["items"][0].clone();
    assert_eq!(source["channel"], "email");

    app.patch(
        &format!("/api/v1/tickets/{}", id(&target)),
        &org.agent,
        json!({"tags": ["退货"]}),
    )
    .await;
    app.patch(
        &format!("/api/v1/tickets/{}", id(&source)),
        &org.agent,
        json!({"tags": ["vip", "退货"]}),
    )
    .await;
    let note = comment(&app, &org.agent, &source, "同一个客户，合并处理", false).await;
    let (status, sub) = app
        .post(
            &format!("/api/v1/tickets/{}/subtasks", id(&source)),
            &org.agent,
            json!({"subject": "仓库核对"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");

    let merge = |from: &Value, into: &Value| {
        let path = format!("/api/v1/tickets/{}/merge", id(from));
        let body = json!({"into": id(into)});
        let app = &app;
        let token = org.agent.clone();
        async move { app.post(&path, &token, body).await }
    };
    let (status, refused) = merge(&target, &target).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "merge_into_self");
    let (status, refused) = merge(&source, &sub).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "into its own sub-task: {refused}"
    );
    assert_eq!(refused["code"], "ticket_link_cycle");

    let (status, merged) = merge(&source, &target).await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["source"]["status"], "closed");
    assert_eq!(merged["source"]["merged_into"], id(&target));
    assert_eq!(merged["target"]["tags"], json!(["退货", "vip"]));

    let (status, again) = merge(&source, &target).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(again["code"], "merge_source_closed");
    let (status, into_closed) = merge(&sub, &source).await;
    assert_eq!(status, StatusCode::CONFLICT, "{into_closed}");
    assert_eq!(into_closed["code"], "merge_target_closed");

    // The source still reads, and says where it went.
    let (status, gone) = app
        .get(&format!("/api/v1/tickets/{}", id(&source)), &org.agent)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(gone["merged_into_ticket"]["number"], 1001);
    let on_target = comments(&app, &org.agent, &target).await;
    let moved = on_target
        .iter()
        .find(|c| c["id"] == note["id"])
        .expect("the note moved");
    assert_eq!(
        (&moved["author_id"], &moved["created_at"]),
        (&note["author_id"], &note["created_at"])
    );
    assert!(
        on_target
            .iter()
            .any(|c| c["body"] == "#1002 merged into #1001" && c["public"] == false)
    );
    let on_source = comments(&app, &org.agent, &source).await;
    assert_eq!(on_source.len(), 1, "{on_source:?}");
    assert_eq!(on_source[0]["body"], "#1002 merged into #1001");
    let kids = children(&app, &org.agent, &target).await;
    assert_eq!(kids.len(), 1);
    assert_eq!(kids[0]["id"], id(&sub), "children follow");
    assert!(
        event_kinds(&app, org.tenant.id, &source)
            .await
            .contains(&"ticket.merged".to_owned())
    );
    assert!(
        event_kinds(&app, org.tenant.id, &target)
            .await
            .contains(&"ticket.merged".to_owned())
    );
    let target_id: Uuid = id(&target).parse().unwrap();
    assert_eq!(
        app.store
            .ticket_mails(org.tenant.id, target_id)
            .await
            .unwrap()
            .len(),
        2,
        "mails moved"
    );

    // The customer answers the old thread, then writes with the old subject tag: both land on
    // the target, and no ticket is opened.
    send(
        smtp,
        customer_address,
        "support@acme.example",
        "Re: 退货申请（补充）",
        "鞋码 42",
        &[
            ("Message-ID", "<m3@example.com>"),
            ("In-Reply-To", "<m2@example.com>"),
            ("References", "<m2@example.com>"),
        ],
    )
    .await;
    send(
        smtp,
        customer_address,
        "support@acme.example",
        "Re: [#1002] 退货",
        "还有发票",
        &[("Message-ID", "<m4@example.com>")],
    )
    .await;
    let on_target = comments(&app, &org.agent, &target).await;
    for text in ["鞋码 42", "还有发票"] {
        assert!(
            on_target
                .iter()
                .any(|c| c["author_kind"] == "customer"
                    && c["body"].as_str().unwrap().contains(text)),
            "{text} on the target: {on_target:?}"
        );
    }
    let (_, all) = app.get("/api/v1/tickets", &org.agent).await;
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        3,
        "1001, 1002 and the sub-task"
    );
}

#[tokio::test]
async fn a_merge_carries_every_conversation_link_the_followers_and_cc() {
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
    let conversation_id = conversation["id"].as_str().unwrap();
    app.call(
        Method::POST,
        &format!("/api/v1/widget/conversations/{conversation_id}/messages"),
        Some(&visitor),
        Some(json!({"body": "发票开错了"})),
    )
    .await;
    let (status, from_chat) = app
        .post(
            &format!("/api/v1/conversations/{conversation_id}/ticket"),
            &org.agent,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{from_chat}");
    let requester = from_chat["requester_id"].as_str().unwrap();
    // A second conversation, a follower and a CC on the merged ticket go along too.
    let visitor = app.visitor(inbox["id"].as_str().unwrap()).await;
    let (_, second) = app
        .call(
            Method::POST,
            "/api/v1/widget/conversations",
            Some(&visitor),
            Some(json!({})),
        )
        .await;
    let second_id = second["id"].as_str().unwrap();
    let source = format!("/api/v1/tickets/{}", id(&from_chat));
    for path in [
        format!("{source}/conversations/{second_id}"),
        format!("{source}/followers/{}", org.supervisor_id),
    ] {
        let (status, answer) = app.call(Method::PUT, &path, Some(&org.agent), None).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    app.call(
        Method::PUT,
        &format!("{source}/cc"),
        Some(&org.agent),
        Some(json!({"emails": ["finance@example.com"]})),
    )
    .await;
    let target = ticket(&app, &org.agent, requester, "发票", "question").await;
    let (status, merged) = app
        .post(
            &format!("/api/v1/tickets/{}/merge", id(&from_chat)),
            &org.agent,
            json!({"into": id(&target)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["target"]["conversation_id"], conversation_id);
    assert!(merged["source"]["conversation_id"].is_null());
    let into = format!("/api/v1/tickets/{}", id(&target));
    let (_, links) = app.get(&format!("{into}/conversations"), &org.agent).await;
    let linked: Vec<&str> = links["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["conversation_id"].as_str().unwrap())
        .collect();
    assert_eq!(linked, [conversation_id, second_id], "every link, not one");
    let (_, left) = app
        .get(&format!("{source}/conversations"), &org.agent)
        .await;
    assert_eq!(left["items"], json!([]));
    let (_, followers) = app.get(&format!("{into}/followers"), &org.agent).await;
    assert!(
        followers["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["user_id"] == org.supervisor_id.to_string())
    );
    let (_, cc) = app.get(&format!("{into}/cc"), &org.agent).await;
    assert_eq!(cc["emails"], json!(["finance@example.com"]));
    // The source's follower hears of the merge on the target; the agent who merged does not.
    let (_, events) = app.get("/api/v1/events?limit=1000", &org.admin).await;
    let merged_into_target = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "ticket.merged" && e["entity_id"] == target["id"])
        .unwrap();
    assert_eq!(
        merged_into_target["payload"]["notify"],
        json!([org.supervisor_id]),
        "{merged_into_target}"
    );
}

#[tokio::test]
async fn a_split_moves_exactly_the_ticked_comments() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let requester = customer(&app, &org.agent, "赵敏").await;
    let (status, source) = app
        .post(
            "/api/v1/tickets",
            &org.agent,
            json!({"subject": "两个问题", "requester_id": requester, "channel": "phone", "type": "complaint"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let c1 = comment(&app, &org.agent, &source, "第二个问题：发票", false).await;
    let c2 = comment(&app, &org.agent, &source, "第一个问题已处理", true).await;
    let c3 = comment(&app, &org.agent, &source, "发票需要财务", false).await;
    let other = ticket(&app, &org.agent, &requester, "别的", "question").await;
    let foreign = comment(&app, &org.agent, &other, "别的工单", false).await;

    let split = |ids: Value| {
        let path = format!("/api/v1/tickets/{}/split", id(&source));
        let app = &app;
        let token = org.agent.clone();
        async move {
            app.post(
                &path,
                &token,
                json!({"comment_ids": ids, "subject": "发票问题"}),
            )
            .await
        }
    };
    let (status, empty) = split(json!([])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{empty}");
    let unknown = Uuid::now_v7().to_string();
    let (status, refused) = split(json!([c1["id"], unknown, foreign["id"]])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let named: Vec<&str> = refused["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["comment_ids[1]", "comment_ids[2]"]);
    assert_eq!(
        comments(&app, &org.agent, &source).await.len(),
        3,
        "nothing moved"
    );

    let (status, created) = split(json!([c1["id"], c3["id"]])).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["split_from"], id(&source));
    assert_eq!(
        (
            &created["requester_id"],
            &created["channel"],
            &created["type"]
        ),
        (
            &source["requester_id"],
            &json!("phone"),
            &json!("complaint")
        )
    );
    let ids = |list: Vec<Value>| {
        list.into_iter()
            .map(|c| c["id"].clone())
            .collect::<Vec<_>>()
    };
    let left = comments(&app, &org.agent, &source).await;
    assert_eq!(ids(left.clone())[0], c2["id"]);
    assert_eq!(left.len(), 2, "the one left and the split note: {left:?}");
    let moved = comments(&app, &org.agent, &created).await;
    assert_eq!(
        ids(moved.clone())[..2],
        [c1["id"].clone(), c3["id"].clone()]
    );
    assert_eq!(moved.len(), 3, "{moved:?}");
    assert!(
        moved[2]["body"]
            .as_str()
            .unwrap()
            .contains("split from #1001")
    );
    let (_, detail) = app
        .get(&format!("/api/v1/tickets/{}", id(&created)), &org.agent)
        .await;
    assert_eq!(detail["split_from_ticket"]["number"], 1001);
    assert_eq!(
        comments(&app, &org.agent, &other).await.len(),
        1,
        "the other ticket is untouched"
    );
}

#[tokio::test]
async fn other_tenants_and_read_only_tokens_cannot_link_merge_or_split() {
    let app = spawn_app().await;
    let acme = app.org("acme").await;
    let beta = app.org("beta").await;
    let requester = customer(&app, &acme.agent, "王芳").await;
    let a1 = ticket(&app, &acme.agent, &requester, "A1", "problem").await;
    let a2 = ticket(&app, &acme.agent, &requester, "A2", "question").await;
    let note = comment(&app, &acme.agent, &a1, "内部", false).await;
    let beta_requester = customer(&app, &beta.agent, "外人").await;
    let b1 = ticket(&app, &beta.agent, &beta_requester, "B1", "question").await;

    let a1_path = |tail: &str| format!("/api/v1/tickets/{}{tail}", id(&a1));
    let attempts: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, a1_path("/children"), None),
        (
            Method::PUT,
            a1_path("/parent"),
            Some(json!({"parent_id": id(&b1), "kind": "subtask"})),
        ),
        (Method::DELETE, a1_path("/parent"), None),
        (
            Method::POST,
            a1_path("/subtasks"),
            Some(json!({"subject": "偷看"})),
        ),
        (
            Method::POST,
            a1_path("/merge"),
            Some(json!({"into": id(&b1)})),
        ),
        (
            Method::POST,
            a1_path("/split"),
            Some(json!({"comment_ids": [note["id"]], "subject": "偷"})),
        ),
        // Beta's own ticket pointing at acme's.
        (
            Method::PUT,
            format!("/api/v1/tickets/{}/parent", id(&b1)),
            Some(json!({"parent_id": id(&a1), "kind": "incident"})),
        ),
        (
            Method::POST,
            format!("/api/v1/tickets/{}/merge", id(&b1)),
            Some(json!({"into": id(&a1)})),
        ),
    ];
    for (method, path, body) in &attempts {
        let (status, answer) = app
            .call(method.clone(), path, Some(&beta.agent), body.clone())
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
        assert_eq!(answer["code"], "ticket_not_found");
    }
    assert!(children(&app, &acme.agent, &a1).await.is_empty());
    assert_eq!(comments(&app, &acme.agent, &a1).await.len(), 1);
    let (_, b1_now) = app
        .get(&format!("/api/v1/tickets/{}", id(&b1)), &beta.agent)
        .await;
    assert_eq!(b1_now["status"], "new");
    assert!(b1_now["parent_id"].is_null());

    let (status, token) = app
        .post(
            "/api/v1/api-tokens",
            &acme.admin,
            json!({"name": "crm", "scopes": ["tickets:read"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let reader = token["token"].as_str().unwrap();
    let writes: Vec<(Method, String, Value)> = vec![
        (
            Method::PUT,
            format!("/api/v1/tickets/{}/parent", id(&a2)),
            json!({"parent_id": id(&a1), "kind": "incident"}),
        ),
        (Method::POST, a1_path("/subtasks"), json!({"subject": "x"})),
        (
            Method::POST,
            format!("/api/v1/tickets/{}/merge", id(&a2)),
            json!({"into": id(&a1)}),
        ),
        (
            Method::POST,
            a1_path("/split"),
            json!({"comment_ids": [note["id"]], "subject": "x"}),
        ),
    ];
    for (method, path, body) in writes {
        let (status, answer) = app
            .call(method.clone(), &path, Some(reader), Some(body))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {answer}");
    }
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tickets/{}/parent", id(&a2)),
            Some(reader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get(&a1_path("/children"), reader).await;
    assert_eq!(status, StatusCode::OK, "reading is allowed");
    let (_, a2_now) = app
        .get(&format!("/api/v1/tickets/{}", id(&a2)), &acme.agent)
        .await;
    assert!(a2_now["parent_id"].is_null() && a2_now["merged_into"].is_null());
}
