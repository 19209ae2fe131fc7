//! The routing runtime against a real server: offers to available agents, accept, reject
//! and lapse, capacity, transfers, the queue standing and live view, and the rebuild after a
//! restart with waiting conversations requeued in their original order.

use super::{Org, PASSWORD, TestApp, spawn_app_with};
use kefu_server::ServerConfig;
use kefu_server::routing::RoutingSettings;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

pub(super) fn config(offer_timeout: Duration, max_missed_offers: u32) -> ServerConfig {
    ServerConfig {
        routing: RoutingSettings {
            offer_timeout,
            max_missed_offers,
        },
        ..ServerConfig::default()
    }
}

pub(super) struct Agent {
    pub(super) id: String,
    pub(super) token: String,
}

/// A signed-in agent with the given chat capacity (and groups), offline until told otherwise.
pub(super) async fn agent(
    app: &TestApp,
    org: &Org,
    name: &str,
    chats: u16,
    groups: &[&str],
) -> Agent {
    let email = format!("{name}@{}.test", org.tenant.slug);
    let (status, user) = app
        .post(
            "/api/v1/users",
            &org.admin,
            json!({"email": email, "display_name": name, "role": "agent", "password": PASSWORD,
                   "capacities": {"chat": chats}, "group_ids": groups}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    Agent {
        id: user["id"].as_str().unwrap().to_owned(),
        token: app.login(&email, PASSWORD).await,
    }
}

pub(super) async fn set_presence(app: &TestApp, agent: &Agent, state: &str) {
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/api/v1/users/{}/presence", agent.id),
            Some(&agent.token),
            Some(match state {
                "away" => json!({"state": state, "reason": "lunch"}),
                _ => json!({"state": state}),
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// A new visitor of the inbox starts a conversation: its id and the visitor's token.
pub(super) async fn customer_starts(
    app: &TestApp,
    inbox_id: &str,
    body: Value,
) -> (String, String) {
    let visitor = app.visitor(inbox_id).await;
    let (status, conversation) = app
        .call(
            Method::POST,
            "/api/v1/widget/conversations",
            Some(&visitor),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{conversation}");
    (conversation["id"].as_str().unwrap().to_owned(), visitor)
}

/// Polls the conversation until `done` holds (the router works asynchronously).
pub(super) async fn until(
    app: &TestApp,
    token: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..250 {
        let (status, conversation) = app.get(&format!("/api/v1/conversations/{id}"), token).await;
        assert_eq!(status, StatusCode::OK, "{conversation}");
        if done(&conversation) {
            return conversation;
        }
        last = conversation;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("conversation {id} never reached the expected state; last: {last}");
}

pub(super) fn offered_to<'a>(agent: &'a Agent) -> impl Fn(&Value) -> bool + 'a {
    move |c| c["status"] == "offered" && c["assignee_id"] == agent.id.as_str()
}

pub(super) fn status_is(status: &'static str) -> impl Fn(&Value) -> bool {
    move |c| c["status"] == status
}

pub(super) async fn answer(
    app: &TestApp,
    agent: &Agent,
    id: &str,
    verb: &str,
) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/conversations/{id}/{verb}"),
        &agent.token,
        json!({}),
    )
    .await
}

/// The kinds of the conversation's events in the log, oldest first.
async fn event_kinds(app: &TestApp, org: &Org, id: &str) -> Vec<String> {
    let (_, events) = app.get("/api/v1/events?limit=1000", &org.admin).await;
    events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity_id"] == id)
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits until the log holds an offer of the conversation to `agent`.
async fn offer_logged(app: &TestApp, org: &Org, id: &str, agent: &Agent) {
    for _ in 0..250 {
        let (_, events) = app.get("/api/v1/events?limit=1000", &org.admin).await;
        let offered = events["events"].as_array().unwrap().iter().any(|e| {
            e["entity_id"] == id
                && e["kind"] == "conversation.offered"
                && e["payload"]["conversation"]["assignee_id"] == agent.id.as_str()
        });
        if offered {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("conversation {id} was never offered to {}", agent.id);
}

/// Lets the router catch up, then checks the conversation still has `status`.
async fn stays(app: &TestApp, token: &str, id: &str, status: &str) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, conversation) = app.get(&format!("/api/v1/conversations/{id}"), token).await;
    assert_eq!(conversation["status"], status, "{conversation}");
}

#[tokio::test]
async fn an_available_agent_is_offered_the_conversation_and_accepts_it() {
    let app = spawn_app_with(config(Duration::from_secs(30), 3)).await;
    let org = app.org("acme").await;
    let inbox = app.inbox(&org.admin).await;
    let inbox_id = inbox["id"].as_str().unwrap();
    let lina = agent(&app, &org, "lina", 2, &[]).await;
    let wang = agent(&app, &org, "wang", 2, &[]).await;
    set_presence(&app, &lina, "available").await;

    let (id, _) = customer_starts(&app, inbox_id, json!({})).await;
    let offered = until(&app, &lina.token, &id, offered_to(&lina)).await;
    let expires =
        chrono::DateTime::parse_from_rfc3339(offered["offer_expires_at"].as_str().unwrap())
            .unwrap();
    let left = expires.signed_duration_since(chrono::Utc::now());
    assert!(
        left.num_seconds() > 25 && left.num_seconds() <= 30,
        "countdown {left}"
    );

    let (status, refused) = answer(&app, &wang, &id, "accept").await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "offer_not_available");

    let (status, accepted) = answer(&app, &lina, &id, "accept").await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["status"], "assigned");
    assert_eq!(accepted["assignee_id"], lina.id.as_str());
    assert!(accepted["offer_expires_at"].is_null());

    let (status, again) = answer(&app, &lina, &id, "accept").await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "an offer is accepted once: {again}"
    );

    let kinds = event_kinds(&app, &org, &id).await;
    assert_eq!(
        kinds,
        [
            "conversation.created",
            "conversation.offered",
            "conversation.assigned"
        ]
    );
}

#[tokio::test]
async fn an_auto_accepting_agent_is_assigned_without_an_offer() {
    let app = spawn_app_with(config(Duration::from_secs(30), 3)).await;
    let org = app.org("acme").await;
    let inbox = app.inbox(&org.admin).await;
    let inbox_id = inbox["id"].as_str().unwrap();
    let lina = agent(&app, &org, "lina", 1, &[]).await;
    let (status, user) = app
        .patch(
            &format!("/api/v1/users/{}", lina.id),
            &org.admin,
            json!({"auto_accept": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["auto_accept"], true);
    set_presence(&app, &lina, "available").await;

    let (id, _) = customer_starts(&app, inbox_id, json!({})).await;
    let assigned = until(&app, &lina.token, &id, status_is("assigned")).await;
    assert_eq!(assigned["assignee_id"], lina.id.as_str());
    // Full (capacity 1): the next one waits, and is offered normally once she is switched back.
    let (next, _) = customer_starts(&app, inbox_id, json!({})).await;
    stays(&app, &lina.token, &next, "queued").await;
    app.patch(
        &format!("/api/v1/users/{}", lina.id),
        &org.admin,
        json!({"auto_accept": false, "capacities": {"chat": 2}}),
    )
    .await;
    until(&app, &lina.token, &next, offered_to(&lina)).await;

    let kinds = event_kinds(&app, &org, &id).await;
    assert_eq!(kinds, ["conversation.created", "conversation.assigned"]);
}

#[tokio::test]
async fn a_rejected_offer_goes_to_the_next_agent_and_a_lapsed_one_waits_again() {
    let app = spawn_app_with(config(Duration::from_millis(600), 0)).await;
    let org = app.org("acme").await;
    let inbox = app.inbox(&org.admin).await;
    let lina = agent(&app, &org, "lina", 2, &[]).await;
    let wang = agent(&app, &org, "wang", 2, &[]).await;
    set_presence(&app, &lina, "available").await;
    set_presence(&app, &wang, "available").await;

    let (id, _) = customer_starts(&app, inbox["id"].as_str().unwrap(), json!({})).await;
    // Lina became available first: she has been idle longest.
    until(&app, &lina.token, &id, offered_to(&lina)).await;
    let (status, rejected) = answer(&app, &lina, &id, "reject").await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    // Read from the log: Wang's offer lapses after 600 ms, which a poll of the conversation on
    // a loaded machine can miss altogether.
    offer_logged(&app, &org, &id, &wang).await;

    // Wang lets it lapse; both have declined it lately, so it waits in the queue.
    let queued = until(&app, &wang.token, &id, status_is("queued")).await;
    assert!(queued["assignee_id"].is_null());
    let (_, events) = app.get("/api/v1/events?limit=1000", &org.admin).await;
    let reasons: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity_id"] == id.as_str() && e["kind"] == "conversation.queued")
        .map(|e| e["payload"]["reason"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(reasons, ["offer_rejected", "offer_timed_out"]);

    // Taking it from the list still works, and withdraws nothing that is not there.
    let (status, taken) = app
        .post(
            &format!("/api/v1/conversations/{id}/assign"),
            &wang.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{taken}");
    stays(&app, &wang.token, &id, "assigned").await;
}

#[tokio::test]
async fn an_agent_who_misses_offers_in_a_row_is_set_away() {
    let app = spawn_app_with(config(Duration::from_millis(300), 2)).await;
    let org = app.org("acme").await;
    let inbox = app.inbox(&org.admin).await;
    let inbox_id = inbox["id"].as_str().unwrap();
    let lina = agent(&app, &org, "lina", 5, &[]).await;
    set_presence(&app, &lina, "available").await;
    let (first, _) = customer_starts(&app, inbox_id, json!({})).await;
    let (second, _) = customer_starts(&app, inbox_id, json!({})).await;
    until(&app, &lina.token, &first, status_is("queued")).await;
    until(&app, &lina.token, &second, |c| {
        c["status"] == "queued" && c["offer_expires_at"].is_null()
    })
    .await;
    let mut me = Value::Null;
    for _ in 0..100 {
        me = app
            .get(&format!("/api/v1/users/{}", lina.id), &lina.token)
            .await
            .1;
        if me["presence"] == "away" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(me["presence"], "away", "{me}");
    assert_eq!(me["away_reason"], "missed");
}

#[tokio::test]
async fn capacity_holds_back_offers_until_a_conversation_ends() {
    let app = spawn_app_with(config(Duration::from_secs(30), 3)).await;
    let org = app.org("acme").await;
    let inbox = app.inbox(&org.admin).await;
    let inbox_id = inbox["id"].as_str().unwrap();
    let lina = agent(&app, &org, "lina", 1, &[]).await;
    set_presence(&app, &lina, "available").await;

    let (first, _) = customer_starts(&app, inbox_id, json!({})).await;
    until(&app, &lina.token, &first, offered_to(&lina)).await;
    let (second, _) = customer_starts(&app, inbox_id, json!({})).await;
    assert_eq!(
        answer(&app, &lina, &first, "accept").await.0,
        StatusCode::OK
    );
    stays(&app, &lina.token, &second, "queued").await;

    let (status, resolved) = app
        .post(
            &format!("/api/v1/conversations/{first}/resolve"),
            &lina.token,
            json!({"disposition": "answered"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    until(&app, &lina.token, &second, offered_to(&lina)).await;
}

#[tokio::test]
async fn transfers_go_to_a_named_agent_or_to_a_topic_queue_with_a_note() {
    let app = spawn_app_with(config(Duration::from_secs(30), 3)).await;
    let org = app.org("acme").await;
    let (status, billing) = app
        .post("/api/v1/groups", &org.admin, json!({"name": "Billing"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{billing}");
    let billing_id = billing["id"].as_str().unwrap();
    let (status, inbox) = app
        .post(
            "/api/v1/inboxes",
            &org.admin,
            json!({"name": "官网", "channel": "web", "settings": {"topics": [
                {"key": "billing", "label": "账单 Billing", "group_id": billing_id}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inbox}");
    let lina = agent(&app, &org, "lina", 2, &[]).await;
    let wang = agent(&app, &org, "wang", 2, &[]).await;
    let zhao = agent(&app, &org, "zhao", 2, &[billing_id]).await;
    set_presence(&app, &lina, "available").await;

    let (id, _) = customer_starts(&app, inbox["id"].as_str().unwrap(), json!({})).await;
    until(&app, &lina.token, &id, offered_to(&lina)).await;
    assert_eq!(answer(&app, &lina, &id, "accept").await.0, StatusCode::OK);

    // Another agent may not transfer Lina's conversation.
    let (status, _) = app
        .post(
            &format!("/api/v1/conversations/{id}/transfer"),
            &wang.token,
            json!({"agent_id": wang.id}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, invalid) = app
        .post(
            &format!("/api/v1/conversations/{id}/transfer"),
            &lina.token,
            json!({"agent_id": wang.id, "topic": "billing"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{invalid}");

    set_presence(&app, &wang, "available").await;
    let (status, moved) = app
        .post(
            &format!("/api/v1/conversations/{id}/transfer"),
            &lina.token,
            json!({"agent_id": wang.id, "note": "客户要开发票，请跟进"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    until(&app, &wang.token, &id, offered_to(&wang)).await;
    assert_eq!(answer(&app, &wang, &id, "accept").await.0, StatusCode::OK);
    let (_, messages) = app
        .get(&format!("/api/v1/conversations/{id}/messages"), &wang.token)
        .await;
    let note = &messages["items"][0];
    assert_eq!(note["kind"], "note");
    assert_eq!(note["body"], "客户要开发票，请跟进");

    // To the billing topic: only Zhao (in the Billing group) serves it.
    set_presence(&app, &zhao, "available").await;
    let (status, unknown) = app
        .post(
            &format!("/api/v1/conversations/{id}/transfer"),
            &wang.token,
            json!({"topic": "nope"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{unknown}");
    let (status, moved) = app
        .post(
            &format!("/api/v1/conversations/{id}/transfer"),
            &wang.token,
            json!({"topic": "billing"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let offered = until(&app, &zhao.token, &id, offered_to(&zhao)).await;
    assert_eq!(offered["topic"], "billing");
}

#[tokio::test]
async fn visitors_see_their_place_in_the_queue_and_supervisors_the_live_view() {
    let app = spawn_app_with(config(Duration::from_secs(30), 3)).await;
    let org = app.org("acme").await;
    let other = app.org("other").await;
    let inbox = app.inbox(&org.admin).await;
    let inbox_id = inbox["id"].as_str().unwrap();
    let lina = agent(&app, &org, "lina", 2, &[]).await;
    let (first, _) = customer_starts(&app, inbox_id, json!({})).await;
    let (second, visitor) = customer_starts(&app, inbox_id, json!({})).await;

    let mut standing = Value::Null;
    for _ in 0..100 {
        let (status, body) = app
            .call(
                Method::GET,
                &format!("/api/v1/widget/conversations/{second}/standing"),
                Some(&visitor),
                None,
            )
            .await;
        if status == StatusCode::OK && body["waiting"] == 2 {
            standing = body;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(standing["position"], 2, "{standing}");
    assert!(
        standing["estimated_wait_secs"].is_null(),
        "nobody is signed in"
    );
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/v1/widget/conversations/{first}/standing"),
            Some(&visitor),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another visitor's conversation"
    );

    let (status, live) = app.get("/api/v1/routing/live", &org.supervisor).await;
    assert_eq!(status, StatusCode::OK, "{live}");
    let queue = &live["queues"][0];
    assert_eq!(queue["inbox_id"], inbox_id);
    assert_eq!(queue["waiting"], 2);
    assert!(queue["longest_wait_secs"].as_u64().is_some());
    let agents = live["agents"].as_array().unwrap();
    let me = agents
        .iter()
        .find(|a| a["agent_id"] == lina.id.as_str())
        .unwrap();
    assert_eq!(me["presence"], "offline");
    assert_eq!(me["chat_capacity"], 2);
    assert_eq!(
        app.get("/api/v1/routing/live", &lina.token).await.0,
        StatusCode::FORBIDDEN
    );
    let (_, theirs) = app.get("/api/v1/routing/live", &other.supervisor).await;
    assert_eq!(theirs["queues"], json!([]), "{theirs}");

    set_presence(&app, &lina, "available").await;
    until(&app, &lina.token, &first, offered_to(&lina)).await;
    let (status, gone) = app
        .call(
            Method::GET,
            &format!("/api/v1/widget/conversations/{second}/standing"),
            Some(&visitor),
            None,
        )
        .await;
    // Lina has room for both, so the second is offered too and no longer waits.
    until(&app, &lina.token, &second, offered_to(&lina)).await;
    assert!(
        status == StatusCode::OK || status == StatusCode::CONFLICT,
        "{gone}"
    );
    // The live view says since when she is available: her presence change, not her creation.
    let (_, user) = app
        .get(&format!("/api/v1/users/{}", lina.id), &org.supervisor)
        .await;
    let (_, live) = app.get("/api/v1/routing/live", &org.supervisor).await;
    let me = live["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent_id"] == lina.id.as_str())
        .unwrap()
        .clone();
    assert_eq!(me["presence"], "available");
    assert_eq!(me["presence_since"], user["presence_changed_at"], "{me}");
    assert_ne!(me["presence_since"], user["created_at"], "{me}");
}

#[tokio::test]
async fn after_a_restart_waiting_conversations_are_requeued_in_order_and_nothing_is_lost() {
    let mut app = spawn_app_with(config(Duration::from_secs(30), 3)).await;
    let org = app.org("acme").await;
    let inbox = app.inbox(&org.admin).await;
    let inbox_id = inbox["id"].as_str().unwrap().to_owned();
    let lina = agent(&app, &org, "lina", 3, &[]).await;
    set_presence(&app, &lina, "available").await;

    // One conversation Lina serves, with messages both ways.
    let (held, visitor) = customer_starts(&app, &inbox_id, json!({})).await;
    until(&app, &lina.token, &held, offered_to(&lina)).await;
    assert_eq!(answer(&app, &lina, &held, "accept").await.0, StatusCode::OK);
    set_presence(&app, &lina, "away").await;
    for (path, token, body) in [
        (
            format!("/api/v1/widget/conversations/{held}/messages"),
            &visitor,
            "我的订单还没到",
        ),
        (
            format!("/api/v1/conversations/{held}/messages"),
            &lina.token,
            "我帮您查一下",
        ),
    ] {
        let (status, sent) = app
            .call(
                Method::POST,
                &path,
                Some(token),
                Some(json!({"body": body, "client_msg_id": format!("m-{}", body.len())})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{sent}");
    }
    // Three waiting, the second one offered to a colleague when the server goes down.
    let mut waiting = Vec::new();
    for _ in 0..3 {
        waiting.push(customer_starts(&app, &inbox_id, json!({})).await.0);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let wang = agent(&app, &org, "wang", 1, &[]).await;
    set_presence(&app, &wang, "available").await;
    until(&app, &wang.token, &waiting[0], offered_to(&wang)).await;

    app.restart().await;
    let lina = Agent {
        token: app
            .login(&format!("lina@{}.test", org.tenant.slug), PASSWORD)
            .await,
        ..lina
    };
    let wang = Agent {
        token: app
            .login(&format!("wang@{}.test", org.tenant.slug), PASSWORD)
            .await,
        ..wang
    };
    // Agents start offline; the pending offer was voided.
    for agent in [&lina, &wang] {
        let (_, me) = app
            .get(&format!("/api/v1/users/{}", agent.id), &agent.token)
            .await;
        assert_eq!(me["presence"], "offline", "{me}");
    }
    until(&app, &lina.token, &waiting[0], status_is("queued")).await;
    let (_, messages) = app
        .get(
            &format!("/api/v1/conversations/{held}/messages"),
            &lina.token,
        )
        .await;
    assert_eq!(messages["items"].as_array().unwrap().len(), 2, "{messages}");
    let (_, still) = app
        .get(&format!("/api/v1/conversations/{held}"), &lina.token)
        .await;
    assert_eq!(still["status"], "assigned");

    // Lina (capacity 3, still holding one) is offered the two that came first, in order.
    set_presence(&app, &lina, "available").await;
    until(&app, &lina.token, &waiting[0], offered_to(&lina)).await;
    until(&app, &lina.token, &waiting[1], offered_to(&lina)).await;
    stays(&app, &lina.token, &waiting[2], "queued").await;
    let (status, _) = app
        .post(
            &format!("/api/v1/conversations/{held}/resolve"),
            &lina.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    until(&app, &lina.token, &waiting[2], offered_to(&lina)).await;
}

#[tokio::test]
async fn the_widget_session_says_whether_anyone_can_answer_now() {
    use chrono::Datelike;
    let app = spawn_app_with(config(Duration::from_secs(30), 3)).await;
    let org = app.org("acme").await;
    let inbox = app.inbox(&org.admin).await;
    let inbox_id = inbox["id"].as_str().unwrap();
    let session = |app: &TestApp| {
        let path = format!("/api/v1/widget/{inbox_id}/session");
        let app_url = app.url.clone();
        let http = app.http.clone();
        async move {
            let response = http
                .post(format!("{app_url}{path}"))
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.unwrap()
        }
    };
    let closed_everywhere = session(&app).await;
    assert_eq!(
        closed_everywhere["service"]["open"], true,
        "no hours set: always open"
    );
    assert_eq!(closed_everywhere["service"]["agents_available"], 0);

    let lina = agent(&app, &org, "lina", 2, &[]).await;
    set_presence(&app, &lina, "available").await;
    let mut staffed = Value::Null;
    for _ in 0..100 {
        staffed = session(&app).await;
        if staffed["service"]["agents_available"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(staffed["service"]["agents_available"], 1, "{staffed}");

    // Hours on every weekday but today's (UTC): closed now, opening on a later day at 09:00.
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let today = days[chrono::Utc::now().weekday().num_days_from_monday() as usize];
    let hours: serde_json::Map<String, Value> = days
        .iter()
        .filter(|d| **d != today)
        .map(|d| ((*d).to_owned(), json!([["09:00", "18:00"]])))
        .collect();
    let (status, tenant) = app
        .patch(
            "/api/v1/tenant",
            &org.admin,
            json!({"settings": {"tiers": ["normal", "silver", "gold", "vip"], "timezone": "UTC", "locale": "en", "business_hours": hours}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tenant}");
    let closed = session(&app).await;
    assert_eq!(closed["service"]["open"], false, "{closed}");
    let next =
        chrono::DateTime::parse_from_rfc3339(closed["service"]["next_open_at"].as_str().unwrap())
            .unwrap();
    assert!(next > chrono::Utc::now());
    assert_eq!(next.format("%H:%M").to_string(), "09:00");
}

#[tokio::test]
async fn pre_chat_contact_details_name_the_customer_without_exposing_anyone_else() {
    let app = spawn_app_with(config(Duration::from_secs(30), 3)).await;
    let org = app.org("acme").await;
    let inbox = app.inbox(&org.admin).await;
    let inbox_id = inbox["id"].as_str().unwrap();
    let (status, existing) = app
        .post(
            "/api/v1/customers",
            &org.agent,
            json!({"name": "张伟", "identities": [{"kind": "phone", "value": "13912345678"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{existing}");

    let (status, invalid) = app
        .call(
            Method::POST,
            "/api/v1/widget/conversations",
            Some(&app.visitor(inbox_id).await),
            Some(json!({"contact": {"email": "not an email", "phone": "12"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{invalid}");
    let fields: Vec<&str> = invalid["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["contact.phone", "contact.email"]);

    let (id, _) = customer_starts(
        &app,
        inbox_id,
        json!({"contact": {"name": " 王芳 ", "phone": "139 1234 5678", "email": "Wang.Fang@Example.com"}}),
    )
    .await;
    let (_, conversation) = app
        .get(&format!("/api/v1/conversations/{id}"), &org.agent)
        .await;
    let customer_id = conversation["customer_id"].as_str().unwrap();
    let (_, customer) = app
        .get(&format!("/api/v1/customers/{customer_id}"), &org.agent)
        .await;
    assert_eq!(customer["name"], "王芳");
    let kinds: Vec<&str> = customer["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"email"),
        "a free email is attached: {customer}"
    );
    assert!(
        !kinds.contains(&"phone"),
        "Zhang Wei's phone is not: {customer}"
    );
    assert_eq!(customer["attributes"]["unverified_phone"], "13912345678");
    assert_eq!(customer["attributes"]["possible_match"], existing["id"]);
    let (_, zhang) = app
        .get(
            &format!("/api/v1/customers/{}", existing["id"].as_str().unwrap()),
            &org.agent,
        )
        .await;
    assert_eq!(zhang["name"], "张伟", "the existing customer is untouched");
}

#[tokio::test]
async fn agents_search_conversations_and_see_unread_counts() {
    let app = spawn_app_with(config(Duration::from_secs(30), 3)).await;
    let org = app.org("acme").await;
    let inbox = app.inbox(&org.admin).await;
    let inbox_id = inbox["id"].as_str().unwrap();
    let lina = agent(&app, &org, "lina", 5, &[]).await;
    set_presence(&app, &lina, "available").await;
    let (id, visitor) = customer_starts(&app, inbox_id, json!({"contact": {"name": "王芳"}})).await;
    let (other, _) = customer_starts(&app, inbox_id, json!({})).await;
    until(&app, &lina.token, &id, offered_to(&lina)).await;
    until(&app, &lina.token, &other, offered_to(&lina)).await;
    assert_eq!(answer(&app, &lina, &id, "accept").await.0, StatusCode::OK);
    for body in ["我的快递单号是 SF1234_5678", "请尽快处理 100%"] {
        let (status, _) = app
            .call(
                Method::POST,
                &format!("/api/v1/widget/conversations/{id}/messages"),
                Some(&visitor),
                Some(json!({"body": body})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let unread = app.get("/api/v1/conversations/unread", &lina.token).await.1;
    assert_eq!(
        unread,
        json!([{"conversation_id": id, "unread": 2}]),
        "offers count too, when written to"
    );

    let (status, mark) = app
        .post(
            &format!("/api/v1/conversations/{id}/read"),
            &lina.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{mark}");
    assert_eq!(
        app.get("/api/v1/conversations/unread", &lina.token).await.1,
        json!([])
    );
    app.call(
        Method::POST,
        &format!("/api/v1/widget/conversations/{id}/messages"),
        Some(&visitor),
        Some(json!({"body": "还在吗？"})),
    )
    .await;
    let unread = app.get("/api/v1/conversations/unread", &lina.token).await.1;
    assert_eq!(unread[0]["unread"], 1, "{unread}");

    let found = |q: &str| {
        let path = format!("/api/v1/conversations?q={}", urlencode(q));
        let token = lina.token.clone();
        let app = &app;
        async move {
            let (status, page) = app.get(&path, &token).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("SF1234_5678").await, std::slice::from_ref(&id));
    assert_eq!(
        found("王芳").await,
        std::slice::from_ref(&id),
        "by the customer's name"
    );
    assert_eq!(found("100%").await, std::slice::from_ref(&id));
    assert!(
        found("1234%5678").await.is_empty(),
        "% is literal, not a wildcard"
    );
    assert!(found("nothing like this").await.is_empty());
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn an_agent_whose_workspace_closes_is_set_offline_after_the_grace_period() {
    let app = spawn_app_with(ServerConfig {
        disconnect_grace: Duration::from_millis(300),
        ..config(Duration::from_secs(30), 3)
    })
    .await;
    let org = app.org("acme").await;
    let lina = agent(&app, &org, "lina", 2, &[]).await;
    // Two tabs; closing one is not leaving, and a quick reconnect (a reload) keeps her available.
    let first = super::stream::connect(&app, "/api/v1/stream", &lina.token, 0).await;
    let mut second = super::stream::connect(&app, "/api/v1/stream", &lina.token, 0).await;
    set_presence(&app, &lina, "available").await;
    drop(first);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(presence_of(&app, &lina).await["presence"], "available");
    second.close(None).await.unwrap();
    drop(second);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let reload = super::stream::connect(&app, "/api/v1/stream", &lina.token, 0).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        presence_of(&app, &lina).await["presence"],
        "available",
        "back within the grace period"
    );

    drop(reload);
    let mut me = Value::Null;
    for _ in 0..100 {
        me = presence_of(&app, &lina).await;
        if me["presence"] == "offline" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(me["presence"], "offline", "{me}");
    assert_eq!(me["away_reason"], "disconnected");
}

async fn presence_of(app: &TestApp, agent: &Agent) -> Value {
    app.get(&format!("/api/v1/users/{}", agent.id), &agent.token)
        .await
        .1
}
