//! Canned responses over HTTP: who may create, see, change and delete which (agents their own,
//! supervisors and up the shared ones), duplicate shortcuts, field errors, search, and rendering
//! one for a conversation with its customer's name and attributes and the signed-in agent's name.

use super::{PASSWORD, TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const API: &str = "/api/v1/canned-responses";

fn canned(shortcut: &str, body: &str) -> Value {
    json!({"shortcut": shortcut, "title": format!("title of {shortcut}"), "body": body})
}

/// A second agent of the tenant, signed in.
async fn another_agent(app: &TestApp, admin: &str, slug: &str) -> String {
    let email = format!("lee@{slug}.test");
    let (status, user) = app
        .post(
            "/api/v1/users",
            admin,
            json!({"email": email, "display_name": "Lee", "role": "agent", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    app.login(&email, PASSWORD).await
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, created) = app.post(API, token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

/// `shared:shortcut` or `own:shortcut` for each listed item.
async fn listed(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let (status, page) = app.get(&format!("{API}{query}"), token).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let whose = if c["shared"] == true { "shared" } else { "own" };
            format!("{whose}:{}", c["shortcut"].as_str().unwrap())
        })
        .collect()
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn agents_keep_their_own_and_supervisors_the_shared_ones() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let lee = another_agent(&app, &org.admin, "acme").await;

    let own = create(&app, &org.agent, canned("greet", "您好")).await;
    assert_eq!(
        (own["shared"].as_bool(), own["owner_id"].as_str()),
        (Some(false), Some(org.agent_id.to_string().as_str()))
    );
    let (status, err) = app
        .post(
            API,
            &org.agent,
            json!({"shortcut": "x", "title": "x", "body": "x", "shared": true}),
        )
        .await;
    assert_eq!((status, code(&err)), (StatusCode::FORBIDDEN, "forbidden"));
    let mut refund = canned("refund", "7 天无理由退货");
    refund["shared"] = json!(true);
    let shared = create(&app, &org.supervisor, refund).await;
    assert_eq!(shared["shared"], true);
    assert!(shared["owner_id"].is_null());

    // Each agent sees the shared ones and their own, never another agent's own.
    assert_eq!(
        listed(&app, &org.agent, "").await,
        ["own:greet", "shared:refund"]
    );
    assert_eq!(listed(&app, &lee, "").await, ["shared:refund"]);
    assert_eq!(listed(&app, &org.supervisor, "").await, ["shared:refund"]);
    let own_path = format!("{API}/{}", own["id"].as_str().unwrap());
    let shared_path = format!("{API}/{}", shared["id"].as_str().unwrap());
    for token in [&lee, &org.supervisor, &org.owner] {
        let (status, err) = app.get(&own_path, token).await;
        assert_eq!(
            (status, code(&err)),
            (StatusCode::NOT_FOUND, "canned_response_not_found")
        );
        let (status, _) = app
            .patch(&own_path, token, json!({"title": "mine now"}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = app.call(Method::DELETE, &own_path, Some(token), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    // An agent's own shortcut shadows a shared one in what they use, not in the shared list.
    create(&app, &org.agent, canned("refund", "我的退款说明")).await;
    assert_eq!(
        listed(&app, &org.agent, "").await,
        ["own:greet", "own:refund"]
    );
    assert_eq!(
        listed(&app, &org.agent, "?scope=shared").await,
        ["shared:refund"]
    );
    assert_eq!(
        listed(&app, &org.agent, "?scope=own").await,
        ["own:greet", "own:refund"]
    );
    assert_eq!(listed(&app, &org.agent, "?q=/REF").await, ["own:refund"]);
    assert_eq!(
        listed(&app, &org.agent, "?q=无理由&scope=shared").await,
        ["shared:refund"]
    );
    assert_eq!(
        listed(&app, &org.agent, "?q=nothing").await,
        Vec::<String>::new()
    );

    // Agents may use a shared one but not change it; supervisors and up may.
    let (status, got) = app.get(&shared_path, &org.agent).await;
    assert_eq!((status, &got["id"]), (StatusCode::OK, &shared["id"]));
    let (status, err) = app
        .patch(&shared_path, &org.agent, json!({"title": "hijack"}))
        .await;
    assert_eq!((status, code(&err)), (StatusCode::FORBIDDEN, "forbidden"));
    let (status, _) = app
        .call(Method::DELETE, &shared_path, Some(&org.agent), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, changed) = app
        .patch(
            &shared_path,
            &org.admin,
            json!({"title": "退款政策", "language": "ZH-cn"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        (changed["title"].as_str(), changed["language"].as_str()),
        (Some("退款政策"), Some("zh-CN"))
    );
    assert_eq!(changed["body"], shared["body"], "unchanged fields are kept");
    let (status, changed) = app
        .patch(&shared_path, &org.supervisor, json!({"language": null}))
        .await;
    assert_eq!(
        (status, &changed["language"]),
        (StatusCode::OK, &Value::Null)
    );

    // Owners change and delete their own.
    let (status, changed) = app
        .patch(
            &own_path,
            &org.agent,
            json!({"shortcut": "hello", "body": "您好！"}),
        )
        .await;
    assert_eq!(
        (status, changed["shortcut"].as_str()),
        (StatusCode::OK, Some("hello")),
        "{changed}"
    );
    assert_eq!(
        changed["updated_by"].as_str(),
        Some(org.agent_id.to_string().as_str())
    );
    let (status, _) = app
        .call(Method::DELETE, &own_path, Some(&org.agent), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get(&own_path, &org.agent).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .call(Method::DELETE, &shared_path, Some(&org.supervisor), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Canned responses belong to people: API tokens get 403.
    let (_, token) = app
        .post(
            "/api/v1/api-tokens",
            &org.admin,
            json!({"name": "crm", "scopes": ["customers:read"]}),
        )
        .await;
    let token = token["token"].as_str().unwrap();
    let (status, err) = app.get(API, token).await;
    assert_eq!((status, code(&err)), (StatusCode::FORBIDDEN, "forbidden"));
    let (status, _) = app.post(API, token, canned("bot", "x")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Each change is in the event log, shared ones in the audit log too.
    let (_, events) = app
        .get("/api/v1/events?after=0&limit=1000", &org.owner)
        .await;
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .filter(|k| k.starts_with("canned_response."))
        .collect();
    assert_eq!(
        kinds,
        [
            "canned_response.created",
            "canned_response.created",
            "canned_response.created",
            "canned_response.updated",
            "canned_response.updated",
            "canned_response.updated",
            "canned_response.deleted",
            "canned_response.deleted",
        ]
    );
}

#[tokio::test]
async fn duplicate_shortcuts_are_409_and_bad_fields_422() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let lee = another_agent(&app, &org.admin, "acme").await;
    let first = create(&app, &org.agent, canned("refund-policy", "x")).await;

    let (status, err) = app
        .post(API, &org.agent, canned("refund-policy", "y"))
        .await;
    assert_eq!(
        (status, code(&err)),
        (StatusCode::CONFLICT, "duplicate_shortcut"),
        "{err}"
    );
    assert_eq!(err["details"]["field"], "shortcut");
    assert_eq!(err["details"]["canned_response_id"], first["id"]);
    // Another agent's own and a shared one may use the same shortcut; two shared ones may not.
    create(&app, &lee, canned("refund-policy", "z")).await;
    let mut shared = canned("refund-policy", "s");
    shared["shared"] = json!(true);
    create(&app, &org.supervisor, shared.clone()).await;
    let (status, err) = app.post(API, &org.admin, shared).await;
    assert_eq!(
        (status, code(&err)),
        (StatusCode::CONFLICT, "duplicate_shortcut")
    );
    let other = create(&app, &org.agent, canned("other", "x")).await;
    let other_path = format!("{API}/{}", other["id"].as_str().unwrap());
    let (status, err) = app
        .patch(
            &other_path,
            &org.agent,
            json!({"shortcut": "refund-policy"}),
        )
        .await;
    assert_eq!(
        (status, code(&err)),
        (StatusCode::CONFLICT, "duplicate_shortcut")
    );

    // A template with an unclosed {{ is refused at save time, naming the body.
    let (status, err) = app
        .post(API, &org.agent, canned("hi", "您好 {{customer.name，欢迎"))
        .await;
    assert_eq!(
        (status, code(&err)),
        (StatusCode::UNPROCESSABLE_ENTITY, "unclosed_variable"),
        "{err}"
    );
    assert_eq!(err["details"]["errors"][0]["field"], "body");
    let (status, err) = app
        .patch(
            &other_path,
            &org.agent,
            json!({"title": "changed", "body": "{{ }}"}),
        )
        .await;
    assert_eq!(
        (status, code(&err)),
        (StatusCode::UNPROCESSABLE_ENTITY, "empty_variable")
    );
    let (_, unchanged) = app.get(&other_path, &org.agent).await;
    assert_eq!(
        unchanged["title"], other["title"],
        "a refused change changes nothing"
    );

    // Every bad field at once.
    let (status, err) = app
        .post(
            API,
            &org.agent,
            json!({"shortcut": "Refund Policy", "title": " ", "body": "字".repeat(5001), "language": "not a tag"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<(&str, &str)> = err["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            ("shortcut", "invalid_shortcut"),
            ("title", "required"),
            ("body", "too_long"),
            ("language", "invalid_language")
        ]
    );
    let (status, err) = app
        .post(API, &org.agent, json!({"shortcut": "x", "title": "x"}))
        .await;
    assert_eq!(
        (status, code(&err)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    );
    let (status, err) = app
        .patch(&other_path, &org.agent, json!({"owner_id": org.agent_id}))
        .await;
    assert_eq!(
        (status, code(&err)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        "the scope never changes"
    );
    let (status, err) = app.get(&format!("{API}?cursor=nope"), &org.agent).await;
    assert_eq!(
        (status, code(&err)),
        (StatusCode::BAD_REQUEST, "invalid_cursor")
    );
    let (status, err) = app.get(&format!("{API}?scope=everyone"), &org.agent).await;
    assert_eq!(
        (status, code(&err)),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
    let (status, _) = app.get(&format!("{API}/not-a-uuid"), &org.agent).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn lists_are_paged() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    for shortcut in ["a", "b", "c"] {
        create(&app, &org.agent, canned(shortcut, "x")).await;
    }
    let (_, first) = app.get(&format!("{API}?limit=2"), &org.agent).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = app
        .get(&format!("{API}?limit=2&cursor={cursor}"), &org.agent)
        .await;
    assert_eq!(second["items"][0]["shortcut"], "c");
    assert!(second.get("next_cursor").is_none());
}

#[tokio::test]
async fn a_canned_response_is_rendered_with_the_conversations_values() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let lee = another_agent(&app, &org.admin, "acme").await;
    let inbox = app.inbox(&org.admin).await;
    let (status, session) = app
        .call(
            Method::POST,
            &format!("/api/v1/widget/{}/session", inbox["id"].as_str().unwrap()),
            None,
            Some(json!({"name": "王芳 <b>VIP</b>"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    let visitor = session["visitor_token"].as_str().unwrap();
    let customer_id = session["customer_id"].as_str().unwrap();
    let (status, _) = app
        .patch(
            &format!("/api/v1/customers/{customer_id}"),
            &org.agent,
            json!({"attributes": {"order_no": "SO-1001", "points": 120}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, conversation) = app
        .post("/api/v1/widget/conversations", visitor, json!({}))
        .await;
    let conversation_id = conversation["id"].as_str().unwrap();

    let template = "{{customer.name}}您好，我是{{ agent.name }}。订单 {{customer.attributes.order_no}}，积分 {{customer.attributes.points}}（{{conversation.id}}）{{customer.phone}} {{customer.attributes.coupon}}";
    let own = create(&app, &org.agent, canned("hi", template)).await;
    let render = |canned_id: &Value| {
        format!(
            "/api/v1/conversations/{conversation_id}/canned-responses/{}/render",
            canned_id.as_str().unwrap()
        )
    };
    let (status, rendered) = app.post(&render(&own["id"]), &org.agent, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{rendered}");
    assert_eq!(
        rendered["body"],
        format!(
            "王芳 <b>VIP</b>您好，我是agent。订单 SO-1001，积分 120（{conversation_id}）{{{{customer.phone}}}} {{{{customer.attributes.coupon}}}}"
        ),
        "values filled as text; unknown and unfilled variables left visible"
    );
    let (_, stored) = app
        .get(
            &format!("{API}/{}", own["id"].as_str().unwrap()),
            &org.agent,
        )
        .await;
    assert_eq!(stored["body"], template, "rendering changes nothing stored");
    let (_, messages) = app
        .get(
            &format!("/api/v1/conversations/{conversation_id}/messages"),
            &org.agent,
        )
        .await;
    assert_eq!(
        messages["items"].as_array().unwrap().len(),
        0,
        "rendering sends nothing"
    );

    // A shared one renders with the signed-in agent's name.
    let mut shared = canned("sign", "—— {{agent.name}}");
    shared["shared"] = json!(true);
    let shared = create(&app, &org.supervisor, shared).await;
    let (status, rendered) = app.post(&render(&shared["id"]), &lee, json!({})).await;
    assert_eq!(
        (status, rendered["body"].as_str()),
        (StatusCode::OK, Some("—— Lee"))
    );

    // Another agent's own, an unknown conversation or response: 404 naming what is missing.
    let (status, err) = app.post(&render(&own["id"]), &lee, json!({})).await;
    assert_eq!(
        (status, code(&err)),
        (StatusCode::NOT_FOUND, "canned_response_not_found")
    );
    let nil = json!(uuid::Uuid::nil().to_string());
    let (status, err) = app.post(&render(&nil), &org.agent, json!({})).await;
    assert_eq!(
        (status, code(&err)),
        (StatusCode::NOT_FOUND, "canned_response_not_found")
    );
    let (status, err) = app
        .post(
            &format!(
                "/api/v1/conversations/{}/canned-responses/{}/render",
                uuid::Uuid::nil(),
                own["id"].as_str().unwrap()
            ),
            &org.agent,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, code(&err)),
        (StatusCode::NOT_FOUND, "conversation_not_found")
    );
    let (status, _) = app
        .call(Method::POST, &render(&own["id"]), Some(visitor), None)
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "visitors have no canned responses"
    );
}
