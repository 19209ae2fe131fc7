//! Bot scenarios against a real server and a real "order system" (an HTTP server in the test):
//! the secret header arrives, a scenario asks, validates, calls and answers through the widget;
//! timeouts, 500s, bad JSON and missing fields hand off with `integration_failed`; "转人工"
//! mid-scenario hands off with the slots; the state survives a restart; a retried message never
//! calls twice; the API's roles, validation and write-only secret; try the bot walks it too.

use super::bot::{bot_inbox, chat, messages, say, seed_faqs};
use super::{Org, TestApp, spawn_app_with};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::response::{IntoResponse, Response};
use kefu_server::ServerConfig;
use kefu_server::webhooks::WebhookSettings;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const SECRET: &str = "s3cret-order-key";

/// The tenant's order system: counts the calls that carried the secret, answers by order id.
#[derive(Clone, Default)]
struct Orders {
    calls: Arc<AtomicUsize>,
    without_secret: Arc<AtomicUsize>,
}

async fn order(
    State(orders): State<Orders>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(SECRET) {
        orders.without_secret.fetch_add(1, Ordering::SeqCst);
        return (AxumStatus::UNAUTHORIZED, "no key").into_response();
    }
    orders.calls.fetch_add(1, Ordering::SeqCst);
    match id.as_str() {
        "500500" => (AxumStatus::INTERNAL_SERVER_ERROR, "boom").into_response(),
        "777777" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            axum::Json(json!({"status": "late"})).into_response()
        }
        "888888" => "<html>not json</html>".into_response(),
        // Larger than the 256 KiB an answer may have: once with its length declared, once
        // streamed without one, so the limit holds while reading.
        "666666" => axum::Json(json!({"status": "x".repeat(300 * 1024)})).into_response(),
        "666667" => {
            let chunks = (0..40).map(|_| Ok::<_, std::io::Error>(vec![b' '; 8 * 1024]));
            axum::body::Body::from_stream(futures_util::stream::iter(chunks)).into_response()
        }
        "999999" => axum::Json(json!({"state": "no status field"})).into_response(),
        other => {
            axum::Json(json!({"id": other, "status": "已发货", "eta": {"days": 2}})).into_response()
        }
    }
}

async fn order_system() -> (String, Orders) {
    let orders = Orders::default();
    let app = axum::Router::new()
        .route("/api/orders/{id}", axum::routing::get(order))
        .with_state(orders.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, orders)
}

fn config() -> ServerConfig {
    ServerConfig {
        max_body_bytes: 64 * 1024,
        webhooks: WebhookSettings {
            allow_private_targets: true,
            ..WebhookSettings::default()
        },
        ..ServerConfig::default()
    }
}

async fn integration(app: &TestApp, org: &Org, base_url: &str) -> String {
    let (status, created) = app
        .post(
            "/api/v1/kb/integrations",
            &org.admin,
            json!({"name": "orders", "base_url": base_url, "path_template": "/orders/{order_id}",
                   "secret_header": "X-Api-Key", "secret_value": SECRET, "timeout_ms": 500}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(!created.to_string().contains(SECRET), "{created}");
    assert_eq!(created["has_secret"], true);
    created["id"].as_str().unwrap().to_owned()
}

const ORDER_TRIGGERS: &[&str] = &[
    "查询订单",
    "我的订单到哪了",
    "查一下订单状态",
    "订单状态怎么样",
    "where is my order",
    "track my order",
];

async fn order_scenario(app: &TestApp, org: &Org, integration_id: &str) -> Value {
    let (status, scenario) = app
        .post(
            "/api/v1/kb/scenarios",
            &org.supervisor,
            json!({
                "name": "查询订单",
                "triggers": ORDER_TRIGGERS,
                "steps": [
                    {"kind": "ask", "slot": "order_id", "prompt": "请输入您的 6 位订单号",
                     "prompt_en": "Please enter your 6-digit order number",
                     "pattern": "[0-9]{6}", "retry_prompt": "订单号是 6 位数字，请重新输入"},
                    {"kind": "call", "integration_id": integration_id},
                    {"kind": "say", "text": "订单 {order_id}：{result.status}，预计 {result.eta.days} 天送达",
                     "text_en": "Order {order_id}: {result.status}"}
                ]
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{scenario}");
    scenario
}

/// An org with the FAQs, the order system's integration and the order-status scenario.
async fn setup(app: &TestApp) -> (Org, String, Orders, String) {
    let org = app.org("acme").await;
    seed_faqs(app, &org).await;
    let (url, orders) = order_system().await;
    let integration_id = integration(app, &org, &url).await;
    order_scenario(app, &org, &integration_id).await;
    let inbox = bot_inbox(app, &org).await;
    (org, inbox, orders, integration_id)
}

async fn bot_of(app: &TestApp, org: &Org, id: &str) -> Value {
    let (status, bot) = app
        .get(&format!("/api/v1/conversations/{id}/bot"), &org.agent)
        .await;
    assert_eq!(status, StatusCode::OK, "{bot}");
    bot
}

#[tokio::test]
async fn a_scenario_asks_validates_calls_the_order_system_and_answers() {
    let app = spawn_app_with(config()).await;
    let (org, inbox, orders, _) = setup(&app).await;
    let (id, visitor) = chat(&app, &inbox).await;

    let ask = say(&app, &visitor, &id, json!({"body": "帮我查询订单"})).await;
    assert_eq!(ask["body"], "请输入您的 6 位订单号", "{ask}");
    assert_eq!(ask["bot"]["action"], "scenario");
    let retry = say(&app, &visitor, &id, json!({"body": "12ab"})).await;
    assert_eq!(retry["body"], "订单号是 6 位数字，请重新输入", "{retry}");
    assert_eq!(orders.calls.load(Ordering::SeqCst), 0);

    let answer = say(&app, &visitor, &id, json!({"body": " 123456 "})).await;
    assert_eq!(
        answer["body"], "订单 123456：已发货，预计 2 天送达",
        "{answer}"
    );
    assert_eq!(orders.calls.load(Ordering::SeqCst), 1);
    assert_eq!(orders.without_secret.load(Ordering::SeqCst), 0);
    let bot = bot_of(&app, &org, &id).await;
    assert!(bot["session"]["scenario_state"].is_null(), "ended: {bot}");

    // Done: the bot answers FAQs again, and is still the one answering.
    let faq = say(&app, &visitor, &id, json!({"body": "发票怎么开"})).await;
    assert_eq!(faq["bot"]["action"], "answer", "{faq}");
    let (_, conversation) = app
        .get(&format!("/api/v1/conversations/{id}"), &org.agent)
        .await;
    assert_eq!(conversation["status"], "bot");

    // An English customer reads the English texts.
    let (id, visitor) = chat(&app, &inbox).await;
    let ask = say(&app, &visitor, &id, json!({"body": "where is my order?"})).await;
    assert_eq!(
        ask["body"], "Please enter your 6-digit order number",
        "{ask}"
    );
    let answer = say(&app, &visitor, &id, json!({"body": "654321"})).await;
    assert_eq!(answer["body"], "Order 654321: 已发货", "{answer}");
}

#[tokio::test]
async fn integration_failures_hand_off_politely_with_the_reason_for_the_agent() {
    let app = spawn_app_with(config()).await;
    let (org, inbox, orders, _) = setup(&app).await;
    for (order_id, code) in [
        ("500500", "http_500"),
        ("777777", "timeout"),
        ("888888", "bad_json"),
        ("999999", "missing_field:result.status"),
        ("666666", "answer_too_large"),
        ("666667", "answer_too_large"),
    ] {
        let (id, visitor) = chat(&app, &inbox).await;
        say(&app, &visitor, &id, json!({"body": "查询订单"})).await;
        let reply = say(&app, &visitor, &id, json!({"body": order_id})).await;
        assert_eq!(reply["bot"]["action"], "handoff", "{order_id}: {reply}");
        let body = reply["body"].as_str().unwrap();
        assert!(body.contains("转接人工客服"), "{body}");
        for raw in ["500", "timeout", "json", "result", "{"] {
            assert!(!body.contains(raw), "{order_id}: the customer reads {body}");
        }
        let bot = bot_of(&app, &org, &id).await;
        assert_eq!(
            bot["session"]["handoff_reason"], "integration_failed",
            "{bot}"
        );
        let context = &bot["session"]["handoff_context"];
        assert_eq!(context["error"], code, "{bot}");
        assert_eq!(context["slots"]["order_id"], order_id, "{bot}");
        let (_, conversation) = app
            .get(&format!("/api/v1/conversations/{id}"), &org.agent)
            .await;
        assert_eq!(conversation["status"], "queued", "{order_id}");
    }
    assert_eq!(orders.calls.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn asking_for_a_person_mid_scenario_hands_off_with_the_slots() {
    let app = spawn_app_with(config()).await;
    let (org, inbox, _, _) = setup(&app).await;
    let (status, _) = app
        .post(
            "/api/v1/kb/scenarios",
            &org.supervisor,
            json!({
                "name": "换货",
                "triggers": ["我要换货", "换货怎么办理", "想换个尺码", "exchange an item"],
                "steps": [
                    {"kind": "ask", "slot": "order_id", "prompt": "请输入订单号", "pattern": "[0-9]{6}"},
                    {"kind": "choice", "prompt": "换货原因？", "options": [
                        {"label": "尺码不合适"}, {"label": "质量问题", "goto": 3}]},
                    {"kind": "say", "text": "请在“我的订单”中申请换货，订单 {order_id}。"},
                    {"kind": "handoff", "text": "质量问题由质检专员处理，正在为您转接。"}
                ]
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (id, visitor) = chat(&app, &inbox).await;
    let ask = say(&app, &visitor, &id, json!({"body": "我要换货"})).await;
    assert_eq!(ask["body"], "请输入订单号", "{ask}");
    let choice = say(&app, &visitor, &id, json!({"body": "123456"})).await;
    assert_eq!(
        choice["bot"]["options"],
        json!(["尺码不合适", "质量问题"]),
        "{choice}"
    );
    let reply = say(&app, &visitor, &id, json!({"body": "转人工"})).await;
    assert_eq!(reply["bot"]["action"], "handoff", "{reply}");
    let bot = bot_of(&app, &org, &id).await;
    assert_eq!(bot["session"]["handoff_reason"], "requested", "{bot}");
    assert_eq!(
        bot["session"]["handoff_context"]["slots"]["order_id"],
        "123456"
    );

    // A choice jumping to a handoff step hands off with its own words.
    let (id, visitor) = chat(&app, &inbox).await;
    say(&app, &visitor, &id, json!({"body": "我要换货"})).await;
    say(&app, &visitor, &id, json!({"body": "123456"})).await;
    let reply = say(&app, &visitor, &id, json!({"body": "质量问题"})).await;
    assert_eq!(reply["body"], "质量问题由质检专员处理，正在为您转接。");
    let bot = bot_of(&app, &org, &id).await;
    assert_eq!(bot["session"]["handoff_reason"], "scenario", "{bot}");
}

#[tokio::test]
async fn the_scenario_state_survives_a_restart() {
    let mut app = spawn_app_with(config()).await;
    let (org, inbox, orders, _) = setup(&app).await;
    let (id, visitor) = chat(&app, &inbox).await;
    say(&app, &visitor, &id, json!({"body": "查询订单"})).await;
    let bot = bot_of(&app, &org, &id).await;
    assert_eq!(bot["session"]["scenario_state"]["step"], 0, "{bot}");
    app.restart().await;
    let answer = say(&app, &visitor, &id, json!({"body": "123456"})).await;
    assert_eq!(
        answer["body"], "订单 123456：已发货，预计 2 天送达",
        "{answer}"
    );
    assert_eq!(orders.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_retried_message_never_runs_a_step_or_a_call_twice() {
    let app = spawn_app_with(config()).await;
    let (_org, inbox, orders, _) = setup(&app).await;
    let (id, visitor) = chat(&app, &inbox).await;
    say(
        &app,
        &visitor,
        &id,
        json!({"body": "查询订单", "client_msg_id": "c-1"}),
    )
    .await;
    let send = json!({"body": "123456", "client_msg_id": "c-2"});
    let first = say(&app, &visitor, &id, send.clone()).await;
    assert_eq!(orders.calls.load(Ordering::SeqCst), 1);
    // The same message sent again, twice at once and once more after.
    let path = format!("/api/v1/widget/conversations/{id}/messages");
    let (a, b) = tokio::join!(
        app.post(&path, &visitor, send.clone()),
        app.post(&path, &visitor, send.clone())
    );
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK), "{a:?} {b:?}");
    let again = say(&app, &visitor, &id, send).await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(orders.calls.load(Ordering::SeqCst), 1);
    let bot_replies = messages(&app, &visitor, &id)
        .await
        .into_iter()
        .filter(|m| m["sender_kind"] == "bot")
        .count();
    assert_eq!(bot_replies, 2);
}

#[tokio::test]
async fn the_api_checks_roles_and_input_and_never_returns_the_secret() {
    let app = spawn_app_with(config()).await;
    let (org, _inbox, orders, integration_id) = setup(&app).await;
    let path = "/api/v1/kb/integrations";
    let (status, _) = app.get(path, &org.agent).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "agents do not see integrations"
    );
    let (status, list) = app.get(path, &org.supervisor).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(SECRET));
    let body = json!({"name": "crm", "base_url": "https://crm.example.com", "path_template": "/x"});
    let (status, _) = app.post(path, &org.supervisor, body.clone()).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "integrations are the admins'"
    );
    for (bad, field) in [
        (json!({"base_url": "ftp://x.example.com"}), "base_url"),
        (json!({"method": "DELETE"}), "method"),
        (
            json!({"path_template": "orders/{Order Id}"}),
            "path_template",
        ),
        (json!({"timeout_ms": 60_000}), "timeout_ms"),
        (
            json!({"secret_header": "bad header", "secret_value": "x"}),
            "secret_header",
        ),
    ] {
        let mut request = body.clone();
        request
            .as_object_mut()
            .unwrap()
            .extend(bad.as_object().unwrap().clone());
        let (status, error) = app.post(path, &org.admin, request).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert_eq!(error["details"]["errors"][0]["field"], field, "{error}");
    }
    let (status, error) = app
        .post(
            path,
            &org.admin,
            json!({"name": "orders", "base_url": "https://a.example.com", "path_template": ""}),
        )
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::CONFLICT, Some("duplicate_name"))
    );

    // A patch keeps the secret unless a new one (or null) is given.
    let one = format!("{path}/{integration_id}");
    let (status, patched) = app
        .patch(&one, &org.admin, json!({"timeout_ms": 800}))
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(
        (patched["has_secret"].clone(), patched["timeout_ms"].clone()),
        (json!(true), json!(800))
    );
    let (status, _) = app
        .patch(&one, &org.supervisor, json!({"timeout_ms": 900}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The test call reaches the order system with the secret.
    let (status, tested) = app
        .post(
            &format!("{one}/test"),
            &org.admin,
            json!({"slots": {"order_id": "123456"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tested}");
    assert_eq!(
        (tested["ok"].clone(), tested["result"]["status"].clone()),
        (json!(true), json!("已发货"))
    );
    let (_, failed) = app
        .post(
            &format!("{one}/test"),
            &org.admin,
            json!({"slots": {"order_id": "500500"}}),
        )
        .await;
    assert_eq!(
        (failed["ok"].clone(), failed["error"].clone()),
        (json!(false), json!("http_500"))
    );
    let (_, missing) = app
        .post(&format!("{one}/test"), &org.admin, json!({}))
        .await;
    assert_eq!(missing["error"], "missing_slot:order_id");
    assert_eq!(orders.calls.load(Ordering::SeqCst), 2);
    let (status, _) = app
        .post(&format!("{one}/test"), &org.supervisor, json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Scenarios: agents read, supervisors write, steps are checked.
    let scenarios = "/api/v1/kb/scenarios";
    let (status, list) = app.get(scenarios, &org.agent).await;
    assert_eq!(status, StatusCode::OK);
    let scenario_id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let good = json!({"name": "n", "triggers": ["t"], "steps": [{"kind": "say", "text": "hi"}]});
    let (status, _) = app.post(scenarios, &org.agent, good.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (steps, field, code) in [
        (json!([{"kind": "dance"}]), "steps", "invalid_steps"),
        (json!([]), "steps", "required"),
        (
            json!([{"kind": "ask", "slot": "x", "prompt": "?", "pattern": "("}]),
            "steps[0].pattern",
            "invalid_pattern",
        ),
        (
            json!([{"kind": "call", "integration_id": uuid::Uuid::now_v7()}]),
            "steps[0].integration_id",
            "unknown_integration",
        ),
        (
            json!([{"kind": "choice", "prompt": "?", "options": [{"label": "a", "goto": 5}]}]),
            "steps[0].options[0].goto",
            "unknown_step",
        ),
    ] {
        let (status, error) = app
            .post(
                scenarios,
                &org.supervisor,
                json!({"name": "n", "triggers": ["t"], "steps": steps}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert_eq!(error["details"]["errors"][0]["field"], field, "{error}");
        assert_eq!(error["details"]["errors"][0]["code"], code, "{error}");
    }
    let one = format!("{scenarios}/{scenario_id}");
    let (status, patched) = app
        .patch(&one, &org.supervisor, json!({"status": "draft"}))
        .await;
    assert_eq!(
        (status, patched["revision"].clone()),
        (StatusCode::OK, json!(2))
    );
    let (_, history) = app.get(&format!("{one}/revisions"), &org.agent).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 2);
    // A draft is not started by the bot.
    let (_, tried) = app
        .post(
            "/api/v1/kb/try",
            &org.supervisor,
            json!({"message": "查询订单"}),
        )
        .await;
    assert_ne!(tried["action"], "scenario", "{tried}");
    let (status, _) = app
        .call(reqwest::Method::DELETE, &one, Some(&org.agent), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(reqwest::Method::DELETE, &one, Some(&org.supervisor), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get(&one, &org.agent).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn try_the_bot_walks_a_scenario_with_the_state_it_returns() {
    let app = spawn_app_with(config()).await;
    let (org, _inbox, orders, _) = setup(&app).await;
    let try_ = |body: Value| app.post("/api/v1/kb/try", &org.supervisor, body);
    let (status, first) = try_(json!({"message": "查询订单"})).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        (first["action"].clone(), first["body"].clone()),
        (json!("scenario"), json!("请输入您的 6 位订单号"))
    );
    let (_, retry) = try_(json!({"message": "x", "state": first["state"]})).await;
    assert_eq!(retry["body"], "订单号是 6 位数字，请重新输入", "{retry}");
    let (_, done) = try_(json!({"message": "123456", "state": retry["state"]})).await;
    assert_eq!(done["body"], "订单 123456：已发货，预计 2 天送达", "{done}");
    assert!(done["state"].is_null());
    let (_, failed) = try_(json!({"message": "500500", "state": retry["state"]})).await;
    assert_eq!(failed["handoff_reason"], "integration_failed", "{failed}");
    assert_eq!(failed["handoff_context"]["error"], "http_500");
    assert_eq!(orders.calls.load(Ordering::SeqCst), 2);
    let (status, _) = try_(json!({"message": "1", "state": {"nonsense": true}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app
        .post("/api/v1/kb/try", &org.agent, json!({"message": "查询订单"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_private_address_is_refused_unless_the_server_allows_it() {
    let app = spawn_app_with(ServerConfig::default()).await;
    let org = app.org("acme").await;
    let (url, orders) = order_system().await;
    let id = integration(&app, &org, &url).await;
    let (_, tested) = app
        .post(
            &format!("/api/v1/kb/integrations/{id}/test"),
            &org.admin,
            json!({"slots": {"order_id": "123456"}}),
        )
        .await;
    assert_eq!(tested["error"], "target_not_allowed", "{tested}");
    assert_eq!(orders.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_demo_walks_its_scenarios_and_shows_the_failure_path() {
    let app = spawn_app_with(ServerConfig::default()).await;
    kefu_server::demo::seed(&app.store).await.unwrap();
    let admin = app
        .login("admin@demo.kefu.dev", kefu_server::demo::DEMO_PASSWORD)
        .await;
    let (_, list) = app.get("/api/v1/kb/scenarios", &admin).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "{list}");
    for scenario in list["items"].as_array().unwrap() {
        let steps: Vec<kefu_knowledge::scenario::Step> =
            serde_json::from_value(scenario["steps"].clone()).unwrap();
        assert!(
            kefu_knowledge::scenario::check_steps(&steps).is_empty(),
            "{scenario}"
        );
    }
    let try_ = |body: Value| app.post("/api/v1/kb/try", &admin, body);
    let (_, ask) = try_(json!({"message": "查询订单"})).await;
    assert_eq!(ask["action"], "scenario", "{ask}");
    let (_, failed) = try_(json!({"message": "20261126001", "state": ask["state"]})).await;
    assert_eq!(failed["handoff_reason"], "integration_failed", "{failed}");
    assert_eq!(
        failed["handoff_context"]["slots"]["order_id"],
        "20261126001"
    );

    // Close to the returns FAQ: the scenario is one of the choices, and choosing starts it.
    let (_, offered) = try_(json!({"message": "我要退货"})).await;
    assert_eq!(offered["action"], "did_you_mean", "{offered}");
    let choice = offered["choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["question"] == "我要退货")
        .unwrap_or_else(|| panic!("the scenario is a choice: {offered}"))
        .clone();
    let (_, chosen) = try_(json!({"message": "我要退货", "choice": choice["faq_id"]})).await;
    assert_eq!(chosen["action"], "scenario", "{chosen}");
    let (_, ask) = try_(json!({"message": "帮我退货"})).await;
    assert_eq!(ask["action"], "scenario", "{ask}");
    assert_eq!(ask["body"], chosen["body"]);
    let (_, reason) = try_(json!({"message": "123456", "state": ask["state"]})).await;
    assert_eq!(
        reason["options"],
        json!(["不想要了", "尺码不合适", "质量问题"]),
        "{reason}"
    );
    let (_, done) = try_(json!({"message": "尺码不合适", "state": reason["state"]})).await;
    assert!(
        done["body"].as_str().unwrap().contains("订单 123456"),
        "{done}"
    );
    assert!(done["state"].is_null());
    // Seeding again adds nothing.
    kefu_server::demo::seed(&app.store).await.unwrap();
    let (_, list) = app.get("/api/v1/kb/scenarios", &admin).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_faq_with_a_business_action_asks_calls_and_replies() {
    let app = spawn_app_with(config()).await;
    let (org, inbox, orders, integration_id) = setup(&app).await;
    let (status, faq) = app
        .post(
            "/api/v1/kb/faqs",
            &org.supervisor,
            json!({"question": "我的包裹现在在哪", "similar_questions": ["包裹到哪里了", "包裹物流信息", "查包裹"],
                   "answer": "请在“我的订单”中查看物流。"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{faq}");
    let path = format!("/api/v1/kb/faqs/{}/action", faq["id"].as_str().unwrap());
    let (status, none) = app.get(&path, &org.agent).await;
    assert_eq!(
        (status, none["action"].clone()),
        (StatusCode::OK, Value::Null)
    );
    let action = json!({"integration_id": integration_id,
        "slots": [{"slot": "order_id", "prompt": "包裹的订单号是？", "pattern": "[0-9]{6}"}],
        "reply": "包裹（订单 {order_id}）：{result.status}"});
    let (agent, supervisor) = (org.agent.as_str(), org.supervisor.as_str());
    let call = async |method: reqwest::Method, token: &str, body: Option<Value>| {
        app.call(method, &path, Some(token), body).await
    };
    let (status, _) = call(reqwest::Method::PUT, agent, Some(action.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut bad = action.clone();
    bad["integration_id"] = json!(uuid::Uuid::now_v7());
    bad["slots"][0]["pattern"] = json!("(");
    let (status, error) = call(reqwest::Method::PUT, supervisor, Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let fields: Vec<&str> = error["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["slots[0].pattern", "integration_id"]);
    let (status, set) = call(reqwest::Method::PUT, supervisor, Some(action)).await;
    assert_eq!(status, StatusCode::OK, "{set}");

    let (id, visitor) = chat(&app, &inbox).await;
    let ask = say(&app, &visitor, &id, json!({"body": "我的包裹现在在哪"})).await;
    assert_eq!(ask["body"], "包裹的订单号是？", "{ask}");
    let reply = say(&app, &visitor, &id, json!({"body": "246810"})).await;
    assert_eq!(reply["body"], "包裹（订单 246810）：已发货", "{reply}");
    assert_eq!(orders.calls.load(Ordering::SeqCst), 1);

    // Without the action the FAQ answers as written again.
    let (status, _) = call(reqwest::Method::DELETE, supervisor, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let plain = say(&app, &visitor, &id, json!({"body": "我的包裹现在在哪"})).await;
    assert_eq!(plain["body"], "请在“我的订单”中查看物流。", "{plain}");
    let (status, _) = app
        .get(
            &format!("/api/v1/kb/faqs/{}/action", uuid::Uuid::now_v7()),
            &org.agent,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
