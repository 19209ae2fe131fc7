//! Saved ticket views and the list's filters they use: each agent's own views, shared views
//! kept by supervisors, "me" and "mine" read for whoever looks, and who may change which.

use super::spawn_app;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn numbers(list: &Value) -> Vec<i64> {
    let mut numbers: Vec<i64> = list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|t| t["number"].as_i64().unwrap())
        .collect();
    numbers.sort_unstable();
    numbers
}

#[tokio::test]
async fn the_list_filters_by_priority_type_tag_nobody_and_my_departments() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (_, billing) = app
        .post(
            "/api/v1/groups",
            &org.admin,
            json!({"name": "财务 Billing", "member_ids": [org.agent_id]}),
        )
        .await;
    let (_, logistics) = app
        .post(
            "/api/v1/groups",
            &org.admin,
            json!({"name": "物流 Logistics"}),
        )
        .await;
    let (_, customer) = app
        .post("/api/v1/customers", &org.agent, json!({"name": "王芳"}))
        .await;
    let make = |body: Value| {
        let app = &app;
        let agent = org.agent.clone();
        let mut body = body;
        body["requester_id"] = customer["id"].clone();
        async move {
            let (status, ticket) = app.post("/api/v1/tickets", &agent, body).await;
            assert_eq!(status, StatusCode::CREATED, "{ticket}");
            ticket["number"].as_i64().unwrap()
        }
    };
    let refund = make(
        json!({"subject": "退款", "priority": "urgent", "type": "complaint",
        "tags": ["退款", "vip"], "group_id": billing["id"]}),
    )
    .await;
    let invoice = make(
        json!({"subject": "发票", "priority": "high", "type": "question",
        "tags": ["发票"], "group_id": billing["id"], "assignee_id": org.agent_id}),
    )
    .await;
    let parcel = make(
        json!({"subject": "快递", "priority": "urgent", "type": "incident",
        "tags": ["vip_"], "group_id": logistics["id"]}),
    )
    .await;
    let loose = make(json!({"subject": "其他", "tags": ["%"]})).await;

    let list = |query: &str| {
        let app = &app;
        let agent = org.agent.clone();
        let path = format!("/api/v1/tickets?{query}");
        async move {
            let (status, list) = app.get(&path, &agent).await;
            assert_eq!(status, StatusCode::OK, "{path}: {list}");
            numbers(&list)
        }
    };
    assert_eq!(list("priority=urgent").await, [refund, parcel]);
    assert_eq!(
        list("priority=high,urgent&type=complaint,question").await,
        [refund, invoice]
    );
    assert_eq!(
        list("tag=vip").await,
        [refund],
        "a whole tag, not a prefix of vip_"
    );
    assert_eq!(
        list("tag=%25").await,
        [loose],
        "LIKE's wildcards are plain text"
    );
    assert_eq!(list("assignee=none").await, [refund, parcel, loose]);
    assert_eq!(list("group_id=mine").await, [refund, invoice]);
    assert_eq!(list("group_id=mine&assignee=none").await, [refund]);
    let group = logistics["id"].as_str().unwrap();
    assert_eq!(list(&format!("group_id={group}")).await, [parcel]);

    for bad in [
        "priority=bogus",
        "type=bogus",
        "group_id=theirs",
        "assignee=someone",
    ] {
        let (status, error) = app.get(&format!("/api/v1/tickets?{bad}"), &org.agent).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {error}");
        assert_eq!(error["code"], "invalid_query", "{bad}");
    }
    // Nobody is "me" to a token: its relative filters are refused, not silently dropped.
    let (_, token) = app
        .post(
            "/api/v1/api-tokens",
            &org.admin,
            json!({"name": "crm", "scopes": ["tickets:read"]}),
        )
        .await;
    let token = token["token"].as_str().unwrap();
    let (status, _) = app.get("/api/v1/tickets?group_id=mine", token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn agents_keep_their_own_views_and_supervisors_share_views_with_everyone() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (_, customer) = app
        .post("/api/v1/customers", &org.agent, json!({"name": "Li Lei"}))
        .await;
    let mut numbers_by_subject = std::collections::HashMap::new();
    for (subject, priority, assignee) in [
        ("agent's urgent", "urgent", Some(org.agent_id)),
        ("supervisor's urgent", "urgent", Some(org.supervisor_id)),
        ("nobody's normal", "normal", None),
    ] {
        let (status, ticket) = app
            .post(
                "/api/v1/tickets",
                &org.supervisor,
                json!({"subject": subject, "priority": priority, "requester_id": customer["id"],
                       "assignee_id": assignee}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{ticket}");
        numbers_by_subject.insert(subject, ticket["number"].as_i64().unwrap());
    }

    // An agent's own view: "me" is whoever looks.
    let (status, invalid) = app
        .post(
            "/api/v1/ticket-views",
            &org.agent,
            json!({"name": " ", "filters": {"assignee": "someone", "statuses": ["open"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{invalid}");
    let fields: Vec<&str> = invalid["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "filters.assignee"]);
    let (status, unknown) = app
        .post(
            "/api/v1/ticket-views",
            &org.agent,
            json!({"name": "x", "filters": {"statuss": ["open"]}}),
        )
        .await;
    assert!(status.is_client_error(), "{unknown}");
    let (status, mine) = app
        .post(
            "/api/v1/ticket-views",
            &org.agent,
            json!({"name": "我的紧急", "filters": {"assignee": "me", "priorities": ["urgent", "high"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mine}");
    assert_eq!(mine["shared"], false);
    let mine_id = mine["id"].as_str().unwrap();
    let (_, listed) = app
        .get(&format!("/api/v1/tickets?view={mine_id}"), &org.agent)
        .await;
    assert_eq!(numbers(&listed), [numbers_by_subject["agent's urgent"]]);
    let (status, mixed) = app
        .get(
            &format!("/api/v1/tickets?view={mine_id}&status=open"),
            &org.agent,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{mixed}");
    let (status, _) = app
        .get(
            &format!("/api/v1/tickets?view={mine_id}&q=urgent&limit=5"),
            &org.agent,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "q, limit and cursor go with a view");

    // Someone else's own view does not exist for the supervisor, to read, use or change.
    for (method, path) in [
        (Method::GET, format!("/api/v1/ticket-views/{mine_id}")),
        (Method::GET, format!("/api/v1/tickets?view={mine_id}")),
        (Method::DELETE, format!("/api/v1/ticket-views/{mine_id}")),
    ] {
        let (status, _) = app.call(method, &path, Some(&org.supervisor), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }

    // Agents cannot share; supervisors can, and the shared view reads "me" for each viewer.
    let shared_body = json!({"name": "Urgent, mine", "shared": true,
        "filters": {"assignee": "me", "priorities": ["urgent"]}});
    let (status, _) = app
        .post("/api/v1/ticket-views", &org.agent, shared_body.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, shared) = app
        .post("/api/v1/ticket-views", &org.supervisor, shared_body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{shared}");
    let shared_id = shared["id"].as_str().unwrap();
    let (_, views) = app.get("/api/v1/ticket-views", &org.agent).await;
    let ids: Vec<&str> = views["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [shared_id, mine_id],
        "shared first, then the agent's own"
    );
    let (_, views) = app.get("/api/v1/ticket-views", &org.supervisor).await;
    assert_eq!(views["items"].as_array().unwrap().len(), 1);
    let (_, for_agent) = app
        .get(&format!("/api/v1/tickets?view={shared_id}"), &org.agent)
        .await;
    assert_eq!(numbers(&for_agent), [numbers_by_subject["agent's urgent"]]);
    let (_, for_supervisor) = app
        .get(
            &format!("/api/v1/tickets?view={shared_id}"),
            &org.supervisor,
        )
        .await;
    assert_eq!(
        numbers(&for_supervisor),
        [numbers_by_subject["supervisor's urgent"]]
    );

    // Only supervisors and admins change a shared view; the owner changes their own.
    let (status, _) = app
        .patch(
            &format!("/api/v1/ticket-views/{shared_id}"),
            &org.agent,
            json!({"name": "hijacked"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, renamed) = app
        .patch(
            &format!("/api/v1/ticket-views/{shared_id}"),
            &org.admin,
            json!({"name": "全员紧急", "filters": {"assignee": "none"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["filters"], json!({"assignee": "none"}));
    let (_, unassigned) = app
        .get(&format!("/api/v1/tickets?view={shared_id}"), &org.agent)
        .await;
    assert_eq!(
        numbers(&unassigned),
        [numbers_by_subject["nobody's normal"]]
    );
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/ticket-views/{mine_id}"),
            Some(&org.agent),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .get(&format!("/api/v1/tickets?view={mine_id}"), &org.agent)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Every change is in the event log.
    let kinds: Vec<String> = app
        .store
        .events_since(org.tenant.id, 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .filter(|k| k.starts_with("ticket_view."))
        .collect();
    assert_eq!(
        kinds,
        [
            "ticket_view.created",
            "ticket_view.created",
            "ticket_view.updated",
            "ticket_view.deleted"
        ]
    );
}

#[tokio::test]
async fn views_stay_inside_their_tenant_and_tokens_keep_shared_ones() {
    let app = spawn_app().await;
    let acme = app.org("acme").await;
    let other = app.org("other").await;
    let (_, view) = app
        .post(
            "/api/v1/ticket-views",
            &acme.supervisor,
            json!({"name": "acme shared", "shared": true, "filters": {"statuses": ["new"]}}),
        )
        .await;
    let id = view["id"].as_str().unwrap();
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/ticket-views/{id}"), None),
        (Method::GET, format!("/api/v1/tickets?view={id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/ticket-views/{id}"),
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, format!("/api/v1/ticket-views/{id}"), None),
    ] {
        let (status, _) = app.call(method, &path, Some(&other.admin), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (_, theirs) = app.get("/api/v1/ticket-views", &other.admin).await;
    assert_eq!(theirs["items"], json!([]));

    let token = |scopes: Value| {
        let app = &app;
        let admin = acme.admin.clone();
        async move {
            let (_, token) = app
                .post(
                    "/api/v1/api-tokens",
                    &admin,
                    json!({"name": "crm", "scopes": scopes}),
                )
                .await;
            token["token"].as_str().unwrap().to_owned()
        }
    };
    let reader = token(json!(["tickets:read"])).await;
    let writer = token(json!(["tickets:read", "tickets:write"])).await;
    let (status, _) = app.get("/api/v1/ticket-views", &reader).await;
    assert_eq!(status, StatusCode::OK);
    let (status, error) = app
        .post("/api/v1/ticket-views", &writer, json!({"name": "own"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["code"], "personal_view_needs_user");
    let (status, _) = app
        .post(
            "/api/v1/ticket-views",
            &reader,
            json!({"name": "s", "shared": true}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            "/api/v1/ticket-views",
            &writer,
            json!({"name": "s", "shared": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
}
