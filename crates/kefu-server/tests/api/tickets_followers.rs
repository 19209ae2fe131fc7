//! Who hears about a ticket and what it carries on: followers (by hand, and by commenting,
//! being @mentioned or assigned) told of replies and status changes, the CC list, linked
//! conversations, and who may do what.

use super::{TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn new_ticket(app: &TestApp, token: &str) -> String {
    let (_, customer) = app
        .post("/api/v1/customers", token, json!({"name": "王芳"}))
        .await;
    let (status, ticket) = app
        .post(
            "/api/v1/tickets",
            token,
            json!({"subject": "发票抬头错误", "requester_id": customer["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    ticket["id"].as_str().unwrap().to_owned()
}

/// A widget conversation of the admin's tenant: its id.
async fn conversation(app: &TestApp, admin: &str) -> String {
    let inbox = app.inbox(admin).await;
    let visitor = app.visitor(inbox["id"].as_str().unwrap()).await;
    let (status, conversation) = app
        .call(
            Method::POST,
            "/api/v1/widget/conversations",
            Some(&visitor),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{conversation}");
    conversation["id"].as_str().unwrap().to_owned()
}

fn follower_ids(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["user_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

async fn events_of(app: &TestApp, admin: &str, kind: &str) -> Vec<Value> {
    let (_, events) = app.get("/api/v1/events?limit=1000", admin).await;
    events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .cloned()
        .collect()
}

#[tokio::test]
async fn agents_follow_tickets_by_hand_and_by_commenting_being_mentioned_or_assigned() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let other = app.org("globex").await;
    let (_, owner) = app.get("/api/v1/auth/me", &org.owner).await;
    let owner_id = owner["user"]["id"].as_str().unwrap().to_owned();
    let id = new_ticket(&app, &org.agent).await;
    let followers = format!("/api/v1/tickets/{id}/followers");

    let (status, list) = app.get(&followers, &org.agent).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(
        list["items"],
        json!([]),
        "creating a ticket follows nothing"
    );

    // A colleague is added; adding them twice keeps one row.
    let supervisor = format!("{followers}/{}", org.supervisor_id);
    for _ in 0..2 {
        let (status, list) = app
            .call(Method::PUT, &supervisor, Some(&org.agent), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(follower_ids(&list), [org.supervisor_id.to_string()]);
    }
    for stranger in [uuid::Uuid::now_v7(), other.agent_id] {
        let (status, refused) = app
            .call(
                Method::PUT,
                &format!("{followers}/{stranger}"),
                Some(&org.agent),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(refused["details"]["errors"][0]["field"], "user_id");
        assert_eq!(refused["details"]["errors"][0]["code"], "unknown_reference");
    }

    // Writing a note follows the writer, and the note's @mention follows the owner.
    let (status, _) = app
        .post(
            &format!("/api/v1/tickets/{id}/comments"),
            &org.agent,
            json!({"body": format!("@{} 请看", owner["user"]["display_name"].as_str().unwrap())}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, list) = app.get(&followers, &org.agent).await;
    assert_eq!(
        follower_ids(&list),
        sorted(vec![
            org.supervisor_id.to_string(),
            org.agent_id.to_string(),
            owner_id.clone()
        ])
    );

    // Unfollowing, then being assigned, follows again (once).
    let me = format!("{followers}/{}", org.agent_id);
    for _ in 0..2 {
        let (status, _) = app.call(Method::DELETE, &me, Some(&org.agent), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let (_, list) = app.get(&followers, &org.agent).await;
    assert!(!follower_ids(&list).contains(&org.agent_id.to_string()));
    let (status, _) = app
        .patch(
            &format!("/api/v1/tickets/{id}"),
            &org.agent,
            json!({"assignee_id": org.agent_id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = app.get(&followers, &org.agent).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3, "{list}");
    let added = events_of(&app, &org.admin, "ticket.follower_added").await;
    let reasons: Vec<&str> = added
        .iter()
        .map(|e| e["payload"]["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["added", "commented", "mentioned", "assigned"]);
    assert_eq!(
        events_of(&app, &org.admin, "ticket.follower_removed")
            .await
            .len(),
        1,
        "removing twice removes once"
    );
}

#[tokio::test]
async fn followers_are_told_of_public_replies_customer_replies_and_status_changes() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let id = new_ticket(&app, &org.agent).await;
    app.call(
        Method::PUT,
        &format!("/api/v1/tickets/{id}/followers/{}", org.supervisor_id),
        Some(&org.agent),
        None,
    )
    .await;
    let comments = format!("/api/v1/tickets/{id}/comments");
    // The agent follows by writing; as the writer they are not told of their own reply.
    app.post(&comments, &org.agent, json!({"body": "内部备注"}))
        .await;
    app.post(
        &comments,
        &org.agent,
        json!({"body": "已为您重开发票", "public": true}),
    )
    .await;
    app.patch(
        &format!("/api/v1/tickets/{id}"),
        &org.agent,
        json!({"status": "pending_customer"}),
    )
    .await;
    let (_, link) = app
        .get(&format!("/api/v1/tickets/{id}/status-link"), &org.agent)
        .await;
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/status/{}/replies", link["token"].as_str().unwrap()),
            None,
            Some(json!({"body": "收到，谢谢"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let comments = events_of(&app, &org.admin, "ticket.comment_added").await;
    assert!(
        comments[0]["payload"].get("notify").is_none(),
        "internal notes tell only whom they mention"
    );
    assert_eq!(
        comments[1]["payload"]["notify"],
        json!([org.supervisor_id]),
        "public reply"
    );
    assert_eq!(
        sorted(
            comments[2]["payload"]["notify"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        ),
        sorted(vec![
            org.supervisor_id.to_string(),
            org.agent_id.to_string()
        ]),
        "the customer's reply tells every follower"
    );
    let updates = events_of(&app, &org.admin, "ticket.updated").await;
    let to_pending = updates
        .iter()
        .find(|e| e["payload"]["changes"]["status"]["to"] == "pending_customer")
        .unwrap();
    assert_eq!(to_pending["payload"]["notify"], json!([org.supervisor_id]));
}

#[tokio::test]
async fn the_cc_list_takes_valid_addresses_only() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let id = new_ticket(&app, &org.agent).await;
    let cc = format!("/api/v1/tickets/{id}/cc");
    let put = |body: Value| app.call(Method::PUT, &cc, Some(&org.agent), Some(body));
    let (status, set) =
        put(json!({"emails": [" Finance@Example.com", "li@example.cn", "finance@example.com"]}))
            .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(
        set["emails"],
        json!(["finance@example.com", "li@example.cn"])
    );
    let (status, refused) = put(json!({"emails": ["ok@example.com", "not an address"]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["details"]["errors"][0]["field"], "emails[1]");
    let many: Vec<String> = (0..21).map(|i| format!("p{i}@example.com")).collect();
    let (status, refused) = put(json!({ "emails": many })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["details"]["errors"][0]["code"], "too_many");
    let (_, kept) = app.get(&cc, &org.agent).await;
    assert_eq!(
        kept["emails"],
        json!(["finance@example.com", "li@example.cn"])
    );
    let (status, _) = put(json!({"emails": []})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, kept) = app.get(&cc, &org.agent).await;
    assert_eq!(kept["emails"], json!([]));
    assert_eq!(
        events_of(&app, &org.admin, "ticket.cc_changed").await.len(),
        2
    );
}

#[tokio::test]
async fn a_ticket_links_several_conversations_of_its_tenant() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let other = app.org("globex").await;
    let first = conversation(&app, &org.admin).await;
    let second = conversation(&app, &org.admin).await;
    let theirs = conversation(&app, &other.admin).await;
    let (status, ticket) = app
        .post(
            &format!("/api/v1/conversations/{first}/ticket"),
            &org.agent,
            json!({"subject": "发票"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    let id = ticket["id"].as_str().unwrap();
    let links = format!("/api/v1/tickets/{id}/conversations");
    let linked = |list: &Value| -> Vec<String> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["conversation_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, list) = app.get(&links, &org.agent).await;
    assert_eq!(linked(&list), [first.as_str()], "made from the first");

    let (status, list) = app
        .call(
            Method::PUT,
            &format!("{links}/{second}"),
            Some(&org.agent),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(linked(&list), [first.clone(), second.clone()]);
    let (status, refused) = app
        .call(
            Method::PUT,
            &format!("{links}/{theirs}"),
            Some(&org.agent),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["details"]["errors"][0]["field"], "conversation_id");

    // Unlinking the first makes the second the ticket's conversation.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("{links}/{first}"),
            Some(&org.agent),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, ticket) = app.get(&format!("/api/v1/tickets/{id}"), &org.agent).await;
    assert_eq!(ticket["conversation_id"], second.as_str());
    app.call(
        Method::DELETE,
        &format!("{links}/{second}"),
        Some(&org.agent),
        None,
    )
    .await;
    let (_, ticket) = app.get(&format!("/api/v1/tickets/{id}"), &org.agent).await;
    assert!(ticket["conversation_id"].is_null(), "{ticket}");
    assert_eq!(
        events_of(&app, &org.admin, "ticket.conversation_unlinked")
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn the_new_endpoints_need_ticket_scopes_and_stay_in_their_tenant() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let other = app.org("globex").await;
    let id = new_ticket(&app, &org.agent).await;
    let conversation_id = conversation(&app, &org.admin).await;
    let (status, token) = app
        .post(
            "/api/v1/api-tokens",
            &org.admin,
            json!({"name": "crm", "scopes": ["tickets:read"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let reader = token["token"].as_str().unwrap();
    let base = format!("/api/v1/tickets/{id}");
    let reads = [
        format!("{base}/followers"),
        format!("{base}/cc"),
        format!("{base}/conversations"),
    ];
    let writes = [
        (
            Method::PUT,
            format!("{base}/followers/{}", org.agent_id),
            None,
        ),
        (
            Method::DELETE,
            format!("{base}/followers/{}", org.agent_id),
            None,
        ),
        (
            Method::PUT,
            format!("{base}/cc"),
            Some(json!({"emails": ["a@example.com"]})),
        ),
        (
            Method::PUT,
            format!("{base}/conversations/{conversation_id}"),
            None,
        ),
        (
            Method::DELETE,
            format!("{base}/conversations/{conversation_id}"),
            None,
        ),
    ];
    for path in &reads {
        let (status, _) = app.get(path, reader).await;
        assert_eq!(status, StatusCode::OK, "{path} is a read");
        let (status, _) = app.get(path, &other.agent).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path} of another tenant");
    }
    for (method, path, body) in writes {
        let (status, _) = app
            .call(method.clone(), &path, Some(reader), body.clone())
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{method} {path} needs tickets:write"
        );
        let (status, answer) = app
            .call(method.clone(), &path, Some(&other.agent), body)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
    }
}
